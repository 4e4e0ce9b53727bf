"""Data-parallel training (DDP through Fabric, Gloo on CPU): 2 processes with the global batch train the
same weights as 1 process; only rank 0 writes; a bad global batch is one line.

The processes are started the way a user starts them: `ganvae train --devices 2` (Fabric's launcher re-runs
the command for the second process), here through `ddp_worker.py`, which applies test-only patches in
every process (see its docstring) and runs several commands per launch to pay for process start-up once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ddp_worker
import pytest
import torch
from safetensors.torch import load_file

from ganvae.errors import ConfigError
from ganvae.training import TrainConfig
from ganvae.training.run import train

WORKER = Path(ddp_worker.__file__)
SRC = Path(__file__).resolve().parents[3] / "src"
STEPS, BATCH, SEED = 6, 32, 3
# Bernoulli likelihood: the default Gaussian one scales the loss by the optimal σ of the batch, which under
# DDP is each process's half-batch σ (a per-process statistic, like BatchNorm's); Bernoulli has none.
# dcgan trains with its EMA generator, adaptive DiffAugment (diffaug=ada) set to move p at
# every other step (target -1: up whenever r_t > -1), and lazy R1 (a double backward through the
# DDP-wrapped discriminator every other step); the EMA weights and ADA's p are compared like every other
# tensor of model.safetensors: p moves by the *global* images of each interval (r_t summed over processes).
ADA = {"diffaug": "ada", "ada_interval": "2", "ada_kimg": "1", "ada_target": "-1"}
MODELS = {
    "vae": {"width": "8", "latent_dim": "8", "likelihood": "bernoulli"},
    "dcgan": {"width": "8", "latent_dim": "8", "r1_weight": "1", "r1_every": "2", **ADA},
}
# Tolerance on the largest weight difference after 6 Adam steps (lr 1e-3 / 2e-4). With the `exact` patches
# the 2-process run computes the same sums as 1 process, only in another order (each process's half-batch
# mean, then the average of the two, vs one mean of 32; 1 thread vs 2): float32 rounding, measured 1.2e-7
# (vae) and 3e-8 (dcgan). Adam's first steps move each weight by about lr whatever the gradient's size, so
# a wrong gradient costs ~lr: without the gradient all-reduce (the negative control, `nosync`) rank 0 trains
# on its half-batches only and the weights differ by ~1e-2 (measured 8.8e-3 for vae). 2e-5 sits 100x above
# the one and 100x below the other.
ATOL = 2e-5


def _command(model: str, out: Path, patches: str, *extra: str) -> list[str]:
    sets = [a for k, v in MODELS[model].items() for a in ("--set", f"{k}={v}")]
    return [
        patches, "--", "train", model, "--data", "digits", "--steps", str(STEPS), "--batch-size",
        str(BATCH), "--seed", str(SEED), "--accelerator", "cpu", "--out", str(out), "-q", *sets, *extra,
    ]  # fmt: skip


def _launch(commands: list[list[str]], devices: int = 2, timeout: int = 300) -> subprocess.CompletedProcess:
    argv = [a for i, c in enumerate(commands) for a in ["---"] * (i > 0) + c + ["--devices", str(devices)]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("OMP_NUM_THREADS", None)  # Fabric gives each of the processes its share of the cores
    return subprocess.run(
        [sys.executable, str(WORKER), *argv], env=env, capture_output=True, text=True, timeout=timeout
    )


def _max_diff(a: Path, b: Path) -> float:
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys()
    return max(float((wa[k].double() - wb[k].double()).abs().max()) for k in wa if wa[k].is_floating_point())


@pytest.fixture(scope="module")
def two_process_runs(tmp_path_factory):
    """One launch of 2 processes: vae and dcgan with the exact patches, then both without gradient sync."""
    root = tmp_path_factory.mktemp("ddp")
    commands = [
        _command("vae", root / "vae", "exact"),
        _command("dcgan", root / "dcgan", "exact"),
        _command("vae", root / "vae-nosync", "exact,nosync"),
        _command("dcgan", root / "dcgan-nosync", "exact,nosync"),
    ]
    done = _launch(commands)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root, done


@pytest.mark.parametrize("model", ["vae", "dcgan"])
def test_two_processes_train_the_weights_of_one(model, two_process_runs, digits, tmp_path, monkeypatch):
    root, _ = two_process_runs
    ddp_worker.apply("exact", monkeypatch.setattr)
    cfg = TrainConfig(steps=STEPS, batch_size=BATCH, seed=SEED, accelerator="cpu")
    train(model, digits, tmp_path / "one", cfg, dict(MODELS[model]), progress=False)
    assert _max_diff(root / model, tmp_path / "one") < ATOL
    # the negative control: the same run without gradient averaging fails the comparison
    assert _max_diff(root / f"{model}-nosync", tmp_path / "one") > 10 * ATOL


def test_only_rank_zero_writes(two_process_runs):
    root, done = two_process_runs
    assert done.stdout.count("trained vae on digits") == 2  # vae and vae-nosync, once each (rank 0)
    assert done.stdout.count("trained dcgan on digits") == 2
    assert "x 2 processes" in done.stdout
    steps = [json.loads(line)["step"] for line in (root / "vae" / "log.jsonl").read_text().splitlines()]
    assert steps == [STEPS]  # one record per logged step, not one per process
    meta = json.loads((root / "dcgan" / "config.json").read_text())
    assert meta["train"]["devices"] == 2 and meta["result"]["processes"] == 2
    assert meta["result"]["images_seen"] == STEPS * BATCH  # global images
    trainer = json.loads((root / "dcgan" / "checkpoints" / "last" / "trainer.json").read_text())
    assert trainer["state"]["step"] == STEPS


def test_the_dcgan_run_had_its_ema_diffaugment_and_r1(two_process_runs):
    root, _ = two_process_runs
    meta = json.loads((root / "dcgan" / "config.json").read_text())
    assert meta["config"]["diffaug"] == "ada"
    weights = load_file(str(root / "dcgan" / "model.safetensors"))
    # 3 intervals of 2 steps x 32 global images, each a step of 64 / 1,000 (a process's 32 would give half)
    assert float(weights["ada.p"]) == pytest.approx(3 * 64 / 1000)
    assert int(weights["generator_ema.updates"]) == STEPS  # one update per generator step
    assert not torch.equal(weights["generator_ema.net.out.weight"], weights["generator.out.weight"])
    records = [json.loads(line) for line in (root / "dcgan" / "log.jsonl").read_text().splitlines()]
    assert records[-1]["r1"] > 0


def test_global_batch_must_split_evenly():
    with pytest.raises(ConfigError, match="batch size 33 does not split evenly over 2 processes"):
        TrainConfig(batch_size=33, devices=2).validate()


def test_cli_refuses_a_batch_that_does_not_split_before_launching(capsys, tmp_path):
    from ganvae.cli import main

    argv = ["train", "vae", "--devices", "2", "--batch-size", "33", "--steps", "1"]
    argv += ["--out", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not split evenly over 2 processes" in err[0]
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_resumed_two_process_run_equals_uninterrupted(tmp_path):
    """Every process's RNG state is checkpointed: 2 processes stopped after 3 steps and resumed end with
    exactly the weights of an uninterrupted 2-process run (real BatchNorm, real per-process noise)."""
    full = _command("vae", tmp_path / "full", "none")
    half = _command("vae", tmp_path / "cut", "none")
    half[half.index("--steps") + 1] = str(STEPS // 2)
    resumed = _command("vae", tmp_path / "cut", "none", "--resume")
    done = _launch([full, half, resumed])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert _max_diff(tmp_path / "full", tmp_path / "cut") == 0.0
    weights = load_file(str(tmp_path / "full" / "model.safetensors"))
    assert all(bool(torch.isfinite(w).all()) for w in weights.values())


@pytest.mark.slow
def test_every_image_model_trains_in_two_processes(tmp_path):
    """WGAN-GP (autograd.grad through a DDP-wrapped critic, 5 critic steps per generator step), SNGAN
    (spectral-norm buffers), the conditional models (cddpm: a diffusers UNet with a class embedding, its EMA
    left unwrapped): no DDP error, and the in-sync check passes."""
    names = ["wgan-gp", "sngan", "cgan", "cvae", "beta-vae", "cddpm"]
    commands = [
        ["none", "--", "train", m, "--data", "digits", "--steps", "6", "--batch-size", "32", "--accelerator",
         "cpu", "--out", str(tmp_path / m), "-q", "--set", "width=8", "--set", "checkpoint_every=3"]
        for m in names
    ]  # fmt: skip
    done = _launch(commands)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for m in names:
        assert (tmp_path / m / "model.safetensors").is_file(), m


@pytest.mark.slow
def test_torchrun_launch(tmp_path):
    """`torchrun --nproc-per-node 2 -m ganvae train ...`: torchrun's processes join one DDP group."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "ganvae", "train", "vae", "--data", "digits", "--steps", "4", "--batch-size", "32",
        "--accelerator", "cpu", "--set", "width=8", "-q", "--out", str(tmp_path / "run"),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("x 2 processes") == 1
    meta = json.loads((tmp_path / "run" / "config.json").read_text())
    assert meta["result"]["processes"] == 2 and meta["result"]["step"] == 4


@pytest.fixture
def one_process_group():
    """Leave no process group and no launcher variables behind (Fabric sets MASTER_ADDR and the like)."""
    before = dict(os.environ)
    yield
    from ganvae.training.engine import _destroy_process_group

    _destroy_process_group()
    os.environ.clear()
    os.environ.update(before)


def test_strategy_ddp_runs_the_data_parallel_path_in_one_process(digits, monkeypatch, one_process_group):
    """`strategy="ddp"` (`--set strategy=ddp --devices 1`, bench/gpu_check.py's DDP check on one GPU): one
    process in a real process group, its sub-networks DDP-wrapped for each step; the default stays plain."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from ganvae.models import build_model
    from ganvae.training import Trainer
    from ganvae.training import distributed as dist_mod

    seen: list = []
    original = dist_mod.DataParallel.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self)

    monkeypatch.setattr(dist_mod.DataParallel, "__init__", spy)
    results = {}
    for strategy in ("auto", "ddp"):
        torch.manual_seed(0)
        model = build_model("dcgan", digits.shape, 0, {"width": 8, "latent_dim": 8})
        cfg = TrainConfig(steps=2, batch_size=16, accelerator="cpu", strategy=strategy)
        trainer = Trainer(cfg, progress=False).fit(model, digits)
        results[strategy] = (trainer.summary(), seen[-1])
        assert trainer.state_.step == 2
    plain, plain_dp = results["auto"]
    assert plain["strategy"] == "single" and not plain_dp.active and not plain_dp._wrapped
    ddp, ddp_dp = results["ddp"]
    assert ddp["strategy"] == "ddp" and ddp["processes"] == 1 and dist.is_initialized()
    assert set(ddp_dp._wrapped) == {"generator", "discriminator"}
    assert all(isinstance(m._forward_module, DistributedDataParallel) for m in ddp_dp._wrapped.values())


def test_unknown_strategy_is_one_config_error():
    with pytest.raises(ConfigError, match="strategy 'fsdp' unknown; choose one of auto, ddp"):
        TrainConfig(strategy="fsdp").validate()


def test_processes_agree_to_stop_every_few_steps_not_every_step():
    """The agreement is an all-reduce, a host-device sync on a GPU: off its steps it costs nothing and stops
    nothing; on them rank 0's clock and any process's signal decide for every process."""
    from ganvae.training.distributed import AGREE_EVERY, DataParallel

    class Fabric:  # rank 1 of 2; the "other" process is out of time (rank 0's clock) and saw no signal
        world_size, global_rank, is_global_zero, device = 2, 1, False, torch.device("cpu")
        reduces = 0

        def setup_module(self, module):
            return module

        def all_reduce(self, t, reduce_op):
            self.reduces += 1
            return t + torch.tensor([1.0, 0.0])

    fabric = Fabric()
    dp = DataParallel(fabric, torch.nn.Linear(2, 2), 32)
    for step in range(1, AGREE_EVERY):
        assert dp.agree_to_stop(True, True, step) == (False, False)
    assert fabric.reduces == 0
    assert dp.agree_to_stop(False, False, AGREE_EVERY) == (True, False)  # rank 0's clock, not this one's
    assert dp.agree_to_stop(False, True, 2 * AGREE_EVERY) == (True, True) and fabric.reduces == 2


def test_a_wall_clock_budget_under_ddp_ends_on_an_agreement_step(digits, one_process_group):
    from ganvae.models import build_model
    from ganvae.training import Trainer
    from ganvae.training.distributed import AGREE_EVERY

    model = build_model("dcgan", digits.shape, 0, {"width": 8, "latent_dim": 8})
    cfg = TrainConfig(budget_s=1e-6, batch_size=16, accelerator="cpu", strategy="ddp")
    trainer = Trainer(cfg, progress=False).fit(model, digits)
    assert trainer.state_.step == AGREE_EVERY  # out of time after step 1, decided at the first agreement
