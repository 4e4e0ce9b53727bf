"""Images to score or encode with a trained model, each with a name for the output (`ganvae score`,
`ganvae morph`): one image file, a folder of images (file paths become names), or any dataset
`load_images` reads (names ``train/<i>`` and ``test/<i>``). Every image is fitted to the model's
C x H x W: resized, and converted between gray and colour.
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


def _decode_files(files: list[Path], root: Path, shape: tuple[int, int, int]) -> torch.Tensor:
    arrays = []
    for f in files:
        a, _ = decode_image(f, root)
        a = resize_array(a, shape[1:])
        arrays.append(torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0))))
    return torch.stack([fit_channels(a.unsqueeze(0), shape[0])[0] for a in arrays])


def load_named_images(
    spec: str | os.PathLike[str], shape: tuple[int, int, int]
) -> tuple[list[str], torch.Tensor]:
    """(names, images) from `spec`, fitted to `shape` (C, H, W)."""
    path = Path(os.fspath(spec)).expanduser()
    if path.is_file() and is_image_file(path):
        return [path.name], _decode_files([path], path.parent, shape)
    if path.is_dir() and not any(p.is_file() and "idx" in p.name for p in path.iterdir()):
        files, _, _ = list_image_folder(path)
        return [str(f.relative_to(path)) for f in files], _decode_files(files, path, shape)
    data = load_images(spec)
    x = torch.cat([data.x_train, data.x_test])
    names = [f"train/{i}" for i in range(len(data.x_train))] + [f"test/{i}" for i in range(len(data.x_test))]
    x = fit_channels(resize_images(x, tuple(shape[1:])), shape[0])
    if len(x) == 0:
        raise DataError(f"{spec} holds no images")
    return names, x
