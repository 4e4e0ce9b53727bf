"""Tabular synthetic data, GAN against VAE: `tabular-gan` (CTGAN design) and `tabular-vae` (TVAE design)
trained on the same training split, through the same fitted transformer, at the same budget, over seeds.

Each (model, seed) draws as many synthetic rows as the training split has (`--rows`) and is scored on
- fidelity (SDMetrics' QualityReport definition, `ganvae.metrics.tabular`): per-column similarity
  (1 − KS statistic for numbers, 1 − total variation for categories) and pairwise trends (correlation /
  contingency similarity) over the pairs whose real trend is strong enough to keep; the worst-kept pairs
  are listed with their real and synthetic correlation (or Cramér's V);
- diversity: the share of the real categories that synthetic rows use (a collapsed generator drops rare
  ones);
- utility (train-synthetic-test-real, when the table has a `--target`): a gradient-boosting model trained
  on synthetic rows and scored on the real test split, against the same model trained on real rows and a
  chance baseline; the figure is the difference synthetic − real;
- privacy: distance to the closest real training row, relative to that of real held-out rows (ideal
  about 1: no closer than unseen real rows), and the share of exact copies.
The verdict rules for utility and privacy (when a figure may name a winner) are in
`ganvae.tasks.table_verdicts`. A reference row scores the real test split itself as if it were
synthetic: the ceiling that sampling noise allows. `ganvae compare --data table.csv` runs this task;
`ganvae synthesize` samples a trained model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.atomic import atomic_path
from ganvae.errors import ConfigError
from ganvae.evaluate.tables import WORST_PAIRS, evaluate_rows, fidelity
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, row_sentence, use_case_row
from ganvae.metrics.meta import get as get_metric
from ganvae.plan import RunPlan
from ganvae.report.env import fmt
from ganvae.run_folder import CONFIG, RunFolder
from ganvae.tasks.base import (
    Section,
    TaskExperiment,
    TaskFolder,
)

REAL = "real (test split)"
DEFAULT_EPOCHS = 300.0  # CTGAN's and TVAE's own default; at 50 TVAE was far from converged on credit-data
# the per-model table's columns (labels and directions: the metrics' own metadata)
SHOWN = (
    "quality",
    "column_shapes",
    "pair_trends",
    "category_coverage",
    "utility_gap",
    "utility_ratio",
    "dcr_ratio",
    "exact_copies",
)
UTILITY_KEYS = ("utility_gap", "utility_ratio")
# Figures kept per model for the verdicts, not shown as table columns
EXTRA_KEYS = ("dcr_shortfall", "dcr_tolerance", "train_s", "sample_s")


@dataclass
class SynthesizeConfig(RunPlan):
    data: str = "credit-data"
    models: tuple[str, ...] = ("tabular-vae", "tabular-gan")
    seeds: int = 3
    batch_size: int = 500  # CTGAN's and TVAE's default
    target: str | None = None  # None: the built-in table's own target, or no utility figure
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    rows: int = 0  # synthetic rows per (model, seed); 0 = as many as the training split
    default_epochs: ClassVar[float | None] = DEFAULT_EPOCHS
    data_kind: ClassVar[str] = "table"

    def validate(self) -> None:
        super().validate()
        if self.image_size is not None:
            raise ConfigError("--image-size does not apply to a table; drop it")
        if self.rows < 0:
            raise ConfigError("--rows must be >= 0 (0 = as many as the training split)")

    def data_spec(self) -> dict[str, Any]:
        return {"spec": self.data, "target": self.target, "categorical": list(self.categorical)}

    def load(self):
        from ganvae.data.tables import load_table
        from ganvae.data.tables.table_data import prepare_table

        table = load_table(
            self.data,
            categorical=list(self.categorical) or None,
            target=self.target,
            drop=list(self.drop) or None,
        )
        return prepare_table(table, seed=0)


def _write_csv(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False)


def run_synthesize(
    cfg: SynthesizeConfig, out: str | Path, *, progress: bool = True, command: str = ""
) -> dict[str, Any]:
    """Train each model per seed on the table, sample, score, and write the task folder."""
    cfg.validate()
    folder = TaskFolder(out, "synthesize", cfg, command)
    data = cfg.load()
    table = data.table
    train, test, kinds, target = table.train, table.test, table.kinds, table.target
    folder.start()

    # the ceiling of fidelity: unseen real rows (utility and privacy would score them against
    # themselves, so they are left out of this row)
    runs: list[dict[str, Any]] = [
        {"model": REAL, "family": "reference", "seed": 0, **fidelity(train, test, kinds)}
    ]
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    runs += run_jobs(Synthesis(cfg, folder, progress and cfg.jobs == 1), jobs, n_jobs=cfg.jobs, ctx=data)
    # seed 0's rows again for the figures: sampling is seeded, so these are the rows its job scored
    seed0 = {name: _draw(folder.model(cfg, name, data, 0, progress=False), cfg, data) for name in cfg.models}
    results = summarise(runs, target)
    results["data"] = {
        "rows": len(table.frame),
        "train_rows": len(train),
        "test_rows": len(test),
        "kinds": kinds,
        "target": target,
        "transformer_fit_s": data.fit_s,
        "width": data.shape[0],
    }
    section = _section(results, cfg, data, _figures(folder, train, seed0, kinds, results))
    return folder.finish(data, results, section, verdicts=results["verdicts"])


def _draw(model, cfg: SynthesizeConfig, data, seed: int = 0):
    return model.sample(cfg.rows or len(data.table.train), generator=torch.Generator().manual_seed(seed))


class Synthesis(TaskExperiment):
    """One runner job: train (or reuse) a table model, draw rows (saved as CSV) and score them."""

    cfg: SynthesizeConfig

    def context(self):
        return self.cfg.load()

    def run(self, data, job: Job) -> list[dict[str, Any]]:
        table = data.table
        model = self.folder.model(self.cfg, job.model, data, job.seed, progress=self.progress)
        t0 = time.perf_counter()
        synth = _draw(model, self.cfg, data, job.seed)
        sample_s = time.perf_counter() - t0
        _write_csv(synth, RunFolder(self.folder.out).synthetic(job.model, job.seed))
        return [
            {
                "model": job.model,
                "family": model.family,
                "seed": job.seed,
                "train_s": _train_seconds(self.folder, job.model, job.seed) + data.fit_s,
                "sample_s": sample_s,
                **evaluate_rows(table.train, synth, table.test, table.kinds, table.target, job.seed),
            }
        ]


def _train_seconds(folder: TaskFolder, name: str, seed: int) -> float:
    import json

    meta = json.loads((RunFolder(folder.out).model(name, seed) / CONFIG).read_text("utf-8"))
    return float(meta.get("result", {}).get("elapsed_s", 0.0))


def summarise(runs: list[dict[str, Any]], target: str | None) -> dict[str, Any]:
    """Per model: every figure as mean ± std over seeds; the use-case verdicts of GAN against VAE, with the
    facts behind the utility and privacy rules (`ganvae.tasks.table_verdicts`)."""
    from ganvae.tasks.table_verdicts import privacy_verdict, utility_verdict

    keys = [k for k in SHOWN if target is not None or k not in UTILITY_KEYS] + list(EXTRA_KEYS)
    table: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        rs = [r for r in runs if r["model"] == name]
        row: dict[str, Any] = {"model": name, "family": rs[0]["family"], "seeds": len(rs)}
        for key in keys:
            if all(key in r for r in rs):
                row[key] = estimate([r[key] for r in rs])
        table[name] = row
    models = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
    out: dict[str, Any] = {"runs": runs, "models": table, "verdicts": []}
    if not models:
        return out
    fidelity_label = "quality score (SDMetrics' QualityReport)"
    out["verdicts"].append(
        use_case_row("tabular synthetic data: fidelity", "quality", models, label=fidelity_label)
    )
    if target is not None:
        row, out["utility_rule"] = utility_verdict(models, runs, target)
        out["verdicts"].append(row)
    ceiling = table[REAL]["quality"]["mean"] if REAL in table and "quality" in table[REAL] else None
    row, out["privacy_rule"] = privacy_verdict(models, ceiling)
    out["verdicts"].append(row)
    return out


def _figures(folder: TaskFolder, train, seed0: dict[str, Any], kinds, results) -> list[tuple[str, str]]:
    from ganvae.metrics.tabular import correlation_matrices
    from ganvae.report import plots

    families = {m: results["models"][m]["family"] for m in seed0}
    out = []
    if plots.column_histograms(folder.figures / "columns.png", train, seed0, kinds, families):
        out.append(
            ("figures/columns.png", "Each column: real training rows against each model's rows (seed 0)")
        )
    mats = {}
    names: list[str] = []
    for name, synth in seed0.items():
        names, real_corr, synth_corr = correlation_matrices(train, synth, kinds)
        mats[name] = synth_corr
    if names and plots.correlation_differences(folder.figures / "correlations.png", names, real_corr, mats):
        out.append(
            ("figures/correlations.png", "Correlation matrix of the real rows, and each model's difference")
        )
    return out


def _section(results: dict[str, Any], cfg: SynthesizeConfig, data, figures) -> Section:
    from ganvae.tasks.table_verdicts import QUALITY_MARGIN, SCORE_NAMES

    table = results["models"]
    d = results["data"]
    kinds = d["kinds"]
    counts = {k: sum(1 for v in kinds.values() if v == k) for k in dict.fromkeys(kinds.values())}
    pairs = results["runs"][0]["pairs"]  # the real side decides which pairs count: the same in every run
    tol = results.get("privacy_rule", {}).get("tolerance", 0.05)
    sec = Section(
        "Tabular synthetic data",
        intro=(
            f"{data.name}: {d['rows']} rows ({d['train_rows']} train / {d['test_rows']} test), columns "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + (f"; target {d['target']}" if d["target"] else "; no target (no utility figure)")
            + f". Each model trained on the training rows ({cfg.seeds} seed(s), budget "
            f"{cfg.train_config(0).describe_budget()}, batch {cfg.batch_size}) through one transformer "
            f"fitted in {d['transformer_fit_s']:.1f} s (counted in each training time), then drew "
            f"{cfg.rows or d['train_rows']} rows. Quality (SDMetrics' QualityReport): mean of column shapes "
            "(1 − KS / 1 − TV) and pair trends (1 − half the correlation difference, or contingency "
            "similarity), 1 = identical; a pair counts only where the real rows hold a trend (|Pearson r| > "
            f"0.5, or Cramér's V > 0.3): {pairs['counted']} of {pairs['total']} pairs here. "
            + (
                "Utility: a gradient-boosting model trained on synthetic rows minus the same model trained "
                "on real rows, both scored on the real test split (0 = as useful as real rows); the ratio "
                "synthetic / real only where the real-data model clearly beats chance. "
                if d["target"]
                else ""
            )
            + "DCR ratio: median distance of synthetic rows to the closest training row over that of real "
            "held-out rows; ideal ≈ 1 (below: closer to the training rows than unseen real rows; far above: "
            "rows off the data, not more privacy). The privacy verdict judges only models whose quality is "
            f"within {QUALITY_MARGIN} of the best model's (or of the real test split's, if lower), by how "
            f"far their DCR ratio falls below 1 (a shortfall up to {tol:.2f}, the holdout's own noise, "
            f"counts as none). The row '{REAL}' scores "
            "real unseen rows like a model (fidelity only): the ceiling sampling noise allows."
        ),
    )
    models = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
    for row in results["verdicts"]:
        use = row["use_case"].split(": ")[1]
        if use == "privacy":
            sec.findings.append(_privacy_finding(row, results["privacy_rule"], models))
            continue
        what = "quality score"
        if use == "utility":
            score = results["utility_rule"]["score"]
            what = f"synthetic − real {SCORE_NAMES.get(score, score)}"
        text = row_sentence(row, what) if row.get("winner") else _sentence(row["note"])
        sec.findings.append(f"{use.capitalize()}: {text}")
        if use == "fidelity":
            sec.findings.append(_strongest_pair_finding(results["runs"], models))
        if use == "utility" and results["utility_rule"]["real_learns"]:  # else the note says it all
            sec.findings.append(_utility_finding(results["utility_rule"], d["target"], SCORE_NAMES))
    if models:
        spread = {k: v["quality"]["std"] for k, v in models.items() if v["seeds"] > 1}
        if spread:
            worst = max(spread, key=spread.get)
            sec.findings.append(
                f"Stability: the quality score's spread across seeds is largest for {worst}; "
                + ", ".join(f"{k} ± {s:.3f}" for k, s in spread.items())
                + "."
            )
        copies = {k: v["exact_copies"]["mean"] for k, v in models.items()}
        ref = np.mean([r["privacy"]["exact_copies_holdout"] for r in results["runs"] if "privacy" in r])
        sec.findings.append(
            "Exact copies of training rows: "
            + ", ".join(f"{k} {c:.2%}" for k, c in copies.items())
            + f" (real unseen rows: {ref:.2%}, rows that happen to repeat)."
        )
    keys = [key for key in SHOWN if any(key in row for row in table.values())]
    columns = [get_metric(key).label for key in keys]
    rows = [
        [
            name,
            row["family"],
            *[fmt(row[k]["mean"], row[k]["std"]) if k in row else "—" for k in keys],
            fmt(row["train_s"]["mean"], row["train_s"]["std"]) if "train_s" in row else "—",
        ]
        for name, row in table.items()
    ]
    note = "Higher is better for quality, shapes, pair trends and coverage"
    if d["target"]:
        u = results["utility_rule"]
        name = SCORE_NAMES.get(u["score"], u["score"])
        note += (
            f" and utility (synthetic − real {name}; the real-data model scores {u['real']:.3f}, chance "
            f"{u['chance']:.3f}"
            + ("" if u["real_learns"] else "; no ratio: the real-data model does not clearly beat chance")
            + ")"
        )
    note += (
        "; DCR ratio: ideal ≈ 1 (below: closer to training rows than unseen real rows; far above: rows off "
        "the data); lower is better for exact copies and training time."
    )
    sec.table(
        "Fidelity, diversity, utility and privacy (mean ± std over seeds)",
        ["model", "family", *columns, "training time (s)"],
        rows,
        note=note,
    )
    worst = [_pair_row(r["model"], p) for r in results["runs"] if r["seed"] == 0 for p in r["pairs"]["worst"]]
    if worst:  # none when no pair has a real trend to keep
        sec.table(
            f"The {WORST_PAIRS} worst-kept column pairs of each model (seed 0; pairs that count only)",
            ["model", "pair", "measure", "real", "synthetic", "pair score"],
            worst,
            note=PAIR_NOTE,
        )
    for path, caption in figures:
        sec.figure(path, caption)
    return sec


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


PAIR_NOTE = (
    "Pair score: 1 − |r_real − r_synthetic| / 2 for two numbers; otherwise 1 − total variation of the joint "
    "frequencies, where Cramér's V shows how strongly the pair is associated on each side. A number paired "
    "with a category is cut into 10 equal-width bins over each side's own range, as sdmetrics does: a "
    "different minimum or maximum shifts every bin, so on a skewed or outlying number even unseen real rows "
    "can score low (see the real test split's rows)."
)
_MEASURES = {"pearson": "Pearson r", "cramer": "Cramér's V"}


def _pair_row(model: str, p: dict[str, Any]) -> list[str]:
    trend = ["—" if v != v else f"{v:.2f}" for v in (p["real"], p["synthetic"])]  # v != v: NaN
    return [model, " – ".join(p["columns"]), _MEASURES[p["measure"]], *trend, f"{p['score']:.3f}"]


def _strongest_pair_finding(runs: list[dict[str, Any]], models: dict[str, Any]) -> str:
    """'The strongest real correlation, a – b 0.89, came out as 0.35 in X and 0.86 in Y (mean over seeds).'"""
    first = next(r for r in runs if r["model"] in models)["pairs"]["strongest"]
    if first is None:
        return "Pair trends: no pair of columns has a measurable trend in the real rows."
    kind = "correlation" if first["measure"] == "pearson" else "association (Cramér's V)"
    came = [
        f"{np.mean([r['pairs']['strongest']['synthetic'] for r in runs if r['model'] == m]):.2f} in {m}"
        for m in models
    ]
    return (
        f"Pair trends: the strongest real {kind}, {' – '.join(first['columns'])} {first['real']:.2f}, came "
        f"out as {' and '.join(came)} (mean over seeds)."
    )


def _utility_finding(rule: dict[str, Any], target: str, names: dict[str, str]) -> str:
    name = names.get(rule["score"], rule["score"])
    return (
        f"Utility baseline: the model trained on the real rows predicts {target} with {name} "
        f"{rule['real']:.3f}, chance ({rule['chance_rule']}) {rule['chance']:.3f}: the real rows teach the "
        "target, and synthetic − real says how much of that the synthetic rows keep."
    )


def _privacy_finding(row: dict[str, Any], rule: dict[str, Any], models: dict[str, Any]) -> str:
    """The privacy verdict in words, DCR ratios rather than shortfalls, and who was not judged and why."""
    ratio = {k: fmt(v["dcr_ratio"]["mean"], v["dcr_ratio"]["std"]) for k, v in models.items()}
    winner, rival = row.get("winner"), row.get("runner_up")
    if winner is None:
        text = _sentence(row["note"])[:-1]
    elif rule["passes"][winner]:
        text = f"{winner}'s rows are no closer to the training rows than unseen real rows (DCR ratio "
        text += f"{ratio[winner]})"
        if rival:
            text += f"; {rival}'s are closer (DCR ratio {ratio[rival]})" + (
                "" if row.get("clear") else "; spreads overlap, not a clear win"
            )
    else:
        text = (
            f"no model is as far from the training rows as unseen real rows; {winner} comes closest (DCR "
            f"ratio {ratio[winner]}, against {ratio[rival]} for {rival})"
        )
    reference = "the real test split's quality score" if rule["capped"] else "the best quality score"
    text += (
        f". Judged: models within {rule['quality_margin']} of {reference} ({rule['best_quality']:.3f}"
        + ("; lower than the best model's" if rule["capped"] else "")
        + f"): {', '.join(rule['eligible'])}"
    )
    if rule["excluded"]:
        text += "; not judged, fidelity too far below: " + ", ".join(
            f"{k} (quality {q:.3f}; "
            + (
                f"a DCR ratio of {ratio[k]} at that fidelity says its rows are off the data, not private"
                if models[k]["dcr_ratio"]["mean"] > 1
                else f"DCR ratio {ratio[k]}"
            )
            + ")"
            for k, q in rule["excluded"].items()
        )
    return f"Privacy: {text}."


def draw_rows(
    run_dir: str | Path,
    n: int,
    out: str | Path,
    *,
    model: str | None = None,
    conditions: dict[str, Any] | None = None,
    seed: int = 0,
    sampling: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """`ganvae synthesize`: n rows from a trained tabular model (in a task folder, or its own folder) into
    a CSV written atomically; returns (model name, rows written). `sampling` changes the model's
    sampling-only settings for this draw (e.g. tabular-vae's ``categorical``)."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.models.base import GenerativeModel

    model_dir = model_folder_for(
        "synthesize", run_dir, model, default="tabular-vae", written_by="`ganvae task synthesize`"
    )
    net = GenerativeModel.load(model_dir)
    net.with_sampling(sampling or {})
    frame = net.sample(n, conditions=conditions or None, generator=torch.Generator().manual_seed(seed))
    _write_csv(frame, Path(out))
    return net.registered_name, len(frame)
