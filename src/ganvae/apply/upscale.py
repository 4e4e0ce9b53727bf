"""`ganvae upscale`: a trained super-resolution model (`ganvae task superres`, or `ganvae train srgan`)
applied to a user's own image, at the image's own size (`apply.image_file`).

>>> upscale_file("runs/superres-fashion-mnist", "shoe.png", "big.png")     # doctest: +SKIP
{'model': 'srgan', 'scale': 4, 'input': [7, 7], 'output': [28, 28], 'note': None}
"""

from __future__ import annotations

import os
from typing import Any

import torch

WRITTEN_BY = "`ganvae task superres` (or `ganvae train srgan`)"
DEFAULT_MODEL = "srgan"  # in a task folder of several arms, when --model is not given


def upscale_file(
    run_dir: str | os.PathLike[str],
    image: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    model: str | None = None,
    seed: int = 0,
    sampling: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Upscale `image` with the model `run_dir` means (`run_folder.resolve_model_folder`'s rule) and
    write `out`; `seed` seeds a stochastic model's draw, `sampling` changes its sampling-only settings
    (sr-vae's temperature). Returns what was done."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.apply.image_file import check_output_size, read_image, write_image
    from ganvae.models.base import GenerativeModel

    folder = model_folder_for("upscale", run_dir, model, default=DEFAULT_MODEL, written_by=WRITTEN_BY)
    net = GenerativeModel.load(folder).with_sampling(sampling or {})
    x, note = read_image(image, net.shape[0])
    scale = int(net.config.scale)
    h, w = x.shape[-2:]
    check_output_size(h * scale, w * scale, f"{image} upscaled {scale}x")
    y = net.upscale(x, generator=torch.Generator().manual_seed(seed))
    write_image(y, out)
    return {
        "model": net.registered_name,
        "folder": str(folder),
        "scale": scale,
        "input": [int(h), int(w)],
        "output": [int(y.shape[-2]), int(y.shape[-1])],
        "note": note,
    }
