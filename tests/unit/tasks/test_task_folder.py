"""A task folder refuses a re-run with other settings (naming them), but not one with another --jobs."""

from __future__ import annotations

import pytest

from ganvae.errors import ConfigError
from ganvae.tasks.base import TaskFolder
from ganvae.tasks.interpolate import InterpolateConfig


def test_other_settings_are_named_and_jobs_do_not_count(tmp_path):
    TaskFolder(tmp_path / "t", "interpolate", InterpolateConfig(seeds=2)).start()
    TaskFolder(tmp_path / "t", "interpolate", InterpolateConfig(seeds=2, jobs=2))  # same results: accepted
    with pytest.raises(ConfigError, match="seeds: 2 there, 3 asked"):
        TaskFolder(tmp_path / "t", "interpolate", InterpolateConfig(seeds=3))
    with pytest.raises(ConfigError, match="not `anomaly`"):
        TaskFolder(tmp_path / "t", "anomaly", InterpolateConfig(seeds=2))
