"""Device, precision and processes through Lightning Fabric (never a home-made device/AMP layer or
launcher).

Several processes (data-parallel training, see `distributed.py`) come from one of two launchers: torchrun
(or any TorchElastic launcher; it sets RANK / WORLD_SIZE / LOCAL_WORLD_SIZE and Fabric joins its process
group) or Fabric's own, which re-runs the command once per extra device when `devices > 1`.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import warnings

import torch

from ganvae.errors import ConfigError
from ganvae.training.config import check_strategy


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


def launched_by_torchrun() -> bool:
    """True in a process started by torchrun (TorchElastic sets these variables for every worker)."""
    return all(k in os.environ for k in ("RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR"))


def process_topology(devices: int = 1, num_nodes: int = 1) -> tuple[int, int]:
    """(devices per node, nodes) for this invocation: torchrun's, when it launched us, else the ones asked."""
    if not launched_by_torchrun():
        return devices, num_nodes
    local, world = int(os.environ["LOCAL_WORLD_SIZE"]), int(os.environ["WORLD_SIZE"])
    if (devices > 1 and devices != local) or (num_nodes > 1 and num_nodes * local != world):
        raise ConfigError(
            f"torchrun started {world} processes ({local} per node) but --devices {devices} --num-nodes "
            f"{num_nodes} was asked; drop --devices/--num-nodes under torchrun (its own arguments decide)"
        )
    return local, max(1, world // local)


def is_first_local_process() -> bool:
    """False in the extra processes of a multi-process launch (before Fabric has set anything up), so that
    they leave one-off work such as clearing a run folder to the first one."""
    return int(os.environ.get("LOCAL_RANK", "0")) == 0


def make_fabric(
    accelerator: str = "auto",
    precision: str = "auto",
    devices: int = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
):
    """Return (Fabric, resolved precision), launched: with more than one process in all (`devices` per node
    x `num_nodes`, as resolved by `process_topology`) it uses Fabric's DDP strategy (NCCL on CUDA, Gloo on
    CPU). `strategy="ddp"` forces that strategy with a single process too, so that the data-parallel code
    (process group, DDP-wrapped sub-networks, all-reduces) runs on a machine with one GPU."""
    from lightning_fabric import Fabric

    acc = pick_accelerator(accelerator)
    prec = pick_precision(precision, acc)
    check_strategy(strategy)
    distributed = devices * num_nodes > 1 or strategy == "ddp"
    logging.getLogger("lightning_fabric").setLevel(logging.WARNING)
    if distributed and acc not in ("cpu", "cuda"):
        raise ConfigError(
            f"several processes (--devices {devices}, {num_nodes} node(s)) need accelerator cpu or cuda, not "
            f"{acc!r}; pass --accelerator cpu or --devices 1"
        )
    kwargs = {}
    if distributed:
        from lightning_fabric.strategies import DDPStrategy

        # find_unused_parameters=False: every wrapped sub-network that runs a backward uses all its
        # weights; a model that does not fails loudly ("Expected to have finished reduction ...") rather
        # than silently. static_graph stays off: a GAN's generator gets a backward only every n_critic steps.
        kwargs["strategy"] = DDPStrategy(find_unused_parameters=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fabric = Fabric(
                accelerator=acc,
                devices=devices,
                num_nodes=num_nodes,
                precision=prec,
                **kwargs,  # type: ignore[arg-type]
            )
            if distributed:  # starts the other processes (or joins torchrun's) and their process group
                fabric.launch()
                atexit.register(_destroy_process_group)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ConfigError(
            f"cannot use accelerator={acc!r} precision={prec!r} devices={devices} num_nodes={num_nodes}: "
            f"{exc}"
        ) from None
    return fabric, prec


def _destroy_process_group() -> None:
    """Tear the process group down before the interpreter does: left to interpreter shutdown, Gloo's
    background threads can outlive the objects they use and abort a rank (SIGABRT) after its work ended
    cleanly, which failed about one torchrun launch in fifteen in the test suite."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(Exception):  # at exit there is nothing left to report to
            dist.destroy_process_group()
