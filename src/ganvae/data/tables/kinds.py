"""Column kinds of a table: what each column *is*, which decides how it is encoded and measured.

Four kinds, inferred from the dtype and the values (`infer_kind`), in this order:

1. ``boolean``: a bool / nullable ``boolean`` dtype; an object column whose non-missing values are all
   True/False; or a numeric column whose non-missing values are exactly {0, 1}.
2. ``datetime``: a datetime64 dtype (naive or with a time zone); or a text column in which every
   non-missing value looks like a date (has a digit and one of ``- / :``) *and* parses as one.
   `parse_datetime_columns` converts such text columns to datetime64 when a table is loaded.
3. ``categorical``: text / object / ``category`` dtypes; or an *integer-valued* numeric column (integer
   dtype, or floats that are all whole numbers, as integers with NaN become) with at most
   `MAX_INTEGER_CATEGORIES` distinct values: such small integer sets are codes (grades, classes,
   ratings), and a one-hot keeps a generator from producing 2.5 of them.
4. ``continuous``: every other numeric column (floats, integers with many distinct values).

A user's ``categorical=[...]`` overrides the rule for the named columns.

>>> import pandas as pd
>>> infer_kinds(pd.DataFrame({"a": [0.5, 1.5, 2.5], "b": ["x", "y", "x"], "c": [0, 1, 1]}))
{'a': 'continuous', 'b': 'categorical', 'c': 'boolean'}
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

CONTINUOUS = "continuous"
CATEGORICAL = "categorical"
BOOLEAN = "boolean"
DATETIME = "datetime"
KINDS = (CONTINUOUS, CATEGORICAL, BOOLEAN, DATETIME)
DISCRETE_KINDS = (CATEGORICAL, BOOLEAN)
NUMERIC_KINDS = (CONTINUOUS, DATETIME)

# Ten covers grades, star ratings, small class sets and day-of-week codes; credit-data's loan term (11
# distinct month counts) and ages stay continuous.
MAX_INTEGER_CATEGORIES = 10

# A value "looks like a date" before we pay for parsing it: a digit and a date/time separator. This keeps
# plain numbers-as-text ("2020", "17") and words out of the (slow, lenient) parser.
_DATE_LIKE = re.compile(r"\d.*[-/:]|[-/:].*\d")
_DATE_PROBE = 200  # values checked with the cheap pattern before the whole column is parsed


def infer_kinds(frame: pd.DataFrame, categorical: list[str] | None = None) -> dict[str, str]:
    """Kind of every column of `frame`, in column order; names in `categorical` are forced categorical."""
    forced = set(categorical or ())
    return {str(c): CATEGORICAL if c in forced else infer_kind(frame[c]) for c in frame.columns}


def infer_kind(series: pd.Series) -> str:
    """The kind of one column (see the module docstring for the rules)."""
    dtype = series.dtype
    values = series.dropna()
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    if pd.api.types.is_numeric_dtype(dtype):
        distinct = pd.unique(values.to_numpy(dtype=np.float64, na_value=np.nan))
        if len(distinct) == 2 and set(distinct.tolist()) == {0.0, 1.0}:
            return BOOLEAN
        if _integer_valued(series) and len(distinct) <= MAX_INTEGER_CATEGORIES:
            return CATEGORICAL
        return CONTINUOUS
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return BOOLEAN
    if looks_like_dates(values):
        return DATETIME
    return CATEGORICAL


def _integer_valued(series: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    v = series.dropna().to_numpy(dtype=np.float64)
    return bool(np.isfinite(v).all() and (v == np.round(v)).all())


def looks_like_dates(values: pd.Series) -> bool:
    """True when every (non-missing) value is text that parses as a date or time."""
    if len(values) == 0 or not all(isinstance(v, str) for v in values.iloc[:_DATE_PROBE]):
        return False
    if not all(_DATE_LIKE.search(v) for v in values.iloc[:_DATE_PROBE]):
        return False
    return _parse_dates(values) is not None


def _parse_dates(values: pd.Series) -> pd.Series | None:
    # The format is inferred from the first value; ISO 8601 with varying precision ("2020-01-02" next to
    # "2020-01-02 10:00") is the common exception, so it gets a second try.
    for fmt in (None, "ISO8601"):
        with warnings.catch_warnings():
            # pandas warns when it falls back to per-value parsing; a failure shows up as NaT instead.
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(values, errors="coerce", format=fmt)
            except (ValueError, TypeError, OverflowError):
                continue
        if not parsed.isna().any():
            return parsed
    return None


def parse_datetime_columns(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """`frame` with its date-like text columns (kind ``datetime``, dtype not datetime64) parsed."""
    out = frame
    for name, kind in kinds.items():
        col = frame[name]
        if kind != DATETIME or pd.api.types.is_datetime64_any_dtype(col.dtype):
            continue
        parsed = _parse_dates(col.dropna())
        if parsed is None:  # only reachable when the caller's kinds disagree with the values
            continue
        if out is frame:
            out = frame.copy()
        out[name] = pd.Series(parsed, index=col.dropna().index).reindex(col.index)
    return out
