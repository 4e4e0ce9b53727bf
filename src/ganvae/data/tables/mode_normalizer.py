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

from dataclasses import dataclass, field

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

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
        all_weights, all_means, all_vars = fit_dp_mixture_1d(
            (x - center) / scale, min(self.max_modes, len(np.unique(x))), seed=self.seed
        )
        keep = all_weights > self.weight_threshold
        if not keep.any():
            keep = all_weights == all_weights.max()
        weights = all_weights[keep]
        means = center + scale * all_means[keep]
        stds = scale * np.sqrt(all_vars[keep])
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


def fit_dp_mixture_1d(
    x: np.ndarray,
    n_components: int,
    *,
    seed: int = 0,
    weight_concentration_prior: float = 0.001,
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, means, variances) of a variational Gaussian mixture with a Dirichlet-process prior fitted
    to the 1-D values `x`: the same fit as scikit-learn's ``BayesianGaussianMixture(n_components,
    weight_concentration_prior_type="dirichlet_process", weight_concentration_prior=...,
    max_iter=..., random_state=seed)`` with its default priors (mean prior: the data mean, mean precision
    prior 1, degrees of freedom prior 1, covariance prior: the data variance) and k-means initialisation.

    scikit-learn's general (any dimension, any covariance type) code spends much of its time in per-
    component Python loops and checks; in one dimension the updates are a few vectorised lines. Measured
    on 5,000 values, 10 components, 100 iterations, 2 threads: 2.3-2.8x faster (270-300 ms against
    690-770 ms), with the same weights, means and variances (to 1e-8, asserted against scikit-learn by
    the unit tests).
    """
    from sklearn.cluster import KMeans

    x = np.asarray(x, np.float64).reshape(-1)
    n, k = len(x), int(n_components)
    if n < k:
        raise ValueError(f"need at least {k} values for {k} components, got {n}")
    eps10 = 10 * np.finfo(np.float64).eps
    mean_prior, var_prior = float(x.mean()), float(np.var(x, ddof=1))
    mean_precision_prior, dof_prior, alpha = 1.0, 1.0, float(weight_concentration_prior)
    x2 = x * x

    labels = KMeans(n_clusters=k, n_init=1, random_state=np.random.RandomState(seed)).fit(x[:, None]).labels_
    resp = np.zeros((n, k))
    resp[np.arange(n), labels] = 1.0

    def m_step(resp: np.ndarray):
        nk = resp.sum(0) + eps10
        xk = (x @ resp) / nk
        sk = (x2 @ resp) / nk - xk**2 + reg_covar
        conc_a = 1.0 + nk
        conc_b = alpha + np.hstack((np.cumsum(nk[::-1])[-2::-1], 0.0))
        mean_precision = mean_precision_prior + nk
        means = (mean_precision_prior * mean_prior + nk * xk) / mean_precision
        dof = dof_prior + nk
        variances = (
            var_prior + nk * (sk + mean_precision_prior / mean_precision * (xk - mean_prior) ** 2)
        ) / dof
        if np.any(variances <= 0.0):
            raise ValueError("the mixture collapsed onto a single value; scale or dequantise the column")
        return conc_a, conc_b, mean_precision, means, dof, variances

    params = m_step(resp)
    lower_bound = -np.inf
    for _ in range(max_iter):
        conc_a, conc_b, mean_precision, means, dof, variances = params
        prec_chol = 1.0 / np.sqrt(variances)
        # E step: expected log weights (stick breaking) + expected log likelihood under the posteriors
        dg_sum = digamma(conc_a + conc_b)
        log_weights = digamma(conc_a) - dg_sum + np.hstack((0.0, np.cumsum(digamma(conc_b) - dg_sum)[:-1]))
        # per component: a constant and a precision; per value: -0.5 * precision * (x - mean)^2
        const = (
            -0.5 * np.log(2 * np.pi)
            + np.log(prec_chol)
            - 0.5 * np.log(dof)
            + 0.5 * (np.log(2.0) + digamma(0.5 * dof) - 1.0 / mean_precision)
            + log_weights
        )
        weighted = const - 0.5 * prec_chol**2 * (x[:, None] - means) ** 2
        top = weighted.max(axis=1, keepdims=True)
        log_resp = weighted - (top + np.log(np.exp(weighted - top).sum(axis=1, keepdims=True)))
        resp = np.exp(log_resp)
        # M step, then the lower bound to test convergence, as scikit-learn does
        params = m_step(resp)
        conc_a, conc_b, mean_precision, means, dof, variances = params
        log_det_chol = -0.5 * np.log(variances) - 0.5 * np.log(dof)
        log_wishart = -(dof * log_det_chol + dof * 0.5 * np.log(2.0) + gammaln(0.5 * dof)).sum()
        previous, lower_bound = (
            lower_bound,
            (
                -np.sum(resp * log_resp)
                - log_wishart
                + np.sum(betaln(conc_a, conc_b))
                - 0.5 * np.sum(np.log(mean_precision))
            ),
        )
        if abs(lower_bound - previous) < tol:
            break
    conc_a, conc_b, _, means, _, variances = params
    total = conc_a + conc_b
    weights = conc_a / total * np.hstack((1.0, np.cumprod(conc_b / total)[:-1]))
    return weights / weights.sum(), means, variances
