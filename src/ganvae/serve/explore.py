"""The endpoints behind the page's latent map and morphing (`ganvae serve`):

- ``GET /api/map?model=M``: the 2-D PCA map of M's codes of the drawn test images (`latent_map.py`), with
  each point's class, its place in the test split and the spread along the top principal directions;
- ``GET|POST /api/map/decode`` (``model``, ``index``, ``offsets``): test image `index`'s code in M, moved by
  `offsets` standard deviations along the principal directions, decoded;
- ``GET /api/test-image`` (``model``, ``index``): the drawn test image itself;
- ``POST /api/morph``: the path (``method`` linear or slerp, ``frames`` points) between the codes of two
  images ``a`` and ``b``, each a test image index or an uploaded file, decoded: `ganvae morph`'s frames.

Every model call runs on the worker thread; every refusal is a 4xx JSON error.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from ganvae.serve.catalog import Served, pick
from ganvae.serve.latent_map import Explorer
from ganvae.serve.limits import Limits, RequestError, bounded_int, decode_upload
from ganvae.serve.params import (
    content_type,
    form_params,
    grid_png,
    image_answer,
    json_params,
    labels_of,
    steps_of,
)
from ganvae.serve.worker import Worker, timed

METHODS = {"linear": "linear", "slerp": "slerp", "spherical": "slerp"}


def offsets_of(value: Any, k: int, bound: float) -> list[float]:
    """Slider offsets (standard deviations along each principal direction): at most `k` finite numbers in
    [-bound, bound], a list or text with commas."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > k:
        raise RequestError(422, f"offsets must be a list of at most {k} numbers (one per direction)")
    out = []
    for v in items:
        if isinstance(v, bool):
            raise RequestError(422, f"offsets must be numbers, not {v!r}")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise RequestError(422, f"offsets must be numbers, not {str(v)[:40]!r}") from None
        if not math.isfinite(f) or abs(f) > bound:
            raise RequestError(
                422, f"each offset must be a finite number in -{bound:g}..{bound:g}, not {v!r}"
            )
        out.append(f)
    return out


def explore_routes(catalog: dict[str, Served], limits: Limits, worker: Worker) -> list:
    """The routes of the map, the test images and the morph, sharing one `Explorer` (its caches)."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    explorer = Explorer(limits)

    def mapped(p: dict[str, Any], endpoint: str) -> Served:
        return pick(catalog, p.get("model"), "morph", endpoint)

    async def index_of(served: Served, value: Any, name: str = "index") -> tuple[Any, int]:
        images = await worker.run(explorer.test_images, served)
        return images, bounded_int(value, name, 0, len(images) - 1)

    async def latent_map(request):
        p = dict(request.query_params)
        served = mapped(p, "/api/map")
        steps = steps_of(served, {}, limits)
        m = await worker.run(explorer.latent_map, served, steps)
        images = explorer.test_images(served)  # cached by the call above
        y = images.y
        return JSONResponse(
            {
                "model": served.name,
                "data": images.key,
                "n": len(images),
                "points": [[round(float(a), 4), round(float(b), 4)] for a, b in m.points],
                "labels": y.tolist() if y is not None else None,
                "class_names": images.class_names,
                "test_index": images.test_index,
                "explained": [round(e, 4) for e in m.explained],
                "scales": [round(float(s), 4) for s in m.scales],
                "directions": len(m.scales),
                "max_offset": limits.max_offset,
                "approximate": served.model.family == "gan",  # codes by latent inversion
                "seconds": m.seconds,
                "note": images.note,
            }
        )

    async def map_decode(request):
        p = await json_params(request)
        served = mapped(p, "/api/map/decode")
        images, i = await index_of(served, p.get("index"))
        m = await worker.run(explorer.latent_map, served, steps_of(served, {}, limits))
        offsets = offsets_of(p.get("offsets"), len(m.scales), limits.max_offset)
        labels = images.y[i : i + 1] if served.model.num_classes else None
        z = m.moved(i, offsets)
        out = await worker.run(lambda: served.model.decode(z, labels=labels).detach())
        return image_answer(request, grid_png(out), model=served.name, index=i, offsets=offsets)

    async def test_image(request):
        p = dict(request.query_params)
        served = mapped(p, "/api/test-image")
        images, i = await index_of(served, p.get("index"))
        label = int(images.y[i]) if images.y is not None else None
        name = images.class_names[label] if label is not None and images.class_names else label
        png = grid_png(images.x[i : i + 1])
        return image_answer(request, png, index=i, test_index=images.test_index[i], label=name)

    async def morph(request):
        if content_type(request) == "multipart/form-data":
            p, files = await form_params(request, limits, ("a", "b"))
        else:
            p, files = await json_params(request), {}
        served = mapped(p, "/api/morph")
        method = METHODS.get(str(p.get("method") or "slerp"))
        if method is None:
            raise RequestError(422, "method must be linear or slerp (spherical)")
        frames = bounded_int(p.get("frames"), "frames", 2, limits.max_frames, 9)
        ends, classes, notes = [], [], []
        for end in ("a", "b"):
            given, upload = p.get(end), files.get(end)
            if upload is not None and given not in (None, ""):
                raise RequestError(422, f"give {end} as a test image index or as an uploaded file, not both")
            if upload is not None:
                x, note = decode_upload(upload, served.model.shape, limits)
                ends.append(x[0])
                classes.append(None)
                notes += [f"{end}: {note}"] if note else []
            elif given not in (None, ""):
                images, i = await index_of(served, given, end)
                ends.append(images.x[i])
                classes.append(int(images.y[i]) if images.y is not None else None)
            else:
                raise RequestError(
                    422, f"give {end}: the index of a test image (see /api/map) or an uploaded image file"
                )
        label = None
        if served.model.num_classes:  # the morph stays in one class: the one given, else a's (or b's)
            given = labels_of(served, p.get("labels"), 1)
            label = int(given[0]) if given is not None else next((c for c in classes if c is not None), None)
            if label is None:
                raise RequestError(
                    422, f"{served.name} is class-conditional: give labels, the class to morph in"
                )

        from ganvae.tasks.interpolate import morph as morph_path

        steps = steps_of(served, p, limits)
        path, seconds = await worker.run(
            timed, served, steps, morph_path, served.model, ends[0], ends[1], frames, method, label
        )
        pngs = [base64.b64encode(grid_png(f.unsqueeze(0))).decode("ascii") for f in path]
        return JSONResponse(
            {
                "model": served.name,
                "method": method,
                "frames": pngs,
                "seconds": seconds,
                "approximate": served.model.family == "gan",
                "note": "; ".join(notes) or None,
            }
        )

    return [
        Route("/api/map", latent_map, methods=["GET"]),
        Route("/api/map/decode", map_decode, methods=["GET", "POST"]),
        Route("/api/test-image", test_image, methods=["GET"]),
        Route("/api/morph", morph, methods=["POST"]),
    ]
