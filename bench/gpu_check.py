"""One prepared device check (issue 22): does every registered model train, sample, save, load and resume
on this device under automatic precision, does `ganvae compare` run end to end, how fast are the default
image nets against the device's matmul peak, and does the DDP path start? Prints a JSON report (and writes
it to --out); exits 1 when any check failed. Every check is a record {name, ok, seconds, details | error};
a failed check never stops the others.

    python bench/gpu_check.py --device cuda --out gpu_check.json    # a lent GPU (meant for < 8 min)
    python bench/gpu_check.py --device cpu --steps 3 --tiny         # the CI dry run (tests/unit)

Resume tolerance: on the CPU a run stopped at k steps and resumed to N must end with exactly the weights of
an uninterrupted N-step run. On CUDA the two runs use the same kernels, seeds and data order but GPU
kernels are not bit-exact (atomics in convolution backward passes, reductions split differently), so every
weight tensor must agree within RESUME_RTOL of its largest magnitude; the report gives the measured gap.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
RESUME_RTOL = {"cpu": 0.0, "cuda": 1e-3}  # max |a - b| per tensor, relative to the tensor's max |b|
# a loaded model's outputs against the trained one's: same weights, same device, same memory format
LOAD_RTOL = {"cpu": 1e-5, "cuda": 1e-3}  # (cuDNN may pick other kernels for the copy, with TF32 on CUDA)
# the CI dry run's sizes (--tiny): each given to the models whose config has the key
TINY = {
    "width": "8",
    "latent_dim": "8",
    "hidden": "16",
    "width_g": "16",
    "width_d": "16",
    "sample_steps": "4",
    "inversion_steps": "5",
    "scale": "2",
}


# ---- records ---------------------------------------------------------------------------------------
def check(records: list[dict[str, Any]], name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `fn` as the check `name`; its dict is the record's details, an exception its error."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {"name": name, "ok": True}
    try:
        record["details"] = fn()
    except Exception as exc:  # noqa: BLE001 (a failed check is reported, and the others still run)
        record["ok"] = False
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=-4)
    record["seconds"] = round(time.perf_counter() - t0, 2)
    records.append(record)
    print(f"{'ok  ' if record['ok'] else 'FAIL'} {name} ({record['seconds']} s)", file=sys.stderr, flush=True)
    return record


# ---- data, one builder per data kind of the registry ---------------------------------------------
def _digits():
    from ganvae.data.images.builtin import load_digits_data

    return load_digits_data()


def _domains():
    from ganvae.data.images.domains import load_domains

    return load_domains("0", "1", data="digits")


def _wine():
    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    return prepare_table(load_table("wine"), seed=0)


def _ml100k():
    from ganvae.data.interactions import load_interactions

    return load_interactions("ml-100k")


@dataclass(frozen=True)
class Kind:
    """How a data kind's models are checked: their built-in data and the batch size they train at."""

    data: Callable[[], Any]
    batch_size: int


KINDS = {
    "images": Kind(_digits, 64),
    "domains": Kind(_domains, 32),
    "table": Kind(_wine, 50),
    "interactions": Kind(_ml100k, 100),
}


# ---- probes: a deterministic output per capability, compared between a model and its loaded copy -----
def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(1)  # a host generator, as the loop's sample grids use


def _probe_recommend(model, data, device) -> torch.Tensor:
    return model.rank(data.foldin[:16].to(device))


def _probe_translate(model, data, device) -> torch.Tensor:
    from ganvae.data.images.domains import SOURCE, TARGET
    from ganvae.models.domains import translate

    return translate(model, data.images("test", SOURCE)[:8].to(device), TARGET)


def _probe_upscale(model, data, device) -> torch.Tensor:
    scale = model.config.scale
    lr = torch.nn.functional.avg_pool2d(data.x_test[:8].to(device), scale)
    out = model.upscale(lr, generator=_gen())
    assert out.shape == data.x_test[:8].shape, f"upscaled shape {tuple(out.shape)}"
    return out


def _probe_table(model, data, device):
    frame = model.sample(40, generator=_gen())
    assert list(frame.columns) == list(data.table.train.columns) and len(frame) == 40
    return frame


def _probe_sample(model, data, device) -> torch.Tensor:
    labels = torch.arange(8) % model.num_classes if model.num_classes else None
    x = model.sample(8, labels=labels, generator=_gen())
    assert x.shape == (8, *data.shape) and bool(x.min() >= 0) and bool(x.max() <= 1), "samples outside [0, 1]"
    return x


# the first capability of this order that a model has decides its probe
PROBES: dict[str, Callable[[Any, Any, torch.device], Any]] = {
    "recommend": _probe_recommend,
    "translate": _probe_translate,
    "upscale": _probe_upscale,
    "table": _probe_table,
    "sample": _probe_sample,
}


def probe_of(model) -> Callable[[Any, Any, torch.device], Any]:
    return next(fn for cap, fn in PROBES.items() if cap in model.capabilities)


# ---- one model: train, sample, save, load, resume --------------------------------------------------
def _build(name: str, data, sets: dict[str, str]):
    from ganvae.models import build_model
    from ganvae.models.base import config_keys

    torch.manual_seed(0)
    keys = config_keys(name)
    over = {k: v for k, v in sets.items() if k in keys}
    classes = getattr(data, "num_classes", 0)
    names = getattr(data, "class_names", None) if classes else None
    return build_model(name, data.shape, classes, over, names, context=getattr(data, "context", None))


def _weights(model) -> dict[str, torch.Tensor]:
    return {
        k: v.detach().to("cpu", torch.float64) for k, v in model.state_dict().items() if v.is_floating_point()
    }


def _gap(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> tuple[float, str]:
    """The largest per-tensor max |a - b| relative to the tensor's max |b|, and that tensor's name."""
    assert a.keys() == b.keys(), "different weight names"
    worst, where = 0.0, ""
    for k in a:
        diff = float((a[k] - b[k]).abs().max()) if a[k].numel() else 0.0
        rel = diff / max(float(b[k].abs().max()) if b[k].numel() else 0.0, 1e-12) if diff else 0.0
        if rel > worst:
            worst, where = rel, k
    return worst, where


def _finite_losses(history: list[dict[str, Any]]) -> int:
    values = [v for r in history for k, v in r.items() if isinstance(v, float) and k not in ("time_s",)]
    bad = [v for v in values if not math.isfinite(v)]
    assert values and not bad, f"{len(bad)} non-finite logged values" if bad else "no losses logged"
    return len(values)


def _compare_outputs(a, b, rtol: float) -> float:
    """The relative gap between a loaded model's probe output `a` and the trained model's `b`."""
    if not isinstance(a, torch.Tensor):  # a table's rows: equal categories, numbers within LOAD_RTOL
        import pandas as pd

        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=rtol)
        return 0.0
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    assert torch.isfinite(a).all(), "non-finite output"
    gap = float((a - b).abs().max()) / max(float(b.abs().max()), 1e-12)
    assert gap <= rtol, f"the loaded model's output differs by {gap:.2e} (relative)"
    return gap


def check_model(name: str, args, data, root: Path) -> dict[str, Any]:
    from ganvae.models import GenerativeModel
    from ganvae.registry import MODELS
    from ganvae.training import TrainConfig, Trainer

    entry = MODELS.get(name)
    kind = KINDS[entry.factory.data_kind]
    device = torch.device(args.device)
    details: dict[str, Any] = {"data": getattr(data, "name", ""), "family": entry.factory.family}
    model = _build(name, data, args.sets)
    full = root / name / "full"
    if entry.factory.family == "baseline":  # counted, not trained: nothing to resume
        model.fit_counts(data.x_train).to(device).eval()
        model.save(full)
        details["trained"] = "counted (no training)"
    else:
        cfg = TrainConfig(
            steps=args.steps,
            batch_size=kind.batch_size,
            precision="auto",
            accelerator=args.device,
            log_every=max(1, args.steps // 4),
            sample_every=args.steps,  # one sample grid, at the end (each grid samples 16 images)
            grid_size=16,
            seed=0,
        )
        with _deterministic(args.device):  # the same kernels as the resumed pair below
            trainer = Trainer(cfg, full, progress=False).fit(model, data)
        assert trainer.device_.startswith(device.type), f"trained on {trainer.device_}"
        details["precision"] = trainer.precision_
        details["steps"] = trainer.state_.step
        details["logged_values"] = _finite_losses(trainer.history_)
        last = trainer.history_[-1]
        details["last_losses"] = {k: round(v, 5) for k, v in last.items() if "loss" in k}
        summary = trainer.summary()
        details["images_per_s"] = round(summary["images_per_s"], 1)
        details["peak_memory_mb"] = summary.get("peak_memory_mb")
        # resume: k steps, stop, resume to the full length from the checkpoint; weights as the full run's
        k = max(1, args.steps // 2)
        part = root / name / "resumed"
        with _deterministic(args.device):
            Trainer(replace(cfg, steps=k), part, progress=False).fit(_build(name, data, args.sets), data)
            resumed = _build(name, data, args.sets)
            Trainer(cfg, part, progress=False).fit(resumed, data, resume=True)
        gap, where = _gap(_weights(resumed), _weights(model))
        tol = RESUME_RTOL[device.type]
        details["resume"] = {
            "stopped_at": k,
            "resumed_to": args.steps,
            "max_rel_weight_diff": gap,
            "worst_tensor": where,
            "tolerance": tol,
            "why": "CPU: bit-exact"
            if tol == 0
            else "GPU kernels are not bit-exact: per-tensor max |diff| relative to the tensor's max |w|",
        }
        assert gap <= tol, f"resumed weights differ from the uninterrupted run's by {gap:.2e} ({where})"
    # the loop trains images channels-last; a loaded model is contiguous: compare like with like
    model = model.to(device, memory_format=torch.contiguous_format).eval()
    probe = probe_of(model)
    out = probe(model, data, device)
    loaded = GenerativeModel.load(full, map_location=device)
    details["load_rel_diff"] = _compare_outputs(probe(loaded, data, device), out, LOAD_RTOL[device.type])
    details["probe"] = probe.__name__.removeprefix("_probe_")
    if "sample" in model.capabilities and device.type != "cpu":
        # a generator on the model's device (the one the known tabular-gan fault needed)
        labels = torch.arange(4) % model.num_classes if model.num_classes else None
        kw = {"labels": labels} if "table" not in model.capabilities else {}
        model.sample(4, generator=torch.Generator(device=device).manual_seed(2), **kw)
        details["device_generator"] = "ok"
    return details


@contextlib.contextmanager
def _deterministic(device: str):
    """Deterministic kernels where PyTorch has them (warn only where it has none) for the runs compared
    by the resume check (cuBLAS needs CUBLAS_WORKSPACE_CONFIG, set by main before CUDA starts)."""
    if device != "cuda":
        yield
        return
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


# ---- ganvae compare, DDP: real processes -----------------------------------------------------------
def _ganvae(argv: list[str], timeout: float, device: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    if device == "cpu":  # compare has no --accelerator: it takes a GPU when it sees one
        env["CUDA_VISIBLE_DEVICES"] = ""
    done = subprocess.run(
        [sys.executable, "-m", "ganvae", *argv], capture_output=True, text=True, timeout=timeout, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {(done.stderr or done.stdout)[-1500:]}")
    return done


def _sets_argv(sets: dict[str, str], keys: list[str] | None = None) -> list[str]:
    return [a for k, v in sets.items() if keys is None or k in keys for a in ("--set", f"{k}={v}")]


def check_compare(args, root: Path) -> dict[str, Any]:
    out = root / "compare"
    sets = {k: v for k, v in args.sets.items() if k in ("width", "latent_dim", "inversion_steps")}
    argv = [
        "compare",
        "--data",
        "digits",
        "--models",
        "vae,dcgan",
        "--seeds",
        "1",
        "--steps",
        str(args.steps),
    ]
    argv += ["--samples", str(args.samples), "--recon-images", "16", "--out", str(out), "-q"]
    argv += _sets_argv(sets)
    _ganvae(argv, args.timeout, args.device)
    results = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    report = [p.name for p in out.rglob("*.html")]
    devices = {json.loads(p.read_text()).get("result", {}).get("device") for p in out.rglob("config.json")}
    devices.discard(None)
    assert report, "no HTML report written"
    assert devices and all(d.startswith(args.device) for d in devices), f"runs trained on {devices}"
    return {"reports": report, "json_files": len(results), "run_devices": sorted(devices)}


def check_ddp(name: str, args, root: Path) -> dict[str, Any]:
    from ganvae.models.base import config_keys

    out = root / f"ddp-{name}"
    argv = ["train", name, "--data", "digits", "--steps", str(args.steps), "--batch-size", "64"]
    argv += ["--devices", "1", "--accelerator", args.device, "--set", "strategy=ddp", "--out", str(out), "-q"]
    argv += _sets_argv(args.sets, config_keys(name))
    _ganvae(argv, args.timeout, args.device)
    result = json.loads((out / "config.json").read_text())["result"]
    assert result["strategy"] == "ddp", f"trained with strategy {result['strategy']!r}"
    assert result["step"] == args.steps and result["processes"] == 1
    return {k: result[k] for k in ("strategy", "processes", "device", "precision", "step")}


# ---- throughput against the matmul peak -------------------------------------------------------------
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def check_peaks(args) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from throughput import matmul_ceiling  # noqa: PLC0415 (a sibling bench script)

    device = torch.device(args.device)
    n = args.matmul_size
    # the device's dense peak as this run sees it, in TFLOP/s (bench/throughput.py's matmul ceiling)
    peaks = {"fp32": matmul_ceiling(n, device=device, dtype=torch.float32) / 1e3}
    if device.type == "cuda":
        peaks["bf16"] = matmul_ceiling(n, device=device, dtype=torch.bfloat16) / 1e3
    args.peaks = peaks
    return {"matmul_size": n, "tflops": {k: float(f"{v:.4g}") for k, v in peaks.items()}}


def check_throughput(name: str, args) -> dict[str, Any]:
    """Images/s of the default net at --batch (28x28 one-channel, Fashion-MNIST's shape) through the loop,
    as a fraction of the matmul peaks (FLOPs per training image counted by bench/throughput.py's way)."""
    sys.path.insert(0, str(HERE))
    from throughput import flops_per_sample, image_data  # noqa: PLC0415 (a sibling bench script)

    from ganvae.data.images import ImageData
    from ganvae.models import build_model
    from ganvae.training import TrainConfig, Trainer

    device = torch.device(args.device)
    batch = args.batch
    data = image_data(28, batch)
    sets = {k: v for k, v in args.sets.items() if k in ("width", "latent_dim")}  # none: the default nets
    torch.manual_seed(0)
    model = build_model(name, data.shape, 0, sets)
    cfg = dict(batch_size=batch, precision="auto", accelerator=args.device)
    Trainer(TrainConfig(steps=3, **cfg), progress=False).fit(model, data)  # warm-up (cuDNN plans, allocator)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    # The loop's own clock reads no device sync at each step (it keeps none: no per-step host syncs), so
    # time whole runs of 2 and 2 + n steps, each ending in a sync, and take the difference: the set-up
    # cancels out and the queued kernels are all counted. A model's end-of-training work (a VAE's prior
    # fit, whose time varies from run to run) is no training step: left out.
    model.finish_training = lambda x: None
    walls = []
    for steps in (2, 2 + args.throughput_steps):
        t0 = time.perf_counter()
        trainer = Trainer(TrainConfig(steps=steps, log_every=10**6, **cfg), progress=False).fit(model, data)
        _sync(device)
        walls.append(time.perf_counter() - t0)
    ips = args.throughput_steps * batch / max(walls[1] - walls[0], 1e-9)
    loop_ips = trainer.state_.images_seen / trainer.state_.elapsed_s
    # forward and backward over an n_critic cycle, a gradient penalty left out, as bench/throughput.py counts;
    # on the images alone, as the timed (unconditional) model trains
    unlabelled = ImageData(data.name, data.x_train, data.x_test)
    flops = flops_per_sample(name, unlabelled, min(batch, 64), sets)
    achieved = ips * flops / 1e12
    peaks = getattr(args, "peaks", None) or {}
    details: dict[str, Any] = {
        "batch": batch,
        "precision": trainer.precision_,
        "images_per_s": round(ips, 1),
        "loop_images_per_s": round(loop_ips, 1),  # the loop's own figure (no sync at its last step)
        "gflop_per_image": round(flops / 1e9, 5),
        "achieved_tflops": round(achieved, 4),
        "fraction_of_peak": {k: round(achieved / v, 4) for k, v in peaks.items()},
    }
    if device.type == "cuda":
        details["peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    else:
        details["peak_memory_mb"] = None  # skipped on the CPU: torch.cuda.max_memory_allocated only
    return details


# ---- the groups of checks (--checks) --------------------------------------------------------------
Records = list[dict[str, Any]]


def run_models(records: Records, args, root: Path) -> None:
    from ganvae.registry import MODELS

    data_cache: dict[str, Any] = {}
    for name in args.models.split(",") if args.models else MODELS.names():

        def one(name: str = name) -> dict[str, Any]:
            kind = MODELS.get(name).factory.data_kind
            if kind not in data_cache:  # each kind's data loaded once
                data_cache[kind] = KINDS[kind].data()
            return check_model(name, args, data_cache[kind], root)

        check(records, f"model:{name}", one)


def run_compare(records: Records, args, root: Path) -> None:
    check(records, "compare:digits", lambda: check_compare(args, root))


def run_throughput(records: Records, args, root: Path) -> None:
    check(records, "matmul_peak", lambda: check_peaks(args))
    for name in filter(None, args.throughput_models.split(",")):
        check(records, f"throughput:{name}", lambda name=name: check_throughput(name, args))


def run_ddp(records: Records, args, root: Path) -> None:
    for name in filter(None, args.ddp_models.split(",")):
        check(records, f"ddp1:{name}", lambda name=name: check_ddp(name, args, root))


GROUPS: dict[str, Callable[[Records, Any, Path], None]] = {
    "models": run_models,
    "compare": run_compare,
    "throughput": run_throughput,
    "ddp": run_ddp,
}


# ---- main -------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--steps", type=int, default=300, help="training steps per model (resumed from half)")
    p.add_argument("--out", type=Path, help="also write the JSON report here")
    p.add_argument(
        "--checks", default=",".join(GROUPS), help=f"which groups run (default: all of {', '.join(GROUPS)})"
    )
    p.add_argument("--models", help="comma-separated subset of the registered models (default: all)")
    p.add_argument(
        "--set",
        dest="set_",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model config value, given to every model whose config has KEY (repeatable)",
    )
    tiny = ", ".join(f"{k}={v}" for k, v in TINY.items())
    p.add_argument("--tiny", action="store_true", help=f"the CI dry run's sizes: {tiny}")
    p.add_argument("--batch", type=int, default=512, help="throughput batch (default 512)")
    p.add_argument("--throughput-steps", type=int, default=50)
    p.add_argument("--throughput-models", default="vae,dcgan", help="image nets timed at --batch")
    p.add_argument("--ddp-models", default="vae,dcgan", help="models trained with --devices 1 through DDP")
    p.add_argument("--matmul-size", type=int, default=8192)
    p.add_argument("--samples", type=int, default=1000, help="images per evaluation in the compare check")
    p.add_argument("--timeout", type=float, default=600, help="seconds for each ganvae subprocess")
    args = p.parse_args(argv)
    if args.steps < 2:
        p.error("--steps must be at least 2 (the resume check stops at half)")
    sets = dict(TINY) if args.tiny else {}
    for item in args.set_:
        key, eq, value = item.partition("=")
        if not eq or not key:
            p.error(f"--set wants KEY=VALUE, got {item!r}")
        sets[key.strip()] = value.strip()
    args.sets = sets
    args.checks = [c for c in args.checks.split(",") if c]
    if unknown := [c for c in args.checks if c not in GROUPS]:
        p.error(f"unknown --checks {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: --device cuda but PyTorch sees no CUDA device; use --device cpu", file=sys.stderr)
        return 2
    if args.device == "cuda":  # read when cuBLAS starts: deterministic matmuls for the resume check
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    records: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gpu_check-") as tmp:
        for group in args.checks:
            GROUPS[group](records, args, Path(tmp))
    report = {
        "device": args.device,
        "device_name": torch.cuda.get_device_name()
        if args.device == "cuda"
        else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "steps": args.steps,
        "settings": args.sets,
        "resume_tolerance": {
            "cpu": "exactly equal weights",
            "cuda": f"per tensor max |diff| <= {RESUME_RTOL['cuda']:g} x max |w|: GPU kernels are not "
            "bit-exact",
        },
        "ok": all(r["ok"] for r in records),
        "failed": [r["name"] for r in records if not r["ok"]],
        "seconds": round(time.perf_counter() - t0, 1),
        "checks": records,
    }
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
