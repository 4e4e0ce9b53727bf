"""Machine-learning utility of synthetic tables: train on synthetic, test on real (TSTR).

Esteban et al. (2017, "Real-valued (medical) time series generation with recurrent conditional GANs")
introduced TSTR; Xu et al. (2019, CTGAN) use it as the main tabular benchmark. A gradient-boosted model
(`HistGradientBoostingClassifier` / `Regressor`, native categorical and NaN support) is trained once on
the synthetic rows and once on the real training rows, with the same settings and seed, and both are
scored on the same real test rows. The ratio synthetic / real says how much of the real data's
usefulness the synthetic data keeps (1 = all of it; for MAE, where lower is better, above 1 is worse).

Features are encoded identically for every fit: numbers (datetimes as nanoseconds) as floats with NaN,
discrete columns as a pandas category dtype over the union of values of all three frames, so a code
means the same value everywhere. Rows whose target is missing are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tabular_kinds import CONTINUOUS, DISCRETE_KINDS
from ganvae.errors import DataError
from ganvae.metrics.frames import check_frames, numeric_values

_MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit (max_bins); beyond it, ordinal codes


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
    ``auroc``; regression (continuous target): ``r2`` and ``mae``. Returns ``{"task", "real",
    "synthetic", "ratio", "n_train_real", "n_synthetic", "n_test"}``.
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
        task, scores = "classification", _classification(frames, target, (x_train, x_synth, x_test), seed)
    else:
        task, scores = "regression", _regression(frames, target, (x_train, x_synth, x_test), seed)
    real, synthetic = scores
    ratio = {k: synthetic[k] / real[k] if real[k] != 0 else float("nan") for k in real}
    return {
        "task": task,
        "real": real,
        "synthetic": synthetic,
        "ratio": ratio,
        "n_train_real": len(frames[0]),
        "n_synthetic": len(frames[1]),
        "n_test": len(frames[2]),
    }


def _classification(frames, target, xs, seed) -> tuple[dict[str, float], dict[str, float]]:
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    ys = [f[target].astype(object) for f in frames]
    codes, classes = pd.factorize(pd.concat(ys, ignore_index=True))
    sizes = np.cumsum([0] + [len(y) for y in ys])
    y_train, y_synth, y_test = (codes[sizes[i] : sizes[i + 1]] for i in range(3))
    binary = len(classes) == 2
    results = []
    for x, y in ((xs[0], y_train), (xs[1], y_synth)):
        if len(np.unique(y)) < 2:
            # Synthetic data with a single class (mode collapse) cannot train a classifier; predicting that
            # class is what any model trained on it would do.
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
        results.append(scores)
    return results[0], results[1]


def _regression(frames, target, xs, seed) -> tuple[dict[str, float], dict[str, float]]:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import mean_absolute_error, r2_score

    ys = [f[target].to_numpy(dtype=np.float64) for f in frames]
    results = []
    for x, y in ((xs[0], ys[0]), (xs[1], ys[1])):
        model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=seed).fit(x, y)
        pred = model.predict(xs[2])
        results.append({"r2": float(r2_score(ys[2], pred)), "mae": float(mean_absolute_error(ys[2], pred))})
    return results[0], results[1]
