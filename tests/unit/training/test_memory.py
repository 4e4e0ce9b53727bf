import sys
from pathlib import Path

import pytest
import torch

from ganvae.training.memory import PeakMemory

linux = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists() or sys.platform != "linux", reason="needs Linux /proc"
)


@linux
def test_peak_covers_a_large_allocation_and_resets_between_runs():
    size_mb = 400
    with PeakMemory() as big:
        block = torch.ones(size_mb * 2**20 // 4)  # touched pages count toward the resident set
        del block
    with PeakMemory() as small:
        torch.ones(2**20).sum()
    assert big.kind == "process resident memory (peak over this run)"
    # the second run starts from a reset peak: it must not inherit the 400 MiB block of the first
    assert big.mb - small.mb > 0.8 * size_mb


def test_reports_a_positive_figure_and_what_it_measured():
    with PeakMemory("cpu") as peak:
        torch.zeros(1000).sum()
    assert peak.mb > 10 and "resident memory" in peak.kind


def test_trainer_records_its_peak(tiny_digits):
    from ganvae.models import build_model
    from ganvae.training import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(steps=2, batch_size=32), progress=False)
    trainer.fit(build_model("vae", tiny_digits.shape), tiny_digits)
    summary = trainer.summary()
    assert summary["peak_memory_mb"] > 10 and summary["peak_memory_kind"]
