"""Device and precision through Lightning Fabric (never a home-made device/AMP layer)."""

from __future__ import annotations

import logging
import warnings

import torch

from ganvae.errors import ConfigError


def pick_accelerator(accelerator: str = "auto") -> str:
    if accelerator != "auto":
        return accelerator
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(precision: str, accelerator: str) -> str:
    """'auto' -> bf16 autocast on GPUs that support it, fp16 autocast on older GPUs, fp32 elsewhere.

    On CPUs bf16 is slower than fp32 on common hardware (measured: see DATA.md), so the CPU stays fp32.
    """
    if precision != "auto":
        return precision
    if accelerator == "cuda":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def make_fabric(accelerator: str = "auto", precision: str = "auto", devices: int = 1):
    """Return (Fabric, resolved precision) for one process."""
    from lightning_fabric import Fabric

    acc = pick_accelerator(accelerator)
    prec = pick_precision(precision, acc)
    logging.getLogger("lightning_fabric").setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fabric = Fabric(accelerator=acc, devices=devices, precision=prec)  # type: ignore[arg-type]
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ConfigError(f"cannot use accelerator={acc!r} precision={prec!r}: {exc}") from None
    return fabric, prec
