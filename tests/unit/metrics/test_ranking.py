"""Ranking metrics against independent references: NDCG@k against scikit-learn's `ndcg_score`, recall,
coverage and novelty against hand-computed cases; fold-in items are never ranked."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import ndcg_score

from ganvae.errors import DataError
from ganvae.metrics.ranking import item_coverage, ndcg_at_k, novelty, ranking_report, recall_at_k, top_k


def _random_case(seed, users=12, items=40):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(users, items, generator=g)
    rel = (torch.rand(users, items, generator=g) < 0.15).float()
    rel[rel.sum(1) == 0, 0] = 1.0  # sklearn and Liang agree only for users with something to find
    return scores, rel


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 5, 20, 40])
def test_ndcg_matches_sklearn_without_foldin(seed, k):
    scores, rel = _random_case(seed)
    ours = ndcg_at_k(scores, torch.zeros_like(rel), rel, k).numpy()
    ref = [ndcg_score(rel[u : u + 1].numpy(), scores[u : u + 1].numpy(), k=k) for u in range(len(rel))]
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_ndcg_with_foldin_equals_sklearn_on_the_remaining_items(seed):
    scores, rel = _random_case(seed + 10)
    g = torch.Generator().manual_seed(seed)
    foldin = ((torch.rand(rel.shape, generator=g) < 0.2) & (rel == 0)).float()
    ours = ndcg_at_k(scores, foldin, rel, 10).numpy()
    for u in range(len(rel)):
        keep = foldin[u] == 0  # sklearn sees only the items that are ranked
        ref = ndcg_score(rel[u, keep][None].numpy(), scores[u, keep][None].numpy(), k=10)
        assert ours[u] == pytest.approx(ref, rel=1e-10)


def test_ndcg_hand_computed():
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.6]])
    held = torch.tensor([[0.0, 1.0, 0.0, 1.0]])
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert float(ndcg_at_k(scores, torch.zeros_like(held), held, 4)) == pytest.approx(expected)
    # the same ranking with item 0 folded in moves both hits up one place
    fold = torch.tensor([[1.0, 0, 0, 0]])
    assert float(ndcg_at_k(scores, fold, held, 3)) == pytest.approx(
        (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    )


def test_recall_uses_liangs_normalisation():
    scores = torch.tensor([[5.0, 4, 3, 2, 1, 0], [5.0, 4, 3, 2, 1, 0]])
    foldin = torch.tensor([[1.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    held = torch.tensor([[0.0, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1]])
    # user 0: item 0 is folded in, so the top 2 are items 1, 2: one hit of min(2, 4) = 2 possible
    # user 1: the only held-out item is last: no hit in the top 2, one possible
    torch.testing.assert_close(
        recall_at_k(scores, foldin, held, 2), torch.tensor([0.5, 0.0], dtype=torch.float64)
    )
    # k = 3: user 0's top 3 are items 1, 2, 3 (two hits of min(3, 4) = 3); user 1's item is still 6th
    torch.testing.assert_close(
        recall_at_k(scores, foldin, held, 3), torch.tensor([2 / 3, 0.0], dtype=torch.float64)
    )
    # k = 5: user 0 ranks items 1..5 and finds all 4 held-out items: 4 / min(5, 4) = 1
    assert float(recall_at_k(scores[:1], foldin[:1], held[:1], 5)) == 1.0
    # a user with fewer held-out items than k can still reach 1
    assert float(recall_at_k(scores[1:], foldin[1:], held[1:], 6)) == 1.0


def test_foldin_items_are_never_recommended():
    scores = torch.tensor([[9.0, 8, 1, 0]])
    fold = torch.tensor([[1.0, 1, 0, 0]])
    assert top_k(scores, fold, 2).tolist() == [[2, 3]]


def test_coverage_and_novelty_hand_computed():
    scores = torch.tensor([[3.0, 2, 1, 0], [3.0, 0, 2, 1]])
    none = torch.zeros(2, 4)
    assert item_coverage(scores, none, 1) == 0.25  # everyone gets item 0
    assert item_coverage(scores, none, 2) == 0.75  # items 0, 1, 2
    train = torch.tensor([[1.0, 1, 0, 0], [1.0, 0, 0, 0], [1.0, 0, 0, 0]])
    p0, p1, p2 = 4 / 4, 2 / 4, 1 / 4  # add-one smoothed shares of 3 training users
    expected = (-math.log2(p0) * 2 - math.log2(p1) - math.log2(p2)) / 4
    assert novelty(scores, none, train, 2) == pytest.approx(expected)


def test_report_and_bad_shapes():
    scores, rel = _random_case(0, items=120)
    r = ranking_report(scores, torch.zeros_like(rel), rel, rel)
    assert set(r) == {"recall@20", "recall@50", "ndcg@100", "coverage@10", "novelty@10"}
    assert all(0 <= v <= 1 for k, v in r.items() if not k.startswith("novelty"))
    with pytest.raises(DataError, match="k=200 must lie in 1..120"):
        ndcg_at_k(scores, torch.zeros_like(rel), rel, 200)
    with pytest.raises(DataError, match="users x items"):
        recall_at_k(scores, torch.zeros(3, 3), rel, 5)


def test_uncapped_recall_is_recboles():
    scores = torch.tensor([[5.0, 4, 3, 2, 1, 0]])
    none = torch.zeros(1, 6)
    held = torch.tensor([[1.0, 1, 0, 1, 1, 1]])  # 5 test items
    # top 2 = items 0, 1: two hits; Liang: 2 / min(2, 5) = 1, RecBole: 2 / 5
    assert float(recall_at_k(scores, none, held, 2)) == 1.0
    assert float(recall_at_k(scores, none, held, 2, capped=False)) == pytest.approx(0.4)
    # top 4 = items 0..3: three hits; 3 / 4 against 3 / 5
    assert float(recall_at_k(scores, none, held, 4)) == pytest.approx(0.75)
    assert float(recall_at_k(scores, none, held, 4, capped=False)) == pytest.approx(0.6)
    # with k >= |held-out| both agree
    assert float(recall_at_k(scores, none, held, 6, capped=False)) == 1.0
    r = ranking_report(scores, none, held, held, ks=(2,), ndcg_k=2, list_k=1, capped_recall=False)
    assert r["recall@2"] == pytest.approx(0.4)


def test_excluded_items_are_masked_like_recboles_full_sort():
    # one user: item 0 trained on (fold-in), item 1 a validation item, item 2 the test item
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.1]])
    foldin = torch.tensor([[1.0, 0, 0, 0]])
    valid = torch.tensor([[0.0, 1, 0, 0]])
    held = torch.tensor([[0.0, 0, 1, 0]])
    # fold-in masked only: the validation item takes the top place, the test item is 2nd
    assert float(ndcg_at_k(scores, foldin, held, 1)) == 0.0
    assert float(ndcg_at_k(scores, foldin, held, 2)) == pytest.approx(1 / math.log2(3))
    # training and validation items masked: the test item is first
    known = foldin + valid
    assert top_k(scores, known, 1).tolist() == [[2]]
    assert float(ndcg_at_k(scores, known, held, 1)) == 1.0
    assert float(recall_at_k(scores, known, held, 1, capped=False)) == 1.0
