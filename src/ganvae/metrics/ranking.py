"""Top-k ranking metrics for recommendation from implicit feedback.

Recall@k and NDCG@k follow Liang et al. 2018 ("Variational Autoencoders for Collaborative Filtering"):
recall is normalised by min(k, |held-out|), so a user with fewer held-out items than k can still reach 1,
and NDCG uses binary relevance with the ideal DCG over min(k, |held-out|) items. RecBole's Recall@k is
uncapped, hits / |held-out| (a user with more held-out items than k cannot reach 1): `capped=False`.
RecBole's NDCG@k is the same as Liang's. Item coverage is the
share of the catalogue that appears in anyone's top-k list; novelty is the mean self-information
-log2 p(i) of the recommended items, p(i) being the share of training users who interacted with item i
(Zhou et al. 2010, "Solving the apparent diversity-accuracy dilemma of recommender systems").

Every function takes a score matrix (users x items) and the users' matrix of known items: items known
to the model are never ranked (their scores are set to -inf). That is the fold-in matrix, or for
RecBole's split `InteractionData.known` (training and validation items, as RecBole's full-sort
evaluation masks them).

>>> import torch
>>> scores = torch.tensor([[0.9, 0.8, 0.1, 0.0]])
>>> recall_at_k(scores, torch.tensor([[1.0, 0, 0, 0]]), torch.tensor([[0, 0, 1.0, 0]]), 1)
tensor([0.], dtype=torch.float64)
"""

from __future__ import annotations

import math

import torch

from ganvae.errors import DataError
from ganvae.metrics.meta import declare

declare("recall@20", "Recall@20", better="higher", bounds=(0.0, 1.0))
declare("recall@50", "Recall@50", better="higher", bounds=(0.0, 1.0))
declare("ndcg@100", "NDCG@100", better="higher", bounds=(0.0, 1.0))
# shares of the catalogue reached and how rare the recommended items are: descriptive, not better either way
declare("coverage@10", "coverage@10", bounds=(0.0, 1.0))
declare("novelty@10", "novelty@10 (bits)", unit="bits", bounds=(0.0, None))
# What `ranking_report` gives with its defaults, in the order the recommendation report shows them
RANKING_FIGURES = ("recall@20", "recall@50", "ndcg@100", "coverage@10", "novelty@10")


def _check(scores: torch.Tensor, foldin: torch.Tensor, heldout: torch.Tensor | None, k: int) -> None:
    if scores.ndim != 2 or scores.shape != foldin.shape:
        raise DataError(
            f"scores {tuple(scores.shape)} and fold-in {tuple(foldin.shape)} must be users x items"
        )
    if heldout is not None and heldout.shape != scores.shape:
        raise DataError(f"held-out {tuple(heldout.shape)} must match scores {tuple(scores.shape)}")
    if not 1 <= k <= scores.shape[1]:
        raise DataError(f"k={k} must lie in 1..{scores.shape[1]} (the number of items)")


def top_k(scores: torch.Tensor, foldin: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (users x k) of each user's k best-scored items, fold-in items excluded."""
    _check(scores, foldin, None, k)
    masked = scores.double().masked_fill(foldin > 0, -math.inf)
    return masked.topk(k, dim=1).indices


def recall_at_k(
    scores: torch.Tensor, foldin: torch.Tensor, heldout: torch.Tensor, k: int, *, capped: bool = True
) -> torch.Tensor:
    """Per user: held-out items in the top k / min(k, |held-out|) (Liang et al. 2018, eq. 8), or with
    `capped=False` / |held-out| (RecBole's Recall@k)."""
    _check(scores, foldin, heldout, k)
    hits = heldout.gather(1, top_k(scores, foldin, k)).gt(0).sum(1).double()
    n = heldout.gt(0).sum(1)
    if capped:
        n = n.clamp(max=k)
    return hits / n.double().clamp(min=1)


def ndcg_at_k(scores: torch.Tensor, foldin: torch.Tensor, heldout: torch.Tensor, k: int) -> torch.Tensor:
    """Per user: DCG@k of binary relevance over the ideal DCG@k (held-out items ranked first)."""
    _check(scores, foldin, heldout, k)
    discount = 1.0 / torch.log2(torch.arange(2, k + 2, dtype=torch.float64))
    rel = heldout.gather(1, top_k(scores, foldin, k)).gt(0).double()
    dcg = (rel * discount).sum(1)
    n = heldout.gt(0).sum(1).clamp(max=k)
    idcg = torch.cumsum(discount, 0)[(n - 1).clamp(min=0)]
    return torch.where(n > 0, dcg / idcg, torch.zeros_like(dcg))


def item_coverage(scores: torch.Tensor, foldin: torch.Tensor, k: int) -> float:
    """Share of all items that appear in at least one user's top-k list."""
    return float(top_k(scores, foldin, k).unique().numel() / scores.shape[1])


def novelty(scores: torch.Tensor, foldin: torch.Tensor, train: torch.Tensor, k: int) -> float:
    """Mean self-information -log2 p(i) (bits) of the recommended items; p(i) = share of training users
    with item i, add-one smoothed so an item no training user saw has finite novelty."""
    if train.ndim != 2 or train.shape[1] != scores.shape[1]:
        raise DataError("the training matrix must have one column per item, like the scores")
    p = (train.gt(0).sum(0).double() + 1) / (train.shape[0] + 1)
    return float((-torch.log2(p))[top_k(scores, foldin, k)].mean())


def ranking_report(
    scores: torch.Tensor,
    foldin: torch.Tensor,
    heldout: torch.Tensor,
    train: torch.Tensor,
    *,
    ks: tuple[int, ...] = (20, 50),
    ndcg_k: int = 100,
    list_k: int = 10,
    capped_recall: bool = True,
) -> dict[str, float]:
    """Recall@ks, NDCG@ndcg_k (means over users), coverage and novelty of the top-`list_k` lists.
    `capped_recall=False`: RecBole's recall (hits / |held-out|) instead of Liang et al.'s."""
    out = {
        f"recall@{k}": float(recall_at_k(scores, foldin, heldout, k, capped=capped_recall).mean()) for k in ks
    }
    out[f"ndcg@{ndcg_k}"] = float(ndcg_at_k(scores, foldin, heldout, ndcg_k).mean())
    out[f"coverage@{list_k}"] = item_coverage(scores, foldin, list_k)
    out[f"novelty@{list_k}"] = novelty(scores, foldin, train, list_k)
    return out
