"""A task folder refuses a re-run with other settings (naming them), but not one with another --jobs."""

from __future__ import annotations

import pytest

from ganvae.errors import ConfigError
from ganvae.tasks.base import TaskFolder
from ganvae.tasks.interpolate import InterpolateConfig


def test_other_settings_are_named_and_jobs_do_not_count(tmp_path):
    TaskFolder(tmp_path / "t", "interpolate", InterpolateConfig(seeds=2)).start()
    again = InterpolateConfig(seeds=2, jobs=2)  # same results: accepted
    TaskFolder(tmp_path / "t", "interpolate", again, resume=True)
    with pytest.raises(ConfigError, match="seeds: 2 there, 3 asked"):
        TaskFolder(tmp_path / "t", "interpolate", InterpolateConfig(seeds=3), resume=True)
    with pytest.raises(ConfigError, match="not an `anomaly` task"):
        TaskFolder(tmp_path / "t", "anomaly", InterpolateConfig(seeds=2))
