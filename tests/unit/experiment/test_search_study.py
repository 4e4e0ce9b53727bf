"""The search's study machinery on SQLite with stand-in objectives (no training): study names, a rerun that
does only the remaining trials, a stopped search that resumes, the surplus rule, pruning that stops a bad
trial early, and the storage checks."""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.trial import TrialState

from ganvae.errors import ConfigError
from ganvae.experiment import study as S


@pytest.fixture
def storage(tmp_path):
    return S.open_storage(S.storage_url(None, tmp_path))


def new_study(storage, name="s", **options):
    with S.quiet_optuna():
        return S.open_study(storage, name, **options)


def test_study_name_follows_every_setting_of_the_plan():
    base = {"budget": {"steps": 300}, "batch_size": 64, "space": {"lr": ["log", 1e-4, 3e-3, None]}}
    name = S.study_name("vae", base)
    assert name == S.study_name("vae", dict(reversed(base.items())))  # key order is no setting
    assert name.startswith("ganvae-vae-")
    others = [
        S.study_name("dcgan", base),
        S.study_name("vae", {**base, "budget": {"steps": 301}}),
        S.study_name("vae", {**base, "batch_size": 32}),
        S.study_name("vae", {**base, "space": {"lr": ["log", 1e-4, 1e-3, None]}}),
    ]
    assert len({name, *others}) == 5


def test_the_sqlite_study_is_created_in_place_complete(tmp_path):
    url = S.storage_url(None, tmp_path / "run")
    assert url == f"sqlite:///{(tmp_path / 'run' / 'study.db').resolve()}"
    storage = S.open_storage(url)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["study.db"]  # no temporary file left
    new_study(storage, "a")
    again = S.open_storage(url)  # an existing database is opened as it is
    assert [s.study_name for s in optuna.get_all_study_summaries(again)] == ["a"]


def test_a_rerun_runs_only_the_remaining_trials(storage):
    calls = []

    def objective(trial):
        calls.append(trial.number)
        return trial.suggest_float("x", 0.0, 1.0)

    study = new_study(storage)
    assert S.run_trials(study, objective, 3).done == 3 and calls == [0, 1, 2]
    assert S.run_trials(study, objective, 3).done == 3 and calls == [0, 1, 2]  # nothing left to do
    assert S.run_trials(new_study(storage), objective, 5).done == 5 and calls == [0, 1, 2, 3, 4]


def test_a_stopped_search_resumes_and_counts_only_finished_trials(storage):
    stop = {"at": 1}

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == stop["at"]:
            raise KeyboardInterrupt  # Ctrl-C in the middle of trial 1
        return x

    study = new_study(storage)
    with pytest.raises(KeyboardInterrupt):
        S.run_trials(study, objective, 4)
    c = S.counts(study)
    assert (c.complete, c.failed) == (1, 1)
    stop["at"] = None
    c = S.run_trials(new_study(storage), objective, 4)
    assert (c.complete, c.failed, c.running) == (4, 1, 0)  # four finished trials: the failed one not counted


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # ask() by hand, not optimize
def test_a_trial_beyond_n_is_given_up_at_once(storage):
    """Three trials running (two workers started the last ones together): with n = 3, a fourth is surplus,
    the third (lower number) is not."""
    study = new_study(storage)
    trials = [study.ask() for _ in range(4)]
    S.refuse_surplus(trials[2], 3)
    with pytest.raises(S.SurplusTrial):
        S.refuse_surplus(trials[3], 3)
    assert trials[3].user_attrs["surplus"] is True
    study.tell(trials[3], state=TrialState.FAIL)
    c = S.counts(study)
    assert (c.running, c.failed, c.surplus) == (3, 0, 1)


def test_pruning_stops_a_bad_trial_early(storage):
    """Three good trials whose curves fall to 1, then one stuck at 100: the median pruner stops it at the
    first evaluation it may judge, and the trial records the FD it had there."""
    evals = 10
    ran: dict[int, int] = {}

    def objective(trial):
        bad = trial.number == 3
        for k in range(evals):
            fd = 100.0 if bad else 10.0 / (k + 1)
            ran[trial.number] = k + 1
            trial.report(fd, k)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return fd

    study = new_study(storage, prune_after_trials=3, prune_after_evals=2)
    S.run_trials(study, objective, 4)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED]
    assert ran == {0: evals, 1: evals, 2: evals, 3: 3}  # judged from evaluation index 2 (after 2 warm-up)
    assert study.trials[3].value == 100.0


def test_a_diverged_trial_completes_with_an_infinite_fd(storage):
    study = new_study(storage)
    S.run_trials(study, lambda t: math.inf if t.number == 0 else t.suggest_float("x", 1.0, 2.0), 2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert study.trials[0].value == math.inf and study.best_trial.number == 1


@pytest.mark.parametrize(
    "url, needle",
    [("mysql://u@h/db", "not a database URL"), ("runs/x", "not a database URL"), ("", "not a database URL")],
)
def test_a_storage_that_is_no_database_url_is_refused(url, needle):
    with pytest.raises(ConfigError, match=needle):
        S.check_url(url)


def test_postgres_urls_use_the_installed_driver_and_hide_passwords():
    assert S.driver_url("postgresql://u@h:5432/db") == "postgresql+psycopg2://u@h:5432/db"
    assert S.driver_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"  # the user's choice
    assert S.driver_url("sqlite:///x.db") == "sqlite:///x.db"
    assert S.shown("postgresql://me:secret@host/db") == "postgresql://me:***@host/db"
    S.check_url("postgresql://u@h/db")  # psycopg2 is installed with the dev extra
