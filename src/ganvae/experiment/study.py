"""Where a hyperparameter search keeps its trials: an Optuna study in a real database, shared by every
process that runs the same search.

- **Storage**: `RUN/study.db` (SQLite through Optuna's RDBStorage) by default, created complete or not at
  all; `postgresql://user@host/db` lets processes on several machines work on one study. Every worker
  sends a heartbeat while it runs a trial; a trial whose worker stops beating (killed, machine lost) is
  marked failed by the next worker that looks, and `RetryHeartbeatStaleTrialCallback` queues it again with
  the same parameters, so no trial is lost.
- **Exactly N**: `run_trials` counts only finished trials (COMPLETE and PRUNED) toward N, so a stopped
  search resumes where it stopped and a rerun does only the remaining trials. A worker that would start
  trial N + 1 while others still run theirs gives it up at once (a "surplus" trial, marked failed with a
  user attribute saying so) and waits: if one of the running trials dies, its retry needs a worker.
- **Names**: a study is named after a fingerprint of everything that changes its trials (`study_name`),
  so a different plan never mixes into an old study.

>>> study_name("vae", {"budget": {"steps": 300}})[:16]
'ganvae-vae-fd128'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganvae.errors import ConfigError

if TYPE_CHECKING:
    import optuna

SCHEMES = ("sqlite", "postgresql")
HEARTBEAT_S = 10  # how often a running trial says it is alive
GRACE_S = 30  # silence after which a running trial counts as dead (its worker killed or lost)
MAX_RETRY = 3  # how often a dead worker's trial is queued again
POLL_S = 2.0  # how often a worker waiting for others' trials looks again


class SurplusTrial(Exception):
    """This trial would be one too many: N trials are finished or running elsewhere."""


@dataclass(frozen=True)
class Counts:
    complete: int
    pruned: int
    running: int
    waiting: int
    failed: int  # failed for a reason: a dead worker (then retried), an interruption, an error
    surplus: int  # given up at once (see the module docstring); not a failure

    @property
    def done(self) -> int:
        return self.complete + self.pruned


def study_name(model: str, payload: dict[str, Any]) -> str:
    """`ganvae-<model>-<16 hex digits>` of everything in `payload` (JSON values)."""
    blob = json.dumps({"model": model, **payload}, sort_keys=True, default=str)
    return f"ganvae-{model}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def storage_url(storage: str | None, folder: Path) -> str:
    """The study database: `storage` when given (checked), else SQLite in `folder/study.db`."""
    from ganvae.run_folder import RunFolder

    if storage is None:
        return f"sqlite:///{RunFolder(folder).study.resolve()}"
    check_url(storage)
    return storage


def check_url(url: str) -> None:
    """ConfigError unless `url` is a database Optuna can keep a study in here (and its driver is there)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0] if "://" in url else ""
    if scheme not in SCHEMES:
        raise ConfigError(
            f"--storage {shown(url)!r} is not a database URL; give postgresql://user@host/db (or "
            "sqlite:///path/study.db), or leave it out to keep the study in RUN/study.db"
        )
    if scheme == "postgresql" and driver_url(url).startswith("postgresql+psycopg2:"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise ConfigError(
                "--storage postgresql://... needs the PostgreSQL driver: pip install 'ganvae[cluster]'"
            ) from None


def driver_url(url: str) -> str:
    """`url` with the driver ganvae installs (`ganvae[cluster]`: psycopg2) when it names none: SQLAlchemy
    2.1 reads a bare postgresql:// as psycopg 3."""
    return (
        "postgresql+psycopg2://" + url.removeprefix("postgresql://")
        if url.startswith("postgresql://")
        else url
    )


def shown(url: str) -> str:
    """`url` without its password, for logs, metrics.json and the report."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing to hide beyond what the user typed
        return url.split("@")[-1]


def open_storage(
    url: str, *, heartbeat_s: int = HEARTBEAT_S, grace_s: int = GRACE_S, max_retry: int = MAX_RETRY
) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage on `url`, with heartbeats and retries of dead workers' trials."""
    import optuna
    import sqlalchemy.exc

    if url.startswith("sqlite:///"):
        _create_sqlite(Path(url.removeprefix("sqlite:///")))
    sqlite = url.startswith("sqlite")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        kwargs: dict[str, Any] = {
            "engine_kwargs": {"connect_args": {"timeout": 60}} if sqlite else {"pool_pre_ping": True},
            "heartbeat_interval": heartbeat_s,
            "grace_period": grace_s,
            "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry),
        }
    last: Exception | None = None
    for attempt in range(5):  # workers starting together race to create the tables: the loser retries
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(driver_url(url), **kwargs)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            last = exc
            time.sleep(0.5 * (attempt + 1))
    raise ConfigError(f"cannot open the study storage {shown(url)}: {last}; check the URL and the server")


def _create_sqlite(path: Path) -> None:
    """Create the SQLite study database complete or not at all: the tables are made in a temporary file
    that is then linked into place (a search stopped while creating it leaves no half-made database)."""
    if path.exists():
        return
    import optuna

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(f"sqlite:///{tmp}")
        storage.remove_session()
        storage.engine.dispose()
        with contextlib.suppress(FileExistsError):  # another process made it first: keep theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_study(
    storage: optuna.storages.RDBStorage | str,
    name: str,
    *,
    seed: int = 0,
    random_trials: int = 10,
    pruner: str = "median",
    prune_after_trials: int = 3,
    prune_after_evals: int = 3,
    direction: str = "minimize",
) -> optuna.Study:
    """The study `name` (created when missing): TPE seeded with `seed`, its first `random_trials` drawn at
    random; trials pruned on their reported curve by the median rule (`median`: worse than the median
    trial at the same evaluation, once `prune_after_trials` trials finished and after
    `prune_after_evals` evaluations), successive halving (`halving`) or not at all (`none`); the objective
    minimised, or maximised (`direction="maximize"`: a table's quality, a recommender's NDCG)."""
    import optuna

    pruners = {
        "median": lambda: optuna.pruners.MedianPruner(
            n_startup_trials=prune_after_trials, n_warmup_steps=prune_after_evals
        ),
        "halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, prune_after_evals)),
        "none": optuna.pruners.NopPruner,
    }
    if pruner not in pruners:
        raise ConfigError(f"pruner {pruner!r} is not one of {', '.join(pruners)}")
    return optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=random_trials),
        pruner=pruners[pruner](),
        direction=direction,
        load_if_exists=True,
    )


def counts(study: optuna.Study) -> Counts:
    from optuna.trial import TrialState as S

    trials = study.get_trials(deepcopy=False)
    by = {s: sum(t.state == s for t in trials) for s in S}
    surplus = sum(t.state == S.FAIL and bool(t.user_attrs.get("surplus")) for t in trials)
    return Counts(by[S.COMPLETE], by[S.PRUNED], by[S.RUNNING], by[S.WAITING], by[S.FAIL] - surplus, surplus)


def refuse_surplus(trial: optuna.Trial, n: int) -> None:
    """Raise SurplusTrial when `n` trials numbered below this one are finished, running or queued (what
    `run_trials` asks before each trial's objective). Of two
    workers starting trials at once, the one with the lower number never counts the other's, so exactly
    one of them goes on: the study ends with exactly `n` finished trials."""
    from optuna.trial import TrialState as S

    states = (S.COMPLETE, S.PRUNED, S.RUNNING, S.WAITING)
    before = [t for t in trial.study.get_trials(deepcopy=False, states=states) if t.number < trial.number]
    if len(before) >= n:
        trial.set_user_attr("surplus", True)
        raise SurplusTrial(f"trial {trial.number}: {n} trials are finished or running")


def run_trials(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    n: int,
    *,
    poll_s: float = POLL_S,
    on_trial: Callable[[optuna.trial.FrozenTrial, Counts], None] | None = None,
    on_wait: Callable[[Counts], None] | None = None,
) -> Counts:
    """Run trials of `objective` in this process until `study` holds `n` finished ones (COMPLETE or PRUNED),
    however many other processes work on it; returns the final counts. While the last trials run
    elsewhere, wait for them: a dead worker's trial comes back (retried) and this process runs it."""
    import optuna

    def guarded(trial: optuna.Trial) -> float:
        refuse_surplus(trial, n)
        return objective(trial)

    def finished(_study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if on_trial is not None and not trial.user_attrs.get("surplus"):
            on_trial(trial, counts(study))

    waited = False
    while True:
        c = counts(study)
        if c.done >= n:
            return c
        if c.done + c.running >= n and c.waiting == 0:
            if on_wait is not None and not waited:
                on_wait(c)
            waited = True
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)  # a dead worker's trial: failed, queued again
            time.sleep(poll_s)
            continue
        waited = False
        study.optimize(guarded, n_trials=1, catch=(SurplusTrial,), callbacks=[finished], gc_after_trial=False)


@contextlib.contextmanager
def quiet_optuna():
    """Optuna's own log lines off (the search prints its own progress); restored afterwards."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)
