"""`ganvae compare --search N`: every model at its best before the seeds run, each with the same search
budget — the fair comparison of Lucic et al. (2018, "Are GANs Created Equal?"): at default settings one
family can be handicapped by a learning rate, and at an equal search budget most models come close.

For each model of the plan, N Optuna trials (`experiment.study`: TPE, seeded; its first trials drawn at
random), each trained at the plan's per-run budget (one seed's budget) on the **training split minus a
validation split** (a stratified, seeded 10 % of it) and scored by **validation FD** (domain features, at
the FD curve's sample size). The **test split is never read**: the trials see the validation images
only, and the domain classifier is the comparison's own, fitted on the training split (its test accuracy
is a figure of the report, not an input here). Pruning reads the same FD curve the loop records about ten
times per run: a trial worse than the median trial at the same point stops there.

Fields a model may change only when drawing samples (a VAE's `prior`) are not trained once per value:
each trial's trained networks are scored with each value (chosen on other noise than the one scored, so
the choice adds no optimism) and the trial keeps the best. The best trial's configuration then trains
over the seeds and is evaluated on the test split as always; the trials themselves measure claims 4 and
9 the way Lucic et al. do (`search_figures`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganvae import metrics as M
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, TrainingDiverged
from ganvae.experiment import study as S
from ganvae.metrics import stability
from ganvae.search_space import Param

SAMPLE_SEED = 2024  # the curve's noise (as `evaluate.images`)
CHOICE_SEED = 4048  # other noise, to choose a sampling setting without scoring the choice on it
FORMAT = 1  # bump when what a trial measures changes: old studies then stay apart


@dataclass
class SearchOptions:
    """How the trials are drawn and judged (all of it names the study: change one, get a new study)."""

    validation_share: float = 0.1  # of the training split, held out to score the trials
    seed: int = 0  # of the validation split, the sampler and the trials' seeds
    pruner: str = "median"  # median, halving or none
    random_trials: int = 10  # the sampler's first trials are drawn at random (TPE after)
    prune_after_trials: int = 3  # no pruning before this many trials finished
    prune_after_evals: int = 3  # nor before this many FD evaluations of a trial
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


def validation_split(data: ImageData, share: float, seed: int) -> ImageData:
    """The data a search (and a comparison choosing checkpoints) trains on: its training split minus a
    stratified, seeded `share` of it, which becomes the "test" split of the returned data. The test split
    of `data` is not read."""
    from ganvae.data.split import split_indices

    train, val = (torch.as_tensor(i) for i in split_indices(len(data.x_train), data.y_train, share, seed))
    y = data.y_train
    return ImageData(
        f"{data.name} (training split less validation)",
        data.x_train[train],
        data.x_train[val],
        y[train] if y is not None else None,
        y[val] if y is not None else None,
        class_names=data.class_names,
        source=data.source,
        meta={"split": f"validation: {share:g} of the training split, seed {seed}"},
    )


class ValidationFD:
    """FD (domain features) of a model's samples against up to `n_ref` validation images."""

    def __init__(self, x_val: torch.Tensor, classifier: Any, n_ref: int, n_samples: int, seed: int = 0):
        pick = torch.randperm(len(x_val), generator=torch.Generator().manual_seed(seed))[:n_ref]
        self.classifier, self.n, self.n_ref = classifier, n_samples, len(pick)
        self.mu, self.sigma = M.gaussian_stats(classifier.features(x_val[pick]))

    def __call__(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        labels = torch.arange(self.n) % model.num_classes if model.num_classes else None
        g = torch.Generator().manual_seed(seed)
        samples = model.sample(self.n, labels=labels, generator=g).cpu()
        mu, sigma = M.gaussian_stats(self.classifier.features(samples))
        value = M.frechet_from_stats(mu, sigma, self.mu, self.sigma)
        return value if math.isfinite(value) else math.inf


@dataclass
class Objective:
    """One trial of one model: suggest its configuration, train it, return its validation FD."""

    model: str
    data: ImageData
    fd: ValidationFD
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
        params = {name: suggest(trial, name, p) for name, p in self.trained.items()}
        torch.manual_seed(seed)
        data = self.data
        model = build_model(
            self.model, data.shape, data.num_classes, {**self.fixed, **params}, data.class_names
        )
        curve: list[tuple[float, int, float]] = []
        # the budget of one seed's run (on a small split: in epochs of the split the trial trains on), and
        # its choice of weights: on small data the seeds keep their lowest validation FD, so a trial does
        n_train = len(self.data.x_train) + len(self.data.x_test)  # the training split before validation
        select = {"select": "fd"} if self.plan.selects(n_train) else {}
        trainer = Trainer(
            self.plan.train_config(seed, len(data.x_train), **select), None, progress=self.progress
        )

        def evaluate(m) -> dict[str, float]:
            fd = self.fd(m)
            if not math.isfinite(fd):  # samples with NaN / inf: the model is broken, as a NaN loss says
                raise TrainingDiverged(f"the FD became {fd} at step {trainer.state_.step}")
            curve.append((round(trainer.state_.elapsed_s, 3), trainer.state_.step, fd))
            trial.report(fd, len(curve) - 1)  # the evaluation's index: every trial evaluates alike
            if trial.should_prune():
                _finish(trial, curve, trainer)
                raise optuna.TrialPruned(f"FD {fd:.4g} at evaluation {len(curve) - 1}, step {curve[-1][1]}")
            return {"fd": fd}

        trainer.evaluate = evaluate
        try:
            trainer.fit(model, data)
        except TrainingDiverged as exc:
            _finish(trial, curve, trainer, diverged=str(exc))
            return math.inf
        _finish(trial, curve, trainer, diverged=stability.blew_up(curve))
        kept = trainer.best_.value if trainer.best_ is not None else curve[-1][2]
        return self._sampling_choice(trial, model, kept)

    def _sampling_choice(self, trial: Any, model: Any, value: float) -> float:
        """The trial's FD with its best sampling-only settings (chosen on CHOICE_SEED noise, then scored on
        the curve's noise), recorded as the user attribute "sampling"."""
        if not self.sampling:
            return value
        chosen: dict[str, Any] = {}
        config = model.config
        for name, p in self.sampling.items():
            tried = {}
            for choice in p.choices or ():
                try:
                    model.with_sampling({**chosen, name: choice})
                    tried[choice] = self.fd(model, CHOICE_SEED)
                except ConfigError:  # not drawable here (a conditional VAE has no mixture prior)
                    continue
                finally:
                    model.config = config
            if tried:
                chosen[name] = min(tried, key=lambda c: tried[c])
        trial.set_user_attr("sampling", chosen)
        model.with_sampling(chosen)
        try:
            return self.fd(model)
        finally:
            model.config = config


def _finish(trial: Any, curve: list, trainer: Any, diverged: str | None = None) -> None:
    trial.set_user_attr("curve", [list(c) for c in curve])
    trial.set_user_attr("train_s", round(trainer.state_.elapsed_s, 3))
    trial.set_user_attr("steps", trainer.state_.step)
    if diverged:
        trial.set_user_attr("diverged", diverged)


def search_models(plan: Any, data: ImageData, classifier: Any, out: Path, *, progress: bool = True) -> dict:
    """Search every model of `plan` (`plan.search` trials each, in `plan.storage` or `out/study.db`); returns
    the search record for metrics.json. `data.x_test` is never read."""
    opts: SearchOptions = plan.search_options
    split = validation_split(data, opts.validation_share, opts.seed)
    fd = ValidationFD(
        split.x_test, classifier, min(len(split.x_test), plan.eval.n_samples), plan.eval.curve_samples
    )
    url = S.storage_url(plan.storage, out)
    storage = S.open_storage(url)
    base = {
        "format": FORMAT,
        "train_split": _fingerprint(data.x_train, data.y_train),
        "image_size": plan.image_size,
        "budget": plan.budget(len(split.x_train)),
        "batch_size": plan.batch_size,
        "precision": plan.precision,
        "options": dataclasses.asdict(opts),
        "curve_samples": fd.n,
        "validation_images": fd.n_ref,
    }
    record: dict[str, Any] = {
        "trials": plan.search,
        "storage": S.shown(url),
        "validation": {"n_train": len(split.x_train), "n_val": len(split.x_test), "n_reference": fd.n_ref},
        "objective": f"FD ({classifier.feature_name}) of {fd.n} samples against {fd.n_ref} validation images",
        "options": dataclasses.asdict(opts),
        "models": {},
    }
    net = getattr(classifier, "net_", None)  # the feature space every worker must share
    features = _fingerprint(*net.state_dict().values()) if net is not None else classifier.feature_name
    with S.quiet_optuna():
        for model in plan.models:
            record["models"][model] = _search_model(model, plan, split, fd, storage, base, features, progress)
    return record


def _search_model(model, plan, split, fd, storage, base, features: str, progress: bool) -> dict[str, Any]:
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
        pruner=opts.pruner,
        prune_after_trials=opts.prune_after_trials,
        prune_after_evals=opts.prune_after_evals,
    )
    _same_features(study, features)
    if opts.start_from_defaults:
        _enqueue_defaults(study, model, fixed, trained)
    objective = Objective(
        model, split, fd, plan, fixed, trained, sampling, opts.seed, progress and sys.stdout.isatty()
    )
    t0 = time.perf_counter()
    say = _say if progress else (lambda text: None)
    counts = S.run_trials(
        study,
        objective,
        plan.search,
        on_trial=lambda t, c: say(_trial_line(model, study, t, c, plan.search)),
        on_wait=lambda c: say(f"search {model}: waiting for {c.running} trial(s) running elsewhere"),
    )
    return _model_record(model, study, name, space, fixed, counts, time.perf_counter() - t0)


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


def _fingerprint(*tensors: torch.Tensor | None) -> str:
    h = hashlib.sha256()
    for t in tensors:
        if t is not None:
            h.update(np.ascontiguousarray(t.detach().cpu().numpy()).tobytes())
    return h.hexdigest()[:16]


def _say(text: str) -> None:
    print(text, flush=True)


def _trial_line(model: str, study: Any, t: Any, c: S.Counts, n: int) -> str:
    state = t.state.name.lower()
    if t.user_attrs.get("diverged"):
        what = "diverged"
    elif state == "pruned":
        what = f"pruned at evaluation {t.last_step} (FD {t.value:.4g})"
    elif state == "complete":
        what = f"FD {t.value:.4g}"
    else:
        what = state
    best = _best(study.get_trials(deepcopy=False))
    best_text = f"; best FD {best.value:.4g} (trial {best.number})" if best else ""
    elsewhere = f", {c.running} running elsewhere" if c.running else ""
    done = f"{c.done}/{n} done ({c.pruned} pruned{elsewhere})"
    return f"search {model}: trial {t.number} {what} — {done}{best_text}"


def _best(trials: list) -> Any:
    from optuna.trial import TrialState

    ok = [
        t for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    return min(ok, key=lambda t: (t.value, t.number)) if ok else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _model_record(model, study, name, space, fixed, counts: S.Counts, wall_s: float) -> dict[str, Any]:
    from optuna.trial import TrialState

    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("surplus")]
    retried = {t.system_attrs.get("failed_trial") for t in trials} - {None}
    rows = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "value": _finite(t.value),
            "params": dict(t.params),
            "sampling": t.user_attrs.get("sampling", {}),
            "seed": t.user_attrs.get("seed"),
            "curve": t.user_attrs.get("curve", []),
            "diverged": bool(t.user_attrs.get("diverged"))
            or (t.state == TrialState.COMPLETE and _finite(t.value) is None),
            "reason": t.user_attrs.get("diverged"),
            "train_s": t.user_attrs.get("train_s"),
            "steps": t.user_attrs.get("steps"),
            "retry_of": t.system_attrs.get("failed_trial"),
            "defaults": bool(t.user_attrs.get("defaults")),
            "retried": t.number in retried,
        }
        for t in trials
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    ]
    best = _best(trials)
    chosen = {**best.params, **best.user_attrs.get("sampling", {})} if best else {}
    importance, how = param_importance(study)
    return {
        "study": name,
        "space": {k: describe(p) for k, p in space.items()},
        "fixed": fixed,
        "counts": dataclasses.asdict(counts),
        "best": {"number": best.number, "value": best.value, "params": chosen} if best else None,
        "trials": rows,
        "importance": importance,
        "importance_note": how,
        "search_s": round(wall_s, 1),
    }


def param_importance(study: Any) -> tuple[dict[str, float] | None, str]:
    """fANOVA importance (Hutter et al. 2014, Optuna's default) of each trained parameter for the validation
    FD over the completed trials (pruned ones stopped early: their FD is of another training length);
    None and the reason when it cannot be computed."""
    import optuna
    from optuna.trial import TrialState

    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and math.isfinite(t.value)
    ]
    if len(done) < 2:
        return None, f"needs at least 2 completed trials with a finite FD; this search has {len(done)}"
    copy = optuna.create_study(direction="minimize")
    copy.add_trials(done)
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        found = optuna.importance.get_param_importances(copy, evaluator=evaluator)
    except (ValueError, RuntimeError) as exc:
        return None, f"Optuna could not compute it: {exc}"
    return {k: float(v) for k, v in found.items()}, f"fANOVA over {len(done)} completed trials"
