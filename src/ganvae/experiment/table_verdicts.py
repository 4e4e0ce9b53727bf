"""The utility and privacy verdicts of a table comparison: the rules that decide when a figure may name a
winner at all, on top of `verdicts.use_case_row` (each family's best on a figure; is the gap clear).

Utility (train synthetic, test real) is judged by the *difference* synthetic − real of the primary score
(macro F1 or R²; higher is better, 0 = as useful as the real rows). When the model trained on the real
rows is not clearly above the chance baseline, no model can show what the synthetic rows keep: the verdict
then names no winner and says so.

Privacy is judged together with fidelity. The DCR ratio has an ideal, about 1 (synthetic rows no closer to
the training rows than unseen real rows); far above 1 means rows off the data, which a badly fitted model
gets for free. So (1) only models whose quality score is within `QUALITY_MARGIN` of a reference are
eligible: the best model's, or the real test split's where that is lower (a model scores above unseen
real rows only by fitting the training rows themselves, which is what privacy is about); and (2) among
them the figure is the shortfall below 1, max(0, 1 − DCR ratio), lower is better, a shortfall within the
holdout's tolerance counting as none. Models that all reach ~1 tie (no winner); an eligible model that
stays below 1 − tolerance never wins alone. A model that copies training rows thus loses privacy, and one
that emits rows far from the data is not eligible to win it.
"""

from __future__ import annotations

from typing import Any

from ganvae.experiment.verdicts import use_case_row

QUALITY_MARGIN = 0.05  # quality-score points below the best model's that still count as "as faithful"
SCORE_NAMES = {"f1_macro": "macro F1", "r2": "R²"}
CHANCE_NAMES = {"f1_macro": "always the most frequent class", "r2": "always the training mean"}

PRIVACY = "tabular synthetic data: privacy"
UTILITY = "tabular synthetic data: utility"


def _no_winner(use_case: str, label: str, note: str) -> dict[str, Any]:
    return {"use_case": use_case, "metric": label, "winner": None, "note": note}


def utility_verdict(
    models: dict[str, dict[str, Any]], runs: list[dict[str, Any]], target: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(verdict row, facts for the report) for the utility use case.

    `models`: the GAN / VAE rows of `summarise`, with ``utility_gap`` as a mean ± std dict; `runs`: the
    per-seed results, each with its ``utility`` dict (`ganvae.metrics.tabular.utility`).
    """
    scored = [r for r in runs if "utility" in r and r["model"] in models]
    first = scored[0]["utility"]
    score = first["primary"]
    name = SCORE_NAMES.get(score, score)
    real = [r["utility"]["real"][score] for r in scored]
    chance = first["chance"][score]
    facts = {
        "score": score,
        "real": sum(real) / len(real),
        "chance": chance,
        "chance_rule": CHANCE_NAMES.get(score, "chance"),
        "real_learns": all(r["utility"]["learns"]["real"] for r in scored),
        "synthetic_learning": {
            m: sum(r["utility"]["learns"]["synthetic"] for r in scored if r["model"] == m) for m in models
        },
        "runs": {m: sum(1 for r in scored if r["model"] == m) for m in models},
    }
    label = f"TSTR utility: synthetic − real {name} (0 = as useful as the real rows)"
    if facts["real_learns"]:
        return use_case_row(UTILITY, "utility_gap", models, label=label), facts
    learners = [f"{m} in {k} of {facts['runs'][m]} runs" for m, k in facts["synthetic_learning"].items() if k]
    note = (
        f"no winner: the model trained on the real rows does not predict {target} clearly better than "
        f"chance ({name} {facts['real']:.3f} against {chance:.3f} for {facts['chance_rule']}), "
        + (
            "and no model trained on synthetic rows does either"
            if not learners
            else "so what synthetic rows keep of it cannot be measured (models trained on synthetic rows "
            f"beat chance: {', '.join(learners)})"
        )
    )
    return _no_winner(UTILITY, label, note), facts


def privacy_verdict(
    models: dict[str, dict[str, Any]], ceiling: float | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(verdict row, facts for the report) for the privacy use case, by the module's rule.

    `models`: the GAN / VAE rows of `summarise`, with ``quality``, ``dcr_ratio``, ``dcr_shortfall`` and
    ``dcr_tolerance`` as mean ± std dicts; `ceiling`: the real test split's quality score, if measured.
    """
    best = max(v["quality"]["mean"] for v in models.values())
    if ceiling is not None and ceiling == ceiling:  # not NaN
        best = min(best, ceiling)
    eligible = {k: v for k, v in models.items() if v["quality"]["mean"] >= best - QUALITY_MARGIN}
    tolerance = max(v["dcr_tolerance"]["mean"] for v in models.values())
    facts = {
        "quality_margin": QUALITY_MARGIN,
        "best_quality": best,  # the reference: the best model's, or the real test split's if lower
        "capped": ceiling is not None and best == ceiling,
        "eligible": list(eligible),
        "excluded": {k: v["quality"]["mean"] for k, v in models.items() if k not in eligible},
        "tolerance": tolerance,
        "passes": {k: bool(v["dcr_shortfall"]["mean"] <= tolerance) for k, v in eligible.items()},
    }
    label = (
        f"DCR shortfall: max(0, 1 − DCR ratio), lower is better, ≤ {tolerance:.2f} counts as 0; models "
        f"within {QUALITY_MARGIN} of the best quality score (or the real test split's, if lower)"
    )
    ratios = {k: v["dcr_ratio"]["mean"] for k, v in eligible.items()}
    if any(r != r for r in ratios.values()):  # NaN: the holdout median DCR is 0
        note = "no winner: most unseen real rows duplicate a training row, so the DCR ratio is undefined"
        return _no_winner(PRIVACY, label, note), facts
    row = use_case_row(PRIVACY, "dcr_shortfall", eligible, label=label)
    winner, rival = row["winner"], row.get("runner_up")
    shown = ", ".join(f"{k} {ratios[k]:.2f}" for k in ratios)
    if rival is not None and facts["passes"][winner] and facts["passes"][rival]:
        note = (
            f"no winner: {winner} and {rival} both keep their rows at least as far from the training rows as "
            f"unseen real rows (DCR ratio {shown}; ideal ≈ 1, a larger one is not more private)"
        )
        return _no_winner(PRIVACY, label, note), facts
    if rival is None and not facts["passes"][winner]:
        note = (
            f"no winner: the only model of a quality within {QUALITY_MARGIN} of the reference, {winner}, "
            f"puts its rows closer to the training rows than unseen real rows are (DCR ratio {shown})"
        )
        return _no_winner(PRIVACY, label, note), facts
    return row, facts
