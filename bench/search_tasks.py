"""`--search 4` on a table and on recommenders against the same comparison at the models' defaults: what
the search chose, what it cost, and what the seeds then measured on the test split. Reads four run
folders made by these commands (2-core CPU shared with other sessions' jobs; times are load-dependent):

    ganvae compare --data credit-data --search 4 --epochs 30 --seeds 3 --out RUNS/credit-search4
    ganvae compare --data credit-data --epochs 30 --seeds 3 --out RUNS/credit-defaults
    ganvae task recommend --search 4 --epochs 20 --seeds 3 --out RUNS/rec-search4
    ganvae task recommend --epochs 20 --seeds 3 --out RUNS/rec-defaults

    python bench/search_tasks.py RUNS bench/search_tasks.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIGURES = {"credit": ("quality", "utility_gap", "dcr_ratio"), "rec": ("ndcg@100", "recall@20", "recall@50")}


def trials(rec: dict) -> list[dict]:
    keep = ("number", "state", "value", "steps", "train_s", "params", "sampling", "defaults", "diverged")
    return [{k: t.get(k) for k in keep} for t in rec["trials"]]


def summary(folder: Path, figures: tuple[str, ...]) -> dict:
    m = json.loads((folder / "metrics.json").read_text())
    rows = m["results"]["models"]
    out = {
        name: {k: {"mean": row[k]["mean"], "std": row[k]["std"]} for k in figures if k in row}
        for name, row in rows.items()
    }
    for name in rows:
        if "train_s" in rows[name]:
            out[name]["train_s"] = rows[name]["train_s"]["mean"]
    search = m["results"].get("search")
    if search:
        out["search"] = {
            "validation": {k: v for k, v in search["validation"].items() if k not in ("rows", "users")},
            "objective": search["objective"],
            "models": {
                name: {
                    "best": rec["best"],
                    "counts": rec["counts"],
                    "search_s": rec["search_s"],
                    "trials": trials(rec),
                }
                for name, rec in search["models"].items()
            },
        }
    out["command"] = m.get("command")
    return out


def main(runs: str, dest: str) -> None:
    root = Path(runs)
    result = {
        f"{kind}-{arm}": summary(root / f"{kind}-{arm}", FIGURES[kind])
        for kind in FIGURES
        for arm in ("search4", "defaults")
    }
    result["machine"] = "2-core CPU shared with other sessions' training jobs (load 4-6)"
    Path(dest).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
