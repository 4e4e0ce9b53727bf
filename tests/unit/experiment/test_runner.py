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


def test_parallel_workers_write_lines_and_the_parent_tells_each_run_as_it_ends(monkeypatch, capfd):
    """`--jobs`: a worker never draws bars (they would overwrite each other), even where the parent's
    stderr is an interactive terminal; each run is told as it ends."""
    from toy_experiment import Progressing

    from ganvae.status import interactive

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich's test: the parent's stderr is a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    assert interactive()
    records = run_jobs(Progressing(), JOBS, n_jobs=2, progress=True)
    assert all(r["lines"] for r in records) and {r["pid"] for r in records} != {os.getpid()}
    err = capfd.readouterr().err
    assert "runs: 6, 2 at a time in worker processes" in err
    ended = [line for line in err.splitlines() if line.startswith("run ")]
    assert [line.split(" ended")[0] for line in ended] == [f"run {k}/6" for k in range(1, 7)], err
    assert sorted(line.split(": ")[1].split(" (")[0] for line in ended) == sorted(j.name for j in JOBS)
    for job in JOBS:  # each worker's own lines, labelled by model and seed
        assert f"{job.model} seed {job.seed}: training, 2 steps" in err
        assert f"{job.model} seed {job.seed}: trained 2 steps in 0:00 (200 images/s)" in err
