"""Table metadata (`--metadata FILE`): column kinds declared the way SDV users describe a table.

A JSON file ``{"columns": {"name": {"sdtype": "numerical" | "categorical" | "boolean" | "datetime" |
"id"}}}`` (SDV's single-table metadata; an SDV multi-table file with one table, ``{"tables": {"t":
{...}}}``, is read too, and other keys such as ``primary_key`` are ignored). Declared kinds override the
inferred ones (`kinds.infer_kinds`); columns not named keep theirs.

- ``datetime``: text dates are parsed; the transformer trains on them as numbers (nanoseconds from the
  earliest, `columns.NumericColumn`) and converts the synthetic values back to dates.
- ``id``: the column is removed before training (an identifier is not data: one-hot it and the table is
  as wide as it is long; model it and a generator may copy real people's ids), and synthetic rows get
  fresh ids in its place (`IdColumn`): unique, and never a real one (integers above the largest real id,
  or ``<column>-<k>`` text).

>>> meta = parse_metadata({"columns": {"when": {"sdtype": "datetime"}, "key": {"sdtype": "id"}}}, "t.json")
>>> meta.kinds, [i.name for i in meta.ids]
({'when': 'datetime'}, ['key'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import BOOLEAN, CATEGORICAL, CONTINUOUS, DATETIME
from ganvae.errors import DataError

ID = "id"
# SDV's sdtype -> ganvae's column kind (None: an identifier, never trained on)
SDTYPES: dict[str, str | None] = {
    "numerical": CONTINUOUS,
    "categorical": CATEGORICAL,
    "boolean": BOOLEAN,
    "datetime": DATETIME,
    ID: None,
}


@dataclass
class IdColumn:
    """An identifier column: where it stood, and how fresh ids are made (`numeric`: integers from
    `start`, above every real id; else text `<name>-<k>`)."""

    name: str
    position: int
    numeric: bool
    start: int = 0

    @classmethod
    def of(cls, series: pd.Series, position: int) -> IdColumn:
        values = series.dropna()
        numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
        start = int(np.floor(values.max())) + 1 if numeric and len(values) else 0
        return cls(str(series.name), position, numeric, start)

    def values(self, n: int) -> pd.Series:
        if self.numeric:
            return pd.Series(np.arange(self.start, self.start + n, dtype=np.int64), name=self.name)
        return pd.Series([f"{self.name}-{k}" for k in range(n)], name=self.name, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "position": self.position, "numeric": self.numeric, "start": self.start}


def add_ids(frame: pd.DataFrame, ids: list[IdColumn]) -> pd.DataFrame:
    """`frame` (synthetic rows) with a fresh, unique id in each id column, at the column's place."""
    if not ids:
        return frame
    out = frame.reset_index(drop=True).copy()
    for spec in sorted(ids, key=lambda s: s.position):
        out.insert(min(spec.position, out.shape[1]), spec.name, spec.values(len(out)))
    return out


@dataclass
class Metadata:
    """Declared kinds (ganvae's names) and the id columns, as read from a metadata file."""

    kinds: dict[str, str] = field(default_factory=dict)
    ids: list[IdColumn] = field(default_factory=list)  # positions and starts are set by `apply`
    source: str = ""

    @property
    def id_names(self) -> list[str]:
        return [i.name for i in self.ids]

    def without(self, dropped: list[str]) -> Metadata:
        """The declarations of the columns that `--drop` keeps."""
        kinds = {c: k for c, k in self.kinds.items() if c not in dropped}
        return Metadata(kinds, [i for i in self.ids if i.name not in dropped], self.source)

    def check_columns(self, available: list[str], label: str) -> None:
        unknown = [c for c in (*self.kinds, *self.id_names) if c not in available]
        if unknown:
            raise DataError(
                f"{self.source} names column(s) {', '.join(map(repr, unknown))} that {label} does not have; "
                f"its columns are: {', '.join(available)}"
            )

    def apply(
        self, frame: pd.DataFrame, kinds: dict[str, str], label: str
    ) -> tuple[pd.DataFrame, dict[str, str], list[IdColumn]]:
        """(frame without its id columns, kinds with the declared ones, the id columns) for a loaded
        `frame` whose inferred kinds are `kinds`; a declared kind the values cannot have is refused."""
        from ganvae.data.tables.kinds import looks_like_dates

        ids = [IdColumn.of(frame[name], list(frame.columns).index(name)) for name in self.id_names]
        frame = frame.drop(columns=self.id_names)
        kinds = {c: k for c, k in kinds.items() if c in frame.columns}
        for name, kind in self.kinds.items():
            col = frame[name]
            numeric = pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
            if kind == CONTINUOUS and not numeric:
                raise DataError(
                    f"{self.source}: column {name!r} of {label} is declared numerical but holds text "
                    f"(e.g. {col.dropna().iloc[0]!r}); declare it categorical"
                )
            is_dates = pd.api.types.is_datetime64_any_dtype(col.dtype) or looks_like_dates(col.dropna())
            if kind == DATETIME and not is_dates:
                raise DataError(
                    f"{self.source}: column {name!r} of {label} is declared datetime but not every value "
                    f"is a date (e.g. {col.dropna().iloc[0]!r}); give dates as text, e.g. 2024-01-31"
                )
            kinds[name] = kind
        return frame, kinds, ids


def read_metadata(path: str | Path) -> Metadata:
    """The metadata in JSON file `path`; DataError (one line) when it cannot be read or is not valid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise DataError(f"cannot read the metadata file {path} ({reason}); give a JSON file") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(
            f"{path} is not valid JSON ({e.msg}, line {e.lineno}); give "
            '{"columns": {"name": {"sdtype": "numerical"}}}'
        ) from None
    return parse_metadata(raw, str(path))


def parse_metadata(raw: Any, source: str) -> Metadata:
    """`Metadata` from the parsed JSON `raw` (read from `source`, named in messages)."""
    if isinstance(raw, dict) and "columns" not in raw and isinstance(raw.get("tables"), dict):
        tables = raw["tables"]
        if len(tables) != 1:
            raise DataError(f"{source} describes {len(tables)} tables; give the metadata of one table")
        raw = next(iter(tables.values()))
    columns = raw.get("columns") if isinstance(raw, dict) else None
    if not isinstance(columns, dict):
        raise DataError(
            f'{source} has no "columns" object; give {{"columns": {{"name": {{"sdtype": "numerical"}}}}}}'
        )
    meta = Metadata(source=source)
    for name, spec in columns.items():
        sdtype = spec.get("sdtype") if isinstance(spec, dict) else None
        if sdtype not in SDTYPES:
            raise DataError(
                f"{source}: column {name!r} has sdtype {sdtype!r}; use one of {', '.join(SDTYPES)}"
            )
        kind = SDTYPES[sdtype]
        if kind is None:
            meta.ids.append(IdColumn(str(name), 0, False))
        else:
            meta.kinds[str(name)] = kind
    return meta
