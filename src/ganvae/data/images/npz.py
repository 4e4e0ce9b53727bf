"""Read images from a numpy ``.npz`` archive: array ``x`` (required), ``y`` and ``class_names`` (optional).

``x`` may be N x H x W, N x H x W x C or N x C x H x W with C in {1, 3}; uint8 is scaled by 1/255, floats
must already lie in [0, 1] or in [0, 255] (then with some pixel at least 128: [0, 5] is refused, not
divided by 255). Nothing is unpickled (``allow_pickle=False``), so a file can never run code.

>>> import numpy as np
>>> np.savez("faces.npz", x=images_uint8, y=labels)      # doctest: +SKIP
>>> x, y, names = read_npz("faces.npz")                   # doctest: +SKIP
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ganvae.errors import DataError

_HOW = "save images as x=... e.g. np.savez(path, x=images, y=labels)"


def read_npz(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """Load ``(x float32 N x C x H x W in [0, 1], y int64 or None, class_names or None)`` from a .npz file."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"cannot read {path} as .npz ({e}); {_HOW}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path} holds a single array (.npy format), not an .npz archive; {_HOW}")
    with archive:
        found = list(archive.files)
        if "x" not in found:
            raise DataError(f"{path} has no array 'x' (found: {', '.join(found) or 'nothing'}); {_HOW}")
        raw_x = _member(archive, "x", path)
        raw_y = _member(archive, "y", path) if "y" in found else None
        raw_names = _member(archive, "class_names", path) if "class_names" in found else None
    x = _images(raw_x, path)
    y = None if raw_y is None else _labels(raw_y, len(x), path)
    names = None
    if raw_names is not None:
        if y is None:
            raise DataError(f"{path} has 'class_names' but no labels 'y'; add y or drop class_names")
        names = [str(n) for n in raw_names.reshape(-1)]
        if len(names) <= int(y.max()):
            raise DataError(
                f"{path}: labels go up to {int(y.max())} but only {len(names)} class_names; fix one of them"
            )
    return x, y, names


def _member(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(
                f"{path}: array {key!r} holds Python objects; save it as a numeric array"
            ) from None
        raise DataError(
            f"cannot read array {key!r} from {path} ({e}); the file is corrupt, save it again"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise DataError(
            f"cannot read array {key!r} from {path} ({e}); the file is corrupt, save it again"
        ) from None


# floats above 1 are read as 0..255 pixel values only when some pixel is at least this bright: a set of
# images on a 0..255 scale has near-white pixels, so [0, 5] is some other scale, not very dark images
WHITE_AT_LEAST = 128.0


def _images(x: np.ndarray, path: Path) -> np.ndarray:
    """Any accepted layout and range -> float32 N x C x H x W in [0, 1]."""
    if x.dtype == np.bool_:
        x = x.astype(np.uint8) * 255
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(f"{path}: x has dtype {x.dtype}; give uint8 (0..255) or float (0..1) images")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        # Channels-last when only the last axis looks like channels; otherwise channels-first (torch's
        # layout), which also settles the rare ambiguous case such as N x 3 x 3 x 3.
        if x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
            x = np.moveaxis(x, -1, 1)
        elif x.shape[1] not in (1, 3):
            raise DataError(
                f"{path}: x has shape {x.shape}; 4-D images need 1 or 3 channels, "
                "as N x H x W x C or N x C x H x W"
            )
    else:
        raise DataError(f"{path}: x has shape {x.shape}; expected N x H x W, N x H x W x C or N x C x H x W")
    if x.shape[0] == 0:
        raise DataError(f"{path}: x holds no images; save at least 2")
    is_uint8 = x.dtype == np.uint8
    x = np.ascontiguousarray(x, dtype=np.float32)
    if is_uint8:
        x /= 255
        return x
    if not np.isfinite(x).all():
        raise DataError(f"{path}: x contains NaN or infinite values; clean the images before saving")
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0.0 and hi <= 1.0:
        return x
    if lo >= 0.0 and WHITE_AT_LEAST <= hi <= 255.0:
        x /= 255
        return x
    if lo >= -1.0 and hi <= 1.0:
        hint = " (looks like [-1, 1] data: save (x + 1) / 2)"
    elif lo >= 0.0 and hi <= 255.0:  # read as 0..255, its brightest pixel would be darker than mid-gray
        hint = f" (neither [0, 1] nor 0..255 pixel values: if {hi:g} is white, save x / {hi:g})"
    else:
        hint = ""
    raise DataError(f"{path}: x values lie in [{lo:g}, {hi:g}]; give uint8 0..255 or floats in [0, 1]{hint}")


def _labels(y: np.ndarray, n: int, path: Path) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{path}: y has dtype {y.dtype}; labels must be integers 0..K-1, one per image")
    if y.shape != (n,):
        raise DataError(f"{path}: {n} images but y has shape {y.shape}; give one integer label per image")
    if y.min() < 0:
        raise DataError(f"{path}: y has negative labels; use integers 0..K-1")
    return y.astype(np.int64)
