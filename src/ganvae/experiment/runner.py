"""The one experiment runner: (model, seed) jobs, run one after another or in parallel processes, each
job's records saved as it finishes so that an interrupted experiment resumes where it stopped.

`compare` and every task describe their work as an `Experiment`: a small picklable object with
`context()` (what every job of a process shares: the data, the domain classifier... built once per
process) and `run(ctx, job)` (train or reuse one model, measure it, return its records). The runner owns
the loop, the record cache and the process pool; an experiment never loops over models and seeds itself.

>>> Job("vae", 2, tag="k5-").name
'vae-k5-seed2'
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ganvae import stopping
from ganvae.atomic import write_json
from ganvae.errors import Interrupted, Stopped
from ganvae.status import clock, say


@dataclass(frozen=True)
class Job:
    """One unit of work: `model` trained with `seed` (`tag` tells variants apart: a normal class, a K)."""

    model: str
    seed: int
    tag: str = ""

    @property
    def name(self) -> str:
        """The folder name of its model run: `<model>-<tag>seed<k>`."""
        from ganvae.run_folder import model_folder_name

        return model_folder_name(self.model, self.seed, self.tag)


class Experiment(Protocol):
    def context(self) -> Any:
        """What every job in one process shares (built once per process)."""

    def run(self, ctx: Any, job: Job) -> list[dict[str, Any]]:
        """The records of one job (JSON-able)."""

    def record_path(self, job: Job) -> Path | None:
        """Where the job's records are kept for resuming (None: not kept)."""


def run_jobs(
    experiment: Experiment,
    jobs: Sequence[Job],
    *,
    n_jobs: int = 1,
    ctx: Any = None,
    progress: bool = False,
) -> list[dict]:
    """Every job's records, in job order. Jobs whose records are saved are not run again. With
    `n_jobs` > 1 the jobs run in that many spawned processes, each with its share of the cores and its own
    context; `ctx` (the caller's, already built) serves the jobs run in this process. `progress`: a line
    as the runs start and as each one ends (`ganvae.status`)."""
    done: dict[int, list[dict]] = {}
    todo: list[tuple[int, Job]] = []
    for i, job in enumerate(jobs):
        saved = _load(experiment.record_path(job))
        if saved is None:
            todo.append((i, job))
        else:
            done[i] = saved
    tell = _Tally(len(jobs), len(done), progress)
    tell.start(n_jobs if len(todo) > 1 else 1)
    if n_jobs > 1 and len(todo) > 1:
        import multiprocessing as mp

        threads = max(1, (os.cpu_count() or 1) // n_jobs)
        # Idle OpenMP threads spin by default and starve the other workers on shared cores (measured:
        # 50x slower fits); the spawned workers inherit this before they import torch.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with ProcessPoolExecutor(
            min(n_jobs, len(todo)),
            mp_context=mp.get_context("spawn"),
            initializer=_worker_init,
            initargs=(threads,),
        ) as pool:
            try:
                futures = {pool.submit(_worker, experiment, job): (i, job) for i, job in todo}
                for future in as_completed(futures):  # in the order they end, so each is told at once
                    i, job = futures[future]
                    done[i] = future.result()
                    tell.finished(job)
            # SIGINT/SIGTERM here (`ganvae.stopping`) or in a worker (its training loop's Interrupted,
            # or its Stopped, sent back): the other workers stop too, rather than finish their runs
            except (KeyboardInterrupt, Interrupted):
                _stop_workers(pool)
                raise
    else:
        if todo and ctx is None:
            ctx = experiment.context()
        for i, job in todo:
            done[i] = _run(experiment, ctx, job)
            tell.finished(job)
    return [r for i in range(len(jobs)) for r in done[i]]


class _Tally:
    """`runs: 6 (2 kept from before), 2 at a time`, then `run 3/6 ended: vae-seed1 (0:35)`."""

    def __init__(self, total: int, kept: int, enabled: bool):
        self.total, self.kept, self.enabled = total, kept, enabled
        self.ended = kept
        self.t0 = time.perf_counter()

    def start(self, at_once: int) -> None:
        if not self.enabled or self.total == 0:
            return
        kept = f" ({self.kept} kept from before)" if self.kept else ""
        parallel = f", {at_once} at a time in worker processes" if at_once > 1 else ""
        say(f"runs: {self.total}{kept}{parallel}")

    def finished(self, job: Job) -> None:
        self.ended += 1
        if self.enabled:
            so_far = clock(time.perf_counter() - self.t0)
            say(f"run {self.ended}/{self.total} ended: {job.name} ({so_far} so far)")


def _run(experiment: Experiment, ctx: Any, job: Job) -> list[dict]:
    records = experiment.run(ctx, job)
    path = experiment.record_path(job)
    if path is not None:
        write_json(path, {"job": job.name, "records": records})
    return records


def _load(path: Path | None) -> list[dict] | None:
    if path is None or not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    # a comparison folder written before the runner kept one bare record per file
    return saved.get("records", [saved])


# How long stopped workers may take to finish a training step and write its checkpoint before they are
# killed (SLURM sends SIGKILL 30 s after SIGTERM by default)
STOP_GRACE_S = 20.0

_WORKER: dict[str, Any] = {}


def _worker_init(threads: int) -> None:
    # The parent stops its workers with one SIGTERM each (`_stop_workers`). A Ctrl-C in a terminal reaches
    # every process of the group as well, and a second signal cuts a training loop short of its
    # checkpoint, so the workers ignore SIGINT (the loop keeps an ignored signal ignored), and any SIGTERM
    # after the first (SLURM signals every process of a job: a worker may get the parent's on top of its own)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stopped)
    stopping.be_patient()
    import torch

    torch.set_num_threads(threads)


def _worker_stopped(signum: int, frame: object) -> None:
    if "stopped" in _WORKER:  # a second SIGTERM (the parent's after SLURM's): the first one is at work
        return
    _WORKER["stopped"] = signum
    if _WORKER.get("busy"):
        raise Stopped(signum)  # through the job's `with`/`finally`: its lock, temporary files, tracker
    # idle between jobs: nothing to stop. The pool's shutdown ends this process; exiting here instead
    # would make the pool, seeing a worker gone, SIGTERM the others a second time (cut short, above)


def _worker(experiment: Experiment, job: Job) -> list[dict]:
    if "stopped" in _WORKER:  # a job queued before the stop: not started (no traceback, no work)
        raise Stopped(_WORKER["stopped"])
    _WORKER["busy"] = True
    try:
        # one context per worker process, reused by its later jobs of the same experiment. Every job
        # arrives as a fresh unpickled copy, so "the same" is equal pickled state (a repr would hold
        # object ids)
        key = pickle.dumps(experiment)
        if _WORKER.get("key") != key:
            _WORKER.update(key=key, ctx=experiment.context())
        return _run(experiment, _WORKER["ctx"], job)
    finally:
        _WORKER["busy"] = False


def _stop_workers(pool: ProcessPoolExecutor, grace_s: float = STOP_GRACE_S) -> None:
    """Stop a pool's workers now: no queued job starts, each worker gets SIGTERM once (a training loop
    finishes its step and writes a checkpoint; anything else stops where it is, as in this process), and
    one still alive after `grace_s` is killed, so that the command never hangs on its workers."""
    # the pool's own map of its processes: the only handle on them (Python 3.14 adds terminate_workers)
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM
    deadline = time.monotonic() + grace_s
    try:
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
    finally:  # also when a second signal cuts the wait short
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
