"""Input checks and shared encodings for the tabular metrics, which take DataFrames and column kinds.

Real and synthetic frames are compared column by column through one shared encoding, so that the same
value means the same thing on both sides: discrete columns are factorised *jointly* (NaN is a category
of its own), datetimes become nanoseconds, numbers stay numbers with NaN for missing. The one exception
is `histogram_codes`, which bins each frame on its own range because SDMetrics' pair trends do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import DATETIME, KINDS
from ganvae.errors import DataError


def check_frames(kinds: dict[str, str], min_rows: int = 1, **frames: pd.DataFrame) -> list[str]:
    """The columns to compare (those of `kinds`, in order); DataError when a frame lacks rows or columns."""
    if not kinds:
        raise DataError("no columns to compare; pass the kinds of the table's columns (Table.kinds)")
    bad = {c: k for c, k in kinds.items() if k not in KINDS}
    if bad:
        raise DataError(f"unknown column kind(s) {bad}; use one of {', '.join(KINDS)}")
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
        lacking = [c for c in kinds if c not in frame.columns]
        if lacking:
            raise DataError(
                f"{name} lacks column(s) {', '.join(lacking)}; give real and synthetic data the same columns"
            )
        if len(frame) < min_rows:
            raise DataError(f"{name} has {len(frame)} rows but this metric needs at least {min_rows}")
    return list(kinds)


def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """float64 values with NaN for missing; datetimes as nanoseconds since the epoch."""
    if kind == DATETIME:
        s = series
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        s = pd.to_datetime(s, errors="coerce")
        missing = s.isna().to_numpy()
        out = s.astype("datetime64[ns]").to_numpy().view("int64").astype(np.float64)
        out[missing] = np.nan
        return out
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            f"column {series.name!r} is marked {kind} but holds non-numbers; check the kinds"
        ) from None


def joint_codes(*columns: pd.Series) -> tuple[list[np.ndarray], int]:
    """Integer codes of several versions of one discrete column in one shared vocabulary, NaN included.

    Returns (codes per column, vocabulary size); a missing value gets the last code.
    """
    joined = pd.concat([c.astype(object).reset_index(drop=True) for c in columns], ignore_index=True)
    codes, uniques = pd.factorize(joined, use_na_sentinel=True)
    n = len(uniques)
    codes = np.where(codes < 0, n, codes)
    out, start = [], 0
    for c in columns:
        out.append(codes[start : start + len(c)])
        start += len(c)
    return out, n + 1


def histogram_codes(values: np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin codes of one numeric column as SDMetrics' pair trends make them: `bins` equal-width bins over
    the column's *own* range (np.histogram_bin_edges of its present values), coded 1..bins.

    Each frame is binned on its own range, so code k means "the k-th tenth of this frame's range", not a
    fixed interval. As np.digitize does, the column's largest value and NaN both get code bins + 1.
    """
    values = np.asarray(values, np.float64)
    present = values[~np.isnan(values)]
    edges = np.histogram_bin_edges(present, bins=bins)
    return np.digitize(values, edges)
