"""`load_images`: one entry point from a user's ``--data`` value to an `ImageData`.

The value is either a built-in name (``digits``, ``fashion-mnist``, ``mnist``; see `ganvae.data.catalog`)
or a path: a folder of images (sub-folders = classes), a folder of IDX files, one IDX images file, or a
``.npz`` archive. Sources without their own test set get a seeded split (`ganvae.data.split`).

>>> data = load_images("digits")
>>> data.shape, data.num_classes
((1, 8, 8), 10)
"""

from __future__ import annotations

import difflib
import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganvae.data.catalog import entry_of, names_of, wrong_kind_message
from ganvae.data.images import ImageData
from ganvae.data.images.builtin import idx_file, load_idx_pair
from ganvae.data.images.folder import is_image_file, normalize_size, read_image_folder
from ganvae.data.images.idx import IMAGES_MAGIC, is_gzip
from ganvae.data.images.npz import read_npz
from ganvae.data.split import train_test_split
from ganvae.errors import DataError

_ZIP_MAGIC = b"PK\x03\x04"


def load_images(
    spec: str | os.PathLike[str],
    *,
    image_size: int | tuple[int, int] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ImageData:
    """Load images named by `spec` as float32 N x C x H x W in [0, 1] with a train and a test split.

    `image_size` (int or (height, width)) resizes every image. `test_fraction` and `seed` apply only to
    sources without their own split (built-ins keep theirs, so every run compares on the same test set).
    A bare name is looked up among the built-ins first; write ``./digits`` to mean a folder called digits.
    """
    size = normalize_size(image_size)
    text = os.fspath(spec)
    builtin = entry_of(text, "images")
    if builtin is not None and not _looks_like_path(text):
        return _resized(builtin.factory(), size)
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError(_not_found_message(text))
    path = path.resolve()
    if path.is_dir():
        images = _idx_images_in(path)
        if images:
            return _resized(_load_idx_folder(path, images, test_fraction, seed), size)
        x, y, names = read_image_folder(path, image_size=size)
        return _split(path.name, torch.from_numpy(x), y, names, str(path), test_fraction, seed, size)
    if path.suffix.lower() == ".npz" or _starts_with(path, _ZIP_MAGIC):
        x, y, names = read_npz(path)
        data = _split(path.stem, torch.from_numpy(x), y, names, str(path), test_fraction, seed, None)
        return _resized(data, size)
    # A file named like IDX is read as IDX so that a wrong magic number is reported as such.
    if _is_idx_images(path) or "idx" in path.name.lower():
        labels = _labels_beside(path)
        x, yt = load_idx_pair(path, labels)
        data = _split(path.parent.name, x, yt, None, str(path), test_fraction, seed, None)
        return _resized(data, size)
    if is_image_file(path):
        raise DataError(f"{path} is a single image; give the folder that holds the images")
    raise DataError(
        f"cannot tell the format of {path}; give a folder of images, a .npz file or an IDX images file"
    )


def builtin_names() -> list[str]:
    """Names of the built-in image datasets."""
    return names_of("images")


def _not_found_message(text: str) -> str:
    other = wrong_kind_message(text, "images")  # `ganvae train vae --data wine`
    if other:
        return other
    names = builtin_names()
    close = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"data path {text} does not exist{hint}; give a built-in name ({', '.join(names)}) "
        "or a folder/.npz/IDX path"
    )


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.startswith(".") or text.startswith("~")


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as f:
        return f.read(len(magic)) == magic


def _is_idx_images(path: Path) -> bool:
    """True when the file (gzipped or not) starts with the IDX images magic number."""
    try:
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as f:
            return f.read(4) == IMAGES_MAGIC.to_bytes(4, "big")
    except (OSError, EOFError, zlib.error):
        return False


def _idx_images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and "idx3-ubyte" in p.name
    )


def _labels_beside(images: Path) -> Path | None:
    """The labels file named like `images` (``*-images-idx3-ubyte`` -> ``*-labels-idx1-ubyte``), if any."""
    stem = images.name.removesuffix(".gz")
    if "images-idx3" not in stem:
        return None
    return idx_file(images.parent, stem.replace("images-idx3", "labels-idx1"))


def _load_idx_folder(folder: Path, images: list[Path], test_fraction: float, seed: int) -> ImageData:
    train = [p for p in images if "train" in p.name]
    test = [p for p in images if "t10k" in p.name or "test" in p.name]
    if len(train) == 1 and len(test) == 1:
        x_train, y_train = load_idx_pair(train[0], _labels_beside(train[0]))
        x_test, y_test = load_idx_pair(test[0], _labels_beside(test[0]))
        if (y_train is None) != (y_test is None):
            have, lack = (train[0], test[0]) if y_train is not None else (test[0], train[0])
            raise DataError(
                f"{folder}: labels found for {have.name} but not for {lack.name}; add the missing labels "
                "file or remove the other"
            )
        return ImageData(
            folder.name, x_train, x_test, y_train, y_test, source=str(folder), meta={"split": "official"}
        )
    if len(images) == 1:
        x, y = load_idx_pair(images[0], _labels_beside(images[0]))
        return _split(folder.name, x, y, None, str(folder), test_fraction, seed, None)
    listed = ", ".join(p.name for p in images)
    raise DataError(
        f"{folder} holds {len(images)} IDX image files ({listed}); "
        "keep one train-/t10k- pair or a single file"
    )


def _split(
    name: str,
    x: torch.Tensor,
    y: np.ndarray | torch.Tensor | None,
    class_names: list[str] | None,
    source: str,
    test_fraction: float,
    seed: int,
    size: tuple[int, int] | None,
) -> ImageData:
    yt = torch.from_numpy(y) if isinstance(y, np.ndarray) else y
    x_train, x_test, y_train, y_test = train_test_split(x, yt, test_fraction, seed)
    meta: dict[str, object] = {"split": "seeded", "test_fraction": test_fraction, "seed": seed}
    if size is not None:
        meta["image_size"] = size
    return ImageData(name, x_train, x_test, y_train, y_test, class_names, source=source, meta=meta)


def check_resize_fits(name: str, n: int, channels: int, size: tuple[int, int]) -> None:
    """Refuse an --image-size whose float32 images (n x channels x H x W x 4 bytes) cannot fit in memory:
    digits at 2048 would take 30 GB, and an allocation that large may be granted and then killed."""
    from ganvae.host_memory import check_fits

    h, w = size
    check_fits(
        n * channels * h * w * 4,
        f"--image-size {h}x{w} on {name} ({n:,} images x {channels} x {h} x {w} float32)",
        "use a smaller --image-size",
    )


def resize_images(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize N x C x H x W images to `size` with antialiased bilinear filtering, staying in [0, 1]."""
    if tuple(x.shape[-2:]) == size:
        return x
    # Antialiasing matters when shrinking (e.g. 28 -> 16): plain bilinear would alias fine strokes.
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp_(0.0, 1.0)


def _resized(data: ImageData, size: tuple[int, int] | None) -> ImageData:
    if size is None or data.shape[1:] == size:
        return data
    check_resize_fits(data.name, len(data.x_train) + len(data.x_test), data.shape[0], size)
    meta = {**data.meta, "image_size": size, "original_size": data.shape[1:]}
    return ImageData(
        data.name,
        resize_images(data.x_train, size),
        resize_images(data.x_test, size),
        data.y_train,
        data.y_test,
        data.class_names,
        data.source,
        meta,
    )
