"""The morphing task's section and figures: path smoothness and endpoint fidelity per model and path,
strips and GIFs of morphs between real images (`ganvae.tasks.interpolate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.verdicts import row_sentence
from ganvae.report.env import fmt
from ganvae.report.sections import Section

# The table's columns: (figure of each path's summary, header)
COLUMNS = (
    ("path_length_ratio", "path length ratio (1 = straight)"),
    ("max_step_ratio", "largest step / mean step"),
    ("endpoint_psnr", "endpoint PSNR (dB)"),
)


def draw_morphs(figures: Path, name: str, method: str, frames, a, b) -> None:
    """Strips (real A, decoded path, real B; a pair per row) and, for the spherical path, a GIF of four
    morphs side by side. `frames`: pairs x points x C x H x W; `a`, `b`: the real endpoints."""
    import torch

    from ganvae.grid import save_gif, save_grid

    rows = torch.cat([a.unsqueeze(1), frames, b.unsqueeze(1)], dim=1)[:4]
    save_grid(rows.flatten(0, 1), figures / f"strip-{name}-{method}.png", nrow=rows.shape[1])
    if method == "slerp":
        save_gif(list(frames[:4].transpose(0, 1)), figures / f"morph-{name}.gif")


def section(results: dict[str, Any], cfg: Any, feature_name: str, verdict: dict[str, Any]) -> Section:
    """`results`: the task's summary; `cfg`: its plan (pairs, path_steps, models); `feature_name`: the
    feature space smoothness is measured in; `verdict`: the task's use-case row."""
    table = results["paths"]
    methods = list(dict.fromkeys(v["method"] for v in table.values()))
    sec = Section(
        "Morphing between real images",
        intro=(
            f"{cfg.pairs} pairs of test images (different classes; the same class for conditional models), "
            f"encoded (VAE: posterior mean; GAN: latent inversion, approximate), {cfg.path_steps} points on "
            f"a straight and a spherical path, decoded. Smoothness is measured in {feature_name}."
        ),
    )
    sec.findings.append(row_sentence(verdict, "path-length ratio"))
    psnr = {k: v["endpoint_psnr"]["mean"] for k, v in table.items()}
    best_end = max(psnr, key=psnr.get)
    sec.findings.append(
        f"Most faithful endpoints: {best_end} ({psnr[best_end]:.1f} dB): a morph can only start and end "
        "at the real images as well as the model reconstructs them."
    )
    sec.table(
        "Path smoothness and endpoint fidelity",
        ["model / path", *[header for _, header in COLUMNS]],
        [[k, *[fmt(v[m]["mean"], v[m]["std"]) for m, _ in COLUMNS]] for k, v in table.items()],
    )
    for name in cfg.models:
        for method in methods:
            sec.figure(f"figures/strip-{name}-{method}.png", f"{name}, {method}: real A, path, real B")
        sec.figure(f"figures/morph-{name}.gif", f"{name}: spherical morphs, animated")
    return sec
