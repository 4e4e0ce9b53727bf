"""The one experiment runner: order, resume from saved records, and parallel processes."""

from __future__ import annotations

import os

from toy_experiment import Squares

from ganvae.experiment.runner import Job, run_jobs

JOBS = [Job(m, s) for m in ("a", "b") for s in range(3)]


def test_records_come_back_in_job_order():
    records = run_jobs(Squares(), JOBS)
    assert [(r["model"], r["value"]) for r in records] == [(j.model, 100 + j.seed**2) for j in JOBS]


def test_saved_records_are_reused_not_run_again(tmp_path):
    first = run_jobs(Squares(tmp_path), JOBS[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-seed0.json", "a-seed1.json", "a-seed2.json"]
    (tmp_path / "a-seed1.json").unlink()  # as if interrupted before this job finished

    class Counting(Squares):
        calls: list = []

        def run(self, ctx, job):
            self.calls.append(job.name)
            return super().run(ctx, job)

    again = run_jobs(Counting(tmp_path), JOBS[:3])
    assert Counting.calls == ["a-seed1"]
    assert [r["value"] for r in again] == [r["value"] for r in first]


def test_parallel_jobs_give_the_same_records_in_other_processes():
    serial = run_jobs(Squares(), JOBS)
    parallel = run_jobs(Squares(), JOBS, n_jobs=2)
    assert [(r["model"], r["value"]) for r in parallel] == [(r["model"], r["value"]) for r in serial]
    assert {r["pid"] for r in parallel} != {os.getpid()}
    # one context per worker process, not one per job
    assert len({r["ctx"] for r in parallel}) == len({r["pid"] for r in parallel})
