"""RecBole side of `bench/recbole_multvae.py`: run ONLY with the Python of RecBole's own virtual environment.

ganvae never imports recbole; this script never imports ganvae. It builds RecBole 1.2.1's dataset for
MovieLens-100k with the benchmark's configuration (ratings >= THRESHOLD kept as positives through
`val_interval`, users with fewer than MIN_ITEMS of them dropped through `user_inter_num_interval`,
RecBole's default `eval_args`: per-user random 80/10/10 split, full-sort evaluation, seed 2020) and
either dumps the split or trains MultiVAE and prints one JSON object on stdout.

    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 /work/venvs/recbole/bin/python bench/recbole_driver.py split
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 /work/venvs/recbole/bin/python bench/recbole_driver.py train \
        --seed 0 --epochs 200 --threads 2

The split is made exactly as `run_recbole` makes it: `init_seed(2020)` then `create_dataset` and
`data_preparation`. For `train`, the model seed is set afterwards (`init_seed(seed)`, as `run_recbole`
re-seeds before building the model), so every seed trains on the one split. Validation runs once, at the
last epoch (`eval_step = epochs`, no early stopping), and the final model is tested: the model ganvae's
task also scores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

THRESHOLD = 4
MIN_ITEMS = 5
SPLIT_SEED = 2020


def config_dict(epochs: int, workdir: str) -> dict:
    import recbole

    return {
        "data_path": str(Path(recbole.__file__).parent / "dataset_example"),
        "checkpoint_dir": workdir,
        "use_gpu": False,
        "seed": SPLIT_SEED,
        "reproducibility": True,
        "state": "WARNING",
        "show_progress": False,
        "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]},
        "val_interval": {"rating": f"[{THRESHOLD},inf)"},
        "user_inter_num_interval": f"[{MIN_ITEMS},inf)",
        "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "group_by": "user", "mode": "full"},
        "epochs": epochs,
        "eval_step": epochs,
        "stopping_step": 10 * epochs,
        "metrics": ["Recall", "NDCG"],
        "topk": [20, 50, 100],
        "valid_metric": "NDCG@100",
    }


def build(epochs: int, workdir: str):
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    config = Config(model="MultiVAE", dataset="ml-100k", config_dict=config_dict(epochs, workdir))
    init_seed(config["seed"], config["reproducibility"])
    logging.getLogger().setLevel(logging.WARNING)
    dataset = create_dataset(config)
    train, valid, test = data_preparation(config, dataset)
    return config, dataset, train, valid, test


def dump_split(args) -> dict:
    _, dataset, train, valid, test = build(1, args.workdir)
    out: dict[str, dict[str, list[str]]] = {}
    for part, loader in (("train", train), ("valid", valid), ("test", test)):
        feat = loader._dataset.inter_feat
        users = dataset.id2token(dataset.uid_field, feat[dataset.uid_field].numpy())
        items = dataset.id2token(dataset.iid_field, feat[dataset.iid_field].numpy())
        for u, i in zip(users.tolist(), items.tolist(), strict=True):
            out.setdefault(u, {"train": [], "valid": [], "test": []})[part].append(i)
    return {
        "recbole": __import__("recbole").__version__,
        "users": dataset.user_num - 1,  # minus RecBole's padding id 0
        "items": dataset.item_num - 1,
        "interactions": len(dataset.inter_feat),
        "split": out,
    }


def train(args) -> dict:
    import recbole.config  # noqa: F401  every import before the clock starts
    import recbole.data  # noqa: F401
    import torch
    from recbole.utils import get_model, get_trainer, init_seed

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    config, dataset, train_data, valid_data, test_data = build(args.epochs, args.workdir)
    init_seed(args.seed, config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    epoch_s: list[float] = []
    inner = trainer._train_epoch

    def timed(*a, **k):
        t = time.perf_counter()
        result = inner(*a, **k)
        epoch_s.append(time.perf_counter() - t)
        return result

    trainer._train_epoch = timed
    t_fit = time.perf_counter()
    trainer.fit(train_data, valid_data, saved=False, show_progress=False)
    fit_s = time.perf_counter() - t_fit
    t_test = time.perf_counter()
    result = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
    test_s = time.perf_counter() - t_test
    return {
        "seed": args.seed,
        "epochs": len(epoch_s),
        "threads": torch.get_num_threads(),
        "train_s": sum(epoch_s),  # the epochs' own time (RecBole's _train_epoch)
        "s_per_epoch": sum(epoch_s) / len(epoch_s),
        "fit_s": fit_s,  # training + the one validation pass
        "test_s": test_s,
        "total_s": time.perf_counter() - t0,  # dataset build + model + fit + test
        "metrics": {k.lower(): float(v) for k, v in result.items()},
        "params": sum(p.numel() for p in model.parameters()),
        "config": {
            k: config[k]
            for k in (
                "mlp_hidden_size",
                "latent_dimension",
                "dropout_prob",
                "anneal_cap",
                "total_anneal_steps",
                "train_batch_size",
                "learning_rate",
            )
        },
        "steps_per_epoch": len(train_data),
        "test_users": len(test_data.uid_list),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("split", "train"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # RecBole writes log/ and saved/ under the working directory
        args.workdir = tmp
        result = dump_split(args) if args.mode == "split" else train(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
