"""A plain-text (Markdown) summary of a comparison: the verdicts, the claims and the main metrics, for a
terminal, an issue or a pull request. Reads `metrics.json` only."""

from __future__ import annotations

from typing import Any

from ganvae.claims import METRICS
from ganvae.report.html import cells, fmt

MAIN = (
    "fd",
    "kid",
    "fid",
    "kid_inception",
    "precision",
    "recall",
    "coverage",
    "classes_covered",
    "class_kl",
    "sharpness_ratio",
    "memorisation_ratio",
    "recon_psnr",
    "recon_ssim",
    "probe_accuracy",
    "path_length_ratio",
    "decode_variance",
    "fd_cv",
    "train_s",
    "images_per_s",
    "steps",
    "eval_s",
)


def summary_markdown(m: dict[str, Any]) -> str:
    models = list(m["summary"])
    lines = [
        f"**{m['data']['name']}**: {', '.join(models)}; {m['seeds']} seed(s); budget per run "
        f"{ {k: v for k, v in m['budget'].items() if v is not None} }; features: {m['features']['name']}"
        f" (test accuracy {fmt(m['features']['test_accuracy'])})",
        "",
        "| metric | better | " + " | ".join(models) + " |",
        "|---|---|" + "---:|" * len(models),
    ]
    for key in MAIN:
        if not any(key in s for s in m["summary"].values()):
            continue
        label, better = METRICS.get(key, (key.replace("_", " "), ""))
        lines.append(f"| {label} | {better} | " + " | ".join(cells(m["summary"], key)) + " |")
    diverged = [
        f"{x}: {int(m['summary'][x].get('diverged', {}).get('mean', 0))}/{m['seeds']}" for x in models
    ]
    lines += [
        "",
        "diverged runs: " + ", ".join(diverged),
        "",
        "| # | claim | verdict | GAN | VAE |",
        "|---|---|---|---|---|",
    ]
    for c in m["claims"]:
        first = c["checks"][0]
        gan = (
            f"{fmt(first['gan']['mean'], first['gan']['std'])} ({first['gan']['model']})"
            if first["gan"]
            else "—"
        )
        vae = (
            f"{fmt(first['vae']['mean'], first['vae']['std'])} ({first['vae']['model']})"
            if first["vae"]
            else "—"
        )
        lines.append(
            f"| {c['number']} | {c['text']} | **{c['verdict']}** | {first['label']}: {gan} | {vae} |"
        )
    lines += ["", "| use case | winner | value | runner-up |", "|---|---|---|---|"]
    for v in m["verdicts"]:
        if v.get("winner"):
            runner = (
                f"{v['runner_up']} {fmt(v['runner_value'], v['runner_std'])}" if v.get("runner_up") else "—"
            )
            lines.append(
                f"| {v['use_case']} | {v['winner']} | {v['metric']} {fmt(v['value'], v['std'])} | {runner} |"
            )
        else:
            lines.append(f"| {v['use_case']} | — | {v.get('note', '')} | |")
    return "\n".join(lines) + "\n"


def section_markdown(metrics: dict[str, Any]) -> str:
    """A task's findings and tables (its report section) as Markdown."""
    sec = metrics["section"]
    lines = [f"## {sec['title']} — {metrics['data']['name']}", ""]
    lines += [f"- {f}" for f in sec.get("findings", [])]
    for t in sec.get("tables", []):
        lines += ["", f"**{t['title']}**", "", "| " + " | ".join(t["columns"]) + " |"]
        lines.append("|" + "---|" * len(t["columns"]))
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in t["rows"]]
        if t.get("note"):
            lines += ["", t["note"]]
    return "\n".join(lines)
