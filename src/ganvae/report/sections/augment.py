"""The augmentation task's section and figures: test accuracy against K per arm (real only, real +
synthetic, synthetic only), whether each model's samples help, the real and generated training images
(`ganvae.tasks.augment`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.intervals import mean_interval
from ganvae.experiment.verdicts import row_sentence
from ganvae.report.env import fmt
from ganvae.report.sections import Section

GRID_COLUMNS = 10  # samples per class (one row per class) in the sample figures


def arm_names(results: dict[str, Any], models) -> tuple[str, dict[str, str], dict[str, str]]:
    """(real only, {model: real + model}, {model: model only}): `results["arms"]` lists the arms in that
    order, one of each kind per model (`ganvae.tasks.augment.summarise`)."""
    arms, n = results["arms"], len(models)
    return (
        arms[0],
        dict(zip(models, arms[1 : 1 + n], strict=True)),
        dict(zip(models, arms[1 + n :], strict=True)),
    )


def compare_to_real(gain: dict[str, Any]) -> str:
    """'helps', 'hurts' or 'no clear difference' from the per-seed gains over real only (same seed, same
    real images: paired), by the 95 % t interval of their mean; one seed is never a clear difference."""
    got = mean_interval(gain["values"])
    if got is None or got[1] <= 0 <= got[2]:
        return "no clear difference"
    return "helps" if got[1] > 0 else "hurts"


def draw_class_rows(x, y, num_classes: int, path: Path) -> None:
    """One row per class, up to GRID_COLUMNS images each (blank cells where a class has fewer)."""
    import torch

    from ganvae.grid import save_grid

    cols = min(GRID_COLUMNS, max(int((y == c).sum()) for c in range(num_classes)))
    cells = torch.ones(num_classes * cols, *x.shape[1:])
    for c in range(num_classes):
        mine = x[y == c][:cols]
        cells[c * cols : c * cols + len(mine)] = mine
    save_grid(cells, path, nrow=cols)


def draw_curve(path: Path, results: dict[str, Any], models, families: dict[str, str]) -> None:
    """Test accuracy against K, one line per arm, bands of ± one std over seeds."""
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    ks = results["labels_per_class"]
    acc = results["accuracy"]
    real, mixed, alone = arm_names(results, models)

    def line(arm: str):
        return ks, [acc[str(k)][arm]["mean"] for k in ks], [acc[str(k)][arm]["std"] or 0.0 for k in ks]

    lines = {real: line(real)}
    for m in models:
        lines[f"{m} real + synthetic"] = line(mixed[m])
        lines[f"{m} synthetic only"] = line(alone[m])
    plots.series(
        path,
        lines,
        "real labelled images per class (K)",
        "test accuracy",
        "classifier accuracy against K (mean ± std over seeds)",
        xscale="log",
        families={"real": "baseline", **families},
    )


def section(results: dict[str, Any], n_test: int, cfg: Any) -> Section:
    """`results`: the task's summary; `n_test`: real test images classified; `cfg`: its plan (seeds,
    models, synthetic_per_class, classifier_steps, classifier_batch_size)."""
    ks, acc, models = results["labels_per_class"], results["accuracy"], cfg.models
    real_only, mixed, alone = arm_names(results, models)
    sec = Section(
        "Augmenting a small labelled set",
        intro=(
            f"Each class-conditional model trained on only K real labelled images per class "
            f"(K = {', '.join(map(str, ks))}; a seeded random subset per seed, {cfg.seeds} seed(s)) and "
            f"generated {cfg.synthetic_per_class} labelled images per class. The same small CNN "
            f"(about {cfg.classifier_steps} updates of batch {cfg.classifier_batch_size}, seeded) was then "
            "trained on the real images only, on real + synthetic, and on synthetic only, and tested on "
            f"the full real test split ({n_test} images). Synthetic-only accuracy is the "
            "train-synthetic-test-real (TSTR) utility of the generated data."
        ),
    )
    real0 = acc[str(ks[0])][real_only]
    sec.findings.append(
        row_sentence(results["verdicts"][0], f"real + synthetic accuracy (K = {ks[0]})")
        + f" Real images alone reach {fmt(real0['mean'], real0['std'])} at that K."
    )
    for m in models:
        parts = []
        for k in ks:
            real, aug = acc[str(k)][real_only], acc[str(k)][mixed[m]]
            points = 100 * (aug["mean"] - real["mean"])
            verdict = compare_to_real(results["gain"][str(k)][m])
            parts.append(f"{verdict} at K = {k} ({points:+.1f} points)")
        sec.findings.append(f"Augmenting with {m}: " + "; ".join(parts) + ".")
    for m in models:
        parts = []
        for k in ks:
            real, syn = acc[str(k)][real_only], acc[str(k)][alone[m]]
            share = syn["mean"] / real["mean"] if real["mean"] > 0 else float("nan")
            parts.append(f"{fmt(syn['mean'], syn['std'])} at K = {k} ({share:.0%} of real only)")
        sec.findings.append(f"Train on {m} samples only, test on real: " + "; ".join(parts) + ".")
    sec.findings.append(
        "A difference counts as help or harm only when the seeds' spreads (mean ± std) do not overlap."
    )
    arms = results["arms"]
    rows = [[str(k), *[fmt(acc[str(k)][a]["mean"], acc[str(k)][a]["std"]) for a in arms]] for k in ks]
    sec.table(
        f"Test accuracy (mean ± std over {cfg.seeds} seed(s))",
        ["K per class", *arms],
        rows,
        note=(
            f"Full test split, {n_test} images. real + MODEL: the K real images per class plus "
            f"{cfg.synthetic_per_class} samples per class; MODEL only: the samples alone."
        ),
    )
    sec.figure("figures/accuracy.png", "Test accuracy against K (log scale); bands are ± one std over seeds")
    sec.figure(
        "figures/real.png", f"The real labelled training images at K = {ks[0]} (seed 0), one row per class"
    )
    for m in models:
        sec.figure(
            f"figures/samples-{m}.png",
            f"{m} samples used for augmentation at K = {ks[0]} (seed 0), one row per class",
        )
    return sec
