"""The table search's target (`experiment.search`): trials train on the training rows minus a seeded 10 %
of them (stratified by the target when it is discrete), through a transformer fitted on the rows they
train on, and are scored by **SDMetrics' quality score** (`metrics.tabular.quality`: column shapes and
pair trends, 1 = identical) of their synthetic rows against the validation rows — **maximised**. The
comparison itself scores quality against the training rows; the search cannot (it would reward copying
the rows a trial trained on), so it scores against rows no trial saw.

Each trial draws as many rows as the comparison draws per run (`--rows`, else as many as it trained on),
on the same noise for every trial. Measuring the score takes a fraction of a second (0.3 s at 3,563
rows on credit-data), so the loop measures it about ten times per run and trials are pruned on it like
images on their FD curve. Utility and privacy are not searched on: utility needs the target's test
predictions, and privacy is a constraint, not a goal to push.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ganvae.data.tables import Table
from ganvae.data.tables.kinds import DISCRETE_KINDS
from ganvae.data.tables.table_data import TableData, prepare_table
from ganvae.experiment.search import SAMPLE_SEED, SearchOptions, fingerprint


def validation_split(data: TableData, share: float, seed: int) -> TableData:
    """The data a table search trains on: the training rows minus a seeded `share` of them (stratified by
    the target when it is discrete), which become the "test" rows of the returned data, with a
    transformer fitted on the remaining rows only. Neither `data.table.test` nor `data.table.frame` (which
    holds the test rows) is read."""
    from ganvae.data.split import split_indices

    table = data.table
    rows = table.train
    labels = None
    if table.target is not None and table.kinds.get(table.target) in DISCRETE_KINDS:
        labels = pd.factorize(rows[table.target].astype(object))[0]  # NaN: a class of its own (-1)
    fit, val = split_indices(len(rows), labels, share, seed)
    stratified = "stratified by " + table.target + ", " if labels is not None else ""
    meta = {"split": f"validation: {share:g} of the training rows, {stratified}seed {seed}"}
    part = Table(
        f"{table.name} (search)",
        rows,
        dict(table.kinds),
        rows.iloc[np.sort(fit)],
        rows.iloc[np.sort(val)],
        table.target,
        table.source,
        meta,
    )
    return prepare_table(part, seed=0)  # the comparison's transformer seed, fitted on the trials' rows


class ValidationQuality:
    """SDMetrics' quality score of `n` synthetic rows (drawn with a given seed) against validation rows."""

    def __init__(self, rows: pd.DataFrame, kinds: dict[str, str], n: int):
        self.rows, self.kinds, self.n = rows, kinds, n

    def __call__(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        from ganvae.metrics.tabular import quality

        synth = model.sample(self.n, generator=torch.Generator().manual_seed(seed))
        return float(quality(self.rows, synth, self.kinds)["score"])


class TableTarget:
    """Validation quality score, maximised, pruned on the same score measured during training."""

    metric = "quality"
    direction = "maximize"
    curve = True
    features = None

    def __init__(self, plan: Any, data: TableData, opts: SearchOptions, *, classifier: Any = None):
        self.train = validation_split(data, opts.validation_share, opts.seed)
        part = self.train.table
        self.quality = ValidationQuality(part.test, part.kinds, getattr(plan, "rows", 0) or len(part.train))
        self.objective = (
            f"quality score (SDMetrics' QualityReport) of {self.quality.n} synthetic rows against "
            f"{len(part.test)} validation rows"
        )
        # the training rows (values, column names and kinds): the test rows are not part of the name
        hashed = pd.util.hash_pandas_object(data.table.train, index=True).to_numpy()
        self._rows = fingerprint(hashed, np.frombuffer(repr(sorted(part.kinds.items())).encode(), np.uint8))

    def score(self, model: Any, seed: int = SAMPLE_SEED) -> float:
        return self.quality(model, seed)

    def diverged(self, curve: list[tuple[float, int, float]]) -> str | None:
        return None  # a NaN loss or non-finite rows stop a trial as diverged; the score itself is bounded

    def selects(self, plan: Any) -> bool:
        return False  # the seeds keep their last weights: so does a trial

    def payload(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "train_split": self._rows,
            "target": self.train.table.target,
        }

    def facts(self) -> dict[str, Any]:
        part = self.train.table
        return {
            "n_train": len(part.train),
            "n_val": len(part.test),
            "n_synthetic": self.quality.n,
            "unit": "rows",
            "how": part.meta["split"].removeprefix("validation: "),
            "rows": [int(i) for i in part.test.index],  # the frame's row labels: checkable, never test rows
        }
