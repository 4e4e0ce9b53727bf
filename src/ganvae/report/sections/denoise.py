"""The denoising task's section and figures: PSNR and SSIM per corruption against the baselines, the
restoration cost, one grid of restorations per corruption and PSNR against the Gaussian noise level
(`ganvae.tasks.denoise`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.verdicts import HOLDS, against_bound, row_sentence
from ganvae.report.env import fmt
from ganvae.report.sections import Section

Corruptions = list[tuple[str, float]]  # (name, level) in the order asked for


def describe(name: str, level: float) -> str:
    """Readable corruption name for tables and captions."""
    if name == "gaussian":
        return f"Gaussian σ={level:g}"
    if name == "salt-pepper":
        return f"salt & pepper {100 * level:g} %"
    return f"mask {100 * level:g} % area"


def grid_file(key: str) -> str:
    """The grid of one corruption (its key, e.g. "gaussian:0.1"), in the task's figures folder."""
    return "denoise-" + key.replace(":", "-") + ".png"


def _keys(results: dict[str, Any], corruptions: Corruptions) -> dict[tuple[str, float], str]:
    """Each corruption's key in the results (`results["noise"]` keeps the order asked for)."""
    return dict(zip(corruptions, results["noise"], strict=True))


def draw_grids(figures: Path, clean, noisy: dict[str, Any], shown: dict[str, dict[str, Any]]) -> None:
    """One grid per corruption: rows clean / corrupted / each restoration in `shown[key]` (seed 0)."""
    import torch

    from ganvae.grid import save_grid

    for key, x in noisy.items():
        rows = [clean, x[: len(clean)], *shown[key].values()]
        save_grid(torch.cat(rows), figures / grid_file(key), nrow=len(clean))


def draw_level_plot(path: Path, results: dict[str, Any], corruptions: Corruptions) -> None:
    """PSNR against the Gaussian noise level, when two or more levels were asked for."""
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    key_of = _keys(results, corruptions)
    levels = sorted(lv for c, lv in corruptions if c == "gaussian")
    if len(levels) < 2:
        return
    keys = [key_of["gaussian", lv] for lv in levels]
    lines, families = {}, {"baseline": "baseline"}
    for name, row in results["methods"].items():
        means = [row["psnr"][k]["mean"] for k in keys]
        if row["family"] == "baseline":
            lines[f"baseline {name}"] = (levels, means, None)
        else:
            families[name] = row["family"]
            lines[name] = (levels, means, [row["psnr"][k]["std"] or 0.0 for k in keys])
    plots.series(
        path,
        lines,
        "Gaussian noise σ",
        "PSNR against clean (dB)",
        "Denoising: PSNR against noise level",
        families=families,
    )


def _findings(results: dict[str, Any], corruptions: Corruptions, untouched: str) -> list[str]:
    methods = results["methods"]
    key_of = _keys(results, corruptions)
    models = [m for m, r in methods.items() if r["family"] != "baseline"]
    baselines = [m for m, r in methods.items() if r["family"] == "baseline"]
    out = [row_sentence(results["verdicts"][0], "mean PSNR (dB) over the corruptions")]
    for name, level in corruptions:
        key = key_of[name, level]
        psnr = {m: methods[m]["psnr"][key] for m in methods}
        top = max(models, key=lambda m: psnr[m]["mean"])
        base = max(baselines, key=lambda m: psnr[m]["mean"])
        gap = psnr[top]["mean"] - psnr[base]["mean"]
        line = f"{describe(name, level)}: best model {top} at {fmt(psnr[top]['mean'], psnr[top]['std'])} dB"
        if gap > 0:
            line += f", {gap:.2g} dB above the best baseline ({base}, {fmt(psnr[base]['mean'])} dB)"
            # a baseline filter is deterministic: the model's seeds against its one value
            if against_bound(psnr[top], above=psnr[base]["mean"]) != HOLDS:
                line += " (not clearly: one seed, or the 95 % interval over seeds reaches it)"
        elif base == untouched:
            line += (
                f"; no generative model beats leaving the image as it is ({fmt(psnr[base]['mean'])} dB), "
                "and no filter does either"
            )
        else:
            line += f"; no generative model beats the {base} baseline ({fmt(psnr[base]['mean'])} dB)"
            if psnr[top]["mean"] < psnr[untouched]["mean"]:
                line += f", nor even the unrestored input ({fmt(psnr[untouched]['mean'])} dB)"
        ssim = {m: methods[m]["ssim"][key]["mean"] for m in methods}
        by_ssim = max(ssim, key=ssim.get)
        line += f". By SSIM the best is {by_ssim} ({fmt(ssim[by_ssim])})."
        out.append(line)
    ceiling = ", ".join(
        f"{m} {fmt(methods[m]['clean']['psnr']['mean'], methods[m]['clean']['psnr']['std'])} dB"
        for m in models
    )
    out.append(
        "A model restores no better than it reconstructs an uncorrupted image; PSNR of those "
        f"reconstructions: {ceiling}."
    )
    return out


def section(
    results: dict[str, Any],
    corruptions: Corruptions,
    cfg: Any,
    data_name: str,
    *,
    untouched: str,
    shown_baseline: str,
) -> Section:
    """`results`: the task's summary; `corruptions`: (name, level) as asked for; `cfg`: its plan (seeds);
    `untouched`: the baseline that leaves the corrupted image as it is; `shown_baseline`: the baseline
    whose restorations the grids show."""
    methods = results["methods"]
    names = list(methods)
    models = [m for m in names if methods[m]["family"] != "baseline"]
    key_of = _keys(results, corruptions)
    dvae = " dvae is a VAE trained with Gaussian noise on its encoder's input." if "dvae" in models else ""
    sec = Section(
        "Denoising",
        intro=(
            f"Each model trained on the training split of {data_name} with {cfg.seeds} seed(s); "
            f"{results['images']} test images corrupted (the same noise for every model) and restored "
            "blind. VAE: encode then decode; GAN: projection onto the generator (latent inversion of the "
            f"corrupted image, then G(z)).{dvae} Class-conditional models are given the true label. "
            "Restorations are compared with the clean images: PSNR (dB, per image, then averaged) and "
            "SSIM. Baselines: the corrupted image itself, a 3x3 median filter and a Gaussian blur (σ = 1 px)."
        ),
        findings=_findings(results, corruptions, untouched),
    )
    for metric, label in (("psnr", "PSNR (dB)"), ("ssim", "SSIM")):

        def cell(ms: dict[str, Any] | None) -> str:
            return fmt(ms["mean"], ms["std"]) if ms else "—"

        rows = [
            [describe(c, lv), *[cell(methods[m][metric][key_of[c, lv]]) for m in names]]
            for c, lv in corruptions
        ]
        mean = f"{metric}_mean"
        rows.append(
            [
                "mean over corruptions",
                *[fmt(methods[m][mean]["mean"], methods[m][mean]["std"]) for m in names],
            ]
        )
        # each model's reconstruction of the clean images (baselines have none)
        rows.append(["none (clean input)", *[cell(methods[m].get("clean", {}).get(metric)) for m in names]])
        sec.table(
            f"{label} against the clean images",
            ["corruption", *names],
            rows,
            note=(
                "Higher is better; mean ± std over seeds (baselines are deterministic). Last row: each "
                "model's reconstruction of the uncorrupted images, the ceiling of its restorations."
            ),
        )
    sec.table(
        "Restoration cost",
        ["model", "seconds per image"],
        [[m, f"{methods[m]['restore_s_per_image']:.2g}"] for m in models],
        note="GAN restoration optimises a latent code per image; VAE restoration is one forward pass.",
    )
    order = ", ".join(["clean", "corrupted", shown_baseline, *models])
    for c, lv in corruptions:
        sec.figure(f"figures/{grid_file(key_of[c, lv])}", f"{describe(c, lv)}: rows are {order} (seed 0)")
    if sum(c == "gaussian" for c, _ in corruptions) >= 2:  # as in draw_level_plot: a line needs two levels
        sec.figure(
            "figures/psnr-gaussian.png",
            "PSNR against Gaussian noise σ (grey: baselines; bands: ± std over seeds)",
        )
    return sec
