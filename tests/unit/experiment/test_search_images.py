"""The image search on real (tiny) digits: it trains and scores on a validation split carved from the
training split and never reads the test split; a model without a search space is refused."""

from __future__ import annotations

import math

import pytest
import torch

from ganvae.compare import CompareConfig
from ganvae.errors import ConfigError
from ganvae.evaluate.images import EvalConfig
from ganvae.experiment.search import search_models, searched_space
from ganvae.experiment.search_images import validation_split

# reading any of these would reach the test split (`fingerprint` hashes it, `describe` counts it)
TEST_SPLIT = {"x_test", "y_test", "fingerprint", "describe", "subset"}


class TestSplitGuard:
    """The data as the search gets it, with a test split that fails the test when read."""

    __test__ = False  # not a test class

    def __init__(self, data):
        self._data = data

    def __getattr__(self, name):
        if name in TEST_SPLIT:
            raise AssertionError(f"the search read the test split ({name})")
        return getattr(self._data, name)


def plan(**kw) -> CompareConfig:
    options = {
        "models": ("vae", "dcgan"),
        "steps": 6,
        "batch_size": 32,
        "search": 2,
        "overrides": {"inversion_steps": "5"},
        "eval": EvalConfig(n_samples=40, n_recon=8, curve_samples=40),
    }
    return CompareConfig(**{**options, **kw})


@pytest.fixture(scope="module")
def classifier(tiny_digits, tmp_path_factory):
    from ganvae.features import get_domain_classifier

    # fitted on the training split, as the comparison's context fits it before the search
    return get_domain_classifier(tiny_digits, cache_dir=tmp_path_factory.mktemp("features"), epochs=2)


def test_the_validation_split_is_carved_from_the_training_split(tiny_digits):
    split = validation_split(TestSplitGuard(tiny_digits), 0.1, seed=0)
    assert len(split.x_test) == math.ceil(0.1 * len(tiny_digits.x_train))
    assert len(split.x_train) + len(split.x_test) == len(tiny_digits.x_train)
    rows = {tuple(x.flatten().tolist()) for x in tiny_digits.x_train}
    assert all(tuple(x.flatten().tolist()) in rows for x in split.x_test)  # validation images are train ones
    again = validation_split(tiny_digits, 0.1, seed=0)
    assert torch.equal(again.x_test, split.x_test)  # deterministic
    assert sorted(set(split.y_test.tolist())) == sorted(set(tiny_digits.y_train.tolist()))  # stratified


def test_the_search_never_reads_the_test_split(tiny_digits, classifier, tmp_path):
    record = search_models(plan(), TestSplitGuard(tiny_digits), classifier, tmp_path, progress=False)
    assert (tmp_path / "study.db").is_file()
    assert record["validation"]["n_val"] == math.ceil(0.1 * len(tiny_digits.x_train))
    for model, rec in record["models"].items():
        assert rec["counts"]["complete"] + rec["counts"]["pruned"] == 2, model
        assert rec["best"] is not None and set(rec["best"]["params"]) == set(rec["space"])
        for t in rec["trials"]:
            assert t["steps"] == 6 and [c[1] for c in t["curve"]] == [1, 2, 3, 4, 5, 6]
    # the first trial is each model's own configuration
    assert record["models"]["vae"]["trials"][0]["params"] == {
        "lr": 1e-3,
        "beta": 1.0,
        "latent_dim": 32,
        "width": 32,
    }
    first = record["models"]["dcgan"]["trials"][0]
    assert first["defaults"] and (first["params"]["lr_g"], first["params"]["width"]) == (2e-4, 32)
    # the VAE's prior is sampling-only: tried on each trial's trained networks, not suggested before training
    vae = record["models"]["vae"]
    assert all(
        "prior" not in t["params"] and t["sampling"]["prior"] in ("normal", "mixture") for t in vae["trials"]
    )
    assert vae["best"]["params"]["prior"] == vae["trials"][vae["best"]["number"]]["sampling"]["prior"]


def test_fields_fixed_by_set_are_not_searched_and_a_model_without_a_space_is_refused():
    assert "width" not in searched_space("vae", {"width": "8"}) and "lr" in searched_space("vae", {})
    with pytest.raises(ConfigError, match="declares no search space"):
        searched_space("popularity", {})
    with pytest.raises(ConfigError, match="--storage keeps a search"):
        plan(search=0, storage="sqlite:///x.db").validate()
    with pytest.raises(ConfigError, match="not a database URL"):
        plan(storage="mysql://u@h/db").validate()


def test_a_worker_with_another_feature_space_is_refused(tmp_path):
    from ganvae.experiment import study as S
    from ganvae.experiment.search import _same_features

    with S.quiet_optuna():
        study = S.open_study(S.open_storage(S.storage_url(None, tmp_path)), "s")
    _same_features(study, "abc")  # the first worker records its classifier
    _same_features(study, "abc")
    with pytest.raises(ConfigError, match="another domain classifier"):
        _same_features(study, "abd")


def test_jobs_share_each_study_between_processes_and_every_model_gets_exactly_n_trials(
    tiny_digits, classifier, tmp_path
):
    import multiprocessing as mp
    import os

    # long enough trials that both processes take some (they start together: see search._helpers)
    record = search_models(
        plan(models=("vae",), search=4, steps=40, jobs=2), TestSplitGuard(tiny_digits), classifier, tmp_path
    )
    trials = record["models"]["vae"]["trials"]
    assert len(trials) == 4 and all(t["state"] in ("complete", "pruned") for t in trials)
    workers = {t["worker"].rsplit(":", 1)[1] for t in trials}
    assert str(os.getpid()) in workers and len(workers) == 2  # this process and its one helper
    assert mp.active_children() == []  # the helper is gone
