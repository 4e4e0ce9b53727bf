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
`ganvae.experiment.table_verdicts`. A reference row scores the real test split itself as if it were
synthetic: the ceiling that sampling noise allows. `ganvae compare --data table.csv` runs this task;
`ganvae synthesize` samples a trained model. With `search` = N, each model first gets N trials scored by
the quality score on validation rows carved from the training rows (`experiment.search_tables`), and its
seeds train the best configuration found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganvae.atomic import atomic_path
from ganvae.errors import ConfigError
from ganvae.evaluate.tables import TABLE_FIGURES, evaluate_rows, fidelity
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.search import SearchPlan, run_search
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.run_folder import CONFIG, RunFolder
from ganvae.tasks.base import TaskExperiment, TaskFolder, task_run

REAL = "real (test split)"  # its family, "reference", is how the report's section tells it apart
DEFAULT_EPOCHS = 300.0  # CTGAN's and TVAE's own default; at 50 TVAE was far from converged on credit-data
UTILITY_KEYS = ("utility_gap", "utility_ratio")
# Figures kept per model for the verdicts, beside TABLE_FIGURES (the report's columns)
EXTRA_KEYS = ("dcr_shortfall", "dcr_tolerance", "train_s", "sample_s")


@dataclass
class SynthesizeConfig(SearchPlan):
    data: str = "credit-data"
    models: tuple[str, ...] = ("tabular-vae", "tabular-gan")
    seeds: int = 3
    batch_size: int = 500  # CTGAN's and TVAE's default
    target: str | None = None  # None: the built-in table's own target, or no utility figure
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    rows: int = 0  # synthetic rows per (model, seed); 0 = as many as the training split
    metadata: str | None = None  # --metadata: a JSON file of declared column kinds (data/tables/metadata.py)
    default_epochs: ClassVar[float | None] = DEFAULT_EPOCHS
    data_kind: ClassVar[str] = "table"

    def validate(self) -> None:
        super().validate()
        if self.image_size is not None:
            raise ConfigError("--image-size does not apply to a table; drop it")
        if self.rows < 0:
            raise ConfigError("--rows must be >= 0 (0 = as many as the training split)")

    def settings(self) -> dict[str, Any]:
        values = super().settings()
        if values.get("metadata") is None:  # folders written before --metadata existed stay valid
            values.pop("metadata", None)
        return values

    def data_spec(self) -> dict[str, Any]:
        spec = {"spec": self.data, "target": self.target, "categorical": list(self.categorical)}
        return {**spec, **({"metadata": self.metadata} if self.metadata else {})}

    def load(self):
        from ganvae.data.tables import load_table
        from ganvae.data.tables.metadata import read_metadata
        from ganvae.data.tables.table_data import prepare_table

        table = load_table(
            self.data,
            categorical=list(self.categorical) or None,
            target=self.target,
            drop=list(self.drop) or None,
            metadata=read_metadata(self.metadata) if self.metadata else None,
        )
        return prepare_table(table, seed=0)


def _write_csv(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False)


@task_run
def run_synthesize(
    cfg: SynthesizeConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model per seed on the table, sample, score, and write the task folder."""
    from ganvae.report.sections import synthesize as page

    cfg.validate()
    folder = TaskFolder(out, "synthesize", cfg, command, resume=resume, overwrite=overwrite)
    data = cfg.load()
    table = data.table
    train, test, kinds, target = table.train, table.test, table.kinds, table.target
    folder.start()
    # `--search N`: each model's N trials on a validation split of the training rows, before the seeds
    search, tuned = run_search(cfg, data, folder.out, progress=progress, tracking=folder.tracking)

    # the ceiling of fidelity: unseen real rows (utility and privacy would score them against
    # themselves, so they are left out of this row)
    runs: list[dict[str, Any]] = [
        {"model": REAL, "family": "reference", "seed": 0, **fidelity(train, test, kinds)}
    ]
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    experiment = Synthesis(cfg, folder, progress, tuned)
    runs += run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=data, progress=progress)
    # seed 0's rows again for the figures: sampling is seeded, so these are the rows its job scored
    seed0 = {
        name: _draw(folder.model(cfg, name, data, 0, progress=False, tuned=tuned.get(name)), cfg, data)[
            list(train.columns)  # without the fresh ids of --metadata's id columns
        ]
        for name in cfg.models
    }
    results = summarise(runs, target)
    if search is not None:
        results["search"] = search
    results["data"] = {
        "rows": len(table.frame),
        "train_rows": len(train),
        "test_rows": len(test),
        "kinds": kinds,
        "target": target,
        "transformer_fit_s": data.fit_s,
        "width": data.shape[0],
    }
    families = {m: results["models"][m]["family"] for m in seed0}
    figures = page.draw_figures(folder.figures, train, seed0, kinds, families)
    section = page.section(results, cfg, data.name, figures)
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
        model = self.folder.model(
            self.cfg, job.model, data, job.seed, progress=self.progress, tuned=self.tuned.get(job.model)
        )
        t0 = time.perf_counter()
        synth = _draw(model, self.cfg, data, job.seed)
        sample_s = time.perf_counter() - t0
        _write_csv(synth, RunFolder(self.folder.out).synthetic(job.model, job.seed))
        synth = synth[list(table.train.columns)]  # scored without the fresh ids of id columns
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
    facts behind the utility and privacy rules (`ganvae.experiment.table_verdicts`)."""
    from ganvae.experiment.table_verdicts import privacy_verdict, utility_verdict

    keys = [k for k in TABLE_FIGURES if target is not None or k not in UTILITY_KEYS] + list(EXTRA_KEYS)
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
