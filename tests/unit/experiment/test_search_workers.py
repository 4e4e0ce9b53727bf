"""Two real worker processes on one study in a real PostgreSQL server (what `--storage postgresql://...`
does across machines): one is killed (SIGKILL) in the middle of a trial, and the study still ends with
exactly N finished trials, the killed one marked failed and retried with the same parameters.

The server: $GANVAE_TEST_POSTGRES, a throw-away cluster that .ci/run starts (`.ci/postgres.sh`). Without
it the test is skipped, except under CI=true, where a missing server is a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
import search_worker
from optuna.trial import TrialState

WORKER = Path(search_worker.__file__)
SRC = Path(__file__).resolve().parents[3] / "src"
N = 6


@pytest.fixture(scope="module")
def postgres_url() -> str:
    url = os.environ.get("GANVAE_TEST_POSTGRES")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI=true but GANVAE_TEST_POSTGRES is unset: .ci/run starts a PostgreSQL server for this"
            )
        pytest.skip("no PostgreSQL server: set GANVAE_TEST_POSTGRES (source .ci/postgres.sh; start_postgres)")
    return url


def _wait_for(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_loses_no_trial(postgres_url):
    from ganvae.experiment import study as S

    name = f"test-workers-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    start = [sys.executable, str(WORKER), postgres_url, name, str(N)]
    victim = subprocess.Popen(start, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    survivor = subprocess.Popen(start, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        storage = S.open_storage(postgres_url)

        def victims_trial():
            try:
                trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
            except KeyError:  # the workers have not created the study yet
                return None
            mine = [
                t
                for t in trials
                if t.state == TrialState.RUNNING
                and t.user_attrs.get("pid") == victim.pid
                and t.intermediate_values
            ]
            return mine[0] if mine else None

        killed = _wait_for(victims_trial, 120, "the first worker to be in the middle of a trial")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        out, err = survivor.communicate(timeout=180)
        assert survivor.returncode == 0, err[-3000:]
    finally:
        for p in (victim, survivor):
            if p.poll() is None:
                p.kill()
                p.wait()

    trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
    by_state = {s: [t for t in trials if t.state == s] for s in TrialState}
    assert len(by_state[TrialState.COMPLETE]) + len(by_state[TrialState.PRUNED]) == N
    assert not by_state[TrialState.RUNNING] and not by_state[TrialState.WAITING]
    dead = next(t for t in trials if t.number == killed.number)
    assert dead.state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == dead.params  # the same configuration, run again
    # every failed trial is accounted for: the killed one (retried), or a surplus start given up at once
    for t in by_state[TrialState.FAIL]:
        assert t.number == killed.number or t.user_attrs.get("surplus"), t
    assert "done" in out
