"""What one request may ask of `ganvae serve`, and the checks that turn a bad request into a 4xx JSON
error: the body size (an ASGI middleware, so an oversized upload is refused before it is read whole), the
decoded size of an uploaded image (a decompression bomb: a small PNG of 100,000 x 100,000 pixels), and
the bounds of every number a request gives."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class Limits:
    max_body: int = 10 * 1024 * 1024  # bytes of one request body
    max_pixels: int = 4096 * 4096  # decoded pixels of one uploaded image
    max_n: int = 256  # images in one sample / decode grid
    max_rows: int = 10_000  # table rows in one /api/synthesize
    max_k: int = 100  # items in one /api/recommend
    max_inversion_steps: int = 500  # a GAN's encode / reconstruct (Adam steps of the latent inversion)
    max_queue: int = 64  # model calls waiting for the worker; beyond, 503
    map_images: int = 300  # test images on the latent map (a GAN inverts each once, when first asked)
    max_frames: int = 32  # frames of one /api/morph path
    max_offset: float = 10.0  # standard deviations a map slider may move a code along one direction


class RequestError(Exception):
    """A request the server refuses: its HTTP status and one line saying what to change."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def bounded_int(value: Any, name: str, low: int, high: int, default: int | None = None) -> int:
    """`value` (JSON or query text) as an int in [low, high], else a 422 naming `name` and the bounds."""
    if value is None or value == "":
        if default is None:
            raise RequestError(422, f"{name} is required: an integer in {low}..{high}")
        return default
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise RequestError(422, f"{name} must be an integer in {low}..{high}, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RequestError(422, f"{name} must be an integer in {low}..{high}, not {value!r}") from None
    if not low <= number <= high:
        raise RequestError(422, f"{name} = {number} is out of range {low}..{high}")
    return number


def code_matrix(value: Any, dim: int, max_rows: int) -> torch.Tensor:
    """A JSON list of codes (rows of `dim` finite numbers, at most `max_rows`) as a float tensor."""
    if not isinstance(value, list) or not value or len(value) > max_rows:
        raise RequestError(422, f"z must be a list of 1..{max_rows} codes, each a list of {dim} numbers")
    rows = []
    for row in value:
        ok = isinstance(row, list) and len(row) == dim
        if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row):
            raise RequestError(422, f"each code in z must be a list of {dim} numbers")
        if not all(math.isfinite(v) for v in row):
            raise RequestError(422, "z holds a value that is not a finite number")
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32)


def decode_upload(
    data: bytes, shape: tuple[int, int, int], limits: Limits
) -> tuple[torch.Tensor, str | None]:
    """An uploaded image as 1 x C x H x W in [0, 1], fitted to the model's `shape` exactly as `ganvae score`
    fits an image file (same decoding, LANCZOS resize and channel rule), and the note saying it was."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from ganvae.data.images.folder import _to_array, resize_array
    from ganvae.data.images.named import fit_channels, fitted_note

    if not data:
        raise RequestError(422, "the upload is empty; send an image file (PNG, JPEG, ...) as `image`")
    try:
        with Image.open(io.BytesIO(data)) as im:
            # the header gives the size: refuse before decoding a single pixel
            if im.width * im.height > limits.max_pixels:
                raise RequestError(413, _bomb(f"{im.width}x{im.height}", limits))
            im.load()
            a, _ = _to_array(ImageOps.exif_transpose(im))
    except RequestError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its MAX_IMAGE_PIXELS
        raise RequestError(413, _bomb("over Pillow's limit", limits)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RequestError(422, f"the upload is not a readable image ({type(exc).__name__})") from None
    original = (a.shape[2], a.shape[0], a.shape[1])
    a = resize_array(a, shape[1:])
    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0))).unsqueeze(0)
    return fit_channels(x, shape[0]), fitted_note([original], shape)


def _bomb(size: str, limits: Limits) -> str:
    return f"the image is {size} pixels when decoded; at most {limits.max_pixels:,} are decoded"


class BodyLimit:
    """ASGI middleware: a 413 JSON error for a body over `max_body` bytes, by its Content-Length before
    reading, or while it streams (a chunked body has none)."""

    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        try:
            declared = int(length) if length is not None else 0
        except ValueError:
            return await _json(send, 400, "Content-Length is not a number")
        if declared > self.max_body:
            return await _json(send, 413, self._message())
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked_send)
        except _TooLarge:
            if not started:
                await _json(send, 413, self._message())

    def _message(self) -> str:
        return f"the request body is larger than {self.max_body // (1024 * 1024)} MB"


class _TooLarge(Exception):
    pass


async def _json(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
