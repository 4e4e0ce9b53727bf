"""The one training loop. It drives any `GenerativeModel` through its own `train_step`, so it never says
"generator" or "discriminator".

Lightning Fabric picks the device and precision (CPU / CUDA / MPS; bf16 or fp16 autocast on GPUs) and
scales losses for fp16. The loop adds what a comparison needs: the same budget for every model (epochs,
steps or wall-clock), exact resume (data order derives from (seed, epoch); RNG and optimizer states are
checkpointed), a NaN guard that keeps the last good checkpoint, SIGINT/SIGTERM handling, `log.jsonl`,
periodic sample grids and a progress bar; with a tracker (`tracking.py`: TensorBoard, MLflow) the same
records, grids and hyperparameters go there too. With several processes (`devices`, torchrun) it trains data-
parallel through Fabric's DDP strategy (`distributed.py`): each process takes its share of every global
batch, and only rank 0 writes logs, grids, checkpoints and weights.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import torch

from ganvae.errors import (  # noqa: F401 (Interrupted: re-exported)
    CheckpointError,
    Interrupted,
    Stopped,
    TrainingDiverged,
)
from ganvae.grid import save_grid
from ganvae.models.base import GenerativeModel
from ganvae.run_folder import CHECKPOINT, CONFIG, LOG
from ganvae.stopping import handling, second_signal_stops
from ganvae.training.augment import augment_batch
from ganvae.training.checkpoint import TRAINER_META, TrainerState, load_checkpoint, save_checkpoint
from ganvae.training.config import TrainConfig
from ganvae.training.distributed import DataParallel, rank_seed
from ganvae.training.engine import make_fabric, process_topology
from ganvae.training.memory import PeakMemory
from ganvae.training.progress import TrainProgress
from ganvae.training.tracking import Tracker, TrackingConfig, record_metrics

GRID_SEED = 1234
log = logging.getLogger(__name__)


class TrainData(Protocol):
    """What the loop reads from a dataset: training rows and optional labels. `ImageData` and the
    recommenders' `InteractionData` both provide it, so every model trains through this one loop."""

    x_train: torch.Tensor
    y_train: torch.Tensor | None


class _Optimizers:
    """The `Optimizers` handed to `train_step`: named optimizers, and a Fabric-aware update."""

    def __init__(self, fabric, optimizers: dict[str, torch.optim.Optimizer], dp: DataParallel):
        self.fabric = fabric
        self.dp = dp
        self.raw = optimizers
        wrapped = fabric.setup_optimizers(*optimizers.values())
        wrapped = wrapped if isinstance(wrapped, tuple | list) else (wrapped,)
        self.wrapped = dict(zip(optimizers, wrapped, strict=True))

    def __getitem__(self, name: str) -> torch.optim.Optimizer:
        return self.wrapped[name]

    def step(self, name: str, loss: torch.Tensor) -> None:
        opt = self.wrapped[name]
        opt.zero_grad(set_to_none=True)
        self.fabric.backward(loss)  # DDP averages the wrapped sub-networks' gradients during it
        self.dp.reduce_loose_grads(self.raw[name])
        opt.step()


class _StopFlag:
    """The signal that asked the loop to stop (None: none yet)."""

    signum: int | None = None


@contextmanager
def _stop_signals(flag: _StopFlag):
    """Turn SIGINT/SIGTERM into a flag the loop checks after each step (`stopping.handling`: main thread
    only, an ignored signal stays ignored). Outside the loop they raise `Stopped` (`ganvae.stopping`,
    installed for the whole command); so does a second one here, except in a `--jobs` worker
    (`stopping.be_patient`)."""
    previous: dict = {}

    def handler(signum, frame):
        if flag.signum is None:
            flag.signum = signum
        elif second_signal_stops():  # a second Ctrl-C stops at once
            if previous.get(signum) is not None:  # None: a handler not set from Python, not to be put back
                signal.signal(signum, previous[signum])
            raise Stopped(signum)

    with handling(handler) as before:
        previous.update(before)
        yield


def _epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    # The data order depends only on (seed, epoch): a resumed run replays exactly the same batches
    # without saving any iterator state. Drawn on the host (the caller copies it to the device).
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g)


MANY_PASSES = 100


def passes_note(n: int, batch_size: int, steps: int | None, unit: str = "images") -> str | None:
    """A warning when a budget of `steps` batches shows each of `n` training rows `MANY_PASSES` times or
    more: on a small folder a step budget meant for a large set makes a model memorise (issue 21)."""
    if not steps or not n:
        return None
    passes = steps * batch_size / n
    if passes < MANY_PASSES:
        return None
    return (
        f"each of the {n:,} training {unit} is seen about {passes:,.0f} times in this budget: on so few, "
        f"models memorise; a budget in epochs (--epochs) fits the data, or give more data"
    )


BEST = "best."  # prefix of the kept weights among a checkpoint's trainer tensors


class Best:
    """The weights of the in-training evaluation where the selected figure was lowest (`config.select`),
    kept on the CPU; written into each checkpoint so that a resumed run chooses among every evaluation."""

    def __init__(self, value: float, step: int, weights: dict[str, torch.Tensor]):
        self.value, self.step, self.weights = value, step, weights

    @classmethod
    def of(cls, model: GenerativeModel, value: float, step: int) -> Best:
        return cls(value, step, {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})

    def tensors(self) -> dict[str, torch.Tensor]:
        return {BEST + k: v.contiguous() for k, v in self.weights.items()}

    def meta(self) -> dict[str, Any]:
        return {"best": {"value": self.value, "step": self.step}}

    @classmethod
    def from_checkpoint(cls, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Best | None:
        if "best" not in meta:
            return None
        weights = {k[len(BEST) :]: v for k, v in tensors.items() if k.startswith(BEST)}
        return cls(meta["best"]["value"], meta["best"]["step"], weights)


class Trainer:
    """Train a model under a budget, writing logs, grids and checkpoints into `run_dir`.

    >>> from ganvae.models import build_model          # doctest: +SKIP
    >>> Trainer(TrainConfig(steps=100), "runs/x").fit(build_model("vae", data.shape), data)  # doctest: +SKIP
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: str | Path | None = None,
        *,
        progress: bool = True,
        evaluate: Callable[[GenerativeModel], dict[str, float]] | None = None,
        tracking: TrackingConfig | None = None,
        label: str | None = None,
    ):
        """`evaluate(model)` (optional) runs about ten times per run (or every `config.eval_every` steps) in
        eval mode; its figures go to `log.jsonl` as records with "kind": "eval" (e.g. FD against time).
        `tracking`: also send the records, grids and hyperparameters to TensorBoard or MLflow (with
        `run_dir` only, from the first process). `label`: what the progress calls the run (default: the
        model and its seed, "vae seed 2"; a search trial is "search vae trial 3", not its seed)."""
        config.validate()
        self.evaluate = evaluate
        self.config = config.with_default_budget()
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.progress = progress
        self.label = label
        self.history_: list[dict[str, Any]] = []
        self.state_ = TrainerState()
        self.precision_ = ""
        self.device_ = ""
        self.peak_memory_: PeakMemory | None = None
        self.world_size_ = 1
        self.ddp_ = False  # trained through the DDP strategy (several processes, or strategy "ddp")
        self.is_global_zero_ = True
        self.best_: Best | None = None  # with config.select: the weights kept so far
        self.tracking = tracking or TrackingConfig()
        self.tracker_: Tracker = Tracker(self.tracking, Path("."))  # no-op until fit opens the real one

    # ---- public --------------------------------------------------------------------------------
    def fit(
        self,
        model: GenerativeModel,
        data: TrainData,
        *,
        resume: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> Trainer:
        try:
            self._fit(model, data, resume, meta)
        except BaseException as exc:  # the tracked run ends KILLED (SIGINT/SIGTERM) or FAILED, not RUNNING
            self.tracker_.end(exc)
            raise
        self.tracker_.end(None)
        return self

    def _fit(
        self, model: GenerativeModel, data: TrainData, resume: bool, meta: dict[str, Any] | None
    ) -> None:
        cfg = self.config
        devices, num_nodes = process_topology(cfg.devices, cfg.num_nodes)  # torchrun's, when it launched us
        cfg = self.config = replace(cfg, devices=devices, num_nodes=num_nodes)  # what really ran
        fabric, self.precision_ = make_fabric(
            cfg.accelerator, cfg.precision, devices, num_nodes, cfg.strategy
        )
        self.device_ = str(fabric.device)
        self.peak_memory_ = PeakMemory(fabric.device).start()  # read after the last step
        self.finish_s_ = 0.0  # the model's end-of-training work (a VAE's prior fit), outside the budget
        model = model.to(fabric.device).train()
        x = data.x_train.to(fabric.device)
        # labels stay on the host for a model that splits its batches by them (`labels_on_host`)
        label_device = torch.device("cpu") if model.labels_on_host else fabric.device
        y = data.y_train.to(label_device) if data.y_train is not None else None
        if x.ndim == 4:  # images: NHWC convolutions ran vae/dcgan 1.21-1.26x faster here (bench/speedups.py)
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        n = len(x)
        bs = min(cfg.batch_size, n)  # the global batch; each process takes bs / world_size of it
        dp = DataParallel(fabric, model, bs)
        self.world_size_, self.is_global_zero_ = dp.world_size, dp.is_global_zero
        self.ddp_ = dp.active
        raw_opts = model.configure_optimizers()
        opts = _Optimizers(fabric, raw_opts, dp)
        per_epoch = n // bs
        limits = [cfg.steps] if cfg.steps else []
        if cfg.epochs:
            limits.append(math.ceil(cfg.epochs * per_epoch))
        total = min(limits) if limits else None
        model.plan_training(total, cfg.budget_s)
        model.prepare_training(x)
        notes = model.notes() if dp.is_global_zero else []  # after prepare_training: it may settle "auto"
        if dp.active:  # each process its own noise, fixed by (seed, rank); one process keeps its stream
            torch.manual_seed(rank_seed(cfg.seed, dp.rank))
        # a run that keeps its weights at its best validation figure is guarded against memorising
        guarded = cfg.select is not None and self.evaluate is not None
        if dp.is_global_zero and not guarded and (warning := passes_note(n, bs, total, model.unit)):
            notes.append(warning)
        if dp.is_global_zero and (both := cfg.budget_note(total)):
            notes.append(both)
        sample_every = cfg.sample_every or max(1, (total or 1000) // 10)
        eval_every = cfg.eval_every or (max(1, total // 10) if total else 0)
        next_eval_s = (cfg.budget_s or 0) / 10
        meta = {"train": _asdict(cfg), **(meta or {})}

        state = TrainerState()
        self.best_ = None
        if resume:
            state = self._resume(model, raw_opts, dp)
        self.state_ = state
        if self.run_dir is not None and dp.is_global_zero and self.tracking.active:
            self.tracker_ = self.tracking.open(self.run_dir, resume=resume, name=self.run_dir.name)
            self.tracker_.purge(state.step)
            self.tracker_.params({"model": model.describe()["config"], "train": _asdict(cfg)})
        stop = _StopFlag()
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        overhead = 0.0  # checkpoint / grid / log time, excluded from the training budget
        t0 = time.perf_counter() - state.elapsed_s
        # the rate's window is training time only (state.elapsed_s leaves out evaluations, grids,
        # checkpoints and the end-of-training fit, which made a VAE's last record read 195 images/s at 750)
        t_log, seen_log = state.elapsed_s, state.images_seen
        epoch_cached, order, label_order = -1, None, None
        # only pictures are drawn as grids, and only by models whose grid shows something while training:
        # samples, or a translator's translations; a super-resolution model maps given images, and its
        # task draws what it makes of the test images
        pictures = model.kind().pictures and bool({"sample", "translate"} & model.capabilities)

        with (
            _stop_signals(stop),
            TrainProgress(
                self.progress and dp.is_global_zero,
                total,
                cfg.budget_s,
                self.label or model.registered_name,
                model.unit,
                seed=None if self.label else cfg.seed,
            ) as bar,
        ):
            for note in notes:
                log.info(note)
                bar.note(note)
            while True:
                epoch, i = divmod(state.step, per_epoch)
                if epoch != epoch_cached:
                    host_order, epoch_cached = _epoch_order(n, cfg.seed, epoch), epoch
                    order = host_order.to(fabric.device)
                    label_order = host_order if model.labels_on_host else order
                # every process takes its disjoint share of the same global batch
                rows = slice(i * bs, (i + 1) * bs)
                idx = dp.shard(order[rows])  # type: ignore[index]
                batch = augment_batch(cfg.augment, x[idx])  # --augment: every model alike
                labels = y[dp.shard(label_order[rows])] if y is not None else None  # type: ignore[index]
                with fabric.autocast(), dp.running(model):
                    logs = model.train_step(batch, labels, opts, state.step)
                for k, v in logs.items():
                    sums[k] = sums.get(k, 0.0) + torch.as_tensor(v, dtype=torch.float32).detach()
                    counts[k] = counts.get(k, 0) + 1
                state.step += 1
                state.images_seen += bs
                state.elapsed_s = time.perf_counter() - t0 - overhead

                out_of_time = cfg.budget_s is not None and state.elapsed_s >= cfg.budget_s
                # one decision for every process (read once: a signal arriving later in this step waits)
                out_of_time, halt = dp.agree_to_stop(out_of_time, stop.signum is not None, state.step)
                done = (total is not None and state.step >= total) or out_of_time
                t_over = time.perf_counter()
                if done:  # before the final grid, evaluation and save: e.g. a VAE's ex-post prior
                    t_finish = time.perf_counter()
                    model.finish_training(x)
                    self.finish_s_ = time.perf_counter() - t_finish
                if state.step % cfg.log_every == 0 or done or halt:
                    rate = (state.images_seen - seen_log) / max(state.elapsed_s - t_log, 1e-9)
                    record = self._flush(sums, counts, state, epoch, rate, dp)
                    bar.update(state, record)
                    t_log, seen_log = state.elapsed_s, state.images_seen
                else:
                    bar.tick(state)  # a line every few seconds outside a terminal, between logged records
                # sample grids are pictures: models of other kinds of data have nothing to draw
                grids = self.run_dir is not None and pictures and dp.is_global_zero
                if grids and (state.step % sample_every == 0 or done):
                    self._grid(model, state.step, data)
                due = (eval_every and state.step % eval_every == 0) or (
                    not eval_every and next_eval_s and state.elapsed_s >= next_eval_s
                )
                if self.evaluate is not None and dp.is_global_zero and (due or done or state.step == 1):
                    self._evaluate(model, state, epoch)
                    while not eval_every and next_eval_s and state.elapsed_s >= next_eval_s:
                        next_eval_s += (cfg.budget_s or 0) / 10
                if self.run_dir is not None and (state.step % cfg.checkpoint_every == 0 or done or halt):
                    self._check_finite(dp.mean(sums), state)
                    dp.check_in_sync(model, state.step)
                    rng = dp.rng_states()
                    if dp.is_global_zero:
                        kept = self.best_
                        save_checkpoint(
                            self.run_dir / CHECKPOINT,
                            model,
                            raw_opts,
                            state,
                            {**meta, **kept.meta()} if kept else meta,
                            {**rng, **kept.tensors()} if kept else rng,
                        )
                overhead += time.perf_counter() - t_over
                if halt:
                    # a process that saw no signal itself (DDP: another one did) reports SIGINT
                    checkpoint = self.run_dir / CHECKPOINT if self.run_dir else None
                    raise Interrupted(state.step, checkpoint, stop.signum or signal.SIGINT)
                if done:
                    break
        self._check_finite(dp.mean(sums), state)
        dp.check_in_sync(model, state.step)
        self.peak_memory_.read()  # this process's peak (rank 0's, in the saved result)
        if self.best_ is not None and dp.is_global_zero:
            self._restore_best(model, x, state)
        model.eval()
        if self.run_dir is not None and dp.is_global_zero:
            model.save(self.run_dir)
            _merge_json(self.run_dir / CONFIG, {**meta, "result": self.summary()})

    def summary(self) -> dict[str, Any]:
        s = self.state_
        selected = {"selected": {"of": self.config.select, **self.best_.meta()["best"]}} if self.best_ else {}
        return {
            **s.as_dict(),
            **selected,
            "images_per_s": s.images_seen / max(s.elapsed_s, 1e-9),
            "finish_s": self.finish_s_,
            "device": self.device_,
            "precision": self.precision_,
            **(
                {"peak_memory_mb": self.peak_memory_.mb, "peak_memory_kind": self.peak_memory_.kind}
                if self.peak_memory_ is not None and self.peak_memory_.mb is not None
                else {}
            ),
            "processes": self.world_size_,
            "strategy": "ddp" if self.ddp_ else "single",
        }

    # ---- internals -----------------------------------------------------------------------------
    def _restore_best(self, model: GenerativeModel, x: torch.Tensor, state: TrainerState) -> None:
        """Put the kept weights back (after the last evaluation, so the FD curve still shows where training
        went) and redo the model's end-of-training work on them (a VAE's prior fits their codes)."""
        best = self.best_
        assert best is not None
        if best.step != state.step:
            t0 = time.perf_counter()
            model.load_state_dict(best.weights)
            model.finish_training(x)
            self.finish_s_ += time.perf_counter() - t0
        self._log({"kind": "selected", "step": best.step, "of": self.config.select, "value": best.value})

    def _resume(self, model: GenerativeModel, raw_opts, dp: DataParallel) -> TrainerState:
        if self.run_dir is None or not (self.run_dir / CHECKPOINT / TRAINER_META).is_file():
            raise CheckpointError(f"no checkpoint to resume in {self.run_dir}; run without --resume")
        state, meta, tensors = load_checkpoint(self.run_dir / CHECKPOINT, model, raw_opts)
        self.best_ = Best.from_checkpoint(meta, tensors)
        dp.restore_rng(tensors, self.config.seed, state.step)
        log = self.run_dir / LOG
        # drop records written after the checkpoint (they will be written again); rank 0 owns the file
        if log.is_file() and dp.is_global_zero:
            lines = [ln for ln in log.read_text().splitlines() if ln and json.loads(ln)["step"] <= state.step]
            log.write_text("".join(ln + "\n" for ln in lines))
            self.history_ = [json.loads(ln) for ln in lines]
        return state

    def _flush(
        self, sums, counts, state: TrainerState, epoch: int, rate: float, dp: DataParallel
    ) -> dict[str, Any]:
        shown = dp.mean(sums)  # every process's running sums, averaged: the global batch's figures
        self._check_finite(shown, state)
        record: dict[str, Any] = {
            "step": state.step,
            "epoch": epoch,
            "time_s": round(state.elapsed_s, 3),
            "images_per_s": round(rate, 1),
        }
        record.update({k: float(v) / counts[k] for k, v in shown.items()})
        sums.clear()
        counts.clear()
        self._log(record)
        return record

    def _evaluate(self, model: GenerativeModel, state: TrainerState, epoch: int) -> None:
        model.eval()
        figures = self.evaluate(model)  # type: ignore[misc]
        value = figures.get(self.config.select) if self.config.select else None
        if value is not None and math.isfinite(value) and (self.best_ is None or value < self.best_.value):
            self.best_ = Best.of(model, float(value), state.step)
        model.train()
        record = {
            "kind": "eval",
            "step": state.step,
            "epoch": epoch,
            "time_s": round(state.elapsed_s, 3),
            **figures,
        }
        self._log(record)

    def _log(self, record: dict[str, Any]) -> None:
        """Keep `record` in `history_` and append it to log.jsonl."""
        self.history_.append(record)
        if self.run_dir is not None and self.is_global_zero_:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with open(self.run_dir / LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            if (scalars := record_metrics(record)) is not None:
                self.tracker_.metrics(*scalars)

    def _check_finite(self, sums: dict[str, torch.Tensor], state: TrainerState) -> None:
        bad = [k for k, v in sums.items() if not bool(torch.isfinite(v))]
        if not bad:
            return
        ckpt = self.run_dir / CHECKPOINT if self.run_dir else None
        kept = (
            f"the last good checkpoint is kept in {ckpt}"
            if ckpt and ckpt.exists()
            else "no checkpoint had been written yet"
        )
        # full precision is advice only where it is not already in force
        precision = "" if self.precision_ in ("32-true", "64-true") else " or use --precision 32-true"
        raise TrainingDiverged(
            f"{', '.join(bad)} became NaN or infinite by step {state.step}; {kept}; "
            f"lower the learning rate (--set lr=...){precision}"
        )

    def _grid(self, model: GenerativeModel, step: int, data: TrainData) -> None:
        n = self.config.grid_size
        labels = torch.arange(n) % model.num_classes if model.num_classes else None
        model.eval()
        images = model.sample(n, labels=labels, generator=torch.Generator().manual_seed(GRID_SEED))
        model.train()
        nrow = model.num_classes if model.num_classes and model.num_classes <= 16 else None
        path = save_grid(images, self.run_dir / "samples" / f"step-{step:07d}.png", nrow=nrow)  # type: ignore[operator]
        if self.tracking.active:  # the picture just written, as the user sees it in samples/
            import numpy as np
            from PIL import Image

            with Image.open(path) as img:
                self.tracker_.image("samples", np.asarray(img.convert("RGB")), step)


def _asdict(cfg: TrainConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(cfg)


def _merge_json(path: Path, extra: dict[str, Any]) -> None:
    from ganvae.atomic import write_json

    base = json.loads(path.read_text()) if path.is_file() else {}
    base.update(extra)
    write_json(path, base)
