"""The recommendation task's section: ranking quality on held-out users against the popularity baseline,
catalogue coverage and novelty (`ganvae.tasks.recommend`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.verdicts import FAILS, HOLDS, against_bound, display, row_sentence
from ganvae.metrics.meta import get as get_metric
from ganvae.metrics.ranking import RANKING_FIGURES
from ganvae.report.env import fmt
from ganvae.report.sections import Section
from ganvae.report.sections.search import add_search


def section(results: dict[str, Any], cfg: Any, data: Any, figures: Path | None = None) -> Section:
    """`results`: the task's summary (models by name; the baseline's family is "baseline"); `cfg`: its plan
    (seeds, budget); `data`: the interaction data (name, notes, split); `figures`: the folder to draw the
    section's figure into (none drawn without it)."""
    table = results["models"]
    sec = Section(
        "Recommendation (implicit feedback)",
        intro=(
            f"{data.name}: {' '.join(n.rstrip('.') + '.' for n in data.notes)} "
            f"Each model trained on the training {'items' if data.split == 'recbole' else 'users'}' rows "
            f"({cfg.seeds} seed(s), budget {cfg.train_config(0).describe_budget()}); for every test user "
            + (
                "it ranks all items but the user's training and validation items. Recall@k = hits / "
                "held-out items (RecBole's, uncapped); NDCG@100 with binary relevance. "
                if data.split == "recbole"
                else "it ranks all items not folded in. Recall@k = hits / min(k, held-out items); "
                "NDCG@100 with binary relevance (Liang et al. 2018). "
            )
            + "Coverage: share of items in anyone's top-10; novelty: mean -log2 popularity of the "
            "top-10 items. Popularity is deterministic (one run)."
        ),
    )
    if results["verdicts"]:
        sec.findings.append(row_sentence(results["verdicts"][0], "NDCG@100"))
        top = max(table, key=lambda k: table[k]["ndcg@100"]["mean"])
        if top != results["verdicts"][0]["winner"]:  # the GAN-vs-VAE row leaves out other families
            sec.findings.append(
                f"Best overall on NDCG@100: {top} ({table[top]['family']}, "
                f"{fmt(table[top]['ndcg@100']['mean'], table[top]['ndcg@100']['std'])}), outside the "
                "GAN-vs-VAE verdict."
            )
    baseline = next((k for k, v in table.items() if v["family"] == "baseline"), None)
    base = table[baseline] if baseline is not None else None
    for name, row in table.items():
        if name == baseline or base is None:
            continue
        # popularity is deterministic: each model's seeds against its one value
        above = against_bound(row["ndcg@100"], above=base["ndcg@100"]["mean"])
        if above == HOLDS:
            verb = "beats"
        elif above == FAILS:
            verb = "falls below"
        else:
            verb = "does not clearly beat"
        sec.findings.append(
            f"{name} {verb} the popularity baseline on NDCG@100 ({display(row['ndcg@100'])} against "
            f"{fmt(base['ndcg@100']['mean'])})."
        )
    if base is not None and len(table) > 1:
        widest = max(table, key=lambda k: table[k]["coverage@10"]["mean"])
        sec.findings.append(
            f"Widest catalogue coverage of the top-10 lists: {widest} "
            f"({table[widest]['coverage@10']['mean']:.1%} of items; popularity "
            f"{base['coverage@10']['mean']:.1%})."
        )
    rows = [
        [
            name,
            row["family"],
            *[fmt(row[key]["mean"], row[key]["std"]) for key in RANKING_FIGURES],
            fmt(row["train_s"]["mean"], row["train_s"]["std"]),
        ]
        for name, row in table.items()
    ]
    sec.table(
        "Ranking quality on held-out users (mean ± std over seeds)",
        ["model", "family", *[get_metric(key).label for key in RANKING_FIGURES], "training time (s)"],
        rows,
        note="Fold-in items (RecBole split: training and validation items) are never ranked. Higher is "
        "better for every column but training time.",
    )
    if figures is not None:
        from ganvae.report import plots  # matplotlib loads only when a figure is drawn

        shown = {key: get_metric(key).label for key in ("recall@20", "recall@50", "ndcg@100")}
        if plots.ranking_bars(figures / "ranking.png", table, shown):
            sec.figure(
                "figures/ranking.png",
                "Recall@20, Recall@50 and NDCG@100 of every model on the held-out users (whiskers: ± std "
                "over seeds; popularity is deterministic)",
            )
    add_search(sec, results.get("search"))
    return sec
