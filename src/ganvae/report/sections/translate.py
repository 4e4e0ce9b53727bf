"""The translation task's section and figures (`ganvae.tasks.translate`): per direction, the four figures
per arm beside the two baselines, the claims, a grid of inputs / each arm's translations and cycles, and
the content-against-target plane (every arm and seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.verdicts import HOLDS, against_bound, display, row_sentence
from ganvae.report.sections import Section

PLANE = "translation-plane.png"
COLUMNS = {
    "target_share": "target share ↑",
    "fd": "FD to target ↓",
    "content_ssim": "content SSIM ↑",
    "cycle_psnr": "cycle PSNR (dB) ↑",
}


def grid_file(direction: str) -> str:
    return f"translate-{direction}.png"


def draw_grid(path: Path, inputs, shown: dict[str, dict[str, Any]]) -> None:
    """Rows: the inputs, then for each arm its translations and their translations back (seed 0)."""
    import torch

    from ganvae.grid import save_grid

    rows = [inputs]
    for pair in shown.values():
        rows += [pair["out"][: len(inputs)], pair["back"][: len(inputs)]]
    save_grid(torch.cat(rows), path, nrow=len(inputs))


def draw_plane(path: Path, results: dict[str, Any]) -> None:
    """Content kept (SSIM) against the target share, source → target: one point per arm and seed, the
    baselines as crosses. Up and right is better; the baselines sit in two corners."""
    from ganvae.atomic import atomic_path
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    plt = plots.plt
    runs = [r for r in results["runs"] if r["direction"] == "forward"]
    arms = {r["method"]: r["family"] for r in runs if r["family"] != "baseline"}
    colour = plots.colours({m: "vae" if f == "vae" else "gan" for m, f in arms.items()})
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    for method in dict.fromkeys(r["method"] for r in runs):
        mine = [r for r in runs if r["method"] == method]
        xs, ys = [r["content_ssim"] for r in mine], [r["target_share"] for r in mine]
        if method in arms:
            ax.scatter(xs, ys, color=colour[method], label=method, s=36, alpha=0.85)
        else:
            ax.scatter(xs, ys, color="#7f7f7f", marker="x", s=60)
            ax.annotate(method, (xs[0], ys[0]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel("content kept: SSIM(input, translation)")
    ax.set_ylabel("share classified as the target domain")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Translation, source → target: each arm and seed")
    ax.legend(fontsize=8, loc="center left")
    ax.grid(alpha=0.3)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def _table_rows(table: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows = []
    for method, row in table.items():
        cells = [display(row[k]) for k in COLUMNS]  # a missing figure (no cycle for a random image): —
        params = f"{row['parameters']:,}" if "parameters" in row else "—"
        rows.append([method, row["family"], *cells, params])
    return rows


def _findings(results: dict[str, Any]) -> list[str]:
    out = []
    if results["verdicts"]:
        out.append(row_sentence(results["verdicts"][0], "a target share (source → target) of"))
    for claim in results["claims"]:
        why = "; ".join(
            f"{c['metric']}: {c['verdict']}"
            + (
                f" (best {c['claimed']} {c['best_claimed']} {c['best_claimed_text']} against "
                f"{c['best_other']} {c['best_other_text']}; {c['difference']})"
                if "best_claimed" in c
                else ""
            )
            + (f": {c['reason']}" if c.get("reason") else "")
            for c in claim["checks"]
        )
        out.append(f"“{claim['claim']}”: {claim['verdict']}. {why}.")
    forward = results["directions"]["forward"]
    keep = max(
        (m for m, r in forward.items() if r["family"] != "baseline"),
        key=lambda m: forward[m]["content_ssim"]["mean"],
        default=None,
    )
    # an arm whose outputs keep no more of the input than a random target image does ignores its input
    # (a collapsed or undertrained translator): it may still "reach the target" by the share and the FD
    floor = forward.get("random target image", {}).get("content_ssim")
    if floor and floor.get("mean") is not None:
        blind = [
            m
            for m, r in forward.items()
            if r["family"] != "baseline" and against_bound(r["content_ssim"], above=floor["mean"]) != HOLDS
        ]
        if blind:
            shown = ", ".join(f"{m} {display(forward[m]['content_ssim'])}" for m in blind)
            out.append(
                f"Not clearly more content kept than by a random target image (SSIM {display(floor)}): "
                f"{shown}. Their translations do not clearly depend on the input (look at the grids): "
                "reaching the target domain that way is not translation."
            )
    if keep:
        random = display(forward.get("random target image", {}).get("content_ssim"))
        out.append(
            f"Most content kept (source → target): {keep}, SSIM {display(forward[keep]['content_ssim'])}; "
            f"the input itself scores 1 and a random target image {random}."
        )
    return out


def section(results: dict[str, Any], cfg: Any, data_name: str) -> Section:
    """`results`: the task's summary; `cfg`: its plan (seeds, budget); `data_name`: the two domains."""
    dom, clf = results["domains"], results["classifier"]
    budget = ", ".join(f"{k} {v}" for k, v in cfg.budget().items() if v is not None)
    acc = f"{clf['accuracy']:.3f}" if clf.get("accuracy") is not None else "—"
    sec = Section(
        "Image-to-image translation",
        intro=(
            f"Unpaired translation between {dom['source']} (source) and {dom['target']} (target) "
            f"({data_name}). "
            f"Each arm trained on both domains' training images with {cfg.seeds} seed(s) at the same budget "
            f"({budget}, batch {cfg.batch_size}); {results['images']['forward']} source and "
            f"{results['images']['reverse']} target test images translated. cyclegan: two generators, two "
            "discriminators, cycle and identity losses (Zhu et al. 2017); unit: two VAE-GANs sharing one "
            "latent space (Liu et al. 2017); cvae: a conditional VAE, encoded with the source label and "
            "decoded with the target label. All are made of the same conv encoder and decoder. Target "
            "share: "
            "translations a classifier trained on the two domains' training images assigns to the target "
            f"(its accuracy on real test images: {acc}); FD to the real target test images in that "
            f"classifier's {clf.get('feature_name', 'domain features')}; content kept: SSIM between input "
            "and translation; cycle PSNR: input against its translation translated back. Baselines: the "
            "input unchanged and a random real target image (training split)."
        ),
        findings=_findings(results),
    )
    names = {"forward": f"{dom['source']} → {dom['target']}", "reverse": f"{dom['target']} → {dom['source']}"}
    for direction, table in results["directions"].items():
        sec.table(
            f"Translation {names[direction]}",
            ["arm", "family", *COLUMNS.values(), "parameters"],
            _table_rows(table),
            note="Mean ± std over seeds (baselines: one deterministic run). ↑ higher is better, ↓ lower.",
        )
    sec.table(
        "Claims (source → target)",
        ["claim", "verdict", "checks"],
        [
            [c["claim"], c["verdict"], "; ".join(f"{k['metric']}: {k['verdict']}" for k in c["checks"])]
            for c in results["claims"]
        ],
        note="A check holds when the claimed side's best arm is better with a 95 % interval over seeds that "
        "excludes no difference (Welch); unit counts as adversarial, cvae as the VAE side.",
    )
    for direction in results["directions"]:
        sec.figure(
            f"figures/{grid_file(direction)}",
            f"{names[direction]}: first row the inputs; then for each arm its translations and those "
            "translated back (seed 0)",
        )
    sec.figure(f"figures/{PLANE}", "Content kept against target share, source → target, every arm and seed")
    return sec
