"""Privacy of synthetic tables: distance to closest record (DCR).

Each synthetic row's distance to its nearest training row is compared with the same distance for real
holdout rows, which the model never saw (Park et al., 2018, "Data Synthesis based on Generative
Adversarial Networks"; Zhao et al., 2021, CTAB-GAN). The median ratio synthetic / holdout has an ideal,
about 1: synthetic rows no closer to the training rows than unseen real rows are. Near 0 the model
reproduces training records; *far above* 1 its rows lie off the data (a poor fit), which is not more
privacy, so the figure is judged by how far it falls below 1 (`dcr_shortfall`), within a tolerance for
the holdout median's own sampling noise (`dcr_tolerance`), never by "higher is better". Exact copies
are counted too, with the holdout's share as the reference (a table of few categorical columns has
duplicate rows naturally).

All three frames share one encoding fitted on the training rows: numbers (datetimes as nanoseconds)
centred on the training median and divided by a robust standard deviation (IQR / 1.349, which equals
the standard deviation for Gaussian data and ignores outliers); a missing number becomes the median plus
a 0/1 "missing" indicator; discrete columns one-hot, NaN its own category. A category mismatch thus
costs sqrt(2), about as much as a 1.4 standard-deviation difference in one number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import DISCRETE_KINDS
from ganvae.metrics.frames import check_frames, joint_codes, numeric_values
from ganvae.metrics.meta import declare

# ~1: synthetic rows no closer to the training rows than unseen real rows; far above 1 is rows off the data
declare("dcr_ratio", "DCR ratio (synthetic / holdout)", ideal=1.0, scale="log", bounds=(0.0, None))
declare("dcr_shortfall", "DCR shortfall below 1", better="lower", bounds=(0.0, 1.0))
declare("exact_copies", "exact copies of training rows", better="lower", bounds=(0.0, 1.0))

COPY_DISTANCE = 1e-8  # after the encoding, closer than this is the same record
# A DCR ratio this close below 1 still counts as 1: a stated floor, so that a large holdout does not turn a
# gap of a few per cent into a privacy verdict; a small holdout widens it (`dcr_tolerance`).
MIN_DCR_TOLERANCE = 0.05
_BOOTSTRAP = 1000
_IQR_TO_STD = 1.349  # IQR of a standard normal


def encode_for_distance(
    train: pd.DataFrame, *others: pd.DataFrame, kinds: dict[str, str]
) -> list[np.ndarray]:
    """The common float64 encoding (module docstring) of `train` and `others`, scaled by `train`."""
    frames = (train, *others)
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for c, kind in kinds.items():
        if kind in DISCRETE_KINDS:
            codes, n = joint_codes(*(f[c] for f in frames))
            for b, k in zip(blocks, codes, strict=True):
                onehot = np.zeros((len(k), n))
                onehot[np.arange(len(k)), k] = 1.0
                b.append(onehot)
            continue
        values = [numeric_values(f[c], kind) for f in frames]
        ref = values[0][~np.isnan(values[0])]
        center = float(np.median(ref)) if len(ref) else 0.0
        scale = _robust_scale(ref)
        with_missing = any(np.isnan(v).any() for v in values)
        for b, v in zip(blocks, values, strict=True):
            missing = np.isnan(v)
            b.append(np.where(missing, 0.0, (v - center) / scale)[:, None])
            if with_missing:
                b.append(missing[:, None].astype(np.float64))
    return [np.concatenate(b, axis=1) for b in blocks]


def _robust_scale(x: np.ndarray) -> float:
    if len(x) == 0:
        return 1.0
    q1, q3 = np.quantile(x, [0.25, 0.75])
    # A column that is mostly one value has IQR 0; its standard deviation still measures the rest.
    for s in ((q3 - q1) / _IQR_TO_STD, float(np.std(x))):
        if s > 0:
            return float(s)
    return 1.0


def closest_record_distance(queries: np.ndarray, train: np.ndarray, *, batch_rows: int = 2048) -> np.ndarray:
    """Euclidean distance of every query row to its nearest training row, in batches of `batch_rows`.

    The neighbour search's distance comes from a matrix product whose round-off turns 0 into ~1e-8; the
    winner's distance is therefore recomputed directly, so that a copy measures exactly 0.
    """
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=1).fit(train)
    out = np.empty(len(queries))
    for start in range(0, len(queries), batch_rows):
        q = queries[start : start + batch_rows]
        nearest = index.kneighbors(q, return_distance=False)[:, 0]
        out[start : start + len(q)] = np.linalg.norm(q - train[nearest], axis=1)
    return out


def privacy(
    train_real: pd.DataFrame,
    synth: pd.DataFrame,
    holdout_real: pd.DataFrame,
    kinds: dict[str, str],
    *,
    batch_rows: int = 2048,
) -> dict[str, float]:
    """DCR statistics of `synth` against `train_real`, with `holdout_real` as the reference.

    Returns ``dcr_synth_median``, ``dcr_holdout_median``, ``dcr_ratio`` (their ratio; NaN when the holdout
    median is 0, i.e. most holdout rows duplicate a training row), ``dcr_shortfall`` (max(0, 1 − ratio):
    0 = no closer than unseen rows, 1 = copies), ``dcr_tolerance`` (the shortfall still counted as 0:
    `MIN_DCR_TOLERANCE`, or the relative half-width of a 95 % bootstrap interval of the holdout median
    where that is larger), ``exact_copies`` (share of synthetic rows equal to a training row) and
    ``exact_copies_holdout`` (the same share for holdout rows).
    """
    check_frames(kinds, train_real=train_real, synth=synth, holdout_real=holdout_real)
    train, syn, hold = encode_for_distance(train_real, synth, holdout_real, kinds=kinds)
    d_syn = closest_record_distance(syn, train, batch_rows=batch_rows)
    d_hold = closest_record_distance(hold, train, batch_rows=batch_rows)
    med_syn, med_hold = float(np.median(d_syn)), float(np.median(d_hold))
    ratio = med_syn / med_hold if med_hold > 0 else float("nan")
    return {
        "dcr_synth_median": med_syn,
        "dcr_holdout_median": med_hold,
        "dcr_ratio": ratio,
        "dcr_shortfall": max(0.0, 1.0 - ratio) if med_hold > 0 else float("nan"),
        "dcr_tolerance": holdout_tolerance(d_hold),
        "exact_copies": float(np.mean(d_syn < COPY_DISTANCE)),
        "exact_copies_holdout": float(np.mean(d_hold < COPY_DISTANCE)),
    }


def holdout_tolerance(d_hold: np.ndarray, seed: int = 0) -> float:
    """How far below 1 a DCR ratio may fall and still count as 1: the relative half-width of a 95 %
    bootstrap interval of the holdout rows' median DCR, at least `MIN_DCR_TOLERANCE` (seeded, so every
    model of a table gets the same one)."""
    median = float(np.median(d_hold))
    if median <= 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    medians = [
        np.median(d_hold[rng.integers(0, len(d_hold), size=(min(100, _BOOTSTRAP - s), len(d_hold)))], axis=1)
        for s in range(0, _BOOTSTRAP, 100)
    ]
    lo, hi = np.quantile(np.concatenate(medians), [0.025, 0.975])
    return float(max(MIN_DCR_TOLERANCE, (hi - lo) / 2 / median))
