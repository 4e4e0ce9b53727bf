"""The recommendation search's target (`experiment.search`): **validation NDCG@100**, maximised, measured
exactly as the test figure is (`evaluate.interactions.ranking`) but on validation users or items:

- strong generalisation (Liang et al. 2018): a seeded 10 % of the *training* users is held out; each is
  split 80/20 into fold-in and held-out items as the test users are, and the trials train on the other
  training users. Liang et al. choose their hyperparameters the same way, on held-out validation users.
- RecBole's split: every user's interactions are already cut 80/10/10, and RecBole validates on the
  10 % validation items: the trials train on every user's training items (as the seeds do) and rank each
  user's validation items among all items but their training items — RecBole's own validation.

The test users' rows (strong) or the test items (RecBole) are never read. Ranking a few hundred users
costs milliseconds, so the loop measures NDCG@100 about ten times per run and trials are pruned on it.
"""

from __future__ import annotations

from typing import Any

import torch

from ganvae.data.interactions import InteractionData, foldin_split
from ganvae.experiment.search import SAMPLE_SEED, SearchOptions, fingerprint

FOLDIN_SHARE = 0.8  # of each validation user's items, as for the test users (Liang et al.)
NDCG = "ndcg@100"


def validation_split(data: InteractionData, share: float, seed: int) -> InteractionData:
    """What a recommender search trains on (`x_train`) and ranks (`foldin` given, `heldout` ranked): the
    data's own validation items when it has them (RecBole's split), else a seeded `share` of the training
    users held out, each user's items split 80/20. The test rows and items of `data` are not read."""
    if data.val_heldout is not None:  # the split's own validation part (RecBole: each user's 10 %)
        has = data.val_heldout.sum(1) > 0
        users = [u for u, k in zip(data.test_users, has.tolist(), strict=True) if k]
        how = (
            "each user's validation items (RecBole's split), ranked among all items but their training items"
        )
        return _view(
            data, data.x_train, data.train_users, data.val_foldin[has], data.val_heldout[has], users, how
        )
    from ganvae.data.split import split_indices

    fit, val = (torch.as_tensor(i) for i in split_indices(len(data.x_train), None, share, seed))
    fit, val = fit.sort().values, val.sort().values
    foldin, heldout = foldin_split(data.x_train[val], FOLDIN_SHARE, seed)
    how = (
        f"{share:g} of the training users (seed {seed}), {FOLDIN_SHARE:.0%} of each one's items folded in "
        "and the rest ranked"
    )
    return _view(
        data,
        data.x_train[fit],
        [data.train_users[i] for i in fit.tolist()],
        foldin,
        heldout,
        [data.train_users[i] for i in val.tolist()],
        how,
    )


def _view(data, x_train, train_users, foldin, heldout, val_users, how: str) -> InteractionData:
    return InteractionData(
        f"{data.name} (search)",
        x_train,
        foldin,
        heldout,
        data.item_ids,
        train_users,
        val_users,
        source=data.source,
        notes=[how],
        split=data.split,
    )


class InteractionTarget:
    """Validation NDCG@100, maximised, pruned on the same figure measured during training."""

    metric = "NDCG@100"
    direction = "maximize"
    curve = True
    features = None

    def __init__(self, plan: Any, data: InteractionData, opts: SearchOptions, *, classifier: Any = None):
        self.train = validation_split(data, opts.validation_share, opts.seed)
        v = self.train
        self.objective = f"NDCG@100 on {len(v.test_users)} validation users: {v.notes[0]}"
        self._data = fingerprint(v.x_train, v.foldin, v.heldout)

    def score(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        from ganvae.evaluate.interactions import ranking

        return float(ranking(self.train, model)[NDCG])  # recommenders do not sample: `seed` is unused

    def diverged(self, curve: list[tuple[float, int, float]]) -> str | None:
        return None  # a NaN loss stops a trial as diverged; NDCG itself is bounded

    def selects(self, plan: Any) -> bool:
        return False  # the seeds keep their last weights: so does a trial

    def payload(self) -> dict[str, Any]:
        return {"objective": self.objective, "train_split": self._data, "split": self.train.split}

    def facts(self) -> dict[str, Any]:
        v = self.train
        return {
            "n_train": len(v.x_train),
            "n_val": len(v.test_users),
            "unit": "users",
            "how": v.notes[0],
            "users": list(v.test_users),
        }
