"""The endpoints behind the page's latent map and morph (`ganvae.serve.explore`), on tiny models trained on
digits: the map against a PCA computed here by SVD, decodes and morphs against the models called directly,
and the bad requests of each endpoint (4xx JSON errors)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from ganvae.serve.app import create_app, grid_png  # noqa: E402
from ganvae.serve.limits import Limits  # noqa: E402

MAP_IMAGES = 60


@pytest.fixture(scope="module")
def client(digits_runs):
    runs = [digits_runs / "cmp", digits_runs / "cond" / "cvae-seed0"]
    app = create_app(runs, limits=Limits(map_images=MAP_IMAGES))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def reference(digits_runs):
    """The drawn test images (the first MAP_IMAGES of a seed-0 permutation of digits' test split) and the
    vae's codes of them, computed here."""
    from ganvae.data import load_images
    from ganvae.models.base import GenerativeModel

    data = load_images("digits")
    order = torch.randperm(len(data.x_test), generator=torch.Generator().manual_seed(0))[:MAP_IMAGES]
    vae = GenerativeModel.load(digits_runs / "cmp" / "models" / "vae-seed0")
    with torch.no_grad():
        codes = vae.encode(data.x_test[order])
    return {"x": data.x_test[order], "y": data.y_test[order], "order": order, "vae": vae, "codes": codes}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


def _png(answer) -> np.ndarray:
    return _pixels(base64.b64decode(answer["png"]))


def _svd(codes: torch.Tensor):
    """(coordinates, unit directions, standard deviations) of the codes' principal components."""
    c = codes.double().numpy()
    centred = c - c.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt.T, vt, s / np.sqrt(len(c) - 1)


def test_map_is_the_pca_of_the_codes(client, reference):
    r = client.get("/api/map", params={"model": "vae"})
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["n"] == MAP_IMAGES and m["data"] == "digits" and m["approximate"] is False
    assert m["test_index"] == reference["order"].tolist() and m["labels"] == reference["y"].tolist()
    coords, _, sd = _svd(reference["codes"])
    points = np.asarray(m["points"])
    for j in range(2):  # a principal direction's sign is arbitrary
        sign = np.sign(points[:, j] @ coords[:, j])
        np.testing.assert_allclose(points[:, j], sign * coords[:, j], atol=2e-4)
    np.testing.assert_allclose(m["scales"], sd[:3], atol=2e-4)
    total = (sd**2).sum()
    np.testing.assert_allclose(m["explained"], sd[:3] ** 2 / total, atol=2e-4)


def test_map_decode_moves_the_code_along_the_principal_directions(client, reference):
    vae, codes = reference["vae"], reference["codes"]
    i = 7
    r = client.post("/api/map/decode", json={"model": "vae", "index": i})
    assert r.status_code == 200 and r.json()["offsets"] == []
    assert np.array_equal(_png(r.json()), _pixels(grid_png(vae.decode(codes[i : i + 1]))))
    m = client.get("/api/map", params={"model": "vae"}).json()
    _, vt, sd = _svd(codes)
    # the server's directions carry its own signs: recover them from its points
    coords, _, _ = _svd(codes)
    signs = [np.sign(np.asarray(m["points"])[:, j] @ coords[:, j]) for j in range(2)]
    z = codes[i].double().numpy() + 1.5 * sd[0] * signs[0] * vt[0] - 2.0 * sd[1] * signs[1] * vt[1]
    want = _pixels(grid_png(vae.decode(torch.tensor(z, dtype=torch.float32)[None])))
    moved = client.get("/api/map/decode", params={"model": "vae", "index": i, "offsets": "1.5,-2"}).json()
    assert np.abs(_png(moved) - want).max() <= 1  # float32 against float64 sums: a grey level at most
    assert not np.array_equal(_png(moved), _png(r.json()))


def test_test_image_is_the_drawn_test_image(client, reference):
    r = client.get("/api/test-image", params={"model": "vae", "index": 3}).json()
    assert r["test_index"] == int(reference["order"][3]) and r["label"] == str(int(reference["y"][3]))
    assert np.array_equal(_png(r), _pixels(grid_png(reference["x"][3:4])))


def test_a_gan_map_inverts_and_decodes_in_its_own_codes(client):
    m = client.get("/api/map", params={"model": "dcgan"}).json()
    assert m["approximate"] is True and m["seconds"] > 0 and len(m["points"]) == MAP_IMAGES
    still = client.post("/api/map/decode", json={"model": "dcgan", "index": 0, "offsets": [0]}).json()
    assert _png(still).shape == _pixels(grid_png(torch.zeros(1, 1, 8, 8))).shape
    again = client.post("/api/map/decode", json={"model": "dcgan", "index": 0}).json()
    moved = client.post("/api/map/decode", json={"model": "dcgan", "index": 0, "offsets": [2]}).json()
    assert np.array_equal(_png(still), _png(again)) and not np.array_equal(_png(still), _png(moved))


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_morph_equals_the_library_morph(client, reference, method):
    from ganvae.tasks.interpolate import morph

    vae, x = reference["vae"], reference["x"]
    r = client.post("/api/morph", json={"model": "vae", "a": 2, "b": 5, "frames": 6, "method": method})
    assert r.status_code == 200, r.text
    want = morph(vae, x[2], x[5], steps=6, method=method)
    got = [_pixels(base64.b64decode(f)) for f in r.json()["frames"]]
    assert len(got) == 6 and all(
        np.array_equal(g, _pixels(grid_png(w[None]))) for g, w in zip(got, want, strict=True)
    )
    # the same two images uploaded (one end as a file, the other a test image) give the same frames
    buf = io.BytesIO()
    Image.fromarray((x[5, 0].numpy() * 255).round().astype(np.uint8)).save(buf, format="PNG")
    files = {"b": ("b.png", buf.getvalue(), "image/png")}
    up = client.post(
        "/api/morph", data={"model": "vae", "a": "2", "frames": "6", "method": method}, files=files
    )
    assert up.status_code == 200, up.text
    again = [_pixels(base64.b64decode(f)) for f in up.json()["frames"]]
    assert all(np.abs(a - b).max() <= 2 for a, b in zip(again, got, strict=True))  # the upload is 8-bit


def test_conditional_morph_stays_in_the_class_of_a(client, digits_runs, reference):
    from ganvae.models.base import GenerativeModel
    from ganvae.tasks.interpolate import morph

    cvae = GenerativeModel.load(digits_runs / "cond" / "cvae-seed0")
    r = client.post("/api/morph", json={"model": "cvae", "a": 1, "b": 4, "frames": 3}).json()
    want = morph(cvae, reference["x"][1], reference["x"][4], 3, "slerp", label=int(reference["y"][1]))
    assert np.array_equal(_pixels(base64.b64decode(r["frames"][0])), _pixels(grid_png(want[:1])))
    m = client.get("/api/map", params={"model": "cvae"})
    assert m.status_code == 200 and len(m.json()["points"]) == MAP_IMAGES


def _upload():
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="PNG")
    return ("a.png", buf.getvalue(), "image/png")


BAD = [
    # (id, method, path, request kwargs, status, words in the error)
    ("map: no model", "get", "/api/map", {}, 422, "give model: one of"),
    ("map: unknown model", "get", "/api/map", {"params": {"model": "x"}}, 404, "no served model"),
    ("map: wrong method", "post", "/api/map", {"json": {"model": "vae"}}, 405, "Method Not Allowed"),
    ("decode: no index", "post", "/api/map/decode", {"json": {"model": "vae"}}, 422, "index is required"),
    (
        "decode: index out of range",
        "post",
        "/api/map/decode",
        {"json": {"model": "vae", "index": MAP_IMAGES}},
        422,
        f"out of range 0..{MAP_IMAGES - 1}",
    ),
    (
        "decode: index a float",
        "post",
        "/api/map/decode",
        {"json": {"model": "vae", "index": 1.5}},
        422,
        "index must be an integer",
    ),
    (
        "decode: too many offsets",
        "post",
        "/api/map/decode",
        {"json": {"model": "vae", "index": 0, "offsets": [0, 0, 0, 0]}},
        422,
        "at most 3 numbers",
    ),
    (
        "decode: offset not a number",
        "get",
        "/api/map/decode",
        {"params": {"model": "vae", "index": 0, "offsets": "1,up"}},
        422,
        "offsets must be numbers",
    ),
    (
        "decode: offset too far",
        "post",
        "/api/map/decode",
        {"json": {"model": "vae", "index": 0, "offsets": [11]}},
        422,
        "-10..10",
    ),
    (
        "decode: offset not finite",
        "post",
        "/api/map/decode",
        {
            "content": b'{"model": "vae", "index": 0, "offsets": [Infinity]}',
            "headers": {"content-type": "application/json"},
        },
        422,
        "finite number",
    ),
    (
        "decode: offsets an object",
        "post",
        "/api/map/decode",
        {"json": {"model": "vae", "index": 0, "offsets": {"a": 1}}},
        422,
        "offsets must be a list",
    ),
    (
        "test image: negative index",
        "get",
        "/api/test-image",
        {"params": {"model": "vae", "index": -1}},
        422,
        "index = -1",
    ),
    (
        "morph: no ends",
        "post",
        "/api/morph",
        {"json": {"model": "vae"}},
        422,
        "give a: the index of a test image",
    ),
    ("morph: no b", "post", "/api/morph", {"json": {"model": "vae", "a": 0}}, 422, "give b"),
    (
        "morph: unknown method",
        "post",
        "/api/morph",
        {"json": {"model": "vae", "a": 0, "b": 1, "method": "cubic"}},
        422,
        "method must be linear or slerp",
    ),
    (
        "morph: too many frames",
        "post",
        "/api/morph",
        {"json": {"model": "vae", "a": 0, "b": 1, "frames": 33}},
        422,
        "frames = 33 is out of range 2..32",
    ),
    (
        "morph: end out of range",
        "post",
        "/api/morph",
        {"json": {"model": "vae", "a": 0, "b": 999}},
        422,
        f"b = 999 is out of range 0..{MAP_IMAGES - 1}",
    ),
    (
        "morph: index and file for one end",
        "post",
        "/api/morph",
        {"data": {"model": "vae", "a": "0", "b": "1"}, "files": {"a": _upload()}},
        422,
        "not both",
    ),
    (
        "morph: a file of another name",
        "post",
        "/api/morph",
        {"data": {"model": "vae", "a": "0"}, "files": {"c": _upload()}},
        422,
        "unexpected file field 'c'",
    ),
    (
        "morph: not an image",
        "post",
        "/api/morph",
        {"data": {"model": "vae", "b": "1"}, "files": {"a": ("a.png", b"hello")}},
        422,
        "not a readable image",
    ),
    (
        "morph: conditional uploads without labels",
        "post",
        "/api/morph",
        {"data": {"model": "cvae"}, "files": {"a": _upload(), "b": _upload()}},
        422,
        "give labels",
    ),
    ("morph: wrong content type", "post", "/api/morph", {"content": b"a=1"}, 415, "application/json"),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_requests_are_4xx_json(client, method, path, kwargs, status, words):
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json" and words in r.json()["error"], r.json()


def test_a_model_without_data_has_no_map(tmp_path):
    """A model saved outside a run names no data: the map says so (and uploads still morph)."""
    from ganvae.models import build_model

    build_model("vae", (1, 8, 8), 0, {"width": 8, "latent_dim": 4}).save(tmp_path / "vae-seed0")
    with TestClient(create_app([tmp_path / "vae-seed0"]), raise_server_exceptions=False) as c:
        r = c.get("/api/map", params={"model": "vae"})
        assert r.status_code == 422 and "does not name the data" in r.json()["error"]
        assert c.get("/api/models").json()["models"][0]["data"] is None
        files = {"a": _upload(), "b": _upload()}
        assert c.post("/api/morph", data={"frames": "3"}, files=files).status_code == 200
