"""Machine-learning utility of synthetic tables: train on synthetic, test on real (TSTR).

Esteban et al. (2017, "Real-valued (medical) time series generation with recurrent conditional GANs")
introduced TSTR; Xu et al. (2019, CTGAN) use it as the main tabular benchmark. A gradient-boosted model
(`HistGradientBoostingClassifier` / `Regressor`, native categorical and NaN support) is trained once on
the synthetic rows and once on the real training rows, with the same settings and seed, and both are
scored on the same real test rows, beside a chance baseline fitted on the real training rows (always the
majority class: scikit-learn's `DummyClassifier`; always the training mean: `DummyRegressor`).

Synthetic against real is a **difference**, synthetic − real (0 = as useful as the real rows; for MAE,
where lower is better, above 0 is worse). A ratio synthetic / real is given only where the real rows
clearly teach something: when the real-data model is at chance (R² near 0), a ratio of two near-zero or
negative scores ranks the worse model first (R² -0.06 / -0.01 = 6). "Clearly" is a paired bootstrap over
the test rows (`BOOTSTRAP` resamples, seeded): the 2.5 % quantile of model − chance on the task's primary
score (`PRIMARY`: macro F1 for classes, robust to imbalance; R² for numbers) is above 0.

Features are encoded identically for every fit: numbers (datetimes as nanoseconds) as floats with NaN,
discrete columns as a pandas category dtype over the union of values of all three frames, so a code
means the same value everywhere. Rows whose target is missing are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import CONTINUOUS, DISCRETE_KINDS
from ganvae.errors import DataError
from ganvae.metrics.frames import check_frames, numeric_values
from ganvae.metrics.meta import declare

# 0: a model trained on synthetic rows predicts as well as one trained on the real rows
declare("utility_gap", "utility: synthetic − real", better="higher")
# only where the real-data model clearly beats chance (else it is not computed)
declare("utility_ratio", "utility ratio", better="higher")

_MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit (max_bins); beyond it, ordinal codes
PRIMARY = {"classification": "f1_macro", "regression": "r2"}  # the score a verdict uses
BOOTSTRAP = 1000  # resamples of the test rows for "clearly above chance"


def _features(frames: list[pd.DataFrame], kinds: dict[str, str], features: list[str]) -> list[pd.DataFrame]:
    out: list[dict[str, Any]] = [{} for _ in frames]
    for c in features:
        if kinds[c] in DISCRETE_KINDS:
            values = [f[c].astype(object) for f in frames]
            cats = pd.unique(pd.concat(values, ignore_index=True).dropna())
            dtype = pd.CategoricalDtype(list(cats))
            for o, v in zip(out, values, strict=True):
                col = pd.Series(pd.Categorical(v, dtype=dtype), index=v.index)
                o[c] = col if len(cats) <= _MAX_NATIVE_CATEGORIES else col.cat.codes.replace(-1, np.nan)
        else:
            for o, f in zip(out, frames, strict=True):
                o[c] = pd.Series(numeric_values(f[c], kinds[c]), index=f.index)
    return [pd.DataFrame(o, index=f.index) for o, f in zip(out, frames, strict=True)]


def utility(
    train_real: pd.DataFrame,
    synth: pd.DataFrame,
    test_real: pd.DataFrame,
    target: str,
    kinds: dict[str, str],
    seed: int = 0,
) -> dict[str, Any]:
    """Scores of models trained on `synth` and on `train_real`, both tested on `test_real`.

    Classification (categorical / boolean target): ``accuracy``, ``f1_macro`` and, for two classes,
    ``auroc``; regression (continuous target): ``r2`` and ``mae``. Returns ``{"task", "primary", "real",
    "synthetic", "chance", "difference", "learns", "ratio", "n_train_real", "n_synthetic", "n_test"}``:
    ``difference`` is synthetic − real per score; ``learns`` says, for "real" and "synthetic", whether that
    model's primary score is clearly above chance (module docstring); ``ratio`` (synthetic / real per
    score) is NaN unless the real model learns.
    """
    check_frames(kinds, train_real=train_real, synth=synth, test_real=test_real)
    if target not in kinds:
        raise DataError(
            f"target {target!r} is not a column of the table; its columns are: {', '.join(kinds)}"
        )
    kind = kinds[target]
    if kind not in (*DISCRETE_KINDS, CONTINUOUS):
        raise DataError(
            f"target {target!r} is {kind}; utility needs a categorical, boolean or continuous one"
        )
    frames = [f[f[target].notna()] for f in (train_real, synth, test_real)]
    for f, name in zip(frames, ("train_real", "synth", "test_real"), strict=True):
        if len(f) < 2:
            raise DataError(f"{name} has {len(f)} rows with a target value; utility needs at least 2")
    features = [c for c in kinds if c != target]
    if not features:
        raise DataError(f"the table has no column besides the target {target!r} to predict it from")
    x_train, x_synth, x_test = _features(frames, kinds, features)
    if kind in DISCRETE_KINDS:
        task, fits = "classification", _classification(frames, target, (x_train, x_synth, x_test), seed)
    else:
        task, fits = "regression", _regression(frames, target, (x_train, x_synth, x_test), seed)
    real, synthetic, chance = (f.scores for f in fits)
    primary = PRIMARY[task]
    learns = {
        name: _clearly_above(fit, fits[2], primary, seed)
        for name, fit in (("real", fits[0]), ("synthetic", fits[1]))
    }
    nan = float("nan")
    ratio = {k: synthetic[k] / real[k] if learns["real"] and real[k] != 0 else nan for k in real}
    return {
        "task": task,
        "primary": primary,
        "real": real,
        "synthetic": synthetic,
        "chance": chance,
        "difference": {k: synthetic[k] - real[k] for k in real},
        "learns": learns,
        "ratio": ratio,
        "n_train_real": len(frames[0]),
        "n_synthetic": len(frames[1]),
        "n_test": len(frames[2]),
    }


@dataclass
class _Fit:
    """One model's test scores, and its test predictions for the bootstrap."""

    scores: dict[str, float]
    pred: np.ndarray
    y_test: np.ndarray


def _classification(frames, target, xs, seed) -> tuple[_Fit, _Fit, _Fit]:
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    ys = [f[target].astype(object) for f in frames]
    codes, classes = pd.factorize(pd.concat(ys, ignore_index=True))
    sizes = np.cumsum([0] + [len(y) for y in ys])
    y_train, y_synth, y_test = (codes[sizes[i] : sizes[i + 1]] for i in range(3))
    binary = len(classes) == 2
    fits = []
    for x, y, chance in ((xs[0], y_train, False), (xs[1], y_synth, False), (xs[0], y_train, True)):
        if chance or len(np.unique(y)) < 2:
            # The chance baseline; and synthetic data with a single class (mode collapse), which cannot
            # train a classifier: predicting that class is what any model trained on it would do.
            model = DummyClassifier(strategy="most_frequent").fit(x, y)
        else:
            model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
            model.fit(x, y)
        proba = np.zeros((len(y_test), len(classes)))
        proba[:, model.classes_] = model.predict_proba(xs[2])
        pred = model.classes_[np.argmax(proba[:, model.classes_], axis=1)]
        scores = {
            "accuracy": float(accuracy_score(y_test, pred)),
            "f1_macro": float(f1_score(y_test, pred, average="macro", zero_division=0)),
        }
        if binary:
            one_class = len(np.unique(y_test)) < 2
            scores["auroc"] = float("nan") if one_class else float(roc_auc_score(y_test == 1, proba[:, 1]))
        fits.append(_Fit(scores, pred, y_test))
    return fits[0], fits[1], fits[2]


def _regression(frames, target, xs, seed) -> tuple[_Fit, _Fit, _Fit]:
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import mean_absolute_error, r2_score

    ys = [f[target].to_numpy(dtype=np.float64) for f in frames]
    fits = []
    for x, y, chance in ((xs[0], ys[0], False), (xs[1], ys[1], False), (xs[0], ys[0], True)):
        if chance:
            model = DummyRegressor(strategy="mean").fit(x, y)
        else:
            model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=seed)
            model.fit(x, y)
        pred = model.predict(xs[2])
        scores = {"r2": float(r2_score(ys[2], pred)), "mae": float(mean_absolute_error(ys[2], pred))}
        fits.append(_Fit(scores, pred, ys[2]))
    return fits[0], fits[1], fits[2]


def _clearly_above(fit: _Fit, chance: _Fit, score: str, seed: int) -> bool:
    """Whether `fit` beats the chance baseline on `score` (f1_macro or r2) on resamples of the test rows:
    the 2.5 % quantile of the paired difference is above 0."""
    rng = np.random.default_rng(seed)
    n = len(fit.y_test)
    gaps = []
    for start in range(0, BOOTSTRAP, 100):  # 100 resamples at a time bounds the memory to 100 x n
        idx = rng.integers(0, n, size=(min(100, BOOTSTRAP - start), n))
        y = fit.y_test[idx]
        gaps.append(_batch_score(score, y, fit.pred[idx]) - _batch_score(score, y, chance.pred[idx]))
    gap = np.concatenate(gaps)
    return bool(np.nanquantile(gap, 0.025) > 0) if np.isfinite(gap).any() else False


def _batch_score(score: str, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """`score` of every row of a (resamples x rows) batch: macro F1 as scikit-learn computes it (over the
    classes present in truth or prediction), or R²."""
    if score == "r2":
        n = y.shape[1]
        ss_tot = (y**2).sum(axis=1) - y.sum(axis=1) ** 2 / n
        ss_res = ((y - pred) ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - ss_res / ss_tot
    f1 = []
    present = []
    for k in np.unique(np.concatenate([np.unique(y), np.unique(pred)])):
        tp = ((y == k) & (pred == k)).sum(axis=1)
        wrong = ((y == k) != (pred == k)).sum(axis=1)  # false negatives + false positives
        present.append(2 * tp + wrong > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            f1.append(np.where(present[-1], 2 * tp / (2 * tp + wrong), 0.0))
    return np.sum(f1, axis=0) / np.sum(present, axis=0)
