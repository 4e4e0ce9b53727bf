"""Mode-specific normalisation of one continuous column (Xu et al., 2019, "Modeling Tabular Data using
Conditional GAN", section 4.2).

A variational Gaussian mixture (`sklearn.mixture.BayesianGaussianMixture` with a Dirichlet-process prior,
so that unneeded components get ~0 weight) is fitted to the column; components with weight above a
threshold are kept as its *modes*. A value x is then represented by a mode k, drawn from the posterior
p(k | x), and a scalar alpha = (x - mu_k) / (4 sigma_k) clipped to [-0.99, 0.99]: a multimodal,
heavy-tailed column becomes a one-hot plus a well-scaled number that a Tanh output can produce.

After fitting only the kept modes' (weight, mean, std) are stored and the posterior is computed here
from them, never by the sklearn object: a normaliser restored from JSON (`from_dict`) therefore encodes
exactly like the one that was fitted, without pickling scikit-learn models (nothing is pickled in ganvae).

>>> import numpy as np
>>> x = np.r_[np.random.default_rng(0).normal(0, 1, 500), np.random.default_rng(1).normal(10, 1, 500)]
>>> ModeNormalizer(seed=0).fit(x).n_modes
2
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

ALPHA_LIMIT = 0.99  # CTGAN's clip: keeps alpha strictly inside the range of a Tanh output
_SCALE = 4.0  # alpha is in units of 4 sigma, so +-1 spans the bulk of a mode


@dataclass
class ModeNormalizer:
    """The modes of one column: fit on float64 values without NaN, then encode / decode."""

    max_modes: int = 10
    weight_threshold: float = 0.005
    seed: int = 0
    max_fit_rows: int = 5000
    weights_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    means_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stds_: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_modes(self) -> int:
        return len(self.means_)

    def fit(self, values: np.ndarray) -> ModeNormalizer:
        x = np.asarray(values, dtype=np.float64)
        if len(np.unique(x)) < 2:
            # A constant column has one mode; its width is arbitrary (every alpha is 0), 1 avoids 0 / 0.
            self._set([1.0], [float(x[0]) if len(x) else 0.0], [1.0])
            return self
        rng = np.random.default_rng(self.seed)
        if len(x) > self.max_fit_rows:
            # The mixture's cost grows with rows; a few thousand values already pin down the modes.
            x = rng.choice(x, self.max_fit_rows, replace=False)
        # Standardise first: datetimes in nanoseconds (~1e18) or prices in millions would otherwise meet
        # sklearn's fixed reg_covar and priors on a very different scale.
        center, scale = float(x.mean()), float(x.std())
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture

        bgm = BayesianGaussianMixture(
            n_components=min(self.max_modes, len(np.unique(x))),
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=0.001,  # CTGAN's value: a strong push towards few modes
            max_iter=100,
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            # Not converging in 100 iterations leaves spare low-weight modes, which the threshold drops.
            warnings.simplefilter("ignore", ConvergenceWarning)
            bgm.fit(((x - center) / scale).reshape(-1, 1))
        keep = bgm.weights_ > self.weight_threshold
        if not keep.any():
            keep = bgm.weights_ == bgm.weights_.max()
        weights = bgm.weights_[keep]
        means = center + scale * bgm.means_[keep, 0]
        stds = scale * np.sqrt(bgm.covariances_[keep].reshape(-1))
        order = np.argsort(means)  # modes in increasing order: a readable, deterministic layout
        self._set(weights[order] / weights.sum(), means[order], stds[order])
        return self

    def _set(self, weights, means, stds) -> None:
        self.weights_ = np.asarray(weights, np.float64)
        self.means_ = np.asarray(means, np.float64)
        self.stds_ = np.maximum(np.asarray(stds, np.float64), np.finfo(np.float64).tiny)

    def log_posterior(self, x: np.ndarray) -> np.ndarray:
        """log p(k | x) for every value (rows) and mode (columns), from the stored modes alone."""
        z = (np.asarray(x, np.float64)[:, None] - self.means_) / self.stds_
        log_joint = np.log(self.weights_) - np.log(self.stds_) - 0.5 * z * z
        return log_joint - logsumexp(log_joint, axis=1, keepdims=True)

    def encode(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, mode index) per value; the mode is sampled from the posterior, as in CTGAN.

        Unlike CTGAN, a mode that could only represent x with a clipped alpha (x beyond 3.96 sigma of it)
        is excluded whenever another mode can represent x exactly; the posterior mass removed is
        negligible, and the encoding stays invertible for every value that some mode covers.
        """
        x = np.asarray(x, np.float64)
        if len(x) == 0:
            return np.zeros(0), np.zeros(0, np.int64)
        log_post = self.log_posterior(x)
        alpha_all = (x[:, None] - self.means_) / (_SCALE * self.stds_)
        fits = np.abs(alpha_all) <= ALPHA_LIMIT
        log_post = np.where(fits | ~fits.any(axis=1, keepdims=True), log_post, -np.inf)
        # Gumbel-max: one vectorised draw per row from the (renormalised) posterior.
        modes = np.argmax(log_post + rng.gumbel(size=log_post.shape), axis=1)
        alpha = np.clip(alpha_all[np.arange(len(x)), modes], -ALPHA_LIMIT, ALPHA_LIMIT)
        return alpha, modes

    def decode(self, alpha: np.ndarray, modes: np.ndarray) -> np.ndarray:
        """Values from alpha (clipped to [-1, 1], as raw generator output may exceed it) and mode indices."""
        a = np.clip(np.asarray(alpha, np.float64), -1.0, 1.0)
        k = np.asarray(modes, np.int64)
        return a * _SCALE * self.stds_[k] + self.means_[k]

    def to_dict(self) -> dict[str, list[float]]:
        return {"weights": self.weights_.tolist(), "means": self.means_.tolist(), "stds": self.stds_.tolist()}

    @classmethod
    def from_dict(cls, d: dict, **config) -> ModeNormalizer:
        m = cls(**config)
        m._set(d["weights"], d["means"], d["stds"])
        return m
