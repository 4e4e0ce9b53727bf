"""The popularity baseline: recommend the items most training users interacted with, to everyone.

It is the floor every recommender must clear (Cremonesi, Koren & Turrin 2010, "Performance of
recommender algorithms on top-N recommendation tasks", RecSys, found it surprisingly hard to beat on
accuracy; it scores worst on coverage and novelty by construction). It has no parameters and no training
step: `fit_counts` reads the training matrix once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganvae.models.base import GenerativeModel


@dataclass
class PopularityConfig:
    latent_dim: int = 1  # unused; generic code reads latent_dim

    def validate(self) -> None:
        pass


class Popularity(GenerativeModel):
    """Item scores = how many training users have the item.

    >>> m = Popularity(PopularityConfig(), (3,)).fit_counts(torch.tensor([[1.0, 0, 1], [0, 0, 1]]))
    >>> m.rank(torch.zeros(1, 3))
    tensor([[1., 0., 2.]])
    """

    capabilities = frozenset({"recommend"})
    config_class = PopularityConfig
    family = "baseline"
    data_kind = "interactions"
    needs_training = False  # the task calls `fit_counts` instead of the training loop

    def __init__(self, config: PopularityConfig, shape: tuple[int, ...], num_classes: int = 0):
        super().__init__(config, shape, 0)
        self.register_buffer("counts", torch.zeros(self.shape[0]))

    @property
    def device(self) -> torch.device:
        return self.counts.device  # no parameters to ask

    def fit_counts(self, x_train: torch.Tensor) -> Popularity:
        self.counts.copy_(x_train.gt(0).sum(0).float())
        return self

    @torch.no_grad()
    def rank(self, x: torch.Tensor) -> torch.Tensor:
        return self.counts.expand(len(x), -1).clone()
