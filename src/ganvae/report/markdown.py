"""A plain-text (Markdown) summary of a comparison: the verdicts, the claims and the main metrics, for a
terminal, an issue or a pull request. Reads `metrics.json` only."""

from __future__ import annotations

from typing import Any

from ganvae.experiment.search_figures import best_text
from ganvae.metrics.meta import known
from ganvae.report.env import fmt
from ganvae.report.sections.generation import cells

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
    "fd_spread",
    "diverged_share",
    "reach_share",
    "search_fd_spread",
    "search_diverged_share",
    "search_miss_share",
    "train_s",
    "images_per_s",
    "steps",
    "eval_s",
)


def summary_markdown(m: dict[str, Any]) -> str:
    models = list(m["summary"])
    lines = [
        f"**{m['data']['name']}**: {', '.join(models)}; {m['seeds']} seed(s); budget per run "
        f"{budget_text(m['budget'])}; features: {m['features']['name']}"
        f" (test accuracy {fmt(m['features']['test_accuracy'])})",
        *(f"- {model}: {best_text(rec)}" for model, rec in (m.get("search") or {}).get("models", {}).items()),
        "",
        "| metric | better | " + " | ".join(models) + " |",
        "|---|---|" + "---:|" * len(models),
    ]
    for key in MAIN:
        if not any(key in s for s in m["summary"].values()):
            continue
        meta = known().get(key)
        label, better = (meta.label, meta.direction_text) if meta else (key.replace("_", " "), "")
        lines.append(f"| {label} | {better} | " + " | ".join(cells(m["summary"], key)) + " |")
    head = "| # | claim | verdict | checks (GAN · VAE [· diffusion] · rule: result) |"
    lines += ["", head, "|---|---|---|---|"]
    for c in m["claims"]:
        checks = "; ".join(_check_text(ch) for ch in c["checks"])
        lines.append(f"| {c['number']} | {c['text']} | **{c['verdict']}** | {checks} |")
    lines += ["", "| use case | winner | value | runner-up | difference (95 % CI) |", "|---|---|---|---|---|"]
    for v in m["verdicts"]:
        use = v["use_case"] + (
            f" (claim {v['claim']['number']}: {v['claim']['verdict']})" if v.get("claim") else ""
        )
        if v.get("winner"):
            runner = f"{v['runner_up']} {v['runner_text']}" if v.get("runner_up") else "—"
            diff = (
                (v.get("difference", "") + ("" if v.get("clear") else " (not clear)"))
                if runner != "—"
                else ""
            )
            lines.append(f"| {use} | {v['winner']} | {v['metric']} {v['value_text']} | {runner} | {diff} |")
        else:
            lines.append(f"| {use} | — | {v.get('note', '')} | | |")
    if m.get("rule"):
        lines += ["", f"Rule: {m['rule']}."]
    return "\n".join(lines) + "\n"


def budget_text(budget: dict[str, Any]) -> str:
    """`{"steps": 300, "epochs": None}` as "300 steps": the words of `TrainConfig.describe_budget` (the
    report reads results and imports no training code)."""
    words = (("epochs", "{:g} epochs"), ("steps", "{} steps"), ("budget_s", "{:g} s wall-clock"))
    return " or ".join(w.format(budget[k]) for k, w in words if budget.get(k) is not None) or "not recorded"


def _check_text(ch: dict[str, Any]) -> str:
    def side(s: dict[str, Any] | None) -> str:
        return f"{s['text']} ({s['model']})" if s else "—"

    why = f", {ch['reason']}" if ch.get("reason") else ""
    sides = [side(ch["gan"]), side(ch["vae"])]
    if ch.get("diffusion"):  # a diffusion claim (10-12) sets it against a GAN or a VAE
        sides.append(side(ch["diffusion"]))
    return f"{ch['label']}: {' · '.join(sides)} · {ch['rule']}: {ch['verdict']}{why}"


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
