"""Registry-driven: every model's search space (`search_space` beside its config) names real config
fields, every extreme of every range is a valid config, and a sampled trial builds. Param refuses
malformed ranges."""

from __future__ import annotations

import dataclasses

import optuna
import pytest

from ganvae.config import apply_overrides
from ganvae.errors import ConfigError
from ganvae.experiment.search import space_of, suggest
from ganvae.models.base import config_keys
from ganvae.registry import MODELS
from ganvae.search_space import Param

NAMES = [e.name for e in MODELS]
NO_SPACE = {"popularity"}  # nothing to tune: it counts interactions


@pytest.mark.parametrize("name", NAMES)
def test_every_extreme_of_the_search_space_is_a_valid_config(name):
    preset = MODELS.get(name).extra["preset"]
    space = space_of(preset)
    if name in NO_SPACE:
        assert space is None
        return
    assert space and set(space) <= config_keys(name), name
    assert "search_space" not in {f.name for f in dataclasses.fields(preset)}  # a ClassVar, no setting
    for key, p in space.items():
        values = p.choices if p.kind == "categorical" else (p.low, p.high)
        for v in values:
            apply_overrides(preset, {key: int(v) if p.kind == "int" else v}, where=name)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NO_SPACE])
def test_a_sampled_trial_is_a_valid_config(name):
    preset = MODELS.get(name).extra["preset"]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        trial = study.ask()
        values = {k: suggest(trial, k, p) for k, p in space_of(preset).items()}
        config = apply_overrides(preset, values, where=name)
        assert all(getattr(config, k) == v for k, v in values.items())
        study.tell(trial, 0.0)


def test_sampling_only_settings_in_a_space_are_categorical():
    for e in MODELS:
        space = space_of(e.extra["preset"]) or {}
        for key in set(space) & e.factory.sampling_settings:
            assert space[key].kind == "categorical", (e.name, key)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "log", "low": 0.0, "high": 1.0},
        {"kind": "float", "low": 2.0, "high": 1.0},
        {"kind": "int", "low": 1.5, "high": 3},
        {"kind": "categorical"},
        {"kind": "uniform", "low": 0.0, "high": 1.0},
    ],
)
def test_param_refuses_malformed_ranges(kwargs):
    with pytest.raises(ConfigError):
        Param(**kwargs)


def test_a_search_space_is_no_set_key():
    with pytest.raises(ConfigError, match="unknown"):
        apply_overrides(MODELS.get("vae").extra["preset"], {"search_space": "x"})
