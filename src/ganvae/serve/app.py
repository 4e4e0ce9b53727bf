"""The ASGI app of `ganvae serve`: a JSON API over trained models (Starlette).

Every endpoint calls the same library functions as the command line (`GenerativeModel.sample` seeded as
`ganvae sample` seeds it, `score` and the anomaly task's calibration as `ganvae score`, `recommend_for` as
`ganvae recommend`), on one worker thread (`worker.py`). Every refused request is a JSON object
``{"error": "..."}`` with a 4xx status; anything unexpected is a 500 with the same shape and no traceback.
No request value becomes a file path: models are chosen by name from those loaded at start.

Images travel as PNG: base64 inside the JSON answer (``"png"``), or the bytes alone with ``format=png``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch

from ganvae.errors import GanvaeError
from ganvae.serve.catalog import load_catalog, pick
from ganvae.serve.explore import explore_routes
from ganvae.serve.limits import BodyLimit, Limits, RequestError, bounded_int, code_matrix, decode_upload
from ganvae.serve.params import (
    grid_png,
    image_answer,
    image_labels,
    json_params,
    labels_of,
    steps_of,
    upload,
)
from ganvae.serve.worker import Worker, timed

SEED_MAX = 2**31 - 1
PAGE_FILES = {
    "index.html": "text/html",
    "page.js": "text/javascript",  # shared helpers and the sample grids
    "explore.js": "text/javascript",  # the latent map and the morph
    "apply.js": "text/javascript",  # an upload's reconstructions and scores, table rows, recommendations
    "style.css": "text/css",
}
# the page runs only its own script and loads only from this server (images: the API's blobs)
PAGE_POLICY = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'"


def sample_grid(model: Any, n: int, seed: int, labels: torch.Tensor | None) -> bytes:
    """`ganvae sample RUN -n n --seed seed` as PNG bytes (the labels given, or the classes in turn)."""
    y = labels if labels is not None else (torch.arange(n) % model.num_classes if model.num_classes else None)
    images = model.sample(n, labels=y, generator=torch.Generator().manual_seed(seed))
    nrow = model.num_classes if labels is None and model.num_classes and model.num_classes <= 16 else None
    return grid_png(images, nrow)


def create_app(runs: list[str | Path], *, limits: Limits | None = None, threads: int = 2):
    """The app serving every model of `runs` (run, comparison, task or model folders)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    limits = limits or Limits()
    catalog = load_catalog(runs)
    worker = Worker(threads, limits.max_queue)

    # ---- endpoints ---------------------------------------------------------------------------------
    async def models(request: Request) -> Response:
        names = sorted({s.name for s in catalog.values()})
        return JSONResponse({"models": [catalog[n].describe() for n in names], "limits": limits.__dict__})

    async def sample(request: Request) -> Response:
        p = await json_params(request)
        served = pick(catalog, p.get("model"), "sample", "/api/sample")
        n = bounded_int(p.get("n"), "n", 1, limits.max_n, 16)
        seed = bounded_int(p.get("seed"), "seed", 0, SEED_MAX, 0)
        labels = labels_of(served, p.get("labels"), n)
        png = await worker.run(sample_grid, served.model, n, seed, labels)
        return image_answer(request, png, model=served.name, n=n, seed=seed)

    async def decode(request: Request) -> Response:
        p = await json_params(request)
        served = pick(catalog, p.get("model"), "morph", "/api/decode")
        z = code_matrix(p.get("z"), served.model.latent_dim, limits.max_n)
        labels = labels_of(served, p.get("labels"), len(z))
        if served.model.num_classes and labels is None:
            labels = torch.arange(len(z)) % served.model.num_classes
        images = await worker.run(lambda: served.model.decode(z, labels=labels))
        return image_answer(request, grid_png(images), model=served.name, n=len(z))

    async def encode(request: Request) -> Response:
        p, data = await upload(request, limits)
        served = pick(catalog, p.get("model"), "morph", "/api/encode")
        x, note = decode_upload(data, served.model.shape, limits)
        labels = image_labels(served, p.get("labels"))
        z, seconds = await worker.run(
            timed, served, steps_of(served, p, limits), served.model.encode, x, labels
        )
        return JSONResponse(
            {
                "model": served.name,
                "z": z.detach().cpu().tolist(),
                "approximate": served.model.family == "gan",  # latent inversion: a local optimum
                "seconds": seconds,
                "note": note,
            }
        )

    async def reconstruct(request: Request) -> Response:
        p, data = await upload(request, limits)
        served = pick(catalog, p.get("model"), "morph", "/api/reconstruct")
        x, note = decode_upload(data, served.model.shape, limits)
        labels = image_labels(served, p.get("labels"))
        steps = steps_of(served, p, limits)
        out, seconds = await worker.run(timed, served, steps, served.model.reconstruct, x, labels)
        from ganvae.metrics import psnr_per_image

        psnr = float(psnr_per_image(x, out)[0])
        png = grid_png(out)
        return image_answer(request, png, model=served.name, seconds=seconds, psnr=psnr, note=note)

    async def score(request: Request) -> Response:
        from ganvae.tasks.scoring import threshold_at_fpr

        p, data = await upload(request, limits)
        served = pick(catalog, p.get("model"), "score", "/api/score")
        methods = served.model.anomaly_scores
        method = p.get("method") or methods[0]
        if method not in methods:
            raise RequestError(422, f"method must be one of {', '.join(methods)}")
        fpr = _fraction(p.get("fpr"), 0.05)
        x, note = decode_upload(data, served.model.shape, limits)
        scores, _ = await worker.run(
            timed, served, steps_of(served, p, limits), served.model.score, x, None, method
        )
        value = float(scores[0])
        calib = served.calibration.get(method)
        threshold = threshold_at_fpr(calib, fpr) if calib else None
        return JSONResponse(
            {
                "model": served.name,
                "method": method,
                "score": value,
                "threshold": threshold,
                "fpr": fpr if threshold is not None else None,
                "anomalous": value > threshold if threshold is not None else None,
                "note": note,
            }
        )

    async def synthesize(request: Request) -> Response:
        from starlette.responses import PlainTextResponse

        p = await json_params(request)
        served = pick(catalog, p.get("model"), "synthesize", "/api/synthesize")
        n = bounded_int(p.get("n"), "n", 1, limits.max_rows, 100)
        seed = bounded_int(p.get("seed"), "seed", 0, SEED_MAX, 0)
        conditions = p.get("conditions") or {}
        if not isinstance(conditions, dict) or not all(isinstance(k, str) for k in conditions):
            raise RequestError(422, "conditions must be an object {column: value}")

        def draw():
            g = torch.Generator().manual_seed(seed)
            return served.model.sample(n, conditions=conditions or None, generator=g)

        frame = await worker.run(draw)
        return PlainTextResponse(frame.to_csv(index=False), media_type="text/csv")

    async def recommend(request: Request) -> Response:
        from ganvae.tasks.recommend import recommend_for

        p = await json_params(request)
        served = pick(catalog, p.get("model"), "recommend", "/api/recommend")
        items, user = p.get("items"), p.get("user")
        if user not in (None, ""):  # a user of the task's ratings file: their liked items
            if items not in (None, "", []):
                raise RequestError(422, "give user (an id in the ratings file) or items, not both")
            if not isinstance(user, str | int) or isinstance(user, bool) or len(str(user)) > 100:
                raise RequestError(422, "user must be a user id of the ratings file (text or a number)")
            query = {"user": str(user).strip()}
        else:
            if isinstance(items, str):
                items = [i.strip() for i in items.split(",") if i.strip()]
            if not isinstance(items, list) or not items or not all(isinstance(i, str | int) for i in items):
                raise RequestError(422, "items must be a list of item ids the user liked (or give user)")
            query = {"items": [str(i) for i in items[:1000]]}
        k = bounded_int(p.get("k"), "k", 1, limits.max_k, 10)
        result = await worker.run(lambda: recommend_for(served.folder, k=k, **query))
        return JSONResponse({"model": served.name, "known": result["known"], "items": result["items"]})

    # ---- the page: files shipped with the package, nothing fetched from elsewhere ----------------
    async def page(request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in PAGE_FILES:  # a fixed set: the path never reaches the file system
            raise RequestError(404, "Not Found")
        text = (Path(__file__).parent / "page" / name).read_text(encoding="utf-8")
        return Response(text, media_type=PAGE_FILES[name], headers={"Content-Security-Policy": PAGE_POLICY})

    # ---- errors --------------------------------------------------------------------------------------
    async def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, RequestError):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        if isinstance(exc, GanvaeError):  # the library's own refusal of a value: what to change
            return JSONResponse({"error": str(exc)}, status_code=422)
        if isinstance(exc, HTTPException):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return JSONResponse({"error": "internal error"}, status_code=500)  # never a traceback

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/page/{name}", page, methods=["GET"]),
        Route("/api/models", models, methods=["GET"]),
        Route("/api/sample", sample, methods=["GET", "POST"]),
        Route("/api/decode", decode, methods=["POST"]),
        Route("/api/encode", encode, methods=["POST"]),
        Route("/api/reconstruct", reconstruct, methods=["POST"]),
        Route("/api/score", score, methods=["POST"]),
        Route("/api/synthesize", synthesize, methods=["POST"]),
        Route("/api/recommend", recommend, methods=["POST"]),
        *explore_routes(catalog, limits, worker),
    ]
    handlers = {RequestError: refused, GanvaeError: refused, HTTPException: refused, Exception: refused}

    # no CORS middleware: browsers keep other origins' pages from reading the answers
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        worker.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(BodyLimit, max_body=limits.max_body)],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.catalog, app.state.limits, app.state.worker = catalog, limits, worker
    return app


def _fraction(value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise RequestError(422, f"fpr must be a number strictly between 0 and 1, not {value!r}") from None
    if not 0.0 < f < 1.0:
        raise RequestError(422, f"fpr = {f} must lie strictly between 0 and 1")
    return f
