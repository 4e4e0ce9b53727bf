"""The recommender search on a small ratings file with real structure (four groups of users, each liking
its own block of items): the validation users are a seeded share of the training users, split 80/20 like
the test users; the search never reads the test users' rows (nor, on RecBole's split, the test items);
and the best trial's objective is the NDCG@100 that an independent retraining of its configuration gets,
computed here from its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganvae.experiment.search import search_models
from ganvae.experiment.search_interactions import validation_split
from ganvae.tasks.recommend import RecommendConfig

# what reaches the test users' rows or the test items
TEST_SPLIT = {"foldin", "heldout", "excluded", "known", "x_test", "fingerprint", "describe", "test_users"}


class Guard:
    __test__ = False

    def __init__(self, obj, banned):
        self._obj, self._banned = obj, banned

    def __getattr__(self, name):
        if name in self._banned:
            raise AssertionError(f"the search read the test split ({name})")
        return getattr(self._obj, name)


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    """u.data: 160 users in 4 groups, 140 items in 4 blocks; a user rates 5 half of their block's items and
    a few others, and 1-3 some more (below the threshold)."""
    rng = np.random.default_rng(0)
    lines = []
    for u in range(160):
        block = u % 4
        for i in range(140):
            mine = i // 35 == block
            if rng.random() < (0.5 if mine else 0.03):
                lines.append(f"{u + 1}\t{i + 1}\t5\t0")
            elif rng.random() < 0.05:
                lines.append(f"{u + 1}\t{i + 1}\t{rng.integers(1, 4)}\t0")
    path = tmp_path_factory.mktemp("ratings") / "u.data"
    path.write_text("\n".join(lines) + "\n")
    return path


def plan(ratings, **kw) -> RecommendConfig:
    small = {"hidden": "32", "latent_dim": "16", "width_g": "200"}
    options = {
        "data": str(ratings),
        "models": ("mult-vae", "cfgan", "popularity"),
        "steps": 6,
        "batch_size": 32,
        "search": 2,
        "overrides": small,
        "seeds": 1,
    }
    return RecommendConfig(**{**options, **kw})


def ndcg100(scores: np.ndarray, foldin: np.ndarray, heldout: np.ndarray) -> float:
    """Mean NDCG@100 from its definition: binary relevance, fold-in items never ranked."""
    out = []
    for s, f, h in zip(scores, foldin, heldout, strict=True):
        s = np.where(f > 0, -np.inf, s)
        top = np.argsort(-s, kind="stable")[:100]
        dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(top) if h[i] > 0)
        idcg = sum(1 / math.log2(r + 2) for r in range(min(100, int((h > 0).sum()))))
        out.append(dcg / idcg)
    return float(np.mean(out))


def test_validation_users_are_a_seeded_share_of_the_training_users(ratings):
    data = plan(ratings).load()
    view = validation_split(Guard(data, TEST_SPLIT), 0.1, seed=0)
    n = len(data.train_users)
    expected = np.random.default_rng(0).permutation(n)[: math.ceil(0.1 * n)]  # split_indices, unlabelled
    assert sorted(view.test_users) == sorted(data.train_users[i] for i in expected)
    assert not set(view.test_users) & set(data.test_users)
    assert not set(view.test_users) & set(view.train_users)
    rows = data.x_train[torch.as_tensor(np.sort(expected))]
    assert torch.equal(view.foldin + view.heldout, rows)  # each one's items, split in two
    assert (view.heldout.sum(1) >= 1).all() and (view.foldin.sum(1) >= 1).all()
    assert len(view.x_train) == n - len(expected)


def test_on_recbole_s_split_the_validation_items_are_ranked_never_the_test_items(ratings):
    data = plan(ratings, split="recbole").load()
    allowed = TEST_SPLIT - {"test_users"}  # every user is a test user there: their ids say nothing
    view = validation_split(Guard(data, allowed), 0.1, seed=0)
    has = data.val_heldout.sum(1) > 0
    assert torch.equal(view.heldout, data.val_heldout[has]) and torch.equal(view.x_train, data.x_train)
    assert not (view.heldout * data.heldout[has]).any()  # no test item is a validation target
    assert torch.equal(view.known, data.val_foldin[has])  # only the training items are masked


def test_the_search_never_reads_the_test_users_and_its_objective_is_validation_ndcg(ratings, tmp_path):
    from ganvae.models.base import build_model
    from ganvae.training import Trainer

    p = plan(ratings)
    data = p.load()
    record = search_models(p, Guard(data, TEST_SPLIT), None, tmp_path, progress=False)
    assert set(record["models"]) == {"mult-vae", "cfgan"}  # popularity is counted, not tuned
    assert record["direction"] == "maximize" and record["metric"] == "NDCG@100"
    view = validation_split(data, 0.1, seed=0)
    assert record["validation"]["users"] == view.test_users
    for name, rec in record["models"].items():
        assert rec["counts"]["complete"] + rec["counts"]["pruned"] == 2
        best = rec["best"]
        trial = rec["trials"][best["number"]]
        assert [c[1] for c in trial["curve"]] == [1, 2, 3, 4, 5, 6]  # measured during training: prunable
        torch.manual_seed(trial["seed"])
        model = build_model(name, view.shape, 0, {**p.overrides_for(name), **best["params"]})
        Trainer(p.train_config(trial["seed"]), None, progress=False).fit(model, view)
        scores = model.rank(view.foldin).float().numpy()
        again = ndcg100(scores, view.foldin.numpy(), view.heldout.numpy())
        assert best["value"] == pytest.approx(again, abs=1e-6), name
        assert 0.0 < best["value"] <= 1.0


def test_a_recommend_plan_refuses_search_options_that_make_no_sense(ratings):
    from ganvae.errors import ConfigError

    with pytest.raises(ConfigError, match="--storage keeps a search"):
        plan(ratings, search=0, storage="sqlite:///x.db").validate()
    with pytest.raises(ConfigError, match="fixes every searched field"):
        fixed = {k: "0.1" for k in ("lr", "dropout", "beta_cap", "weight_decay")}
        plan(
            ratings, models=("mult-vae",), overrides={**fixed, "latent_dim": "100", "hidden": "0"}
        ).validate()
    plan(ratings).validate()  # popularity has no space, and is not searched: no refusal
