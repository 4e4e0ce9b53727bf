"""One search worker for `test_search_workers.py`: joins study NAME at URL and runs trials of a stand-in
objective (five reported steps of 0.3 s, no training) until the study holds N finished trials.

    python search_worker.py URL NAME N
"""

from __future__ import annotations

import os
import sys
import time

from ganvae.experiment import study as S

STEPS, STEP_S = 5, 0.3


def objective(trial) -> float:
    trial.set_user_attr("pid", os.getpid())
    x = trial.suggest_float("x", 0.0, 1.0)
    for k in range(STEPS):
        time.sleep(STEP_S)
        trial.report(x + 1.0 / (k + 1), k)
    return x


def main(url: str, name: str, n: int) -> None:
    # a dead worker's trial is noticed after 3 s of silence (the defaults wait 30 s)
    storage = S.open_storage(url, heartbeat_s=1, grace_s=3)
    with S.quiet_optuna():
        study = S.open_study(storage, name, pruner="none")
        counts = S.run_trials(study, objective, n, poll_s=0.5)
    print(f"done {counts}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
