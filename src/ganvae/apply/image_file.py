"""One image file in, one image file out: what the commands that apply an image-to-image model to a user's
own image share (`ganvae upscale`; a translation command can use the same two functions).

Unlike `ganvae score` and `ganvae morph`, which fit every image to the model's C x H x W, the image keeps
its size here: the image-to-image networks are fully convolutional, so a model trained on 28x28 images
upscales a 40x60 one. Its channels are fitted to the model's (luma for a colour image given to a gray
model, copies for the reverse, as `morph` does) and the command says so.

>>> x, note = read_image("photo.png", channels=1)     # doctest: +SKIP
>>> note                                               # doctest: +SKIP
'photo.png has 3 channels and the model 1: converted to gray (BT.601 luma)'
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ganvae.errors import DataError

MAX_OUTPUT_PIXELS = 4_000_000  # about 2000 x 2000: the networks hold several maps of this size in memory


def read_image(path: str | os.PathLike[str], channels: int) -> tuple[torch.Tensor, str | None]:
    """(1 x channels x H x W in [0, 1], a note when the channels were converted, else None)."""
    from ganvae.data.images.folder import decode_image, is_image_file
    from ganvae.data.images.named import fit_channels

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file; give an image file (PNG, JPEG, ...)")
    if not is_image_file(path):
        raise DataError(f"{path} is not an image file ({path.suffix or 'no suffix'}); give a PNG or JPEG")
    array, _ = decode_image(path, path.parent)
    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(array, -1, 0))).unsqueeze(0).float()
    have = x.shape[1]
    if have == channels:
        return x, None
    how = "converted to gray (BT.601 luma)" if channels == 1 else "gray copied into 3 channels"
    note = f"{path.name} has {have} channel{'s' * (have > 1)} and the model {channels}: {how}"
    return fit_channels(x, channels), note


def check_output_size(height: int, width: int, what: str) -> None:
    """A DataError when an output of height x width would not fit comfortably in memory."""
    if height * width > MAX_OUTPUT_PIXELS:
        raise DataError(
            f"{what} would be {height}x{width} pixels, more than {MAX_OUTPUT_PIXELS:,}; crop or downscale "
            "the image first"
        )


def write_image(x: torch.Tensor, path: str | os.PathLike[str]) -> Path:
    """Write one image (1 x C x H x W or C x H x W in [0, 1]) as a PNG at its own size, atomically."""
    from PIL import Image

    from ganvae.atomic import atomic_path

    image = x[0] if x.ndim == 4 else x
    array = (image.detach().float().cpu().clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    pil = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    with atomic_path(path, suffix=".png") as tmp:
        pil.save(tmp, format="PNG")
    return Path(path)
