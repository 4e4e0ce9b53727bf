"""A bounded load test of `ganvae serve` on loopback: N requests from C concurrent clients against the real
server (uvicorn, in this process's thread, on 127.0.0.1), sample requests with uploads mixed in.

Mix (seeded): 80 % GET /api/sample (n=16, a random seed, the VAE or the GAN in turn), 10 % POST
/api/reconstruct of an uploaded PNG with the VAE, 5 % POST /api/score with the VAE, 5 % POST
/api/reconstruct with the GAN (latent inversion, `--gan-steps` Adam steps). The uploads are the VAE's own
samples, as PNG. Every answer must be 200 with the JSON it promises; anything else counts as an error.
Prints JSON: latency percentiles (ms) over all requests and per kind, throughput, errors.

    nice -n 19 python bench/serve_load.py runs/fm --requests 500 --clients 16 > bench/serve_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import socket
import sys
import threading
import time

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def _uploads(app, model: str, k: int) -> list[bytes]:
    import torch

    from ganvae.grid import make_grid, to_pil

    m = app.state.catalog[model].model
    out = []
    for img in m.sample(k, generator=torch.Generator().manual_seed(1)):
        buf = io.BytesIO()
        to_pil(make_grid(img[None], pad=0)).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


async def _run(base: str, plan: list[tuple[str, dict]], clients: int) -> list[dict]:
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    results: list[dict] = []

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            kind, req = queue.get_nowait()
            start = time.perf_counter()
            try:
                r = await http.request(req["method"], base + req["path"], **req["kwargs"])
                ok = r.status_code == 200 and ("png" in r.json() or "score" in r.json())
                error = None if ok else f"{r.status_code} {r.text[:200]}"
            except Exception as exc:  # a refused connection, a timeout: counted, not raised
                error = f"{type(exc).__name__}: {exc}"
            results.append({"kind": kind, "ms": 1000 * (time.perf_counter() - start), "error": error})

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return results


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {
        "n": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p90_ms": round(float(np.percentile(a, 90)), 1),
        "p99_ms": round(float(np.percentile(a, 99)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="a comparison folder with a vae and a dcgan")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gan-steps", type=int, default=20)
    ap.add_argument("--vae", default="vae")
    ap.add_argument("--gan", default="dcgan")
    args = ap.parse_args()

    from ganvae.serve.app import create_app

    app = create_app([args.run], threads=args.threads)
    uploads = _uploads(app, args.vae, 8)
    rng = random.Random(0)
    plan = []
    for i in range(args.requests):
        u = rng.random()
        img = {"image": ("x.png", uploads[i % len(uploads)], "image/png")}
        if u < 0.80:
            model = args.vae if i % 2 else args.gan
            params = {"model": model, "n": 16, "seed": rng.randrange(10**6)}
            plan.append(("sample", {"method": "GET", "path": "/api/sample", "kwargs": {"params": params}}))
        elif u < 0.90:
            kw = {"files": img, "data": {"model": args.vae}}
            plan.append(("reconstruct_vae", {"method": "POST", "path": "/api/reconstruct", "kwargs": kw}))
        elif u < 0.95:
            kw = {"files": img, "data": {"model": args.vae}}
            plan.append(("score_vae", {"method": "POST", "path": "/api/score", "kwargs": kw}))
        else:
            kw = {"files": img, "data": {"model": args.gan, "steps": str(args.gan_steps)}}
            plan.append(("reconstruct_gan", {"method": "POST", "path": "/api/reconstruct", "kwargs": kw}))
    port = _free_port()
    server, thread = _start(app, port)
    try:
        start = time.perf_counter()
        results = asyncio.run(_run(f"http://127.0.0.1:{port}", plan, args.clients))
        wall = time.perf_counter() - start
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    errors = [r for r in results if r["error"]]
    kinds = sorted({r["kind"] for r in results})
    print(
        json.dumps(
            {
                "command": "python " + " ".join(sys.argv),
                "requests": len(results),
                "clients": args.clients,
                "torch_threads": args.threads,
                "gan_inversion_steps": args.gan_steps,
                "errors": len(errors),
                "first_errors": [e["error"] for e in errors[:5]],
                "wall_s": round(wall, 2),
                "requests_per_s": round(len(results) / wall, 1),
                "all": _stats([r["ms"] for r in results]),
                "by_kind": {k: _stats([r["ms"] for r in results if r["kind"] == k]) for k in kinds},
                "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
                f"{platform.python_version()}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
