"""How one column of a table becomes numbers and back: the per-column parts of `TabularTransformer`.

`NumericColumn` (continuous and datetime) uses mode-specific normalisation (`ModeNormalizer`): an alpha,
a one-hot of the mode, and, when the column has missing values, a two-way one-hot [present, missing].
`DiscreteColumn` (categorical and boolean) is a one-hot over the observed values, NaN being a value of
its own. Both restore the column's original dtype, so that ``inverse_transform(transform(df))`` has the
same columns and dtypes as ``df``; every piece of state is JSON (`to_dict`) so nothing is pickled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import DATETIME
from ganvae.data.tables.mode_normalizer import ModeNormalizer
from ganvae.errors import DataError

# Floats are restored at the precision they were observed with (prices in cents stay in cents), up to
# this many decimals; beyond it the column is treated as truly real-valued and left unrounded.
MAX_DECIMALS = 8
# Datetimes are restored on the coarsest grid every observed value lies on (days, hours, ..., ns).
_NS_STEPS = [86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1]


def learned_decimals(x: np.ndarray) -> int | None:
    """Fewest decimals (0..MAX_DECIMALS) that write every value of `x` exactly; None when none do."""
    for d in range(MAX_DECIMALS + 1):
        if np.array_equal(np.round(x, d), x):
            return d
    return None


def _datetime_ns(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 nanoseconds since the epoch, UTC for zone-aware columns; NaT mask). NaT positions hold 0."""
    s = series
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = s.isna().to_numpy()
    ns = s.astype("datetime64[ns]").to_numpy().view("int64").copy()
    ns[missing] = 0
    return ns, missing


@dataclass
class NumericColumn:
    """A continuous or datetime column: alpha + mode one-hot (+ missing one-hot)."""

    name: str
    kind: str
    dtype: str
    normalizer: ModeNormalizer
    has_missing: bool = False
    fill: float = 0.0  # stands in for NaN in the alpha/mode part; the missing span says it was NaN
    low: float = 0.0
    high: float = 0.0
    decimals: int | None = None
    step: int = 1  # datetime grid in ns
    origin: int = 0  # datetimes are encoded relative to their minimum: float64 keeps ns precision there

    @classmethod
    def fit(cls, series: pd.Series, kind: str, normalizer: ModeNormalizer) -> NumericColumn:
        col = cls(str(series.name), kind, str(series.dtype), normalizer)
        if kind == DATETIME:
            if not pd.api.types.is_datetime64_any_dtype(series.dtype):
                raise DataError(
                    f"column {col.name!r} is marked datetime but has dtype {series.dtype}; convert it with "
                    "pandas.to_datetime (load_table does this) or mark it categorical"
                )
            ints, missing = _datetime_ns(series)
            ints = ints[~missing]
            col.origin = int(ints.min()) if len(ints) else 0
            col.step = next((s for s in _NS_STEPS if (ints % s == 0).all()), 1)
        elif not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            raise DataError(
                f"column {col.name!r} is marked continuous but has dtype {series.dtype}; mark it categorical"
            )
        x = col._values(series)
        present = x[~np.isnan(x)]
        if len(present) == 0:
            raise DataError(f"column {col.name!r} has no values (all NaN); drop it with --drop {col.name}")
        col.has_missing = len(present) < len(x)
        col.fill = float(present.mean())
        col.low, col.high = float(present.min()), float(present.max())
        if kind != DATETIME:
            col.decimals = 0 if pd.api.types.is_integer_dtype(series.dtype) else learned_decimals(present)
        normalizer.fit(present)
        return col

    def _values(self, series: pd.Series) -> np.ndarray:
        if self.kind == DATETIME:
            ns, missing = _datetime_ns(series)
            # Subtract in int64 first: float64 cannot hold nanoseconds since 1970 exactly, offsets it can.
            return np.where(missing, np.nan, (ns - self.origin).astype(np.float64))
        return series.to_numpy(dtype=np.float64, na_value=np.nan)

    @property
    def widths(self) -> list[tuple[str, int]]:
        out = [("alpha", 1), ("mode", self.normalizer.n_modes)]
        return out + [("missing", 2)] if self.has_missing else out

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        x = self._values(series)
        missing = np.isnan(x)
        if missing.any() and not self.has_missing:
            raise DataError(
                f"column {self.name!r} has missing values but had none when the transformer was fitted; "
                "fit it on data that includes them (e.g. the whole table)"
            )
        alpha, modes = self.normalizer.encode(np.where(missing, self.fill, x), rng)
        out = np.zeros((len(x), sum(w for _, w in self.widths)), np.float32)
        out[:, 0] = alpha
        out[np.arange(len(x)), 1 + modes] = 1.0
        if self.has_missing:
            out[np.arange(len(x)), 1 + self.normalizer.n_modes + missing.astype(np.int64)] = 1.0
        return out

    def inverse(self, block: np.ndarray) -> pd.Series:
        k = self.normalizer.n_modes
        x = self.normalizer.decode(block[:, 0], np.argmax(block[:, 1 : 1 + k], axis=1))
        # Generated values stay within the observed range: a model should not invent a negative price.
        x = np.clip(x, self.low, self.high)
        if self.decimals is not None:
            x = np.round(x, self.decimals)
        if self.has_missing:
            x[np.argmax(block[:, 1 + k : 3 + k], axis=1) == 1] = np.nan
        if self.kind == DATETIME:
            return self._to_datetime(x)
        return pd.Series(x, name=self.name).astype(self.dtype)

    def _to_datetime(self, x: np.ndarray) -> pd.Series:
        missing = np.isnan(x)
        ns = np.round(np.where(missing, 0.0, x) / self.step).astype(np.int64) * self.step + self.origin
        s = pd.Series(pd.to_datetime(ns, unit="ns"), name=self.name)
        s[missing] = pd.NaT
        dtype = pd.api.types.pandas_dtype(self.dtype)
        if isinstance(dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize("UTC").dt.tz_convert(dtype.tz)
        return s.astype(dtype)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "modes": self.normalizer.to_dict(),
            "has_missing": self.has_missing,
            "fill": self.fill,
            "low": self.low,
            "high": self.high,
            "decimals": self.decimals,
            "step": self.step,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], normalizer_config: dict[str, Any]) -> NumericColumn:
        fields = {k: d[k] for k in ("name", "kind", "dtype", "has_missing", "fill", "low", "high")}
        normalizer = ModeNormalizer.from_dict(d["modes"], **normalizer_config)
        return cls(
            **fields, normalizer=normalizer, decimals=d["decimals"], step=d["step"], origin=d["origin"]
        )


def _json_value(v: Any) -> Any:
    """A category value as JSON: numbers, text and bools stay; numpy scalars become Python; others text."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


@dataclass
class DiscreteColumn:
    """A categorical or boolean column: one-hot over its observed values, NaN (if any) last."""

    name: str
    kind: str
    dtype: str
    values: list[Any]  # JSON-form category values in one-hot order, without NaN
    has_nan: bool = False
    dtype_categories: list[Any] | None = None  # a pandas category dtype's full category list
    ordered: bool = False
    counts: list[int] | None = None  # training rows per category, one-hot order (a GAN samples by them)
    _index: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = pd.Index(self.values, dtype=object)

    @classmethod
    def fit(cls, series: pd.Series, kind: str) -> DiscreteColumn:
        try:
            _, uniques = pd.factorize(series, sort=True)
        except TypeError:  # mixed types (numbers and text in one object column) cannot be sorted
            _, uniques = pd.factorize(series, sort=False)
        values = [_json_value(v) for v in uniques.tolist()]
        dtype_categories, ordered = None, False
        if isinstance(series.dtype, pd.CategoricalDtype):
            dtype_categories = [_json_value(v) for v in series.dtype.categories.tolist()]
            ordered = bool(series.dtype.ordered)
        column = cls(str(series.name), kind, str(series.dtype), values, bool(series.isna().any()),
                     dtype_categories, ordered)  # fmt: skip
        column.counts = np.bincount(column.codes(series), minlength=column.n_categories).tolist()
        return column

    @property
    def n_categories(self) -> int:
        return len(self.values) + int(self.has_nan)

    @property
    def widths(self) -> list[tuple[str, int]]:
        return [("category", self.n_categories)]

    def categories(self) -> list[Any]:
        return list(self.values) + ([float("nan")] if self.has_nan else [])

    def codes(self, series: pd.Series) -> np.ndarray:
        """One-hot position of every value; DataError naming the values never seen in `fit`."""
        s = series.astype(object)
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            s = s.map(_json_value, na_action="ignore")
        codes = self._index.get_indexer(s)
        missing = s.isna().to_numpy()
        if self.has_nan:
            codes[missing] = len(self.values)
        unknown = (codes < 0) & ~(missing & self.has_nan)
        if unknown.any():
            seen = sorted({repr(v) for v in s[unknown].tolist()})[:5]
            raise DataError(
                f"column {self.name!r} has values not seen when the transformer was fitted "
                f"({', '.join(seen)}); fit it on data that includes them (e.g. the whole table)"
            )
        return codes

    def transform(self, series: pd.Series) -> np.ndarray:
        out = np.zeros((len(series), self.n_categories), np.float32)
        out[np.arange(len(series)), self.codes(series)] = 1.0
        return out

    def inverse(self, block: np.ndarray) -> pd.Series:
        table = np.array(self.categories() + [None], dtype=object)[:-1]  # keeps tuples etc. as scalars
        return self.restore(table[np.argmax(block, axis=1)])

    def restore(self, values: np.ndarray) -> pd.Series:
        """Category values (object array, NaN for missing) as a Series of the fitted dtype."""
        s = pd.Series(values, name=self.name, dtype=object)
        if self.dtype == "category":
            cats = self.dtype_categories if self.dtype_categories is not None else self.values
            return s.astype(pd.CategoricalDtype(cats, ordered=self.ordered))
        return s.astype(self.dtype)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "values": self.values,
            "has_nan": self.has_nan,
            "dtype_categories": self.dtype_categories,
            "ordered": self.ordered,
            "counts": self.counts,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DiscreteColumn:
        keys = ("name", "kind", "dtype", "values", "has_nan", "dtype_categories", "ordered")
        return cls(**{k: d[k] for k in keys}, counts=d.get("counts"))
