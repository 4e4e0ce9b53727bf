"""`TableData`: a table's training view for the one training loop — its rows transformed by a
`TabularTransformer` fitted on the training split — plus the context a tabular model is built with.

The transformer is fitted once per (table, seed) and shared by every model of a comparison, so all of
them learn the same representation of the same rows; its fitting time is recorded (`fit_s`), because
it is part of what a tabular model costs (CTGAN and TVAE fit theirs inside `fit`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from ganvae.data.base import describe
from ganvae.data.tables import Table, TabularTransformer


@dataclass
class TableData:
    table: Table
    transformer: TabularTransformer
    x_train: torch.Tensor
    fit_s: float
    y_train: None = None
    class_names: None = None
    notes: list[str] = field(default_factory=list)
    kind: ClassVar[str] = "table"  # the `ganvae.data.base.Dataset` protocol
    unit: ClassVar[str] = "rows"

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def shape(self) -> tuple[int]:
        return (int(self.x_train.shape[1]),)

    @property
    def num_classes(self) -> int:
        return 0

    @property
    def n_test(self) -> int:
        """Test rows: scored as DataFrames against synthetic rows, never transformed (the transformer is
        fitted on the training split only and may not know a category that only test rows have)."""
        return len(self.table.test)

    @property
    def context(self) -> dict[str, Any]:
        """What a tabular model is built with (and saves beside its weights): the fitted transformer."""
        return {"transformer": self.transformer.to_dict()}

    @property
    def split(self) -> str:
        return str(self.table.meta.get("split", "given"))

    def describe(self) -> dict[str, Any]:
        return describe(self, self.n_test)

    def fingerprint(self) -> str:
        h = hashlib.sha256(self.table.fingerprint().encode())
        h.update(repr(sorted(self.table.kinds.items())).encode())
        return h.hexdigest()[:16]


def prepare_table(table: Table, seed: int = 0, **transformer_options: Any) -> TableData:
    """Fit the transformer on the training split (seeded) and transform it."""
    t0 = time.perf_counter()
    transformer = TabularTransformer(seed=seed, **transformer_options).fit(
        table.train, table.kinds, table.meta.get("ids")
    )
    x_train = torch.as_tensor(transformer.transform(table.train), dtype=torch.float32)
    return TableData(table, transformer, x_train, time.perf_counter() - t0)
