"""What one request to `ganvae serve` gives, read and checked: its parameters (the query string and a JSON
object body), its uploaded files (multipart/form-data), the class labels and a GAN's inversion steps it
asks for; and the one shape of an image answer (base64 PNG in JSON, or the PNG alone with ``format=png``).
Every refusal is a `RequestError` (a 4xx JSON error)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import torch

from ganvae.serve.catalog import Served
from ganvae.serve.limits import Limits, RequestError, bounded_int


def grid_png(images: torch.Tensor, nrow: int | None = None) -> bytes:
    """The PNG `ganvae sample` writes for `images` (same tiling and scale)."""
    from ganvae.grid import auto_scale, make_grid, to_pil

    buf = io.BytesIO()
    to_pil(make_grid(images, nrow), auto_scale(images.shape[-2])).save(buf, format="PNG")
    return buf.getvalue()


def image_answer(request, png: bytes, **fields: Any):
    """`png` as the bytes alone (``format=png``) or base64 in a JSON object with `fields`."""
    from starlette.responses import JSONResponse, Response

    if request.query_params.get("format") == "png":
        return Response(png, media_type="image/png")
    return JSONResponse(fields | {"png": base64.b64encode(png).decode("ascii")})


def content_type(request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip()


async def json_params(request) -> dict[str, Any]:
    """The request's parameters: the query string, overridden by a JSON object body (POST)."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        if content_type(request) != "application/json":
            raise RequestError(415, "send the parameters as a JSON object (Content-Type: application/json)")
        try:
            given = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "the body is not valid JSON") from None
        if not isinstance(given, dict):
            raise RequestError(422, "the body must be a JSON object")
        params |= given
    return params


async def form_params(
    request, limits: Limits, files: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(query and form fields, {name: bytes} of the uploaded files among `files`) of a multipart/form-data
    request; a file field of another name is refused."""
    from starlette.exceptions import HTTPException

    if content_type(request) != "multipart/form-data":
        names = " and ".join(f"`{f}`" for f in files)
        raise RequestError(415, f"upload the image as multipart/form-data with a file field {names}")
    try:
        form = await request.form(max_files=len(files), max_fields=10, max_part_size=limits.max_body)
    except HTTPException as exc:  # python-multipart's refusals (too many files, a malformed form)
        raise RequestError(400, f"malformed upload: {exc.detail}") from None
    fields, uploads = {}, {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields[key] = value
        elif key in files:
            uploads[key] = await value.read()
        else:
            raise RequestError(422, f"unexpected file field {key[:40]!r}; send {', '.join(files)}")
    return dict(request.query_params) | fields, uploads


async def upload(request, limits: Limits) -> tuple[dict[str, Any], bytes]:
    """(parameters, the uploaded `image` file's bytes) of a multipart/form-data request."""
    params, uploads = await form_params(request, limits, ("image",))
    if "image" not in uploads:
        raise RequestError(422, "the upload needs a file field `image`")
    return params, uploads["image"]


def labels_of(served: Served, value: Any, n: int) -> torch.Tensor | None:
    """The class labels a request gives (names or indices, a list or text with commas), `n` of them."""
    from ganvae.data.classes import resolve_class

    model = served.model
    if value is None or value == "":
        return None
    if not model.num_classes:
        raise RequestError(422, f"{served.name} is not class-conditional; drop labels")
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str | int) for v in items):
        raise RequestError(422, "labels must be class names or indices (a list, or text with commas)")
    names = model.class_names or [str(i) for i in range(model.num_classes)]
    out = [resolve_class(str(t).strip(), names, what="label") for t in items if str(t).strip()]
    if not out:
        raise RequestError(422, "labels is empty")
    return torch.tensor(out).repeat_interleave(max(1, n // len(out)))[:n]


def image_labels(served: Served, value: Any) -> torch.Tensor | None:
    """The class of an uploaded image, which a class-conditional model's encoder needs (without it the
    model would draw one at random)."""
    if served.model.num_classes and (value is None or value == ""):
        raise RequestError(422, f"{served.name} is class-conditional: give labels, the image's class")
    return labels_of(served, value, 1)


def steps_of(served: Served, params: dict[str, Any], limits: Limits) -> int | None:
    """A GAN's inversion `steps` for this request (bounded; default its config's, capped at the limit);
    None for a model that does not invert."""
    cfg = served.model.config
    if served.model.family != "gan" or not hasattr(cfg, "inversion_steps"):
        return None
    default = min(cfg.inversion_steps, limits.max_inversion_steps)
    return bounded_int(params.get("steps"), "steps", 1, limits.max_inversion_steps, default)
