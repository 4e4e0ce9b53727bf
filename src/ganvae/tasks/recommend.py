"""Recommendation from implicit feedback: Mult-VAE / Mult-DAE (Liang et al. 2018) against CFGAN (Chae et
al. 2018) and the popularity baseline, on the strong-generalisation protocol of Liang et al. 2018 or on
RecBole 1.2.1's own split (`split="recbole"`).

Ratings are binarised (rating >= 4 by default). Strong split (default, seed 0): a seeded 20 % of the
users is held out. Every model trains on the other users' full rows through the one training loop; each
held-out user's fold-in items (80 %) are given to the model and the remaining 20 % are ranked among every
item the user has not folded in. RecBole split (seed 2020): each user's interactions are cut 80/10/10 as
RecBole does (`ganvae.data.interactions`); the models train on every user's training items, which are
also their input at test time, and rank the test items among all items but the training and validation
ones (RecBole's full-sort evaluation). Figures: Recall@20, Recall@50 and NDCG@100, and the item coverage
and novelty of the top-10 lists, each as mean ± std over seeds (the data split is fixed, so the spread is
the models' own). Recall is Liang's (hits / min(k, held-out)) on the strong split and RecBole's (hits /
held-out, uncapped) on the RecBole split; NDCG is the same in both. Popularity is deterministic: one run,
no spread. With `search` = N, each trained recommender first gets N trials scored by NDCG@100 on
validation users (strong) or validation items (RecBole) of the training data
(`experiment.search_interactions`), and its seeds train the best configuration found.

>>> from ganvae.tasks.recommend import RecommendConfig, run_recommend        # doctest: +SKIP
>>> run_recommend(RecommendConfig(seeds=1, epochs=20), "runs/recommend")       # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganvae.apply.capabilities import model_folder_for
from ganvae.errors import ConfigError, DataError
from ganvae.evaluate.interactions import ranking
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.search import SearchPlan, run_search
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.ranking import RANKING_FIGURES, top_k
from ganvae.models import family_of
from ganvae.run_folder import CONFIG, RunFolder, is_model_folder
from ganvae.tasks.base import TaskExperiment, TaskFolder, task_run

BASELINE = "popularity"  # its family, "baseline", is how the report's section tells it apart
RECOMMEND_FOLDERS = "`ganvae task recommend`"
SPLIT_LABELS = {"strong": "strong generalisation", "recbole": "RecBole split"}
DEFAULT_EPOCHS = 200.0  # Liang et al.'s 200 epochs; ~5 min for 3 models x 3 seeds on 2 CPU cores


@dataclass
class RecommendConfig(SearchPlan):
    data: str = "ml-100k"
    models: tuple[str, ...] = ("mult-vae", "mult-dae", "cfgan")
    seeds: int = 3
    batch_size: int = 100
    threshold: float = 4.0  # ratings >= threshold are positives (Liang et al. 2018)
    min_items: int = 5  # users with fewer positives are dropped
    test_users: float = 0.2  # share of users held out (strong generalisation; unused by "recbole")
    split: str = "strong"  # "strong" (Liang et al. 2018) or "recbole" (RecBole 1.2.1's 80/10/10 split)
    split_seed: int | None = None  # None: 0 for strong, 2020 (RecBole's) for recbole; fixed across seeds
    default_epochs: ClassVar[float | None] = DEFAULT_EPOCHS
    data_kind: ClassVar[str] = "interactions"

    def validate(self) -> None:
        super().validate()
        if self.image_size is not None:
            raise ConfigError("--image-size does not apply to interaction data; drop it")
        if not 0 < self.test_users < 1:
            raise ConfigError("--test-users is a share of the users, strictly between 0 and 1 (e.g. 0.2)")
        if self.min_items < 2:
            raise ConfigError("--min-items must be >= 2 (a test user needs fold-in and held-out items)")
        from ganvae.data.interactions import check_split

        check_split(self.split)

    def searched_models(self) -> tuple[str, ...]:
        """The trained recommenders: the popularity baseline is counted, not trained (nothing to tune)."""
        return tuple(m for m in self.models if m != BASELINE)

    @property
    def resolved_split_seed(self) -> int:
        from ganvae.data.interactions import split_seed

        return split_seed(self.split, self.split_seed)

    def data_spec(self) -> dict[str, Any]:
        return {
            "spec": self.data,
            "threshold": self.threshold,
            "min_items": self.min_items,
            "split": self.split,
            "split_seed": self.resolved_split_seed,
        }

    def load(self):
        from ganvae.data.interactions import load_interactions

        return load_interactions(
            self.data,
            split=self.split,
            threshold=self.threshold,
            min_items=self.min_items,
            test_users=self.test_users,
            seed=self.resolved_split_seed,
        )


def _baseline(folder: TaskFolder, data) -> Any:
    """The popularity model, fitted once (deterministic) and saved like the trained ones."""
    from ganvae.models.base import GenerativeModel, build_model

    path = RunFolder(folder.out).model(BASELINE, 0)
    if is_model_folder(path):
        return GenerativeModel.load(path)
    model = build_model(BASELINE, data.shape).fit_counts(data.x_train)
    model.save(path)
    return model


def _train_seconds(model_dir: Path) -> float:
    meta = json.loads((model_dir / CONFIG).read_text(encoding="utf-8"))
    return float(meta.get("result", {}).get("elapsed_s", 0.0))


@task_run
def run_recommend(
    cfg: RecommendConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model per seed, rank the held-out users' items, write the task folder."""
    from ganvae.report.sections.recommend import section

    cfg.validate()
    folder = TaskFolder(out, "recommend", cfg, command, resume=resume, overwrite=overwrite)
    data = cfg.load()
    folder.start()
    # `--search N`: each recommender's N trials on validation users (or items) of the training data first
    search, tuned = run_search(cfg, data, folder.out, progress=progress, tracking=folder.tracking)

    pop = _baseline(folder, data)
    runs = [
        {"model": BASELINE, "family": "baseline", "seed": 0, "train_s": 0.0, **ranking(data, pop)},
    ]
    jobs = [Job(name, seed) for name in cfg.models if name != BASELINE for seed in range(cfg.seeds)]
    experiment = Recommendation(cfg, folder, progress, tuned)
    runs += run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=data, progress=progress)
    results = summarise(runs, split=data.split)
    if search is not None:
        results["search"] = search
    results["data"] = {
        "notes": data.notes,
        "items": data.n_items,
        "train_users": len(data.train_users),
        "test_users": len(data.test_users),
        "split": data.split,
        "split_seed": cfg.resolved_split_seed,
        "recall": (
            "hits / held-out (uncapped, RecBole)" if data.split == "recbole" else "hits / min(k, held-out)"
        ),
    }
    return folder.finish(
        data, results, section(results, cfg, data, folder.figures), verdicts=results["verdicts"]
    )


class Recommendation(TaskExperiment):
    """One runner job: train (or reuse) a recommender and rank the held-out users' items."""

    cfg: RecommendConfig

    def context(self):
        return self.cfg.load()

    def run(self, data, job: Job) -> list[dict[str, Any]]:
        model = self.folder.model(
            self.cfg, job.model, data, job.seed, progress=self.progress, tuned=self.tuned.get(job.model)
        )
        return [
            {
                "model": job.model,
                "family": family_of(job.model),
                "seed": job.seed,
                "train_s": _train_seconds(RunFolder(self.folder.out).model(job.model, job.seed)),
                **ranking(data, model),
            }
        ]


def summarise(runs: list[dict[str, Any]], split: str = "strong") -> dict[str, Any]:
    """Per model: every metric and the training time as mean ± std over seeds; the use-case verdict."""
    table: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        rs = [r for r in runs if r["model"] == name]
        row: dict[str, Any] = {"model": name, "family": rs[0]["family"], "seeds": len(rs)}
        for key in RANKING_FIGURES:
            row[key] = estimate([r[key] for r in rs])
        row["train_s"] = estimate([r["train_s"] for r in rs])
        table[name] = row
    gan_vae = {k: v for k, v in table.items() if v["family"] in ("gan", "vae")}
    verdicts = (
        [use_case_row("recommendation", "ndcg@100", gan_vae, label=f"NDCG@100 ({SPLIT_LABELS[split]})")]
        if gan_vae
        else []
    )
    return {"runs": runs, "models": table, "verdicts": verdicts}


# ---- `ganvae recommend`: top-k lists for one user from a trained model ----------------------------
def recommend_for(
    run_dir: str | Path,
    *,
    user: str | None = None,
    items: list[str] | None = None,
    k: int = 10,
    model: str | None = None,
) -> dict[str, Any]:
    """Top-k items (id, title, score) for a known user of the task's ratings file, or for a new user given
    by the ids of items they liked (fold-in). Known items are never recommended again."""
    from ganvae.data.interactions import positives, read_ratings, read_titles, resolve_interactions
    from ganvae.models.base import GenerativeModel

    if (user is None) == (items is None):
        raise ConfigError("give --user ID or --items ID,ID,... (one of them)")
    model_dir = model_folder_for(
        "recommend", run_dir, model, default="mult-vae", written_by=RECOMMEND_FOLDERS
    )
    task_dir = Path(run_dir) if model_dir != Path(run_dir) else model_dir.parent.parent
    saved = RunFolder(task_dir).config
    if not saved.is_file():
        raise ConfigError(f"{task_dir} is not a `ganvae task recommend` folder (no config.json)")
    cfg = json.loads(saved.read_text(encoding="utf-8"))
    if cfg.get("task") != "recommend":
        raise ConfigError(f"{task_dir} holds a {cfg.get('task')} task, not recommend")
    c = cfg["config"]
    plan = RecommendConfig(
        data=c["data"],
        threshold=c["threshold"],
        min_items=c["min_items"],
        test_users=c["test_users"],
        split=c.get("split", "strong"),  # folders written before the RecBole split existed are strong
        split_seed=c["split_seed"],
    )
    data = plan.load()  # rebuilds the split: the item columns the models were trained on
    net = GenerativeModel.load(model_dir)
    if net.shape[0] != data.n_items:
        raise DataError(f"{model_dir} ranks {net.shape[0]} items but the data now gives {data.n_items}")
    index = {i: j for j, i in enumerate(data.item_ids)}
    if user is not None:
        path = resolve_interactions(plan.data)
        raw = read_ratings(path)
        if user not in set(raw.users.tolist()):
            raise DataError(f"user {user} is not in {path}; give a user id from that file, or --items")
        known = [i for i in positives(raw, plan.threshold).get(user, []) if i in index]
        if not known:
            raise DataError(
                f"user {user} rated no item >= {plan.threshold:g} that the model knows; use --items instead"
            )
        titles = read_titles(path)
    else:
        unknown = [i for i in items if i not in index]  # type: ignore[union-attr]
        if unknown:
            raise DataError(
                f"item id(s) {', '.join(unknown[:5])} unknown to the model; give ids from the ratings file"
            )
        known, titles = list(dict.fromkeys(items)), data.titles  # type: ignore[arg-type]
    if not 1 <= k <= data.n_items - len(known):
        raise ConfigError(f"-k must lie in 1..{data.n_items - len(known)}")
    x = torch.zeros(1, data.n_items)
    x[0, [index[i] for i in known]] = 1.0
    scores = net.rank(x).float().cpu()
    top = top_k(scores, x, k)[0].tolist()
    return {
        "model": net.registered_name,
        "model_dir": str(model_dir),
        "known": known,
        "items": [
            {
                "item": data.item_ids[j],
                "title": titles.get(data.item_ids[j], ""),
                "score": float(scores[0, j]),
            }
            for j in top
        ],
    }
