"""Tabular synthetic data, GAN against VAE: `tabular-gan` (CTGAN design) and `tabular-vae` (TVAE design)
trained on the same training split, through the same fitted transformer, at the same budget, over seeds.

Each (model, seed) draws as many synthetic rows as the training split has (`--rows`) and is scored on
- fidelity (the SDMetrics quality definitions): per-column similarity (1 − KS statistic for numbers,
  1 − total variation for categories) and pairwise trends (correlation / contingency similarity);
- diversity: the share of the real categories that synthetic rows use (a collapsed generator drops rare
  ones);
- utility (train-synthetic-test-real, when the table has a `--target`): a gradient-boosting model trained
  on synthetic rows and scored on the real test split, against the same model trained on real rows;
- privacy: distance to the closest real training row, relative to that of real held-out rows (≥ 1: no
  closer than unseen real rows), and the share of exact copies.
A reference row scores the real test split itself as if it were synthetic: the ceiling that sampling
noise allows. `ganvae compare --data table.csv` runs this task; `ganvae synthesize` samples a trained
model.
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
from ganvae.experiment.verdicts import estimate, row_sentence
from ganvae.plan import RunPlan
from ganvae.report.env import fmt
from ganvae.tasks.base import (
    Section,
    TaskFolder,
    family_verdict,
    find_model_dir,
)

REAL = "real (test split)"
# The utility figure a verdict uses: macro F1 for classes (robust to imbalance, unlike accuracy), R² for
# numbers; every other figure of the utility test stays in metrics.json
PRIMARY = {"classification": "f1_macro", "regression": "r2"}
DEFAULT_EPOCHS = 300.0  # CTGAN's and TVAE's own default; at 50 TVAE was far from converged on credit-data
METRICS = (  # key, label, higher is better
    ("quality", "quality score", True),
    ("column_shapes", "column shapes", True),
    ("pair_trends", "pair trends", True),
    ("category_coverage", "category coverage", True),
    ("utility_ratio", "utility (synthetic / real)", True),
    ("dcr_ratio", "DCR ratio", True),
    ("exact_copies", "exact copies", False),
)


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
        from ganvae.data.table_data import prepare_table
        from ganvae.data.tabular import load_table

        table = load_table(
            self.data,
            categorical=list(self.categorical) or None,
            target=self.target,
            drop=list(self.drop) or None,
        )
        return prepare_table(table, seed=0)


def category_coverage(real, synth, kinds: dict[str, str]) -> float:
    """Mean over discrete columns of the share of the real rows' categories that synthetic rows contain
    (1.0 when the table has no discrete column)."""
    shares = []
    for col, kind in kinds.items():
        if kind in ("categorical", "boolean"):
            have = set(real[col].astype(str))
            shares.append(len(have & set(synth[col].astype(str))) / len(have))
    return float(np.mean(shares)) if shares else 1.0


def fidelity(train, synth, kinds: dict[str, str]) -> dict[str, Any]:
    """Quality (column shapes, pair trends) and category coverage of rows against the training rows."""
    from ganvae.metrics.tabular import quality

    q = quality(train, synth, kinds)
    return {
        "quality": q["score"],
        "column_shapes": q["column_shapes"],
        "pair_trends": q["column_pair_trends"],
        "category_coverage": category_coverage(train, synth, kinds),
    }


def evaluate_rows(train, synth, test, kinds: dict[str, str], target: str | None, seed: int) -> dict[str, Any]:
    """Every figure of one synthetic table against the real splits."""
    from ganvae.metrics.tabular import privacy, utility

    out = fidelity(train, synth, kinds)
    p = privacy(train, synth, test, kinds)
    out.update(dcr_ratio=p["dcr_ratio"], exact_copies=p["exact_copies"], privacy=p)
    if target is not None:
        u = utility(train, synth, test, target, kinds, seed)
        key = PRIMARY[u["task"]] if u["task"] in PRIMARY else next(iter(u["ratio"]))
        out.update(utility_ratio=u["ratio"][key], utility_metric=key, utility=u)
    return out


def _write_csv(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False)


def run_synthesize(
    cfg: SynthesizeConfig, out: str | Path, *, progress: bool = True, command: str = ""
) -> dict[str, Any]:
    """Train each model per seed on the table, sample, score, and write the task folder."""
    from ganvae.registry import MODELS

    cfg.validate()
    folder = TaskFolder(out, "synthesize", cfg, command)
    data = cfg.load()
    table = data.table
    train, test, kinds, target = table.train, table.test, table.kinds, table.target
    n_rows = cfg.rows or len(train)
    folder.start()

    # the ceiling of fidelity: unseen real rows (utility and privacy would score them against
    # themselves, so they are left out of this row)
    runs: list[dict[str, Any]] = [
        {"model": REAL, "family": "reference", "seed": 0, **fidelity(train, test, kinds)}
    ]
    seed0: dict[str, Any] = {}
    for name in cfg.models:
        for seed in range(cfg.seeds):
            model = folder.model(cfg, name, data, seed, progress=progress)
            t0 = time.perf_counter()
            synth = model.sample(n_rows, generator=torch.Generator().manual_seed(seed))
            sample_s = time.perf_counter() - t0
            _write_csv(synth, folder.out / "synthetic" / f"{name}-seed{seed}.csv")
            run = {
                "model": name,
                "family": MODELS.get(name).factory.family,
                "seed": seed,
                "train_s": _train_seconds(folder, name, seed) + data.fit_s,
                "sample_s": sample_s,
                **evaluate_rows(train, synth, test, kinds, target, seed),
            }
            runs.append(run)
            if seed == 0:
                seed0[name] = synth
    results = summarise(runs, has_target=target is not None)
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


def _train_seconds(folder: TaskFolder, name: str, seed: int) -> float:
    import json

    meta = json.loads((folder.out / "models" / f"{name}-seed{seed}" / "config.json").read_text("utf-8"))
    return float(meta.get("result", {}).get("elapsed_s", 0.0))


def summarise(runs: list[dict[str, Any]], has_target: bool) -> dict[str, Any]:
    """Per model: every figure as mean ± std over seeds; the use-case verdicts of GAN against VAE."""
    keys = [k for k, _, _ in METRICS if has_target or k != "utility_ratio"] + ["train_s", "sample_s"]
    table: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        rs = [r for r in runs if r["model"] == name]
        row: dict[str, Any] = {"model": name, "family": rs[0]["family"], "seeds": len(rs)}
        for key in keys:
            if all(key in r for r in rs):
                row[key] = estimate([r[key] for r in rs])
        table[name] = row
    models = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
    rows = [
        ("tabular synthetic data: fidelity", "quality", "quality score (SDMetrics definitions)", True),
        ("tabular synthetic data: privacy", "dcr_ratio", "DCR ratio (synthetic / holdout)", True),
    ]
    if has_target:
        rows.insert(1, ("tabular synthetic data: utility", "utility_ratio", "TSTR utility ratio", True))
    verdicts = (
        [family_verdict(models, m, use, label, higher) for use, m, label, higher in rows] if models else []
    )
    return {"runs": runs, "models": table, "verdicts": verdicts}


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
    table = results["models"]
    d = results["data"]
    kinds = d["kinds"]
    counts = {k: sum(1 for v in kinds.values() if v == k) for k in dict.fromkeys(kinds.values())}
    sec = Section(
        "Tabular synthetic data",
        intro=(
            f"{data.name}: {d['rows']} rows ({d['train_rows']} train / {d['test_rows']} test), columns "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + (f"; target {d['target']}" if d["target"] else "; no target (no utility figure)")
            + f". Each model trained on the training rows ({cfg.seeds} seed(s), budget "
            f"{cfg.train_config(0).describe_budget()}, batch {cfg.batch_size}) through one transformer "
            f"fitted in {d['transformer_fit_s']:.1f} s (counted in each training time), then drew "
            f"{cfg.rows or d['train_rows']} rows. Quality: mean of column shapes (1 − KS / 1 − TV) and "
            "pair trends (correlation / contingency similarity), 1 = identical. DCR ratio: median distance "
            "of synthetic rows to the closest training row over that of real held-out rows (≥ 1: no closer "
            f"than unseen real rows). The row '{REAL}' scores real unseen rows the same way: the ceiling."
        ),
    )
    for row in results["verdicts"]:
        sec.findings.append(
            f"{row['use_case'].split(': ')[1].capitalize()}: " + row_sentence(row, row["metric"])
        )
    models = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
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
    keys = [key for key, _, _ in METRICS if any(key in row for row in table.values())]
    columns = [label for key, label, _ in METRICS if key in keys]
    rows = [
        [
            name,
            row["family"],
            *[fmt(row[k]["mean"], row[k]["std"]) if k in row else "—" for k in keys],
            fmt(row["train_s"]["mean"], row["train_s"]["std"]) if "train_s" in row else "—",
        ]
        for name, row in table.items()
    ]
    sec.table(
        "Fidelity, diversity, utility and privacy (mean ± std over seeds)",
        ["model", "family", *columns, "training time (s)"],
        rows,
        note="Higher is better for every column but exact copies and training time.",
    )
    for path, caption in figures:
        sec.figure(path, caption)
    return sec


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
    from ganvae.models.base import GenerativeModel

    _, model_dir = find_model_dir(run_dir, model, "tabular-vae", "synthesize")
    net = GenerativeModel.load(model_dir)
    if net.data_kind != "table":
        raise ConfigError(f"{model_dir} holds {net.registered_name}, not a tabular model")
    net.with_sampling(sampling or {})
    frame = net.sample(n, conditions=conditions or None, generator=torch.Generator().manual_seed(seed))
    _write_csv(frame, Path(out))
    return net.registered_name, len(frame)
