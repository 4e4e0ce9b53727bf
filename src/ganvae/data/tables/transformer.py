"""`TabularTransformer`: a table <-> the float32 matrix a tabular GAN or VAE works on, reversibly.

The data transformation of CTGAN (Xu et al., 2019, "Modeling Tabular Data using Conditional GAN"):
continuous and datetime columns by mode-specific normalisation (`ganvae.data.tables.mode_normalizer`) into an
alpha (Tanh) and a mode one-hot (softmax); categorical and boolean columns as one-hots (softmax). Missing
values are kept rather than dropped: a continuous column with NaN gains a [present, missing] one-hot,
and a categorical NaN is a category of its own. `inverse_transform` accepts raw generator outputs
(argmax of every softmax span, alpha clipped to [-1, 1]) and restores the fitted frame's columns, order,
dtypes, categories and NaNs.

Models read the layout from `spans` (each with its activation) and condition on `condition_spans`.

>>> from sklearn.datasets import load_wine
>>> df = load_wine(as_frame=True).frame
>>> kinds = {c: "continuous" for c in df.columns[:-1]} | {"target": "categorical"}
>>> t = TabularTransformer(seed=0).fit(df, kinds)
>>> x = t.transform(df)
>>> x.shape[1] == t.output_dim, t.inverse_transform(x)["target"].equals(df["target"])
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tables.columns import DiscreteColumn, NumericColumn, _is_missing
from ganvae.data.tables.kinds import DISCRETE_KINDS, KINDS
from ganvae.data.tables.metadata import IdColumn, add_ids
from ganvae.data.tables.mode_normalizer import ModeNormalizer
from ganvae.errors import CheckpointError, ConfigError, DataError

FORMAT = "ganvae.tabular_transformer"
VERSION = 1
SPAN_KINDS = ("alpha", "mode", "category", "missing")


@dataclass(frozen=True)
class Span:
    """A contiguous block of the transformed matrix that belongs to one source column."""

    column: str  # source column name
    kind: str  # "alpha" (width 1, tanh) | "mode" | "category" | "missing" (softmax)
    start: int
    width: int

    @property
    def activation(self) -> str:
        return "tanh" if self.kind == "alpha" else "softmax"

    @property
    def end(self) -> int:
        return self.start + self.width


class TabularTransformer:
    """Reversible CTGAN-style encoding of a DataFrame; `fit` returns self.

    `max_modes` and `weight_threshold` bound the Gaussian mixture of each continuous column; the mixture
    is fitted on at most `max_fit_rows` sampled rows; `seed` fixes those samples and the mode draws of
    `transform` (the same frame always encodes the same way).
    """

    def __init__(
        self, max_modes: int = 10, weight_threshold: float = 0.005, seed: int = 0, max_fit_rows: int = 5000
    ) -> None:
        if max_modes < 1 or max_fit_rows < 2 or not 0.0 <= weight_threshold < 1.0:
            raise ConfigError(
                "TabularTransformer needs max_modes >= 1, max_fit_rows >= 2 and 0 <= weight_threshold < 1, "
                f"got {max_modes}, {max_fit_rows}, {weight_threshold}"
            )
        self.max_modes = max_modes
        self.weight_threshold = weight_threshold
        self.seed = seed
        self.max_fit_rows = max_fit_rows
        self.columns_: list[NumericColumn | DiscreteColumn] | None = None
        # id columns (`--metadata`): never encoded; `add_ids` puts fresh ids into synthetic rows
        self.ids_: list[IdColumn] = []

    # ---- fitting ------------------------------------------------------------------------------------
    def fit(
        self, frame: pd.DataFrame, kinds: dict[str, str], ids: list[dict[str, Any]] | None = None
    ) -> TabularTransformer:
        """Learn every column's encoding. `kinds` must name a kind for every column of `frame`; `ids`: the
        table's id columns, left out of `frame` (`Table.meta["ids"]`), restored by `add_ids`."""
        self.ids_ = [IdColumn(**i) for i in ids or []]
        if len(frame) == 0 or frame.shape[1] == 0:
            raise DataError("cannot fit the tabular transformer on an empty frame; give rows and columns")
        lacking = [str(c) for c in frame.columns if c not in kinds]
        if lacking:
            raise DataError(f"no kind given for column(s) {', '.join(lacking)}; pass kinds for every column")
        bad = {c: k for c, k in kinds.items() if k not in KINDS}
        if bad:
            raise ConfigError(f"unknown column kind(s) {bad}; use one of {', '.join(KINDS)}")
        columns: list[NumericColumn | DiscreteColumn] = []
        for i, name in enumerate(frame.columns):
            kind = kinds[name]
            if kind in DISCRETE_KINDS:
                columns.append(DiscreteColumn.fit(frame[name], kind))
            else:
                # One seed per column: adding a column does not change how the others are fitted.
                normalizer = ModeNormalizer(**self._normalizer_config(i))
                columns.append(NumericColumn.fit(frame[name], kind, normalizer))
        self.columns_ = columns
        return self

    def _normalizer_config(self, index: int) -> dict[str, Any]:
        seed = int(np.random.SeedSequence([self.seed, index]).generate_state(1)[0])
        return {
            "max_modes": self.max_modes,
            "weight_threshold": self.weight_threshold,
            "seed": seed,
            "max_fit_rows": self.max_fit_rows,
        }

    def _fitted(self) -> list[NumericColumn | DiscreteColumn]:
        if self.columns_ is None:
            raise RuntimeError("TabularTransformer is not fitted; call fit(frame, kinds) first")
        return self.columns_

    # ---- layout -------------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return [c.name for c in self._fitted()]

    @property
    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self._fitted()}

    @property
    def spans(self) -> list[Span]:
        """Every block of the output, in order, covering [0, output_dim) without gaps."""
        out, start = [], 0
        for col in self._fitted():
            for kind, width in col.widths:
                out.append(Span(col.name, kind, start, width))
                start += width
        return out

    @property
    def output_dim(self) -> int:
        return sum(s.width for s in self.spans)

    @property
    def condition_spans(self) -> list[Span]:
        """The category spans of categorical and boolean columns: what a conditional generator uses."""
        return [s for s in self.spans if s.kind == "category"]

    def _discrete(self, column: str) -> DiscreteColumn:
        for col in self._fitted():
            if col.name == column:
                if isinstance(col, DiscreteColumn):
                    return col
                raise DataError(
                    f"column {column!r} is {col.kind}, not categorical; condition on a discrete one"
                )
        names = ", ".join(self.columns)
        raise DataError(f"no column {column!r} in the transformer; its columns are: {names}")

    def condition_frequencies(self) -> list[np.ndarray]:
        """Per condition span, the share of training rows in each category (one-hot order)."""
        out = []
        for span in self.condition_spans:
            counts = np.asarray(self._discrete(span.column).counts, dtype=float)
            out.append(counts / counts.sum())
        return out

    def categories(self, column: str) -> list[Any]:
        """The values of a categorical/boolean column in one-hot order (NaN last, if it occurred)."""
        return self._discrete(column).categories()

    def encode_condition(self, column: str, value: Any) -> tuple[int, int]:
        """(index into `condition_spans`, category index) for ``column == value``.

        A value also matches a category with the same text, so that ``"1"`` from a command line finds 1.
        """
        col = self._discrete(column)
        span_index = [s.column for s in self.condition_spans].index(column)
        cats = col.categories()
        for i, c in enumerate(cats):
            if (_is_missing(value) and _is_missing(c)) or (not _is_missing(c) and c == value):
                return span_index, i
        text = [i for i, c in enumerate(cats) if str(c) == str(value)]
        if len(text) == 1:
            return span_index, text[0]
        known = ", ".join(repr(c) for c in cats[:20]) + (", ..." if len(cats) > 20 else "")
        raise DataError(f"column {column!r} has no value {value!r}; known values: {known}")

    # ---- encoding -----------------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame, *, seed: int | None = None) -> np.ndarray:
        """N x output_dim float32. Modes are drawn with `seed` (default: the transformer's)."""
        cols = self._fitted()
        lacking = [c.name for c in cols if c.name not in frame.columns]
        if lacking:
            raise DataError(
                f"the frame lacks column(s) {', '.join(lacking)} that the transformer was fitted on"
            )
        base = self.seed if seed is None else seed
        blocks = []
        for i, col in enumerate(cols):
            if isinstance(col, DiscreteColumn):
                blocks.append(col.transform(frame[col.name]))
            else:
                blocks.append(col.transform(frame[col.name], np.random.default_rng([base, i])))
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0), np.float32)

    def inverse_transform(self, array: Any) -> pd.DataFrame:
        """A DataFrame like the fitted one from N x output_dim values (raw generator output is fine)."""
        if hasattr(array, "detach"):  # a torch tensor, without importing torch here
            array = array.detach().cpu().numpy()
        x = np.asarray(array, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.output_dim:
            raise DataError(
                f"inverse_transform needs an N x {self.output_dim} array, got shape {tuple(x.shape)}; "
                "pass the model output for this transformer"
            )
        if not np.isfinite(x).all():
            raise DataError(
                "inverse_transform got NaN or infinite values; check the model that produced them"
            )
        out, start = {}, 0
        for col in self._fitted():
            width = sum(w for _, w in col.widths)
            series = col.inverse(x[:, start : start + width])
            out[col.name] = series.reset_index(drop=True)
            start += width
        return pd.DataFrame(out)

    def add_ids(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Decoded rows with a fresh, unique id in each id column of the table, at its place."""
        return add_ids(frame, self.ids_)

    # ---- JSON ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild this transformer, as JSON-serialisable data."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "config": {
                "max_modes": self.max_modes,
                "weight_threshold": self.weight_threshold,
                "seed": self.seed,
                "max_fit_rows": self.max_fit_rows,
            },
            "columns": [c.to_dict() for c in self._fitted()],
            **({"ids": [i.to_dict() for i in self.ids_]} if self.ids_ else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TabularTransformer:
        """The transformer that `to_dict` described; it transforms exactly as the original did."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise CheckpointError(
                "not a saved tabular transformer (no 'format' field); save it with to_dict()"
            )
        if d.get("version") != VERSION:
            raise CheckpointError(
                f"tabular transformer format version {d.get('version')} is not supported (this ganvae "
                f"reads {VERSION}); refit the transformer"
            )
        try:
            t = cls(**d["config"])
            cols: list[NumericColumn | DiscreteColumn] = []
            for i, c in enumerate(d["columns"]):
                if c["kind"] in DISCRETE_KINDS:
                    cols.append(DiscreteColumn.from_dict(c))
                else:
                    cols.append(NumericColumn.from_dict(c, t._normalizer_config(i)))
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(
                f"saved tabular transformer is incomplete or corrupt ({e}); refit it"
            ) from None
        t.columns_ = cols
        try:
            t.ids_ = [IdColumn(**i) for i in d.get("ids", [])]
        except TypeError as e:
            raise CheckpointError(f"saved tabular transformer: corrupt id columns ({e}); refit it") from None
        return t
