"""The page's latent map and its test images: the codes of a fixed set of test images in one model,
projected to 2-D by PCA (scikit-learn), with the top principal directions the page's sliders move a code
along.

The test images are those of the data the model's `config.json` names (`data.spec`, as `compare`, `train`
and the tasks write it), never a path a request gives: a seeded draw of at most `Limits.map_images` of the
test split, the same for every model trained on that data, so that a point (one test image) can be decoded
in every model. A VAE's codes are its encoder's means; a GAN's come from latent inversion (its
`inversion_steps`, capped by `Limits.max_inversion_steps`), so they are approximate and take seconds. Both
the images and each model's map are computed once, on the worker thread, and kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ganvae.serve.limits import Limits, RequestError

DIRECTIONS = 3  # principal directions a code can be moved along (the page's sliders)
MAP_SEED = 0  # the draw of test images: fixed, so every model and every restart shows the same points


@dataclass
class TestImages:
    """The drawn test images of one dataset: x (N x C x H x W in [0, 1]), labels or None, and where each
    lies in the test split."""

    key: str
    x: torch.Tensor
    y: torch.Tensor | None
    class_names: list[str] | None
    test_index: list[int]
    note: str | None = None

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class LatentMap:
    """One model's codes of the test images and their PCA: `points` (N x 2), `directions` (k x D, unit
    rows) and `scales` (k: the codes' standard deviation along each)."""

    codes: torch.Tensor
    points: np.ndarray
    directions: torch.Tensor
    scales: torch.Tensor
    explained: list[float]
    seconds: float

    def moved(self, index: int, offsets: list[float]) -> torch.Tensor:
        """Code `index` moved by offsets[j] standard deviations along direction j (1 x D)."""
        z = self.codes[index].clone()
        for j, a in enumerate(offsets):
            z += float(a) * self.scales[j] * self.directions[j]
        return z.unsqueeze(0)


@dataclass
class Explorer:
    """The test images of each dataset and the latent map of each model, computed when first asked for.
    Its methods run on the worker thread only, so the caches need no lock."""

    limits: Limits
    images: dict[str, TestImages] = field(default_factory=dict)
    maps: dict[str, LatentMap] = field(default_factory=dict)

    def test_images(self, served: Any) -> TestImages:
        key = served.data_key
        if key is None:
            raise RequestError(
                422,
                f"{served.name}'s config.json does not name the data it was trained on; test images "
                "come from runs written by `ganvae compare`, `train` or a task (upload images instead)",
            )
        if key not in self.images:
            self.images[key] = self._load(served, key)
        images = self.images[key]
        if tuple(images.x.shape[1:]) != tuple(served.model.shape):
            raise RequestError(
                422,
                f"{served.name} models {tuple(served.model.shape)} images, the test images of {key} are "
                f"{tuple(images.x.shape[1:])}",
            )
        return images

    def _load(self, served: Any, key: str) -> TestImages:
        from ganvae.data import load_images

        data_meta = served.data
        data = load_images(data_meta["spec"], image_size=data_meta.get("image_size"))
        g = torch.Generator().manual_seed(MAP_SEED)
        order = torch.randperm(len(data.x_test), generator=g)[: self.limits.map_images]
        y = data.y_test[order] if data.y_test is not None else None
        trained_on = data_meta.get("fingerprint")
        note = None
        if trained_on and trained_on != data.fingerprint():
            note = f"{key} differs from the data the model was trained on (a task's subset, or changed files)"
        return TestImages(key, data.x_test[order], y, data.class_names, order.tolist(), note)

    def latent_map(self, served: Any, steps: int | None) -> LatentMap:
        """The map of `served` (computed on first call: encode every test image, then PCA)."""
        if served.name not in self.maps:
            self.maps[served.name] = self._map(served, steps)
        return self.maps[served.name]

    def _map(self, served: Any, steps: int | None) -> LatentMap:
        from sklearn.decomposition import PCA

        from ganvae.serve.worker import timed

        images = self.test_images(served)
        model = served.model
        if model.num_classes and images.y is None:
            raise RequestError(422, f"{served.name} is class-conditional and {images.key} has no labels")
        labels = images.y if model.num_classes else None
        codes, seconds = timed(served, steps, model.encode, images.x, labels)
        codes = codes.float().cpu()
        k = min(DIRECTIONS, codes.shape[1], len(codes) - 1)
        if k < 1:
            raise RequestError(422, f"{images.key} has too few test images for a map")
        pca = PCA(n_components=k).fit(codes.double().numpy())
        points = pca.transform(codes.double().numpy())
        if k == 1:  # a one-dimensional code: the map is a line
            points = np.column_stack([points, np.zeros(len(points))])
        return LatentMap(
            codes=codes,
            points=points[:, :2],
            directions=torch.from_numpy(pca.components_).float(),
            scales=torch.from_numpy(np.sqrt(pca.explained_variance_)).float(),
            explained=pca.explained_variance_ratio_.tolist(),
            seconds=seconds,
        )
