"""`ganvae serve`'s JSON API through Starlette's TestClient: each endpoint's values against the library and
the command line called directly, and the table of bad requests (each a 4xx JSON error, never a 500)."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from ganvae.cli import main  # noqa: E402
from ganvae.models import build_model  # noqa: E402
from ganvae.serve.app import create_app, grid_png  # noqa: E402
from ganvae.serve.limits import Limits  # noqa: E402

SMALL = {"width": 8, "latent_dim": 4}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A comparison-shaped folder (vae with a fitted mixture and a calibration, cgan, dcgan; untrained,
    8x8) and a table model's folder, plus an 8x8 PNG."""
    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    tmp = tmp_path_factory.mktemp("serve")
    torch.manual_seed(0)
    vae = build_model("vae", (1, 8, 8), 0, SMALL).fit_prior(torch.rand(64, 1, 8, 8))
    folder = vae.save(tmp / "cmp" / "models" / "vae-seed0")
    rng = np.random.default_rng(0)
    calib = {"neg-elbo": rng.normal(100, 5, 50).tolist(), "recon-error": rng.random(50).tolist()}
    (folder / "calibration.json").write_text(json.dumps(calib))
    cgan = build_model("cgan", (1, 8, 8), 3, SMALL)
    cgan.class_names = ["zero", "one", "two"]
    cgan.save(tmp / "cmp" / "models" / "cgan-seed0")
    build_model("dcgan", (1, 8, 8), 0, SMALL | {"inversion_steps": 5}).save(
        tmp / "cmp" / "models" / "dcgan-seed0"
    )
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": ["x", "y"] * 20})
    table = prepare_table(load_table(frame, name="toy"), seed=0)
    tab = build_model("tabular-vae", table.shape, 0, {"latent_dim": 4, "width": 8}, context=table.context)
    tab.save(tmp / "table" / "tabular-vae-seed0")
    Image.fromarray((rng.random((8, 8)) * 255).astype(np.uint8)).save(tmp / "a.png")
    return tmp


@pytest.fixture(scope="module")
def client(runs):
    app = create_app([runs / "cmp", runs / "table" / "tabular-vae-seed0"], limits=Limits(max_n=64))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _cli(argv) -> None:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    assert e.value.code == 0


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_models_lists_every_model_and_what_it_serves(client):
    r = client.get("/api/models")
    assert r.status_code == 200
    by = {m["name"]: m for m in r.json()["models"]}
    assert set(by) == {"vae-seed0", "cgan-seed0", "dcgan-seed0", "tabular-vae-seed0"}
    assert by["cgan-seed0"]["class_names"] == ["zero", "one", "two"] and by["vae-seed0"]["latent_dim"] == 4
    assert by["vae-seed0"]["calibrated"] == ["neg-elbo", "recon-error"]
    assert "synthesize" in by["tabular-vae-seed0"]["uses"]


@pytest.mark.parametrize("name", ["vae", "cgan"])
def test_sample_equals_ganvae_sample(client, runs, tmp_path, name):
    _cli(["sample", runs / "cmp", "--model", name, "-n", "9", "--seed", "5", "-o", tmp_path / "s.png"])
    r = client.get("/api/sample", params={"model": name, "n": 9, "seed": 5})
    assert r.status_code == 200 and r.json()["seed"] == 5
    served = _pixels(base64.b64decode(r.json()["png"]))
    assert np.array_equal(served, np.asarray(Image.open(tmp_path / "s.png")))
    raw = client.post("/api/sample?format=png", json={"model": f"{name}-seed0", "n": 9, "seed": 5})
    assert raw.headers["content-type"] == "image/png" and np.array_equal(_pixels(raw.content), served)
    other = client.get("/api/sample", params={"model": name, "n": 9, "seed": 6}).json()["png"]
    assert other != r.json()["png"]


def test_sample_labels_as_ganvae_sample(client, runs, tmp_path):
    _cli(["sample", runs / "cmp", "--model", "cgan", "-n", "4", "--labels", "two", "-o", tmp_path / "l.png"])
    r = client.post("/api/sample?format=png", json={"model": "cgan", "n": 4, "labels": ["two"]})
    assert np.array_equal(_pixels(r.content), np.asarray(Image.open(tmp_path / "l.png")))


def test_encode_decode_reconstruct_match_the_model(client, runs):
    from ganvae.models.base import GenerativeModel
    from ganvae.serve.limits import decode_upload

    vae = GenerativeModel.load(runs / "cmp" / "models" / "vae-seed0")
    data = (runs / "a.png").read_bytes()
    x, note = decode_upload(data, vae.shape, Limits())
    assert note is None and np.allclose(
        x[0, 0].numpy() * 255, np.asarray(Image.open(runs / "a.png")), atol=1e-3
    )
    files = {"image": ("a.png", data, "image/png")}
    enc = client.post("/api/encode", data={"model": "vae"}, files=files).json()
    assert np.allclose(enc["z"], vae.encode(x).numpy(), atol=1e-6) and enc["approximate"] is False
    dec = client.post("/api/decode?format=png", json={"model": "vae", "z": enc["z"]})
    assert np.array_equal(_pixels(dec.content), _pixels(grid_png(vae.decode(torch.tensor(enc["z"])))))
    rec = client.post("/api/reconstruct", data={"model": "vae"}, files=files).json()
    assert rec["seconds"] >= 0 and rec["psnr"] > 0
    gan = client.post("/api/reconstruct", data={"model": "dcgan", "steps": "3"}, files=files)
    assert gan.status_code == 200 and gan.json()["seconds"] > 0
    genc = client.post("/api/encode", data={"model": "dcgan", "steps": "3"}, files=files).json()
    assert genc["approximate"] is True and len(genc["z"][0]) == 4


def test_score_and_threshold_equal_ganvae_score(client, runs, tmp_path):
    _cli(
        [
            "score",
            runs / "cmp",
            "--model",
            "vae",
            "--data",
            runs / "a.png",
            "--fpr",
            "0.1",
            "-o",
            tmp_path / "s.csv",
        ]
    )
    row = pd.read_csv(tmp_path / "s.csv").iloc[0]
    files = {"image": ("a.png", (runs / "a.png").read_bytes(), "image/png")}
    r = client.post("/api/score", data={"model": "vae", "fpr": "0.1"}, files=files).json()
    assert r["method"] == "neg-elbo" and r["score"] == pytest.approx(row["score"], rel=1e-5)
    calib = json.loads((runs / "cmp" / "models" / "vae-seed0" / "calibration.json").read_text())["neg-elbo"]
    assert r["threshold"] == float(np.quantile(calib, 0.9, method="higher"))
    assert r["anomalous"] == bool(row["flag"])
    critic = client.post("/api/score", data={"model": "dcgan", "method": "critic"}, files=files).json()
    assert critic["threshold"] is None and isinstance(critic["score"], float)  # no calibration saved


def test_synthesize_equals_ganvae_synthesize(client, runs, tmp_path):
    _cli(
        [
            "synthesize",
            runs / "table" / "tabular-vae-seed0",
            "-n",
            "25",
            "--seed",
            "3",
            "-o",
            tmp_path / "t.csv",
        ]
    )
    r = client.post("/api/synthesize", json={"n": 25, "seed": 3})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    served = pd.read_csv(io.StringIO(r.text))
    pd.testing.assert_frame_equal(served, pd.read_csv(tmp_path / "t.csv"))


def _bomb(side: int, rows: int) -> bytes:
    """A PNG header of side x side gray pixels and `rows` rows of zeros (all of them: a real bomb, ~25 kB
    for 5000 x 5000; fewer: only the header matters, the size is refused before any pixel is decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\0" * (side + 1) * rows, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="PNG")
    return buf.getvalue()


BAD = [
    # (id, method, path, request kwargs, status, words in the error)
    (
        "oversized body",
        "post",
        "/api/decode",
        {"content": b"x" * (10 * 1024 * 1024 + 1), "headers": {"content-type": "application/json"}},
        413,
        "larger than 10 MB",
    ),
    (
        "oversized upload",
        "post",
        "/api/score",
        {"files": {"image": ("a.png", b"\0" * (10 * 1024 * 1024 + 10))}},
        413,
        "larger than 10 MB",
    ),
    (
        "decompression bomb, over Pillow's limit",
        "post",
        "/api/reconstruct",
        {"files": {"image": ("b.png", _bomb(50_000, 1), "image/png")}, "data": {"model": "vae"}},
        413,
        "over Pillow's limit pixels when decoded",
    ),
    (
        "decompression bomb, 5000x5000 (25 MP > 16.7 MP)",
        "post",
        "/api/score",
        {"files": {"image": ("b.png", _bomb(5000, 5000), "image/png")}, "data": {"model": "vae"}},
        413,
        "5000x5000 pixels when decoded",
    ),
    (
        "not an image",
        "post",
        "/api/encode",
        {"files": {"image": ("a.png", b"hello")}, "data": {"model": "vae"}},
        422,
        "not a readable image",
    ),
    ("no file", "post", "/api/encode", {"data": {"model": "vae"}}, 415, "multipart/form-data"),
    (
        "n not a number",
        "get",
        "/api/sample",
        {"params": {"model": "vae", "n": "many"}},
        422,
        "n must be an integer",
    ),
    ("n a float", "post", "/api/sample", {"json": {"model": "vae", "n": 2.5}}, 422, "n must be an integer"),
    ("n a bool", "post", "/api/sample", {"json": {"model": "vae", "n": True}}, 422, "n must be an integer"),
    ("n too large", "get", "/api/sample", {"params": {"model": "vae", "n": 65}}, 422, "out of range 1..64"),
    ("n zero", "get", "/api/sample", {"params": {"model": "vae", "n": 0}}, 422, "out of range 1..64"),
    ("seed negative", "get", "/api/sample", {"params": {"model": "vae", "seed": -1}}, 422, "seed = -1"),
    (
        "unknown model",
        "get",
        "/api/sample",
        {"params": {"model": "../../etc/passwd"}},
        404,
        "no served model",
    ),
    ("no model chosen", "get", "/api/sample", {}, 422, "give model: one of cgan"),
    (
        "model cannot",
        "post",
        "/api/synthesize",
        {"json": {"model": "vae"}},
        422,
        "cannot serve /api/synthesize",
    ),
    (
        "unknown class",
        "post",
        "/api/sample",
        {"json": {"model": "cgan", "labels": ["seven"]}},
        422,
        "no class",
    ),
    (
        "labels on unconditional",
        "post",
        "/api/sample",
        {"json": {"model": "vae", "labels": [1]}},
        422,
        "not class-conditional",
    ),
    (
        "body not JSON",
        "post",
        "/api/sample",
        {"content": b"{", "headers": {"content-type": "application/json"}},
        400,
        "not valid JSON",
    ),
    ("body a list", "post", "/api/sample", {"json": [1]}, 422, "JSON object"),
    ("wrong content type", "post", "/api/sample", {"content": b"n=3"}, 415, "application/json"),
    (
        "z wrong width",
        "post",
        "/api/decode",
        {"json": {"model": "vae", "z": [[0.0, 1.0]]}},
        422,
        "list of 4 numbers",
    ),
    (
        "z not finite",
        "post",
        "/api/decode",
        {
            "content": b'{"model": "vae", "z": [[0, 0, 0, NaN]]}',
            "headers": {"content-type": "application/json"},
        },
        422,
        "finite",
    ),
    ("z a string", "post", "/api/decode", {"json": {"model": "vae", "z": "zeros"}}, 422, "z must be a list"),
    (
        "steps too many",
        "post",
        "/api/reconstruct",
        {"files": {"image": ("a.png", _png(), "image/png")}, "data": {"model": "dcgan", "steps": "100000"}},
        422,
        "steps = 100000",
    ),
    (
        "unknown score",
        "post",
        "/api/score",
        {"files": {"image": ("a.png", _png(), "image/png")}, "data": {"model": "vae", "method": "magic"}},
        422,
        "method must be one of neg-elbo",
    ),
    (
        "fpr out of range",
        "post",
        "/api/score",
        {"files": {"image": ("a.png", _png(), "image/png")}, "data": {"model": "vae", "fpr": "2"}},
        422,
        "fpr = 2.0",
    ),
    ("rows too many", "post", "/api/synthesize", {"json": {"n": 10**9}}, 422, "out of range 1..10000"),
    ("bad conditions", "post", "/api/synthesize", {"json": {"conditions": [1]}}, 422, "conditions must be"),
    ("unknown column", "post", "/api/synthesize", {"json": {"conditions": {"zzz": "1"}}}, 422, "zzz"),
    (
        "no recommender",
        "post",
        "/api/recommend",
        {"json": {"items": ["1"]}},
        422,
        "none of the served models",
    ),
    (
        "conditional encode without labels",
        "post",
        "/api/encode",
        {"files": {"image": ("a.png", _png(), "image/png")}, "data": {"model": "cgan"}},
        422,
        "give labels",
    ),
    ("unknown path", "get", "/api/nothing", {}, 404, "Not Found"),
    ("wrong method", "get", "/api/decode", {}, 405, "Method Not Allowed"),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_requests_are_4xx_json(client, method, path, kwargs, status, words):
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json" and words in r.json()["error"], r.json()
    assert "Traceback" not in r.text


def test_no_cors_headers(client):
    r = client.get("/api/models", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/api/sample", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers and pre.status_code == 405


def test_an_unexpected_error_is_a_json_500_without_traceback(client, monkeypatch):
    served = client.app.state.catalog["vae"]
    monkeypatch.setattr(served.model, "sample", lambda *a, **k: 1 / 0)
    r = client.get("/api/sample", params={"model": "vae"})
    assert r.status_code == 500 and r.json() == {"error": "internal error"}


def test_concurrent_requests_run_one_at_a_time(runs):
    """Eight clients at once: every answer right, and never two model calls overlapping."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    app = create_app([runs / "cmp"], threads=1)
    served = app.state.catalog["vae"]
    inside, overlap = [0], [0]
    lock = threading.Lock()
    real = served.model.sample

    def watched(*a, **k):
        with lock:
            inside[0] += 1
            overlap[0] = max(overlap[0], inside[0])
        try:
            return real(*a, **k)
        finally:
            with lock:
                inside[0] -= 1

    served.model.sample = watched
    before = torch.get_num_threads()
    with TestClient(app) as c:
        want = {s: c.get("/api/sample", params={"model": "vae", "seed": s}).json()["png"] for s in range(4)}
        with ThreadPoolExecutor(8) as pool:
            got = list(
                pool.map(lambda s: c.get("/api/sample", params={"model": "vae", "seed": s % 4}), range(16))
            )
    assert all(r.status_code == 200 for r in got)
    assert [r.json()["png"] for r in got] == [want[s % 4] for s in range(16)]
    assert overlap[0] == 1 and torch.get_num_threads() == 1
    torch.set_num_threads(before)  # create_app set the process's count; the other tests keep theirs


def test_a_full_queue_answers_503():
    import asyncio
    import threading

    from ganvae.serve.limits import RequestError
    from ganvae.serve.worker import Worker

    before = torch.get_num_threads()
    worker, release = Worker(before, max_queue=1), threading.Event()

    async def scenario():
        first = asyncio.ensure_future(worker.run(release.wait))
        await asyncio.sleep(0.05)
        with pytest.raises(RequestError) as refused:
            await worker.run(lambda: None)
        release.set()
        assert await first is True
        assert await worker.run(lambda: 7) == 7  # room again once the first is done
        return refused.value

    refused = asyncio.run(scenario())
    worker.close()
    assert refused.status == 503 and "queued" in refused.message


@pytest.fixture(scope="module")
def recommend_task(tmp_path_factory):
    """A `ganvae task recommend`-shaped folder on a small u.data (40 users, 25 items) with an untrained
    mult-vae."""
    from ganvae.tasks.recommend import RecommendConfig

    tmp = tmp_path_factory.mktemp("rec")
    rng = np.random.default_rng(0)
    lines = [
        f"{u}\t{i}\t{int(rng.integers(3, 6))}\t0"
        for u in range(1, 41)
        for i in rng.choice(np.arange(1, 26), 12, replace=False)
    ]
    (tmp / "u.data").write_text("\n".join(lines) + "\n")
    config = {
        "data": str(tmp / "u.data"),
        "threshold": 4.0,
        "min_items": 5,
        "test_users": 0.2,
        "split_seed": 0,
    }
    (tmp / "task").mkdir()
    (tmp / "task" / "config.json").write_text(json.dumps({"task": "recommend", "config": config}))
    cfg = RecommendConfig(**{k: v for k, v in config.items() if k != "split_seed"}, split_seed=0)
    n_items = cfg.load().n_items
    torch.manual_seed(0)
    build_model("mult-vae", (n_items,)).save(tmp / "task" / "models" / "mult-vae-seed0")
    return tmp / "task"


def test_recommend_equals_ganvae_recommend(recommend_task, capsys):
    with pytest.raises(SystemExit) as e:
        main(["recommend", str(recommend_task), "--items", "1,2,3", "-k", "5"])
    assert e.value.code == 0
    printed = [line.rsplit("[item ", 1)[1].rstrip("]") for line in capsys.readouterr().out.splitlines()[1:]]
    app = create_app([recommend_task])
    with TestClient(app) as c:
        r = c.post("/api/recommend", json={"items": ["1", "2", 3], "k": 5})
        assert r.status_code == 200, r.text
        assert [row["item"] for row in r.json()["items"]] == printed and r.json()["known"] == ["1", "2", "3"]
        bad = c.post("/api/recommend", json={"items": ["9999"], "k": 5})
        assert bad.status_code == 422 and "unknown to the model" in bad.json()["error"]
        assert c.post("/api/recommend", json={"items": [], "k": 5}).status_code == 422
        assert c.post("/api/recommend", json={"items": ["1"], "k": 101}).status_code == 422


def test_recommend_for_a_user_equals_ganvae_recommend(recommend_task, capsys):
    with pytest.raises(SystemExit) as e:
        main(["recommend", str(recommend_task), "--user", "3", "-k", "4"])
    assert e.value.code == 0
    printed = [line.rsplit("[item ", 1)[1].rstrip("]") for line in capsys.readouterr().out.splitlines()[1:]]
    with TestClient(create_app([recommend_task]), raise_server_exceptions=False) as c:
        r = c.post("/api/recommend", json={"user": 3, "k": 4})
        assert r.status_code == 200, r.text
        assert [row["item"] for row in r.json()["items"]] == printed
        both = c.post("/api/recommend", json={"user": "3", "items": ["1"]})
        assert both.status_code == 422 and "not both" in both.json()["error"]
        unknown = c.post("/api/recommend", json={"user": "nobody"})
        assert unknown.status_code == 422 and "not in" in unknown.json()["error"]
        odd = c.post("/api/recommend", json={"user": ["3"]})
        assert odd.status_code == 422 and "user must be a user id" in odd.json()["error"]


def test_the_page_loads_only_from_this_server(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    files = ["/page/page.js", "/page/explore.js", "/page/apply.js", "/page/style.css"]
    assert all(f'"{f}"' in r.text for f in files)
    for text in [r.text] + [client.get(f).text for f in files]:
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert "/api/sample" in client.get("/page/page.js").text
    assert "/api/map/decode" in client.get("/page/explore.js").text
    assert client.get("/page/..%2Fapp.py").status_code == 404
    assert client.get("/page/secret.txt").json() == {"error": "Not Found"}
