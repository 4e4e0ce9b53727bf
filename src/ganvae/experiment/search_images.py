"""The image search's target (`experiment.search`): trials train on the training split minus a stratified,
seeded 10 % of it and are scored by **validation FD** (domain features, at the FD curve's sample size),
minimised. The domain classifier is the comparison's own, fitted on the training split (its test accuracy
is a figure of the report, not an input here). Pruning reads the same FD curve, measured about ten times
per run; an FD that rises far above its own best marks the trial diverged (`metrics.stability.blew_up`).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ganvae import metrics as M
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError
from ganvae.experiment.search import SAMPLE_SEED, SearchOptions, fingerprint
from ganvae.metrics import stability


def validation_split(data: ImageData, share: float, seed: int) -> ImageData:
    """The data a search (and a comparison choosing checkpoints) trains on: its training split minus a
    stratified, seeded `share` of it, which becomes the "test" split of the returned data. The test split
    of `data` is not read."""
    from ganvae.data.split import split_indices

    train, val = (torch.as_tensor(i) for i in split_indices(len(data.x_train), data.y_train, share, seed))
    y = data.y_train
    return ImageData(
        f"{data.name} (training split less validation)",
        data.x_train[train],
        data.x_train[val],
        y[train] if y is not None else None,
        y[val] if y is not None else None,
        class_names=data.class_names,
        source=data.source,
        meta={"split": f"validation: {share:g} of the training split, seed {seed}"},
    )


class ValidationFD:
    """FD (domain features) of a model's samples against up to `n_ref` validation images."""

    def __init__(self, x_val: torch.Tensor, classifier: Any, n_ref: int, n_samples: int, seed: int = 0):
        pick = torch.randperm(len(x_val), generator=torch.Generator().manual_seed(seed))[:n_ref]
        self.classifier, self.n, self.n_ref = classifier, n_samples, len(pick)
        self.mu, self.sigma = M.gaussian_stats(classifier.features(x_val[pick]))

    def __call__(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        labels = torch.arange(self.n) % model.num_classes if model.num_classes else None
        g = torch.Generator().manual_seed(seed)
        samples = model.sample(self.n, labels=labels, generator=g).cpu()
        mu, sigma = M.gaussian_stats(self.classifier.features(samples))
        value = M.frechet_from_stats(mu, sigma, self.mu, self.sigma)
        return value if math.isfinite(value) else math.inf


class ImageTarget:
    """Validation FD, minimised, pruned on the in-training FD curve."""

    metric = "FD"
    direction = "minimize"
    curve = True

    def __init__(self, plan: Any, data: ImageData, opts: SearchOptions, *, classifier: Any = None):
        if classifier is None:
            raise ConfigError(
                "an image search scores FD in domain features: give the comparison's classifier"
            )
        self.train = validation_split(data, opts.validation_share, opts.seed)
        self.fd = ValidationFD(
            self.train.x_test,
            classifier,
            min(len(self.train.x_test), plan.eval.n_samples),
            plan.eval.curve_samples,
        )
        self.objective = (
            f"FD ({classifier.feature_name}) of {self.fd.n} samples against {self.fd.n_ref} validation images"
        )
        net = getattr(classifier, "net_", None)  # the feature space every worker must share
        self.features = (
            fingerprint(*net.state_dict().values()) if net is not None else classifier.feature_name
        )
        self._train_split = fingerprint(data.x_train, data.y_train)
        labels = "by class, " if data.y_train is not None else ""
        self._how = f"{opts.validation_share:g} of the training split, stratified {labels}seed {opts.seed}"

    def score(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        return self.fd(model, seed)

    def diverged(self, curve: list[tuple[float, int, float]]) -> str | None:
        return stability.blew_up(curve)

    def selects(self, plan: Any) -> bool:
        # the training split before the validation split was carved from it decides, as for the seeds
        return plan.selects(len(self.train.x_train) + len(self.train.x_test))

    def payload(self) -> dict[str, Any]:
        # the keys studies were named with before other kinds were searched: old studies are found again
        return {
            "train_split": self._train_split,
            "curve_samples": self.fd.n,
            "validation_images": self.fd.n_ref,
        }

    def facts(self) -> dict[str, Any]:
        return {
            "n_train": len(self.train.x_train),
            "n_val": len(self.train.x_test),
            "n_reference": self.fd.n_ref,
            "unit": "images",
            "how": self._how,
        }
