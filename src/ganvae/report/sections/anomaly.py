"""The anomaly-detection task's section and figures: AUROC / AUPRC by normal class, the scoring cost,
ROC curves and each model's most and least anomalous test images (`ganvae.tasks.anomaly`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganvae.experiment.verdicts import row_sentence
from ganvae.report.env import fmt
from ganvae.report.sections import Section


def draw_roc(figures: Path, curves: dict[str, tuple[Any, Any]]) -> None:
    """ROC curves, one per "model / score": (scores, truth with anomaly = 1)."""
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    plots.roc_curves(figures / "roc.png", curves)


def draw_extremes(figures: Path, name: str, x, scores: dict[str, np.ndarray]) -> None:
    """Most anomalous (top row) and most normal (bottom row) test images under the model's default score."""
    import torch

    from ganvae.grid import save_grid

    s = next(iter(scores.values()))
    order = np.argsort(s)
    k = min(8, len(s) // 2)
    idx = np.concatenate([order[::-1][:k], order[:k]])
    save_grid(x[torch.as_tensor(idx.copy())], figures / f"extremes-{name}.png", nrow=k)


def section(results: dict[str, Any], normal: list[str], cfg: Any, n_eval: int) -> Section:
    """`results`: the task's summary; `normal`: the names of the normal classes trained on, in order;
    `cfg`: its plan (seeds, models); `n_eval`: test images scored."""
    table = results["scores"]
    keys = list(table)
    named = ", ".join(normal) if len(normal) <= 3 else f"each of {len(normal)} classes"
    sec = Section(
        "Anomaly detection (one-class)",
        intro=(
            f"Each model trained on one normal class ({named}) with {cfg.seeds} seed(s); "
            f"{n_eval} test images scored, every other class anomalous. AUROC 0.5 is chance, 1 perfect. "
            "GAN scores: minus the discriminator logit, and the AnoGAN inversion loss; "
            "VAE scores: negative ELBO and reconstruction error."
        ),
    )
    sec.findings.append(row_sentence(results["verdicts"][0], "mean AUROC"))
    for metric, label in (("auroc", "AUROC"), ("auprc", "AUPRC")):
        rows = [
            [
                name,
                *[
                    fmt(
                        table[k]["per_class"][name][metric]["mean"],
                        table[k]["per_class"][name][metric]["std"],
                    )
                    for k in keys
                ],
            ]
            for name in normal
        ]
        if len(normal) > 1:
            rows.append(["mean", *[fmt(table[k][metric]["mean"], table[k][metric]["std"]) for k in keys]])
        sec.table(f"{label} by normal class", ["normal class", *keys], rows)
    sec.table(
        "Scoring cost",
        ["model / score", "seconds per image"],
        [[k, f"{table[k]['score_s_per_image']:.2g}"] for k in keys],
        note="Per test image, all of a model's scores together (AnoGAN optimises a latent code per image).",
    )
    first = normal[0]
    sec.figure("figures/roc.png", f"ROC curves, normal class {first}, seed 0")
    for name in cfg.models:
        sec.figure(
            f"figures/extremes-{name}.png",
            f"{name}: most anomalous (top) and most normal (bottom) test images, normal class {first}",
        )
    return sec
