"""The table evaluator: every figure of one synthetic table against the real training and test rows.

Fidelity is SDMetrics' quality report (`ganvae.metrics.tabular`: column shapes and the pair trends of
pairs with a real trend), with category coverage and the pairs behind the score (the worst kept, the
strongest real one); utility is train-synthetic-test-real against the real rows and a chance baseline;
privacy the distance to the closest record (`ganvae.metrics.tabular_utility`, `tabular_privacy`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

WORST_PAIRS = 5  # pairs listed per run: the lowest pair-trend scores among the pairs that count
# The figures of each model that the table comparison summarises over seeds and its report shows as
# columns, in that order (labels and directions: each metric's own metadata)
TABLE_FIGURES = (
    "quality",
    "column_shapes",
    "pair_trends",
    "category_coverage",
    "utility_gap",
    "utility_ratio",
    "dcr_ratio",
    "exact_copies",
)


def fidelity(train, synth, kinds: dict[str, str]) -> dict[str, Any]:
    """Quality (column shapes, pair trends), category coverage, and the pairs behind the pair-trend score:
    ``pairs`` holds how many pairs count, the `WORST_PAIRS` lowest-scored of them and the pair with the
    strongest real trend (Pearson's r if the table has two numbers, else Cramér's V)."""
    from ganvae.metrics.tabular import category_coverage, column_shapes, pair_trends, quality_of

    pairs = pair_trends(train, synth, kinds)
    q = quality_of(column_shapes(train, synth, kinds), pairs)
    counted = sorted((p for p in pairs if p["counts"]), key=lambda p: p["score"])
    strongest = max(
        (p for p in pairs if p["measure"] == "pearson" and np.isfinite(p["real"])),
        key=lambda p: abs(p["real"]),
        default=None,
    ) or max((p for p in pairs if np.isfinite(p["real"])), key=lambda p: p["real"], default=None)
    return {
        "quality": q["score"],
        "column_shapes": q["column_shapes"],
        "pair_trends": q["column_pair_trends"],
        "category_coverage": category_coverage(train, synth, kinds),
        "pairs": {
            "counted": q["pairs_counted"],
            "total": q["pairs"],
            "worst": [_pair(p) for p in counted[:WORST_PAIRS]],
            "strongest": _pair(strongest) if strongest else None,
        },
    }


def _pair(p: dict[str, Any]) -> dict[str, Any]:
    return {**{k: p[k] for k in ("measure", "real", "synthetic", "score")}, "columns": list(p["columns"])}


def evaluate_rows(train, synth, test, kinds: dict[str, str], target: str | None, seed: int) -> dict[str, Any]:
    """Every figure of one synthetic table against the real splits."""
    from ganvae.metrics.tabular import privacy, utility

    out = fidelity(train, synth, kinds)
    p = privacy(train, synth, test, kinds)
    out.update({k: p[k] for k in ("dcr_ratio", "dcr_shortfall", "dcr_tolerance", "exact_copies")}, privacy=p)
    if target is not None:
        u = utility(train, synth, test, target, kinds, seed)
        key = u["primary"]
        out.update(utility_gap=u["difference"][key], utility_metric=key, utility=u)
        if u["learns"]["real"]:  # a ratio only where the real rows teach something (tabular_utility)
            out["utility_ratio"] = u["ratio"][key]
    return out
