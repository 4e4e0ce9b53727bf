"""The table search on real (small) data, scikit-learn's wine: the validation rows are a seeded, stratified
share of the training rows (checked against scikit-learn's own split), the search never reads the test
rows, and the best trial's objective is the quality score that an independent retraining of its
configuration gets on the validation rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import train_test_split

from ganvae.experiment.search import SAMPLE_SEED, search_models
from ganvae.experiment.search_tables import validation_split
from ganvae.tasks.synthesize import SynthesizeConfig

# what reaches the test rows: `test` itself, `frame` (every row), and what hashes or counts them
TABLE_TEST = {"test", "frame", "fingerprint", "subset"}
DATA_TEST = {"n_test", "describe", "fingerprint"}


class Guard:
    """`obj` as the search gets it, failing the test when one of `banned` is read."""

    __test__ = False

    def __init__(self, obj, banned):
        self._obj, self._banned = obj, banned

    def __getattr__(self, name):
        if name in self._banned:
            raise AssertionError(f"the search read the test split ({name})")
        return getattr(self._obj, name)


def guarded(data):
    """TableData whose table's test rows cannot be read."""
    import copy

    out = copy.copy(data)
    out.table = Guard(data.table, TABLE_TEST)
    return Guard(out, DATA_TEST)


def plan(**kw) -> SynthesizeConfig:
    small = {"latent_dim": "32", "width": "32", "width_g": "64", "width_d": "64"}
    options = {"data": "wine", "steps": 8, "batch_size": 60, "search": 2, "overrides": small, "seeds": 1}
    return SynthesizeConfig(**{**options, **kw})


@pytest.fixture(scope="module")
def wine():
    return plan().load()


def test_the_validation_rows_are_a_stratified_share_of_the_training_rows(wine):
    split = validation_split(guarded(wine), 0.1, seed=3)
    train = wine.table.train
    n_val = math.ceil(0.1 * len(train))
    # scikit-learn's stratified split of the training rows, computed here on its own
    labels = pd.factorize(train["target"].astype(object))[0]
    _, expected = train_test_split(np.arange(len(train)), test_size=n_val, random_state=3, stratify=labels)
    assert sorted(split.table.test.index) == sorted(train.index[expected])
    assert len(split.table.train) + len(split.table.test) == len(train)
    assert set(split.table.test.index).isdisjoint(wine.table.test.index)  # never a test row
    assert set(split.table.train.index).isdisjoint(split.table.test.index)
    # the trials' transformer knows only the rows they train on
    assert split.x_train.shape[0] == len(split.table.train)
    assert validation_split(wine, 0.1, seed=3).table.test.index.equals(split.table.test.index)


def test_the_search_never_reads_the_test_rows_and_its_objective_is_the_validation_quality(wine, tmp_path):
    from ganvae.metrics.tabular import quality
    from ganvae.models.base import build_model
    from ganvae.training import Trainer

    p = plan()
    record = search_models(p, guarded(wine), None, tmp_path, progress=False)
    assert record["direction"] == "maximize" and record["metric"] == "quality" and record["pruning"]
    assert record["validation"]["n_val"] == math.ceil(0.1 * len(wine.table.train))
    for rec in record["models"].values():
        assert rec["counts"]["complete"] + rec["counts"]["pruned"] == 2
        assert rec["trials"][0]["defaults"] and all(t["steps"] == 8 for t in rec["trials"])
        values = [t["value"] for t in rec["trials"] if t["state"] == "complete"]
        assert rec["best"]["value"] == max(values)  # maximised
    # tabular-vae's `categorical` is sampling-only: tried on each trial's trained networks
    vae = record["models"]["tabular-vae"]
    assert all("categorical" not in t["params"] for t in vae["trials"])
    assert vae["best"]["params"]["categorical"] in ("sample", "argmax")

    # independently: retrain the best tabular-gan trial (its seed, its configuration) on the training rows
    # minus the validation rows, draw rows on the scoring noise, and score them against the validation rows
    split = validation_split(wine, 0.1, seed=0)
    assert sorted(record["validation"]["rows"]) == sorted(split.table.test.index)
    for name, rec in record["models"].items():
        best = rec["best"]
        trial = rec["trials"][best["number"]]
        torch.manual_seed(trial["seed"])
        model = build_model(
            name, split.shape, 0, {**p.overrides_for(name), **best["params"]}, None, split.context
        )
        Trainer(p.train_config(trial["seed"]), None, progress=False).fit(model, split)
        rows = model.sample(len(split.table.train), generator=torch.Generator().manual_seed(SAMPLE_SEED))
        again = quality(split.table.test, rows, split.table.kinds)["score"]
        assert best["value"] == pytest.approx(again, abs=1e-9), name


def test_the_expected_best_of_a_maximised_objective_is_the_mean_maximum_over_every_subset():
    import itertools

    from ganvae.report.sections.search import budget_curve

    values = [0.61, None, 0.74, 0.66, 0.74]  # a diverged trial (None) and a tie
    curve = budget_curve(values, "maximize")
    for k in range(1, len(values) + 1):
        subsets = list(itertools.combinations([-math.inf if v is None else v for v in values], k))
        expected = sum(max(s) for s in subsets) / len(subsets)
        assert curve[k - 1] == pytest.approx(expected) or curve[k - 1] == expected == -math.inf
    assert curve[-1] == 0.74
