"""Matplotlib figures for the report, drawn from `metrics.json` alone (Agg backend, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ganvae.atomic import atomic_path  # noqa: E402

FAMILY_COLOURS = {
    "vae": ["#1f77b4", "#17becf", "#9edae5"],
    "gan": ["#d62728", "#ff7f0e", "#e377c2", "#8c564b"],
    "regression": ["#2ca02c", "#98df8a"],
}


TICK_PT = 8  # the smallest text a report figure uses: ~12 px at dpi 110 when shown unscaled


def colours(families: dict[str, str]) -> dict[str, str]:
    """A stable colour per model: blues for VAEs, reds/oranges for GANs."""
    used = {"vae": 0, "gan": 0}
    out = {}
    for model, fam in families.items():
        palette = FAMILY_COLOURS.get(fam, ["#7f7f7f"])
        out[model] = palette[used.get(fam, 0) % len(palette)]
        used[fam] = used.get(fam, 0) + 1
    return out


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _seed0(metrics: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Seed-0 runs that carry `key` (a run field or one of its artefacts)."""
    return [r for r in metrics["runs"] if r["seed"] == 0 and (r.get(key) or r.get("artefacts", {}).get(key))]


def fd_curves(metrics: dict[str, Any], path: Path) -> Path | None:
    col = colours(metrics["families"])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    drawn = False
    for run in metrics["runs"]:
        curve = [c for c in run.get("curve", []) if c[2] is not None]
        if not curve:
            continue
        t, _, fd = zip(*curve, strict=True)
        label = run["model"] if run["seed"] == 0 else None
        ax.plot(t, fd, color=col[run["model"]], alpha=0.85 if run["seed"] == 0 else 0.45, label=label, lw=1.5)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    if metrics.get("fd_target"):
        ax.axhline(metrics["fd_target"], color="k", ls=":", lw=1, label="FD target (claim 9)")
    ax.set(
        xlabel="training time (s)",
        ylabel=f"FD ({metrics['features']['name']})",
        yscale="log",
        title="FD against training time, every seed",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def loss_curves(metrics: dict[str, Any], path: Path) -> Path | None:
    runs = _seed0(metrics, "losses")
    if not runs:
        return None
    fig, axes = plt.subplots(1, len(runs), figsize=(3.4 * len(runs), 3.0), squeeze=False)
    for ax, run in zip(axes[0], runs, strict=True):
        keys = [k for k in run["losses"][-1] if k.startswith("loss") or k in {"nll", "kl", "gp"}]
        steps = [r["step"] for r in run["losses"]]
        # a line through one point is invisible: a run logged once (a short budget) gets markers
        marker = {"marker": "o", "ms": 5} if len(steps) < 3 else {}
        for k in keys:
            ax.plot(steps, [r.get(k) for r in run["losses"]], label=k, lw=1.2, **marker)
        ax.set(title=run["model"], xlabel="step")
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        if len(set(steps)) == 1:  # whole steps either side, not ticks at fractions of a step
            ax.set_xlim(steps[0] - 1, steps[0] + 1)
        if keys:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle("training losses (seed 0)", fontsize=10, y=1.03)
    return _save(fig, path)


def latent_maps(metrics: dict[str, Any], path: Path) -> Path | None:
    runs = _seed0(metrics, "codes_2d")
    if not runs:
        return None
    fig, axes = plt.subplots(1, len(runs), figsize=(3.2 * len(runs), 3.2), squeeze=False)
    for ax, run in zip(axes[0], runs, strict=True):
        pts = run["artefacts"]["codes_2d"]
        labels = run["artefacts"].get("codes_label")
        xs, ys = [p[0] for p in pts], [p[1] for p in pts if len(p) > 1] or [0.0] * len(pts)
        ax.scatter(xs, ys, c=labels if labels else "#555", cmap="tab10", s=10, vmin=0, vmax=9)
        how = "inverted codes" if run.get("family") == "gan" else "posterior means"
        ax.set(title=f"{run['model']} ({how})", xticks=[], yticks=[])
    fig.suptitle("codes of test images, first two principal components, coloured by class", fontsize=10)
    return _save(fig, path)


def class_histograms(metrics: dict[str, Any], path: Path) -> Path | None:
    runs = _seed0(metrics, "class_hist")
    if not runs:
        return None
    names = metrics["data"].get("class_names") or []
    k = len(runs[0]["artefacts"]["class_hist"]["real"])
    col = colours(metrics["families"])
    width = 0.8 / (len(runs) + 1)
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    real = runs[0]["artefacts"]["class_hist"]["real"]
    ax.bar([i - 0.4 + width / 2 for i in range(k)], real, width, color="#444", label="real test")
    for j, run in enumerate(runs, start=1):
        gen = run["artefacts"]["class_hist"]["generated"]
        ax.bar(
            [i - 0.4 + width / 2 + j * width for i in range(k)],
            gen,
            width,
            color=col[run["model"]],
            label=run["model"],
        )
    ax.set_xticks(range(k), names[:k] if names else range(k), rotation=30, fontsize=7)
    ax.set(ylabel="share of samples", title="classes of generated samples (domain classifier)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _family_of(label: str) -> str:
    # labels start with a model name; VAE-family names contain "vae"
    return "vae" if "vae" in label.split(" ")[0] else "gan"


def roc_curves(path: Path, curves: dict[str, tuple[Any, Any]]) -> Path | None:
    """ROC curves of anomaly scores: `curves` maps a label to (scores, is_anomalous)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    styles = ["-", "--", ":", "-."]
    col = colours({label.split(" / ")[0]: _family_of(label) for label in curves})
    seen: dict[str, int] = {}
    for label, (scores, truth) in curves.items():
        model = label.split(" / ")[0]
        fpr, tpr, _ = roc_curve(truth, scores)
        ls = styles[seen.get(model, 0) % len(styles)]
        seen[model] = seen.get(model, 0) + 1
        ax.plot(
            fpr,
            tpr,
            ls,
            color=col[model],
            lw=1.5,
            label=f"{label} (AUROC {roc_auc_score(truth, scores):.3f})",
        )
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls=":")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC, anomalies = positives")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def series(
    path: Path,
    lines: dict[str, tuple[list[float], list[float], list[float] | None]],
    xlabel: str,
    ylabel: str,
    title: str,
    xscale: str = "linear",
    families: dict[str, str] | None = None,
) -> Path | None:
    """Lines with optional ± std bands: `lines` maps a label ("model ..." ) to (x, mean, std or None).

    `families` maps a label's first word to its family (guessed from the name when absent); a family
    other than vae / gan (e.g. "baseline") is drawn in grey."""
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    known = families or {}
    col = colours({(m := label.split(" ")[0]): known.get(m, _family_of(label)) for label in lines})
    styles = ["-o", "--s", ":^", "-.d"]
    seen: dict[str, int] = {}
    for label, (xs, mean, std) in lines.items():
        model = label.split(" ")[0]
        colour = col.get(model, "#444")
        style = styles[seen.get(model, 0) % len(styles)]
        seen[model] = seen.get(model, 0) + 1
        ax.plot(xs, mean, style, color=colour, lw=1.5, ms=4, label=label)
        if std is not None:
            lo = [m - s for m, s in zip(mean, std, strict=True)]
            hi = [m + s for m, s in zip(mean, std, strict=True)]
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.15)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xscale=xscale)
    if xscale == "log":  # label the measured x values themselves, not powers of ten
        ticks = sorted({x for xs, _, _ in lines.values() for x in xs})
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def column_histograms(
    path: Path,
    real,
    synthetic: dict[str, Any],
    kinds: dict[str, str],
    families: dict[str, str],
    max_columns=12,
) -> Path | None:
    """Per column, real against each model's synthetic rows (DataFrames): overlaid density histograms for
    continuous columns (bins from the real data's 1st-99th percentiles), side-by-side bars of category
    shares for the others. Missing values are left out of the histograms (their share is a table figure)."""
    import numpy as np
    import pandas as pd

    columns = list(real.columns)[:max_columns]
    if not columns or not synthetic:
        return None
    # three panels a row at 3.1 in fit the report's 1,020 px unscaled, so 8 pt labels show at ~12 px
    cols = min(3, len(columns))
    rows = -(-len(columns) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.4 * rows), squeeze=False)
    col = colours(families)
    for ax, name in zip(axes.flat, columns, strict=False):
        if kinds.get(name) in ("continuous", "datetime"):
            values = {"real": real[name]} | {m: f[name] for m, f in synthetic.items()}
            values = {
                k: pd.to_numeric(v.astype("int64") if kinds[name] == "datetime" else v, errors="coerce")
                for k, v in values.items()
            }
            lo, hi = np.nanpercentile(values["real"], [1, 99])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 31)
            for label, v in values.items():
                v = v.dropna().clip(bins[0], bins[-1])
                style = {"color": "#222", "lw": 1.6} if label == "real" else {"color": col[label], "lw": 1.2}
                ax.hist(v, bins=bins, density=True, histtype="step", label=label, **style)
            ax.set_yticks([])
            ax.xaxis.set_major_locator(MaxNLocator(5))  # few enough for 8 pt labels not to touch
        else:
            shares = {"real": real[name].astype(str).value_counts(normalize=True)}
            shares |= {m: f[name].astype(str).value_counts(normalize=True) for m, f in synthetic.items()}
            cats = list(shares["real"].index[:10])
            width = 0.8 / len(shares)
            for i, (label, s) in enumerate(shares.items()):
                colour = "#222" if label == "real" else col[label]
                ax.bar(
                    np.arange(len(cats)) + i * width,
                    [s.get(c, 0.0) for c in cats],
                    width,
                    color=colour,
                    label=label,
                    alpha=0.85,
                )
            ax.set_xticks(
                np.arange(len(cats)) + 0.4 - width / 2,
                [c[:8] for c in cats],
                rotation=45,
                fontsize=TICK_PT,
                ha="right",
            )
        ax.set_title(name, fontsize=10)
        ax.tick_params(labelsize=TICK_PT)
    for ax in list(axes.flat)[len(columns) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=TICK_PT)
    fig.suptitle("real (black) against synthetic rows, seed 0", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def correlation_differences(path: Path, names: list[str], real, synthetic: dict[str, Any]) -> Path | None:
    """The real table's correlation matrix, then synthetic minus real for each model (same colour scale)."""
    if not names or not synthetic:
        return None
    n = 1 + len(synthetic)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
    panels = [("real", real)] + [(f"{m} − real", s - real) for m, s in synthetic.items()]
    for ax, (title, mat) in zip(axes.flat, panels, strict=True):
        im = ax.imshow(mat, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(len(names)), [s[:8] for s in names], rotation=90, fontsize=6)
        ax.set_yticks(range(len(names)), [s[:8] for s in names], fontsize=6)
    fig.colorbar(im, ax=list(axes.flat), shrink=0.8)
    fig.suptitle("correlations: real, and each model's error (0 = white = exact)", fontsize=10)
    return _save(fig, path)


def search_fd(metrics: dict[str, Any], path: Path) -> Path | None:
    """Validation FD over each model's search trials (Lucic et al. 2018's figure): a box over the trials,
    every trial a point — filled when it completed, hollow when pruned (at its FD when stopped), a cross
    at the top when it diverged."""
    models = {
        m: rec["stats"]
        for m, rec in (metrics.get("search") or {}).get("models", {}).items()
        if "stats" in rec
    }
    if not models:
        return None
    col = colours({m: metrics["families"].get(m, "") for m in models})
    finite = [v for s in models.values() for v in s["values"] if v is not None]
    top = max(finite) * 1.3 if finite else 1.0
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(models), 3.6))
    ax.boxplot(
        [[v for v in s["values"] if v is not None] or [float("nan")] for s in models.values()],
        positions=range(len(models)),
        widths=0.5,
        showfliers=False,
        medianprops={"color": "#333"},
    )
    for i, (m, s) in enumerate(models.items()):
        n = len(s["values"])
        xs = [i + 0.22 * ((j % 5) / 4 - 0.5) for j in range(n)]  # a small fixed jitter: no seed needed
        for x, v, pruned in zip(xs, s["values"], s["pruned"], strict=True):
            if v is None:
                ax.plot(x, top, "x", color=col[m], ms=7)
            else:
                ax.plot(x, v, "o", ms=5, color=col[m], mfc="none" if pruned else col[m])
    ax.set_xticks(range(len(models)), list(models))
    ax.set(
        ylabel=f"validation FD ({metrics['features']['name']})",
        yscale="log",
        title="FD over the search's trials (hollow: pruned, x: diverged)",
    )
    # plain numbers (150, not 1.5 x 10^2); the log formatter still thins the minor labels of wide ranges
    ax.yaxis.set_major_formatter(matplotlib.ticker.LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(
        matplotlib.ticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5))
    )
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def search_budget(metrics: dict[str, Any], path: Path) -> Path | None:
    """The expected best validation FD after k trials, k = 1..N, per model (exact over the trials)."""
    curves = {
        m: [
            (k, v)
            for k, v in enumerate((rec.get("stats") or {}).get("budget_curve") or [], 1)
            if v is not None
        ]
        for m, rec in (metrics.get("search") or {}).get("models", {}).items()
    }
    curves = {m: pts for m, pts in curves.items() if pts}
    if not curves:
        return None
    col = colours({m: metrics["families"].get(m, "") for m in curves})
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for m, pts in curves.items():
        ax.plot([k for k, _ in pts], [v for _, v in pts], "-o", color=col[m], lw=1.5, ms=4, label=m)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set(
        xlabel="trials (k)",
        ylabel=f"expected best validation FD ({metrics['features']['name']})",
        title="expected best FD after k trials",
    )
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def ranking_bars(path: Path, table: dict[str, dict[str, Any]], keys: dict[str, str]) -> Path | None:
    """Recommenders side by side: per figure in `keys` (key -> label) one bar per model, mean over seeds
    with ± std whiskers; `table` maps a model to its row (a "family" and {"mean", "std"} per key). The
    popularity baseline ("baseline") is drawn in dark grey, autoencoders that are not VAEs in grey."""
    import numpy as np

    if not table or not keys:
        return None
    names = list(table)
    col = colours({n: table[n].get("family", "") for n in names})
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(1.6 + 1.9 * len(keys), 3.4))
    for j, name in enumerate(names):
        row = table[name]
        means = [row[k]["mean"] for k in keys]
        stds = [row[k].get("std") or 0.0 for k in keys]
        colour = "#444" if row.get("family") == "baseline" else col[name]
        x = np.arange(len(keys)) - 0.4 + width * (j + 0.5)
        ax.bar(x, means, width, yerr=stds, capsize=3, color=colour, label=f"{name} ({row.get('family')})")
    ax.set_xticks(range(len(keys)), list(keys.values()), fontsize=9)
    ax.tick_params(labelsize=TICK_PT)
    ax.set(ylabel="on held-out users", title="ranking quality, mean ± std over seeds (higher is better)")
    ax.legend(fontsize=TICK_PT, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside: bars stay clear
    ax.grid(alpha=0.3, axis="y")
    ax.set_axisbelow(True)  # grid lines behind the bars, not across them
    return _save(fig, path)


def perception_distortion(
    path: Path,
    points: list[tuple[str, str, float, float]],
    floor: float | None = None,
    fd_label: str = "FD (domain features)",
) -> Path | None:
    """The perception-distortion plane (Blau & Michaeli 2018): one point per (arm, seed), `points` as
    (arm, family, PSNR dB, FD). The PSNR axis is reversed, so distortion grows to the right and FD
    (perception) grows upwards, as in their figure: better is lower left. `floor`: the truth's own FD."""
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    arms = {arm: fam for arm, fam, _, _ in points}
    col = colours(arms)
    for arm, fam in arms.items():
        xs = [p[2] for p in points if p[0] == arm]
        ys = [p[3] for p in points if p[0] == arm]
        marker = "s" if fam == "baseline" else "o"
        ax.scatter(xs, ys, color=col[arm], marker=marker, s=36, alpha=0.85, label=f"{arm} ({len(xs)})")
    if floor is not None:
        ax.axhline(floor, color="k", ls=":", lw=1, label="truth (FD floor)")
    ax.invert_xaxis()
    ax.set(
        xlabel="PSNR against the truth (dB), reversed: distortion grows →",
        ylabel=f"{fd_label}: perception, lower = more realistic",
        title="Perception-distortion plane, every arm and seed",
    )
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)
