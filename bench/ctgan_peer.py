"""ganvae's tabular-vae / tabular-gan against the `ctgan` package's TVAE / CTGAN, side by side (issues 5, 6).

Both sides get the same training rows (ganvae's `load_table` split, seed 0; the peer gets them as the
original DataFrame), the same epochs, batch size 500 and the reference designs' network sizes (ganvae's
defaults equal ctgan's: TVAE 128-128 / code 128, CTGAN 256-256 / noise 128 / pac 10). Each draws as many
rows as the training split, and every table is scored by ganvae's OWN evaluation (`evaluate_rows` of
`ganvae.tasks.synthesize`: SDMetrics-style quality, TSTR utility ratio with its gradient-boosting model,
DCR ratio and exact copies, category coverage).

Wall-clock to train includes the data transformer's fit for both: ganvae from `prepare_table` through
the end of `Trainer.fit`; ctgan its `fit` (which fits and applies its own transformer). Imports are
outside the clock on both sides (`import ctgan`; ganvae's Lightning Fabric, which the loop would otherwise
import lazily inside `fit`) and recorded as `import_s`. Every training
runs in a fresh process (ganvae's under this interpreter, the peer's under `--peer-python`, a virtual
environment holding ctgan: it is a BSL-licensed benchmark-only peer, never a ganvae dependency), with the
same torch threads, alternating ours / peer so that background load falls on both. Each worker writes its
rows as CSV; this process reads every table back the same way and scores it.

ctgan refuses NaN in continuous columns (CTGAN raises; TVAE's transformer cannot represent them), so
tables with missing values are cleaned once, `dropna()` on the whole table before the split, and both
sides get that same cleaned table (ganvae itself would model the missing values).

    PYTHONPATH=src OMP_WAIT_POLICY=PASSIVE python bench/ctgan_peer.py \
        --runs credit-data:300:3,diamonds:100:3:10000 --peer-python /work/venvs/ctgan/bin/python \
        > bench/ctgan_peer.json
    python bench/ctgan_peer.py --markdown bench/ctgan_peer.json      # the BENCHMARKS.md tables
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

BATCH = 500
OURS = {"vae": "tabular-vae", "gan": "tabular-gan"}
PEER = {"vae": "TVAE", "gan": "CTGAN"}
FIGURES = (  # key, column label
    ("quality", "quality"),
    ("column_shapes", "column shapes"),
    ("pair_trends", "pair trends"),
    ("utility_ratio", "utility ratio"),
    ("dcr_ratio", "DCR ratio"),
    ("exact_copies", "exact copies"),
    ("category_coverage", "category coverage"),
    ("fit_s", "fit seconds"),
    ("import_s", "import seconds"),
)


# ---- data (identical in every process) -----------------------------------------------------------
def load_bench_table(name: str, subsample: int = 0):
    """ganvae's table `name` with rows holding a missing value dropped (ctgan cannot train on NaN in a
    continuous column), split as `load_table` splits it (seed 0); optionally a seeded row subsample."""
    from ganvae.data.tables import load_table

    raw = load_table(name)
    frame = raw.frame
    if subsample and subsample < len(frame):
        frame = frame.sample(n=subsample, random_state=0)
    clean = frame.dropna().reset_index(drop=True)
    table = load_table(clean, target=raw.target, name=name)
    dropped = len(frame) - len(clean)
    kinds_changed = {c: (raw.kinds[c], k) for c, k in table.kinds.items() if raw.kinds[c] != k}
    return table, {"rows_raw": len(raw.frame), "rows_dropped_nan": dropped, "kinds_changed": kinds_changed}


def split_hash(table) -> str:
    """A hash of the training rows' values, to check that both processes trained on the same rows."""
    h = hashlib.sha256()
    for c in table.train.columns:
        h.update(c.encode())
        h.update(table.train[c].astype(str).str.cat(sep="\x1f").encode())
    return h.hexdigest()[:16]


def matmul_gflops() -> float:
    """fp32 1024x1024 matmul GFLOP/s on this process's threads: how much CPU the run had at its start."""
    from throughput import matmul_ceiling  # bench/throughput.py (the bench folder is on sys.path)

    return matmul_ceiling(1024, repeats=5)


# ---- workers (one training per process) -----------------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    table, _ = load_bench_table(args.data, args.subsample)
    n_rows = len(table.train)
    meta = {
        "side": args.worker,
        "model": args.model,
        "seed": args.seed,
        "epochs": args.epochs,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "split_hash": split_hash(table),
        "train_rows": n_rows,
        "gflops_at_start": round(matmul_gflops(), 1),
        "loadavg_start": os.getloadavg()[0],
    }
    if args.worker == "ours":
        meta.update(_train_ours(args, table, n_rows))
    else:
        meta.update(_train_peer(args, table, n_rows))
    meta["loadavg_end"] = os.getloadavg()[0]
    Path(args.out, "meta.json").write_text(json.dumps(meta, indent=1, default=_json_default))


def _train_ours(args, table, n_rows: int) -> dict:
    import torch

    from ganvae.data.tables.table_data import prepare_table
    from ganvae.models.base import build_model
    from ganvae.training import TrainConfig, Trainer

    t_import = time.perf_counter()
    import lightning_fabric  # noqa: F401  imported before the clock starts, as `import ctgan` is

    import_s = time.perf_counter() - t_import
    t0 = time.perf_counter()
    data = prepare_table(table, seed=args.seed)
    torch.manual_seed(args.seed)
    model = build_model(args.model, data.shape, context=data.context)
    trainer = Trainer(TrainConfig(epochs=args.epochs, batch_size=BATCH, seed=args.seed), progress=False)
    trainer.fit(model, data)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    synth = model.sample(n_rows, generator=torch.Generator().manual_seed(args.seed))
    sample_s = time.perf_counter() - t1
    synth.to_csv(Path(args.out, "rows.csv"), index=False)
    return {
        "fit_s": fit_s,
        "transformer_fit_s": data.fit_s,
        "sample_s": sample_s,
        "steps": trainer.state_.step,
        "width": data.shape[0],
        "config": {k: v for k, v in vars(model.config).items()},
        "package": "ganvae",
        "import_s": import_s,  # Lightning Fabric (the rest of ganvae was imported to load the table)
    }


def _train_peer(args, table, n_rows: int) -> dict:
    t_import = time.perf_counter()
    import ctgan

    import_s = time.perf_counter() - t_import

    discrete = table.discrete_columns
    train = table.train  # the same rows, as the original DataFrame
    if args.model == "TVAE":
        model = ctgan.TVAE(epochs=int(args.epochs), batch_size=BATCH, enable_gpu=False)
        config = {
            "embedding_dim": model.embedding_dim,
            "compress_dims": model.compress_dims,
            "decompress_dims": model.decompress_dims,
            "l2scale": model.l2scale,
            "loss_factor": model.loss_factor,
        }
        steps = int(args.epochs) * -(-len(train) // BATCH)  # DataLoader(drop_last=False)
    else:
        model = ctgan.CTGAN(epochs=int(args.epochs), batch_size=BATCH, enable_gpu=False)
        config = {
            k: getattr(model, "_" + k)
            for k in (
                "embedding_dim",
                "generator_dim",
                "discriminator_dim",
                "generator_lr",
                "discriminator_lr",
                "generator_decay",
                "discriminator_decay",
                "discriminator_steps",
                "log_frequency",
            )
        } | {"pac": model.pac}
        steps = int(args.epochs) * max(len(train) // BATCH, 1)
    model.set_random_state(args.seed)
    t0 = time.perf_counter()
    model.fit(train, discrete_columns=discrete)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    synth = model.sample(n_rows)
    sample_s = time.perf_counter() - t1
    synth.to_csv(Path(args.out, "rows.csv"), index=False)
    out = {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "steps": steps,
        "config": config,
        "package": f"ctgan {ctgan.__version__}",
        "import_s": import_s,
    }
    # after the timed fit, how much of it was the transformer (fit + transform, as in `fit`); skipped on
    # large tables, where it costs minutes
    if len(train) > 20_000:
        return out
    from ctgan.data_transformer import DataTransformer

    t2 = time.perf_counter()
    transformer = DataTransformer()
    transformer.fit(train, discrete)
    transformer.transform(train)
    out["transformer_fit_s"] = time.perf_counter() - t2
    out["width"] = transformer.output_dimensions
    return out


# ---- the driver ------------------------------------------------------------------------------------
def run_worker(
    python: str,
    side: str,
    model: str,
    data: str,
    epochs: float,
    seed: int,
    subsample: int,
    threads: int,
    tmp: Path,
) -> dict:
    out = tmp / f"{data}-{model}-seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [
        python,
        __file__,
        "--worker",
        side,
        "--model",
        model,
        "--data",
        data,
        "--epochs",
        str(epochs),
        "--seed",
        str(seed),
        "--subsample",
        str(subsample),
        "--threads",
        str(threads),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    meta = json.loads((out / "meta.json").read_text())
    meta["process_s"] = time.perf_counter() - t0
    meta["rows_csv"] = str(out / "rows.csv")
    print(f"{data} {model} seed {seed}: fit {meta['fit_s']:.1f} s", file=sys.stderr, flush=True)
    return meta


def read_rows(path: str, like):
    """A worker's CSV back as a frame with the training frame's dtypes where they apply."""
    import pandas as pd

    frame = pd.read_csv(path)[list(like.columns)]
    for c in like.columns:
        # e.g. NaN in an integer column: keep the float column, the metrics read it as numbers
        with contextlib.suppress(TypeError, ValueError):
            frame[c] = frame[c].astype(like[c].dtype)
    return frame


def score(table, meta: dict) -> dict:
    from ganvae.evaluate.tables import evaluate_rows

    synth = read_rows(meta["rows_csv"], table.train)
    t0 = time.perf_counter()
    figures = evaluate_rows(table.train, synth, table.test, table.kinds, table.target, meta["seed"])
    figures["eval_s"] = time.perf_counter() - t0
    return figures


def mean_std(values: list[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "n": len(v)}


def summarise(runs: list[dict]) -> dict:
    models: dict[str, dict] = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        rs = [r for r in runs if r["model"] == name]
        models[name] = {k: mean_std([r[k] for r in rs]) for k, _ in FIGURES if all(k in r for r in rs)}
        if all("transformer_fit_s" in r for r in rs):
            models[name]["transformer_fit_s"] = mean_std([r["transformer_fit_s"] for r in rs])
        models[name]["sample_s"] = mean_std([r["sample_s"] for r in rs])
    ratios = {}
    for family in ("vae", "gan"):
        ours, peer = models.get(OURS[family]), models.get(PEER[family])
        if ours is None or peer is None:
            continue
        ratio = {}
        for key, _ in FIGURES:
            a, b = ours[key]["mean"], peer[key]["mean"]
            ratio[key] = a / b if b else float("nan")
        target = {
            "quality_at_least_peer": ours["quality"]["mean"] >= peer["quality"]["mean"],
            "utility_at_least_peer": ours["utility_ratio"]["mean"] >= peer["utility_ratio"]["mean"],
            "time_at_most_half": ratio["fit_s"] <= 0.5,
        }
        ratios[f"{OURS[family]} / {PEER[family]}"] = {"ratio": ratio, "issue6_target": target}
    return {"models": models, "ours_over_peer": ratios}


def drive(args: argparse.Namespace) -> None:
    import torch

    from ganvae.evaluate.tables import fidelity

    plan = []
    for item in args.runs.split(","):
        parts = item.split(":")
        data, epochs, seeds = parts[0], float(parts[1]), int(parts[2])
        subsample = int(parts[3]) if len(parts) > 3 else 0
        plan.append((data, epochs, seeds, subsample))
    started = time.time()
    result = {
        "command": " ".join(["python", "bench/ctgan_peer.py", *sys.argv[1:]]),
        "date": date.today().isoformat(),
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "threads": args.threads,
            "peer_python": args.peer_python,
        },
        "batch_size": BATCH,
        "datasets": {},
    }
    with tempfile.TemporaryDirectory(prefix="ctgan-peer-") as tmp_name:
        tmp = Path(tmp_name)
        for data, epochs, seeds, subsample in plan:
            table, notes = load_bench_table(data, subsample)
            runs = []
            for seed in range(seeds):
                for family in ("vae", "gan"):  # ours, peer, ours, peer: alternate so load falls on both
                    for side, python, model in (
                        ("ours", sys.executable, OURS[family]),
                        ("peer", args.peer_python, PEER[family]),
                    ):
                        meta = run_worker(
                            python, side, model, data, epochs, seed, subsample, args.threads, tmp
                        )
                        if meta["split_hash"] != split_hash(table):
                            raise SystemExit(f"{model} trained on other rows than this process split")
                        run = {**meta, **score(table, meta)}
                        run.pop("rows_csv")
                        runs.append(run)
            result["datasets"][data] = {
                "rows": len(table.frame),
                "train_rows": len(table.train),
                "test_rows": len(table.test),
                "subsample": subsample or None,
                "target": table.target,
                "kinds": table.kinds,
                "epochs": epochs,
                "seeds": seeds,
                **notes,
                "real_test_split": fidelity(table.train, table.test, table.kinds),
                "runs": runs,
                **summarise(runs),
            }
    result["total_s"] = time.time() - started
    json.dump(result, sys.stdout, indent=1, default=_json_default)
    print()


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(type(o))


# ---- markdown --------------------------------------------------------------------------------------
def markdown(path: str) -> str:
    res = json.loads(Path(path).read_text())
    out = []
    for name, d in res["datasets"].items():
        sub = f", a {d['subsample']:,}-row subsample" if d.get("subsample") else ""
        out.append(
            f"**{name}**{sub}: {d['rows']:,} rows after dropping {d['rows_dropped_nan']} with a missing "
            f"value ({d['train_rows']:,} train / {d['test_rows']:,} test), {d['epochs']:g} epochs, "
            f"{d['seeds']} seed(s), target {d['target']}; real test split scores quality "
            f"{d['real_test_split']['quality']:.3f}.\n"
        )
        header = ["model", *[label for _, label in FIGURES], "time ratio"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" + "---:|" * (len(header) - 1))
        models = d["models"]
        for family in ("vae", "gan"):
            for side, name_ in (("ganvae", OURS[family]), ("ctgan", PEER[family])):
                row = models[name_]
                cells = [f"{side} {name_}"]
                for key, _ in FIGURES:
                    m = row[key]
                    digits = 1 if key.endswith("_s") else 3
                    text = f"{m['mean']:.{digits}f}"
                    if m["n"] > 1:
                        text += f" ± {m['std']:.{digits}f}"
                    cells.append(text)
                ratio = d["ours_over_peer"][f"{OURS[family]} / {PEER[family]}"]["ratio"]["fit_s"]
                cells.append(f"**{ratio:.2f}**" if side == "ganvae" else "1")
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out.append(
            "Ratios ganvae / ctgan (means): "
            + "; ".join(
                f"{pair}: "
                + ", ".join(
                    f"{label} {r['ratio'][key]:.3f}" for key, label in FIGURES if key != "exact_copies"
                )
                for pair, r in d["ours_over_peer"].items()
            )
            + ".\n"
        )
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--runs",
        default="credit-data:300:3,diamonds:100:3:10000",
        help="comma-separated data:epochs:seeds[:subsample rows]",
    )
    p.add_argument(
        "--peer-python",
        default="/work/venvs/ctgan/bin/python",
        help="an interpreter that can import ctgan (and this repository's src)",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--markdown", metavar="JSON", help="print the tables of a result file and exit")
    # worker mode (internal)
    p.add_argument("--worker", choices=("ours", "peer"), help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--epochs", type=float, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--subsample", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.markdown:
        print(markdown(args.markdown))
    elif args.worker:
        worker(args)
    else:
        drive(args)


if __name__ == "__main__":
    main()
