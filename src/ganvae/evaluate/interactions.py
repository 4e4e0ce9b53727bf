"""The interactions evaluator: a recommender's ranking figures on the held-out users' (or items') test items.

Every item the user already has (fold-in items; on RecBole's split also validation items) is excluded
from the ranking; Recall@k, NDCG@100, coverage and novelty are `ganvae.metrics.ranking`'s.
"""

from __future__ import annotations

import torch

from ganvae.metrics.ranking import ranking_report


def scores_in_batches(model, x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    return torch.cat([model.rank(x[i : i + batch]).float().cpu() for i in range(0, len(x), batch)])


def ranking(data, model) -> dict[str, float]:
    """Ranking figures of a model's scores for the held-out users; their known items (fold-in, and on the
    RecBole split validation items) are never ranked. RecBole's Recall@k is hits / test items, uncapped."""
    scores = scores_in_batches(model, data.foldin)
    return ranking_report(
        scores, data.known, data.heldout, data.x_train, capped_recall=data.split != "recbole"
    )
