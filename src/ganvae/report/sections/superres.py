"""The super-resolution task's section and figures: distortion (PSNR, SSIM), perception (FD, sharpness),
consistency and diversity per arm, the claim check by check, the grids (input / bicubic / each arm /
truth, and several draws of a stochastic arm) and the perception-distortion plane
(`ganvae.tasks.superres`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.verdicts import HOLDS, against_bound, display, row_sentence
from ganvae.report.env import fmt
from ganvae.report.sections import Section

BASELINE = "bicubic"


def draw_grid(path: Path, lr, shown: dict[str, Any], truth) -> None:
    """Rows: the input (each pixel repeated, to the output's size), every arm in `shown` (bicubic first),
    the truth."""
    import torch

    from ganvae.grid import save_grid
    from ganvae.nn.bicubic import nearest

    scale = truth.shape[-1] // lr.shape[-1]
    rows = [nearest(lr, scale), *shown.values(), truth]
    save_grid(torch.cat(rows), path, nrow=len(truth))


def draw_draws(path: Path, truth, draws: dict[str, Any]) -> None:
    """For each stochastic arm: the truth, then one row per draw (seed 0); nothing when none is."""
    import torch

    from ganvae.grid import save_grid

    if not draws:
        return
    rows = [truth]
    for many in draws.values():
        rows += list(many)
    save_grid(torch.cat(rows), path, nrow=len(truth))


def draw_plane(path: Path, results: dict[str, Any]) -> None:
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    points = [(r["method"], r["family"], r["sr_psnr"], r["fd"]) for r in results["runs"]]
    plots.perception_distortion(path, points, results["fd_floor"])


def _cell(entry: dict[str, Any] | None) -> str:
    return display(entry) if entry else "—"


def _findings(results: dict[str, Any]) -> list[str]:
    methods, claim = results["methods"], results["claim"]
    out = [
        f"Claim: “{claim['claim']}” — {claim['verdict']}"
        + (f" ({claim['reason']})." if claim["reason"] else ".")
    ]
    rows = {v["use_case"]: v for v in results["verdicts"]}
    if "super-resolution: fidelity" in rows:
        out.append("Fidelity. " + row_sentence(rows["super-resolution: fidelity"], "PSNR (dB)"))
    if "super-resolution: realism" in rows:
        out.append("Realism. " + row_sentence(rows["super-resolution: realism"], "FD"))
    others = [m for m, r in methods.items() if r["family"] not in ("gan", "vae", "baseline")]
    if others:
        shown = "; ".join(
            f"{m} PSNR {_cell(methods[m]['sr_psnr'])} dB, FD {_cell(methods[m]['fd'])}" for m in others
        )
        out.append(f"The verdict rows compare the GAN and VAE families; outside them: {shown}.")
    base = methods.get(BASELINE)
    if base:
        psnr = base["sr_psnr"]["mean"]
        above = [
            m
            for m, r in methods.items()
            if m != BASELINE and against_bound(r["sr_psnr"], above=psnr) == HOLDS
        ]
        below = [m for m, r in methods.items() if m != BASELINE and r["sr_psnr"]["mean"] < psnr]
        line = f"Bicubic upsampling reaches {fmt(psnr)} dB"
        if above:
            line += f"; clearly above it (95 % interval over seeds): {', '.join(above)}"
        if below:
            line += f"; below it on average: {', '.join(below)}"
        out.append(line + ".")
    diverse = {
        m: r["decode_variance"]["mean"] for m, r in methods.items() if (r["decode_variance"]["mean"] or 0) > 0
    }
    if diverse:
        shown = ", ".join(f"{m} {v:.2g}" for m, v in diverse.items() if m != BASELINE)
        out.append(
            f"Several outputs per input (pixel variance over draws): {shown or 'none'}; the other arms are "
            "deterministic (variance 0 by design)."
        )
    out.append(
        f"The truth's own FD to the real reference images is {fmt(results['fd_floor'])}: an arm at that "
        "value is as realistic as this measure can tell."
    )
    return out


def section(results: dict[str, Any], cfg: Any, data_name: str, feature_name: str, draws: bool) -> Section:
    """`results`: the task's summary; `cfg`: its plan (seeds, budget); `draws`: whether a stochastic arm
    drew the draws grid."""
    methods = results["methods"]
    h, w = results["shape"][1:]
    lh, lw = results["lr_shape"][1:]
    budget = ", ".join(f"{k} {v:g}" for k, v in cfg.budget().items() if v is not None) or "default"
    sec = Section(
        "Super-resolution",
        intro=(
            f"{results['images']} test images of {data_name} ({h}x{w}) downsampled {results['scale']}x to "
            f"{lh}x{lw} by antialiased bicubic interpolation (torch's interpolate, bicubic, antialias=True) "
            f"and upscaled back by each arm. Models trained on the training split, making their inputs "
            f"from each batch the same way, {cfg.seeds} seed(s) each, budget {budget} (batch size "
            f"{cfg.batch_size}). srgan: L1 content + adversarial loss; sr-regression: the same network on L1 "
            "alone; sr-vae: a conditional VAE on the low-resolution image, one random draw scored. "
            f"Distortion: PSNR and SSIM against the truth. Perception: FD in {feature_name} against as many "
            "real high-resolution training images, and the sharpness ratio (Laplacian variance) to the "
            "truth (1 = as sharp). Consistency: PSNR of the output, downsampled as the inputs were, against "
            "the input."
        ),
        findings=_findings(results),
    )
    keys = ("sr_psnr", "sr_ssim", "fd", "sr_sharpness_ratio", "consistency_psnr", "decode_variance")
    sec.table(
        "Distortion, perception, consistency and diversity",
        [
            "arm",
            "family",
            "PSNR (dB)",
            "SSIM",
            "FD",
            "sharpness / truth",
            "consistency (dB)",
            "draw variance",
            "s / image",
        ],
        [
            [m, r["family"], *[_cell(r[k]) for k in keys], f"{r['upscale_s_per_image']:.2g}"]
            for m, r in methods.items()
        ],
        note=(
            "Mean ± std over seeds (bicubic is deterministic: one value). PSNR, SSIM, consistency: higher "
            "is better; FD: lower; sharpness: closest to 1. Draw variance: pixel variance of "
            "several outputs for one input (0: deterministic)."
        ),
    )
    claim = results["claim"]
    if claim["checks"]:
        sec.table(
            "The claim, check by check",
            ["claimed: the GAN is", "than", "GAN", "rival", "claimed side's advantage", "verdict"],
            [
                [
                    c["aspect"],
                    c["against"],
                    c.get("gan", "—"),
                    c.get("rival", "—"),
                    c.get("difference", "—"),
                    c["verdict"] + (f" ({c['reason']})" if c.get("reason") else ""),
                ]
                for c in claim["checks"]
            ],
            note=(
                "Realism by FD, sharpness by closeness of the sharpness ratio to 1 (noise is not sharpness), "
                "faithfulness by PSNR; Welch's 95 % interval over seeds. The claim holds when every check "
                "holds and does not hold when any clearly fails."
            ),
        )
    order = ", ".join(["input (pixels repeated)", *methods, "truth"])
    sec.figure("figures/superres-grid.png", f"Rows: {order} (seed 0)")
    if draws:
        sec.figure(
            "figures/superres-draws.png",
            "The truth, then several draws of each stochastic arm for the same inputs (seed 0)",
        )
    sec.figure(
        "figures/perception-distortion.png",
        "Perception-distortion plane: PSNR (reversed) against FD, one point per arm and seed; lower left is "
        "better, and Blau & Michaeli (2018) show no upscaler reaches the corner",
    )
    return sec
