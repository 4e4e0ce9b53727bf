"""`--search N`: every model at its best before the seeds run, each with the same search budget — the fair
comparison of Lucic et al. (2018, "Are GANs Created Equal?"): at default settings one family can be
handicapped by a learning rate, and at an equal search budget most models come close.

For each model of the plan, N Optuna trials (`experiment.study`: TPE, seeded; its first trials drawn at
random), each trained at the plan's per-run budget (one seed's budget) on the **training split minus a
validation split** and scored on that validation split. The **test split is never read**. One runner
serves every kind of data; what a kind supplies — the validation split, the objective and its direction,
and whether the objective is cheap enough to report during training — is its `SearchTarget`, registered
in `TARGETS` by the data's kind:

- images (`search_images`): validation FD (domain features), minimised; pruned on the in-training FD curve;
- tables (`search_tables`): SDMetrics' quality score on the validation rows, maximised; pruned on the same
  score measured during training;
- interactions (`search_interactions`): NDCG@100 of the validation users' (or items') held-out items,
  maximised; pruned on the same figure during training.

Pruning: a trial worse than the median trial at the same evaluation (about ten per run) stops there.

Fields a model may change only when drawing samples (a VAE's `prior`, tabular-vae's `categorical`) are
not trained once per value: each trial's trained networks are scored with each value (chosen on other
noise than the one scored, so the choice adds no optimism) and the trial keeps the best. The best trial's
configuration then trains over the seeds and is evaluated on the test split as always.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import math
import os
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ganvae.errors import ConfigError, Interrupted, TrainingDiverged
from ganvae.experiment import study as S
from ganvae.plan import RunPlan
from ganvae.search_space import Param

SAMPLE_SEED = 2024  # the noise every trial is scored on (as `evaluate.images`' curve)
CHOICE_SEED = 4048  # other noise, to choose a sampling setting without scoring the choice on it
FORMAT = 1  # bump when what a trial measures changes: old studies then stay apart

# data kind -> "module:class" of its SearchTarget (imported only when searched)
TARGETS = {
    "images": "ganvae.experiment.search_images:ImageTarget",
    "table": "ganvae.experiment.search_tables:TableTarget",
    "interactions": "ganvae.experiment.search_interactions:InteractionTarget",
}


@dataclass
class SearchOptions:
    """How the trials are drawn and judged (all of it names the study: change one, get a new study)."""

    validation_share: float = 0.1  # of the training split, held out to score the trials
    seed: int = 0  # of the validation split, the sampler and the trials' seeds
    pruner: str = "median"  # median, halving or none
    random_trials: int = 10  # the sampler's first trials are drawn at random (TPE after)
    prune_after_trials: int = 3  # no pruning before this many trials finished
    prune_after_evals: int = 3  # nor before this many evaluations of a trial
    # the first trial is the model's own configuration (its defaults and --set), so a search never ends
    # on a configuration worse on validation than the one the comparison would train without it
    start_from_defaults: bool = True

    def validate(self) -> None:
        if not 0.0 < self.validation_share < 0.5:
            raise ConfigError("validation_share must lie in (0, 0.5): e.g. 0.1 of the training split")
        if self.pruner not in ("median", "halving", "none"):
            raise ConfigError(f"pruner {self.pruner!r} is not median, halving or none")
        if min(self.random_trials, self.prune_after_trials, self.prune_after_evals) < 0:
            raise ConfigError("random_trials, prune_after_trials and prune_after_evals must be >= 0")


@dataclass
class SearchPlan(RunPlan):
    """A plan whose models may be searched first (`--search N`): images, tables and interactions alike."""

    search: int = 0  # hyperparameter trials per model before the seeds (0: the models' defaults)
    storage: str | None = None  # the search's database URL (None: SQLite in RUN/study.db)
    search_options: SearchOptions = field(default_factory=SearchOptions)

    def searched_models(self) -> tuple[str, ...]:
        """The models a search tunes (a plan whose baseline is fitted, not trained, leaves it out)."""
        return self.models

    def validate(self) -> None:
        super().validate()
        if self.search < 0:
            raise ConfigError("--search must be 0 (no search) or a number of trials per model, e.g. 8")
        if self.search:
            self.search_options.validate()
            for name in self.searched_models():
                searched_space(name, self.overrides_for(name))
            if self.storage is not None:
                S.check_url(self.storage)
        elif self.storage is not None:
            raise ConfigError("--storage keeps a search's trials: give --search N with it")

    def settings(self) -> dict[str, Any]:
        values = super().settings()
        values.pop("storage", None)  # where the trials are kept changes none of them
        if not self.search:  # folders written before the search existed stay valid
            values.pop("search", None)
            values.pop("search_options", None)
        return values


class SearchTarget(Protocol):
    """What a kind of data supplies to the one search runner (registered in `TARGETS`). Built from the
    plan, the data (its test split is never read) and the options; `classifier` is the comparison's
    domain classifier (images; None for other kinds)."""

    metric: str  # the objective's short name in progress lines and the report: "FD", "quality"
    direction: str  # "minimize" or "maximize"
    objective: str  # the objective in words (metrics.json, the report)
    train: Any  # what the trials train on: the training split minus the validation split
    curve: bool  # whether the objective is also measured during training (then trials are pruned)
    features: str | None  # what every worker of one study must share (images: the domain classifier)

    def score(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        """The objective of a trained model (its samples drawn with `seed` where it samples)."""
        ...

    def diverged(self, curve: list[tuple[float, int, float]]) -> str | None:
        """Why an in-training curve of the objective says the trial blew up, or None."""
        ...

    def selects(self, plan: Any) -> bool:
        """Whether a trial keeps its weights at its best in-training objective, as `plan`'s seeds keep
        theirs at their best validation figure (images on a small split, `small_data.py`)."""
        ...

    def payload(self) -> dict[str, Any]:
        """What, beyond the plan, names the study: the split trained on, the validation set's size..."""
        ...

    def facts(self) -> dict[str, Any]:
        """The validation split in numbers and words, for metrics.json and the report."""
        ...


def target_for(plan: Any, data: Any, classifier: Any = None) -> SearchTarget:
    """The search target of `data`'s kind; ConfigError for a kind no search knows."""
    where = TARGETS.get(data.kind)
    if where is None:
        raise ConfigError(f"--search has no objective for {data.kind} data; known: {', '.join(TARGETS)}")
    module, name = where.split(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(plan, data, plan.search_options, classifier=classifier)


def space_of(config: Any) -> dict[str, Param] | None:
    """The search space a config class or instance declares (`search_space`), None when it has none."""
    space = getattr(config, "search_space", None)
    return dict(space) if space else None


def suggest(trial: Any, name: str, param: Param) -> Any:
    """The value of `name` for an Optuna trial: log-uniform, uniform, integers or one of the choices."""
    if param.kind == "categorical":
        return trial.suggest_categorical(name, list(param.choices))
    if param.kind == "int":
        return trial.suggest_int(name, int(param.low), int(param.high))  # type: ignore[arg-type]
    low, high = float(param.low), float(param.high)  # type: ignore[arg-type]
    return trial.suggest_float(name, low, high, log=param.kind == "log")


def describe(param: Param) -> str:
    """How the report names a range: 'log-uniform 0.0001..0.01', 'one of 16, 32'.

    >>> describe(Param("log", 1e-4, 1e-2)), describe(Param("categorical", choices=(16, 32)))
    ('log-uniform 0.0001..0.01', 'one of 16, 32')
    """
    if param.kind == "categorical":
        return "one of " + ", ".join(map(str, param.choices))
    what = {"log": "log-uniform", "float": "uniform", "int": "integers"}[param.kind]
    return f"{what} {param.low:g}..{param.high:g}"


def searched_space(model: str, fixed: dict[str, Any]) -> dict[str, Param]:
    """The search space of registered `model` without the fields `--set` fixes; ConfigError when the
    model declares none (or `--set` fixes all of it)."""
    from ganvae.registry import MODELS

    preset = MODELS.get(model).extra["preset"]
    space = space_of(preset)
    if not space:
        raise ConfigError(
            f"{model} declares no search space ({type(preset).__name__}.search_space); "
            f"drop it from --models or run without --search"
        )
    left = {k: p for k, p in space.items() if k not in fixed}
    if not left:
        raise ConfigError(f"--set fixes every searched field of {model} ({', '.join(space)}); drop --search")
    return left


def worst(direction: str) -> float:
    """The value of a diverged trial: worse than any finite one."""
    return math.inf if direction == "minimize" else -math.inf


def _better(direction: str) -> Any:
    return min if direction == "minimize" else max


@dataclass
class Objective:
    """One trial of one model: suggest its configuration, train it, return its validation objective."""

    model: str
    target: SearchTarget
    plan: Any
    fixed: dict[str, Any]
    trained: dict[str, Param]  # suggested before training
    sampling: dict[str, Param]  # sampling-only settings: every value tried on the trained networks
    seed: int
    progress: bool = False

    def __call__(self, trial: Any) -> float:
        import optuna

        from ganvae.models.base import build_model
        from ganvae.training.loop import Trainer

        # a retried trial (its worker died) keeps its seed: user attributes travel with the retry
        seed = int(trial.user_attrs.get("seed", self.seed * 100_003 + trial.number))
        trial.set_user_attr("seed", seed)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")  # who trained it
        params = {name: suggest(trial, name, p) for name, p in self.trained.items()}
        torch.manual_seed(seed)
        data, target = self.target.train, self.target
        model = build_model(
            self.model,
            data.shape,
            data.num_classes,
            {**self.fixed, **params},
            data.class_names,
            getattr(data, "context", None),  # a table's fitted transformer
            len(data.x_train),
        )
        curve: list[tuple[float, int, float]] = []
        # the budget of one seed's run (on a small split: in epochs of the split the trial trains on), and
        # its choice of weights: where the seeds keep their lowest validation figure, a trial does too
        select = {"select": target.metric} if target.selects(self.plan) else {}
        trainer = Trainer(
            self.plan.train_config(seed, len(data.x_train), **select),
            None,
            progress=self.progress,
            label=f"search {self.model} trial {trial.number}",
        )

        def evaluate(m) -> dict[str, float]:
            # on its own random stream: a trial trains the same weights whether it is measured or not
            devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
            with torch.random.fork_rng(devices=devices):
                value = target.score(m)
            if not math.isfinite(value):  # samples with NaN / inf: the model is broken, as a NaN loss says
                raise TrainingDiverged(f"the {target.metric} became {value} at step {trainer.state_.step}")
            curve.append((round(trainer.state_.elapsed_s, 3), trainer.state_.step, value))
            trial.report(value, len(curve) - 1)  # the evaluation's index: every trial evaluates alike
            if trial.should_prune():
                _finish(trial, curve, trainer)
                raise optuna.TrialPruned(
                    f"{target.metric} {value:.4g} at evaluation {len(curve) - 1}, step {curve[-1][1]}"
                )
            return {target.metric: value}

        if target.curve:
            trainer.evaluate = evaluate
        try:
            trainer.fit(model, data)
        except TrainingDiverged as exc:
            _finish(trial, curve, trainer, diverged=str(exc))
            return worst(target.direction)
        value = curve[-1][2] if curve else target.score(model)
        if trainer.best_ is not None:  # the weights kept (small data): their evaluation is the trial's
            value = trainer.best_.value
        if not math.isfinite(value):
            _finish(trial, curve, trainer, diverged=f"the final {target.metric} is {value}")
            return worst(target.direction)
        _finish(trial, curve, trainer, diverged=target.diverged(curve))
        return self._sampling_choice(trial, model, value)

    def _sampling_choice(self, trial: Any, model: Any, value: float) -> float:
        """The trial's objective with its best sampling-only settings (chosen on CHOICE_SEED noise, then
        scored on SAMPLE_SEED noise), recorded as the user attribute "sampling"."""
        if not self.sampling:
            return value
        best = _better(self.target.direction)
        chosen: dict[str, Any] = {}
        config = model.config
        for name, p in self.sampling.items():
            tried = {}
            for choice in p.choices or ():
                try:
                    model.with_sampling({**chosen, name: choice})
                    tried[choice] = self.target.score(model, CHOICE_SEED)
                except ConfigError:  # not drawable here (a conditional VAE has no mixture prior)
                    continue
                finally:
                    model.config = config
            if tried:
                chosen[name] = best(tried, key=lambda c: tried[c])
        trial.set_user_attr("sampling", chosen)
        model.with_sampling(chosen)
        try:
            return self.target.score(model)
        finally:
            model.config = config


def _finish(trial: Any, curve: list, trainer: Any, diverged: str | None = None) -> None:
    trial.set_user_attr("curve", [list(c) for c in curve])
    trial.set_user_attr("train_s", round(trainer.state_.elapsed_s, 3))
    trial.set_user_attr("steps", trainer.state_.step)
    if diverged:
        trial.set_user_attr("diverged", diverged)


def search_models(
    plan: Any, data: Any, classifier: Any, out: Path, *, progress: bool = True, tracking: Any = None
) -> dict:
    """Search every model of `plan` (`plan.search` trials each, in `plan.storage` or `out/study.db`) on
    `data` of any kind (`classifier`: the comparison's domain classifier for images, else None); returns
    the search record for metrics.json. The test split of `data` is never read. With `plan.jobs` > 1 the
    trials run in that many processes on the one study (see `_helpers`). `tracking` (default: the plan's,
    whose parent is the comparison's or task's run): each model's trials as tracked runs
    (`search_tracking`)."""
    opts: SearchOptions = plan.search_options
    target = target_for(plan, data, classifier)
    url = S.storage_url(plan.storage, out)
    storage = S.open_storage(url)
    base = _study_payload(plan, target)
    record: dict[str, Any] = {
        "trials": plan.search,
        "storage": S.shown(url),
        "validation": target.facts(),
        "objective": target.objective,
        "metric": target.metric,
        "direction": target.direction,
        "pruning": target.curve and opts.pruner != "none",
        "options": dataclasses.asdict(opts),
        "models": {},
    }
    tracking = tracking if tracking is not None else plan.tracking
    with S.quiet_optuna(), _helpers(plan, target, url):
        for model in plan.searched_models():
            record["models"][model] = _search_model(
                model, plan, target, storage, base, progress, (tracking, out) if tracking.active else None
            )
    return record


def _study_payload(plan: Any, target: SearchTarget) -> dict[str, Any]:
    """What names a model's study besides the model: everything a trial's figure depends on."""
    return {
        "format": FORMAT,
        **target.payload(),
        "image_size": plan.image_size,
        "budget": plan.budget(len(target.train.x_train)),
        "batch_size": plan.batch_size,
        "precision": plan.precision,
        "options": dataclasses.asdict(plan.search_options),
    }


@contextlib.contextmanager
def _helpers(plan: Any, target: SearchTarget, url: str) -> Iterator[None]:
    """With `plan.jobs` = N > 1, N - 1 spawned processes work through the same studies as this one, each
    with its share of the cores: the way several machines share a study (`study.run_trials` hands out
    exactly N trials however many work on it), on one machine. They get the target, which holds the
    training and validation splits only. Trials then run side by side, so the sampler proposes each one
    from the trials finished by then: the configurations tried, and so the choice, may differ from a
    search with one process (as with several machines); every model still gets exactly N trials."""
    n = min(plan.jobs, plan.search)
    if n <= 1:
        yield
        return
    import multiprocessing as mp

    threads = max(1, (os.cpu_count() or 1) // n)
    # idle OpenMP threads spin by default and starve the other processes on shared cores (runner.py)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    ctx = mp.get_context("spawn")
    ready = [ctx.Event() for _ in range(n - 1)]
    procs = [ctx.Process(target=_helper, args=(plan, target, url, threads, r), daemon=True) for r in ready]
    for p in procs:
        p.start()
    # start together: a helper still importing torch would leave the first trials to this process alone
    for p, r in zip(procs, ready, strict=True):
        while not r.wait(timeout=1.0) and p.is_alive():
            pass
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    stopped = False
    try:
        yield
    except KeyboardInterrupt:  # SIGINT/SIGTERM (`ganvae.stopping`): the helpers stop now, not later
        stopped = True
        raise
    finally:
        torch.set_num_threads(before)
        for p in procs:
            # normally done: this process returns from a model's study only once it holds N finished
            # trials, and so do they. On an error or a stop here they are stopped, and their running
            # trials are failed and retried by the next search on this study (heartbeats)
            p.join(timeout=0 if stopped else S.POLL_S * 5)
            if p.is_alive():
                p.terminate()
                p.join()


def _helper(plan: Any, target: SearchTarget, url: str, threads: int, ready: Any) -> None:
    """A helper process of `_helpers`: every model's trials, quietly, until each study has N."""
    # a Ctrl-C in a terminal reaches it too: it waits for its parent's SIGTERM instead (no traceback)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    storage = S.open_storage(url)
    base = _study_payload(plan, target)
    ready.set()
    with S.quiet_optuna(), contextlib.suppress(Interrupted):  # stopped in a trial's loop: quietly
        for model in plan.searched_models():
            _search_model(model, plan, target, storage, base, progress=False)


def run_search(
    plan: Any, data: Any, out: Path, *, classifier: Any = None, progress: bool = True, tracking: Any = None
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The search record of `plan` (None when it searches nothing) and the configuration its seeds train
    per model: the best trial's parameters (a model whose trials all diverged keeps its defaults).
    `tracking`: as `search_models`'."""
    if not plan.search:
        return None, {}
    record = search_models(plan, data, classifier, out, progress=progress, tracking=tracking)
    return record, {m: rec["best"]["params"] for m, rec in record["models"].items() if rec["best"]}


def _search_model(
    model, plan, target: SearchTarget, storage, base, progress: bool, tracked: tuple | None = None
) -> dict[str, Any]:
    """One model's study run to `plan.search` finished trials; `tracked`: (tracking config, run folder)
    to record its trials in (this process's as they end, the others' at the end)."""
    from ganvae.experiment.search_record import model_record, trial_line
    from ganvae.registry import MODELS

    fixed = plan.overrides_for(model)
    space = searched_space(model, fixed)
    drawn_only = MODELS.get(model).factory.sampling_settings
    sampling = {k: p for k, p in space.items() if k in drawn_only and p.kind == "categorical"}
    trained = {k: p for k, p in space.items() if k not in sampling}
    payload = {**base, "fixed": fixed, "space": {k: dataclasses.astuple(p) for k, p in space.items()}}
    name = S.study_name(model, payload)
    opts: SearchOptions = plan.search_options
    study = S.open_study(
        storage,
        name,
        seed=opts.seed,
        random_trials=opts.random_trials,
        pruner=opts.pruner if target.curve else "none",
        prune_after_trials=opts.prune_after_trials,
        prune_after_evals=opts.prune_after_evals,
        direction=target.direction,
    )
    if target.features is not None:
        _same_features(study, target.features)
    if opts.start_from_defaults:
        _enqueue_defaults(study, model, fixed, trained)
    # a trial shows its training as a seed's run does: a bar in a terminal, a plain line every 10 s in a log
    # file (a 5-minute trial was otherwise silent there from its start to its end line)
    objective = Objective(model, target, plan, fixed, trained, sampling, opts.seed, progress)
    t0 = time.perf_counter()
    say = _say if progress else (lambda text: None)
    with _tracked_search(tracked, model, target, space, fixed, name, plan.search) as tracker:

        def ended(t: Any, c: S.Counts) -> None:
            say(trial_line(model, study, t, c, plan.search, target))
            tracker.trial(t)

        counts = S.run_trials(
            study,
            objective,
            plan.search,
            on_trial=ended,
            on_wait=lambda c: say(f"search {model}: waiting for {c.running} trial(s) running elsewhere"),
        )
        record = model_record(model, study, name, space, fixed, counts, time.perf_counter() - t0, target)
        tracker.finish(study, record["best"])
    return record


def _tracked_search(tracked: tuple | None, model, target: SearchTarget, space, fixed, study: str, n: int):
    """The model's tracked search (`search_tracking.SearchRun`), or one that records nothing."""
    if tracked is None:
        return _Untracked()
    from ganvae.experiment.search_tracking import SearchRun

    tracking, out = tracked
    shown = {k: describe(p) for k, p in space.items()}
    return SearchRun(
        tracking, out, model, metric=target.metric, space=shown, fixed=fixed, study=study, trials=n
    )


class _Untracked(contextlib.nullcontext):
    def trial(self, t: Any) -> None:
        pass

    def finish(self, study: Any, best: Any) -> None:
        pass

    def __enter__(self) -> _Untracked:
        return self


def _enqueue_defaults(study: Any, model: str, fixed: dict[str, Any], trained: dict[str, Param]) -> None:
    """Queue the model's own configuration as the study's first trial (fields whose default lies outside
    the searched range are left to the sampler)."""
    import warnings

    import optuna

    from ganvae.config import apply_overrides
    from ganvae.registry import MODELS

    if study.get_trials(deepcopy=False):
        return  # a study that has begun (here or on another worker) has its first trial
    config = apply_overrides(MODELS.get(model).extra["preset"], fixed, where=f"{model} config")
    own = {k: getattr(config, k) for k, p in trained.items() if _within(p, getattr(config, k))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.enqueue_trial(own, user_attrs={"defaults": True}, skip_if_exists=True)


def _within(param: Param, value: Any) -> bool:
    if param.kind == "categorical":
        return value in param.choices
    return isinstance(value, int | float) and param.low <= value <= param.high  # type: ignore[operator]


def _same_features(study: Any, features: str) -> None:
    """Every worker of a study must measure FD in the same feature space (its domain classifier)."""
    saved = study.user_attrs.get("features")
    if saved is None:
        study.set_user_attr("features", features)
    elif saved != features:
        raise ConfigError(
            f"study {study.study_name} was measured with another domain classifier than this machine's; "
            "copy the first machine's feature cache ($GANVAE_CACHE/features) here, or use another --storage"
        )


def fingerprint(*parts: torch.Tensor | np.ndarray | None) -> str:
    """16 hex digits of the bytes of tensors / arrays (None skipped): names what a study trained on."""
    h = hashlib.sha256()
    for t in parts:
        if t is not None:
            a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _say(text: str) -> None:
    print(text, flush=True)
