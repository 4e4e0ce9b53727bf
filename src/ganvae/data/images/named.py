"""Images to score or encode with a trained model, each with a name for the output (`ganvae score`,
`ganvae morph`): one image file, a folder of images (file paths become names), or any dataset
`load_images` reads (names ``train/<i>`` and ``test/<i>``). Every image is fitted to the model's
C x H x W: resized, and converted between gray and colour, and the caller is told how many were.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ganvae.data.images.folder import decode_image, is_image_file, list_image_folder, resize_array
from ganvae.data.images.load import load_images, resize_images
from ganvae.errors import DataError

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights: colour images shown to a gray model


def fit_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """N x C x H x W, C in (1, 3) -> `channels` channels (luma for colour to gray, copies for the reverse)."""
    if x.shape[1] == channels:
        return x
    if channels == 1:
        return (x * torch.tensor(LUMA, dtype=x.dtype).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return x.expand(-1, 3, -1, -1).contiguous()


def fitted_note(originals: list[tuple[int, int, int]], shape: tuple[int, int, int]) -> str | None:
    """One line saying how many images (of which C x H x W) were fitted to a model's `shape`; None when
    every image already had it. A user scoring a 64x64 colour photo with an 8x8 gray model should know."""
    changed = [tuple(o) for o in originals if tuple(o) != tuple(shape)]
    if not changed:
        return None
    kinds = sorted(set(changed), key=changed.count, reverse=True)
    shown = ", ".join(_shape_words(k) for k in kinds[:3]) + (", ..." if len(kinds) > 3 else "")
    images = "image" if len(changed) == 1 else "images"
    return f"note: {len(changed)} {images} ({shown}) fitted to the model's {_shape_words(tuple(shape))}"


def _shape_words(shape: tuple[int, ...]) -> str:
    c, h, w = shape
    return f"{h}x{w} {'gray' if c == 1 else 'colour'}"


def _decode_files(
    files: list[Path], root: Path, shape: tuple[int, int, int], originals: list[tuple[int, int, int]]
) -> torch.Tensor:
    arrays = []
    for f in files:
        a, _ = decode_image(f, root)
        originals.append((a.shape[2], a.shape[0], a.shape[1]))
        a = resize_array(a, shape[1:])
        arrays.append(torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0))))
    return torch.stack([fit_channels(a.unsqueeze(0), shape[0])[0] for a in arrays])


def load_named_images(
    spec: str | os.PathLike[str], shape: tuple[int, int, int], notes: list[str] | None = None
) -> tuple[list[str], torch.Tensor]:
    """(names, images) from `spec`, fitted to `shape` (C, H, W); `notes` (if given) receives a line saying
    how many were resized or converted (`fitted_note`)."""
    path = Path(os.fspath(spec)).expanduser()
    originals: list[tuple[int, int, int]] = []
    if path.is_file() and is_image_file(path):
        names, x = [path.name], _decode_files([path], path.parent, shape, originals)
    elif path.is_dir() and not any(p.is_file() and "idx" in p.name for p in path.iterdir()):
        files, _, _ = list_image_folder(path)
        names, x = [str(f.relative_to(path)) for f in files], _decode_files(files, path, shape, originals)
    else:
        data = load_images(spec)
        x = torch.cat([data.x_train, data.x_test])
        names = [f"train/{i}" for i in range(len(data.x_train))]
        names += [f"test/{i}" for i in range(len(data.x_test))]
        originals = [tuple(x.shape[1:])] * len(x)  # type: ignore[list-item]
        x = fit_channels(resize_images(x, tuple(shape[1:])), shape[0])
        if len(x) == 0:
            raise DataError(f"{spec} holds no images")
    if notes is not None and (note := fitted_note(originals, shape)):
        notes.append(note)
    return names, x
