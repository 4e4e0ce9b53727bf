"""Read a folder of images (PNG, JPEG, ...) into N x C x H x W float32 arrays in [0, 1].

Layout (the torchvision ``ImageFolder`` convention): either one sub-folder per class, whose sorted names
become ``class_names`` (images may sit deeper inside a class folder), or the images directly in the
folder, unlabelled. Grayscale images give 1 channel; if any image is in colour every image gets 3.

>>> x, y, names = read_image_folder("my_images", image_size=32)      # doctest: +SKIP
>>> x.shape, names                                                    # doctest: +SKIP
((500, 3, 32, 32), ['cats', 'dogs'])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ganvae.errors import DataError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N"})
# Folders that tools create beside real data; they are never classes.
_IGNORED_DIRS = frozenset({"__MACOSX"})


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name not in _IGNORED_DIRS


def is_image_file(p: Path) -> bool:
    """True for a visible file whose suffix is an image format we read."""
    return p.is_file() and _visible(p) and p.suffix.lower() in IMAGE_SUFFIXES


def _images_under(folder: Path, recursive: bool) -> list[Path]:
    if not recursive:
        return sorted(p for p in folder.iterdir() if is_image_file(p))
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if _visible(Path(d)))
        found.extend(p for p in (Path(dirpath) / f for f in filenames) if is_image_file(p))
    return sorted(found)


def list_image_folder(root: str | os.PathLike[str]) -> tuple[list[Path], list[int] | None, list[str] | None]:
    """Find the images of a folder: ``(files, labels or None, class_names or None)``; nothing is decoded."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist; check the path")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and _visible(p))
    direct = _images_under(root, recursive=False)
    if direct and subdirs:
        raise DataError(
            f"{root} mixes images and sub-folders (e.g. {direct[0].name} and {subdirs[0].name}/); put every "
            "image in a class sub-folder, or all of them directly in the folder"
        )
    if direct:
        return direct, None, None
    files: list[Path] = []
    labels: list[int] = []
    per_class = [(d, _images_under(d, recursive=True)) for d in subdirs]
    if not any(imgs for _, imgs in per_class):
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"no images found in {root} (looked for {suffixes}); add images or give another path")
    for label, (d, imgs) in enumerate(per_class):
        if not imgs:
            raise DataError(f"class folder {d} has no images; add some or remove the folder")
        files.extend(imgs)
        labels.extend([label] * len(imgs))
    return files, labels, [d.name for d in subdirs]


def decode_image(path: Path, root: Path) -> tuple[np.ndarray, bool]:
    """Decode one image to a float32 H x W x C array in [0, 1]; also say whether it is grayscale."""
    try:
        with Image.open(path) as im:
            im.load()  # decode now: a truncated or corrupt file fails here, not later
            im = ImageOps.exif_transpose(im)  # photos from cameras store their rotation in EXIF
            return _to_array(im)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise DataError(
            f"cannot read image {path.relative_to(root)} in {root} ({e}); delete or replace it"
        ) from None


def _to_array(im: Image.Image) -> tuple[np.ndarray, bool]:
    mode = im.mode
    if mode in GRAY_MODES:
        if mode.startswith("I"):
            # 16-bit grayscale (PNG): PIL's convert("L") would clip at 255 instead of scaling.
            a = (np.asarray(im, dtype=np.float32) / 65535.0)[..., None]
        elif mode == "LA":
            a = _over_white(np.asarray(im, dtype=np.float32) / 255.0)
        else:
            a = (np.asarray(im.convert("L"), dtype=np.float32) / 255.0)[..., None]
        return np.clip(a, 0.0, 1.0), True
    if mode == "RGB":
        return np.asarray(im, dtype=np.float32) / 255.0, False
    has_alpha = mode in ("RGBA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info)
    if has_alpha:
        return _over_white(np.asarray(im.convert("RGBA"), dtype=np.float32) / 255.0), False
    return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0, False


def _over_white(a: np.ndarray) -> np.ndarray:
    # Composite on white: transparent pixels often hold arbitrary colour that dropping alpha would reveal.
    colour, alpha = a[..., :-1], a[..., -1:]
    return colour * alpha + (1.0 - alpha)


def resize_array(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    if a.shape[:2] == (h, w):
        return a
    # Resample each channel as a 32-bit float image, so 16-bit and 8-bit sources keep their precision;
    # LANCZOS antialiases when shrinking and may overshoot slightly, hence the clip.
    chans = [
        np.asarray(Image.fromarray(np.ascontiguousarray(a[..., c])).resize((w, h), Image.Resampling.LANCZOS))
        for c in range(a.shape[2])
    ]
    return np.clip(np.stack(chans, axis=-1), 0.0, 1.0)


def normalize_size(image_size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    """``32 -> (32, 32)``; ``(h, w)`` stays; None stays None. Rejects non-positive sizes."""
    if image_size is None:
        return None
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise DataError(f"image size must be a positive int or (height, width), got {image_size!r}; e.g. 32")
    return size  # type: ignore[return-value]


def read_image_folder(
    root: str | os.PathLike[str], *, image_size: int | tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """Decode every image of a folder.

    Returns ``(x, y, class_names)``: x float32 N x C x H x W in [0, 1]; y int64 or None; names or None.
    """
    root = Path(root)
    size = normalize_size(image_size)
    files, labels, class_names = list_image_folder(root)
    if size is not None:  # before decoding: at least one channel each (colour images take three)
        from ganvae.data.images.load import check_resize_fits

        check_resize_fits(root.name, len(files), 1, size)
    arrays: list[np.ndarray] = []
    gray = True
    first: tuple[Path, tuple[int, int]] | None = None
    for path in files:
        a, is_gray = decode_image(path, root)
        gray &= is_gray
        if size is not None:
            a = resize_array(a, size)
        elif first is None:
            first = (path, a.shape[:2])
        elif a.shape[:2] != first[1]:
            (h0, w0), (h1, w1) = first[1], a.shape[:2]
            raise DataError(
                f"images have mixed sizes (e.g. {first[0].relative_to(root)} is {h0}x{w0}, "
                f"{path.relative_to(root)} {h1}x{w1}); pass --image-size"
            )
        arrays.append(a)
    channels = 1 if gray else 3
    h, w = arrays[0].shape[:2]
    x = np.empty((len(arrays), channels, h, w), dtype=np.float32)
    for i, a in enumerate(arrays):
        # A grayscale image in a colour set is broadcast to 3 equal channels.
        x[i] = np.moveaxis(a, -1, 0) if a.shape[2] == channels else a[..., 0]
    y = np.asarray(labels, dtype=np.int64) if labels is not None else None
    return x, y, class_names
