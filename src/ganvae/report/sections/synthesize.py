"""The tabular synthetic-data task's section and figures: fidelity, diversity, utility and privacy per
model, the verdicts in words (who was judged for privacy, and why), the worst-kept column pairs, column
histograms and correlation differences (`ganvae.tasks.synthesize`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganvae.evaluate.tables import TABLE_FIGURES, WORST_PAIRS
from ganvae.experiment.table_verdicts import QUALITY_MARGIN, SCORE_NAMES
from ganvae.experiment.verdicts import row_sentence
from ganvae.metrics.meta import get as get_metric
from ganvae.report.env import fmt
from ganvae.report.sections import Section
from ganvae.report.sections.search import add_search


def draw_figures(
    figures: Path, train, seed0: dict[str, Any], kinds: dict[str, str], families: dict[str, str]
) -> list[tuple[str, str]]:
    """Column histograms and correlation differences of the real training rows against each model's rows
    of seed 0; (path in the task folder, caption) of each figure drawn."""
    from ganvae.metrics.tabular import correlation_matrices
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    out = []
    if plots.column_histograms(figures / "columns.png", train, seed0, kinds, families):
        out.append(
            ("figures/columns.png", "Each column: real training rows against each model's rows (seed 0)")
        )
    mats = {}
    names: list[str] = []
    for name, synth in seed0.items():
        names, real_corr, synth_corr = correlation_matrices(train, synth, kinds)
        mats[name] = synth_corr
    if names and plots.correlation_differences(figures / "correlations.png", names, real_corr, mats):
        out.append(
            ("figures/correlations.png", "Correlation matrix of the real rows, and each model's difference")
        )
    return out


def section(results: dict[str, Any], cfg: Any, data_name: str, figures: list[tuple[str, str]]) -> Section:
    """`results`: the task's summary (the real test split's row has the family "reference"); `cfg`: its
    plan (seeds, budget, batch size, rows); `figures`: (path, caption) of the figures drawn."""
    table = results["models"]
    real = next(k for k, v in table.items() if v["family"] == "reference")
    d = results["data"]
    kinds = d["kinds"]
    counts = {k: sum(1 for v in kinds.values() if v == k) for k in dict.fromkeys(kinds.values())}
    pairs = results["runs"][0]["pairs"]  # the real side decides which pairs count: the same in every run
    tol = results.get("privacy_rule", {}).get("tolerance", 0.05)
    sec = Section(
        "Tabular synthetic data",
        intro=(
            f"{data_name}: {d['rows']} rows ({d['train_rows']} train / {d['test_rows']} test), columns "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + (f"; target {d['target']}" if d["target"] else "; no target (no utility figure)")
            + f". Each model trained on the training rows ({cfg.seeds} seed(s), budget "
            f"{cfg.train_config(0).describe_budget()}, batch {cfg.batch_size}) through one transformer "
            f"fitted in {d['transformer_fit_s']:.1f} s (counted in each training time), then drew "
            f"{cfg.rows or d['train_rows']} rows. Quality (SDMetrics' QualityReport): mean of column shapes "
            "(1 − KS / 1 − TV) and pair trends (1 − half the correlation difference, or contingency "
            "similarity), 1 = identical; a pair counts only where the real rows hold a trend (|Pearson r| > "
            f"0.5, or Cramér's V > 0.3): {pairs['counted']} of {pairs['total']} pairs here. "
            + (
                "Utility: a gradient-boosting model trained on synthetic rows minus the same model trained "
                "on real rows, both scored on the real test split (0 = as useful as real rows); the ratio "
                "synthetic / real only where the real-data model clearly beats chance. "
                if d["target"]
                else ""
            )
            + "DCR ratio: median distance of synthetic rows to the closest training row over that of real "
            "held-out rows; ideal ≈ 1 (below: closer to the training rows than unseen real rows; far above: "
            "rows off the data, not more privacy). The privacy verdict judges only models whose quality is "
            f"within {QUALITY_MARGIN} of the best model's (or of the real test split's, if lower), by how "
            f"far their DCR ratio falls below 1 (a shortfall up to {tol:.2f}, the holdout's own noise, "
            f"counts as none). The row '{real}' scores "
            "real unseen rows like a model (fidelity only): the ceiling sampling noise allows."
        ),
    )
    models = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
    for row in results["verdicts"]:
        use = row["use_case"].split(": ")[1]
        if use == "privacy":
            sec.findings.append(_privacy_finding(row, results["privacy_rule"], models))
            continue
        what = "quality score"
        if use == "utility":
            score = results["utility_rule"]["score"]
            what = f"synthetic − real {SCORE_NAMES.get(score, score)}"
        text = row_sentence(row, what) if row.get("winner") else _sentence(row["note"])
        sec.findings.append(f"{use.capitalize()}: {text}")
        if use == "fidelity":
            sec.findings.append(_strongest_pair_finding(results["runs"], models))
        if use == "utility" and results["utility_rule"]["real_learns"]:  # else the note says it all
            sec.findings.append(_utility_finding(results["utility_rule"], d["target"], SCORE_NAMES))
    if models:
        spread = {k: v["quality"]["std"] for k, v in models.items() if v["seeds"] > 1}
        if spread:
            worst = max(spread, key=spread.get)
            sec.findings.append(
                f"Stability: the quality score's spread across seeds is largest for {worst}; "
                + ", ".join(f"{k} ± {s:.3f}" for k, s in spread.items())
                + "."
            )
        copies = {k: v["exact_copies"]["mean"] for k, v in models.items()}
        ref = np.mean([r["privacy"]["exact_copies_holdout"] for r in results["runs"] if "privacy" in r])
        sec.findings.append(
            "Exact copies of training rows: "
            + ", ".join(f"{k} {c:.2%}" for k, c in copies.items())
            + f" (real unseen rows: {ref:.2%}, rows that happen to repeat)."
        )
    keys = [key for key in TABLE_FIGURES if any(key in row for row in table.values())]
    columns = [get_metric(key).label for key in keys]
    rows = [
        [
            name,
            row["family"],
            *[fmt(row[k]["mean"], row[k]["std"]) if k in row else "—" for k in keys],
            fmt(row["train_s"]["mean"], row["train_s"]["std"]) if "train_s" in row else "—",
        ]
        for name, row in table.items()
    ]
    note = "Higher is better for quality, shapes, pair trends and coverage"
    if d["target"]:
        u = results["utility_rule"]
        name = SCORE_NAMES.get(u["score"], u["score"])
        note += (
            f" and utility (synthetic − real {name}; the real-data model scores {u['real']:.3f}, chance "
            f"{u['chance']:.3f}"
            + ("" if u["real_learns"] else "; no ratio: the real-data model does not clearly beat chance")
            + ")"
        )
    note += (
        "; DCR ratio: ideal ≈ 1 (below: closer to training rows than unseen real rows; far above: rows off "
        "the data); lower is better for exact copies and training time."
    )
    sec.table(
        "Fidelity, diversity, utility and privacy (mean ± std over seeds)",
        ["model", "family", *columns, "training time (s)"],
        rows,
        note=note,
    )
    worst = [_pair_row(r["model"], p) for r in results["runs"] if r["seed"] == 0 for p in r["pairs"]["worst"]]
    if worst:  # none when no pair has a real trend to keep
        sec.table(
            f"The {WORST_PAIRS} worst-kept column pairs of each model (seed 0; pairs that count only)",
            ["model", "pair", "measure", "real", "synthetic", "pair score"],
            worst,
            note=PAIR_NOTE,
        )
    add_search(sec, results.get("search"))
    for path, caption in figures:
        sec.figure(path, caption)
    return sec


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


PAIR_NOTE = (
    "Pair score: 1 − |r_real − r_synthetic| / 2 for two numbers; otherwise 1 − total variation of the joint "
    "frequencies, where Cramér's V shows how strongly the pair is associated on each side. A number paired "
    "with a category is cut into 10 equal-width bins over each side's own range, as sdmetrics does: a "
    "different minimum or maximum shifts every bin, so on a skewed or outlying number even unseen real rows "
    "can score low (see the real test split's rows)."
)
_MEASURES = {"pearson": "Pearson r", "cramer": "Cramér's V"}


def _pair_row(model: str, p: dict[str, Any]) -> list[str]:
    trend = ["—" if v != v else f"{v:.2f}" for v in (p["real"], p["synthetic"])]  # v != v: NaN
    return [model, " – ".join(p["columns"]), _MEASURES[p["measure"]], *trend, f"{p['score']:.3f}"]


def _strongest_pair_finding(runs: list[dict[str, Any]], models: dict[str, Any]) -> str:
    """'The strongest real correlation, a – b 0.89, came out as 0.35 in X and 0.86 in Y (mean over seeds).'"""
    first = next(r for r in runs if r["model"] in models)["pairs"]["strongest"]
    if first is None:
        return "Pair trends: no pair of columns has a measurable trend in the real rows."
    kind = "correlation" if first["measure"] == "pearson" else "association (Cramér's V)"
    came = [
        f"{np.mean([r['pairs']['strongest']['synthetic'] for r in runs if r['model'] == m]):.2f} in {m}"
        for m in models
    ]
    return (
        f"Pair trends: the strongest real {kind}, {' – '.join(first['columns'])} {first['real']:.2f}, came "
        f"out as {' and '.join(came)} (mean over seeds)."
    )


def _utility_finding(rule: dict[str, Any], target: str, names: dict[str, str]) -> str:
    name = names.get(rule["score"], rule["score"])
    return (
        f"Utility baseline: the model trained on the real rows predicts {target} with {name} "
        f"{rule['real']:.3f}, chance ({rule['chance_rule']}) {rule['chance']:.3f}: the real rows teach the "
        "target, and synthetic − real says how much of that the synthetic rows keep."
    )


def _privacy_finding(row: dict[str, Any], rule: dict[str, Any], models: dict[str, Any]) -> str:
    """The privacy verdict in words, DCR ratios rather than shortfalls, and who was not judged and why."""
    ratio = {k: fmt(v["dcr_ratio"]["mean"], v["dcr_ratio"]["std"]) for k, v in models.items()}
    winner, rival = row.get("winner"), row.get("runner_up")
    if winner is None:
        text = _sentence(row["note"])[:-1]
    elif rule["passes"][winner]:
        text = f"{winner}'s rows are no closer to the training rows than unseen real rows (DCR ratio "
        text += f"{ratio[winner]})"
        if rival:
            text += f"; {rival}'s are closer (DCR ratio {ratio[rival]})" + (
                "" if row.get("clear") else "; spreads overlap, not a clear win"
            )
    else:
        text = (
            f"no model is as far from the training rows as unseen real rows; {winner} comes closest (DCR "
            f"ratio {ratio[winner]}, against {ratio[rival]} for {rival})"
        )
    reference = "the real test split's quality score" if rule["capped"] else "the best quality score"
    text += (
        f". Judged: models within {rule['quality_margin']} of {reference} ({rule['best_quality']:.3f}"
        + ("; lower than the best model's" if rule["capped"] else "")
        + f"): {', '.join(rule['eligible'])}"
    )
    if rule["excluded"]:
        text += "; not judged, fidelity too far below: " + ", ".join(
            f"{k} (quality {q:.3f}; "
            + (
                f"a DCR ratio of {ratio[k]} at that fidelity says its rows are off the data, not private"
                if models[k]["dcr_ratio"]["mean"] > 1
                else f"DCR ratio {ratio[k]}"
            )
            + ")"
            for k, q in rule["excluded"].items()
        )
    return f"Privacy: {text}."
