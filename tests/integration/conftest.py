"""Runs shared by several integration modules (each costs seconds of training)."""

from __future__ import annotations

import pytest

ANOMALY_FAST = [
    "--steps",
    "60",
    "--score-images",
    "150",
    "--set",
    "inversion_steps=8",
    "--set",
    "inversion_restarts=1",
    "-q",
]


@pytest.fixture(scope="session")
def anomaly_run(tmp_path_factory):
    """`ganvae task anomaly` on digits, normal class 0, vae vs dcgan, 60 steps."""
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("anomaly") / "run"
    with pytest.raises(SystemExit) as e:
        main(["task", "anomaly", "--normal-class", "0", "--out", str(out), *ANOMALY_FAST])
    assert e.value.code == 0
    return out
