"""Print a comparison's metrics.json without its bulky per-run records (curves, losses, artefacts): the
JSON a BENCHMARKS.md section quotes. Each run keeps its model, seed, steps, kept step and key figures.

    python bench/metrics_json.py runs/fm375 > bench/compare_fm375_5min.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEPT = (
    "fd",
    "fd_gap_closed",
    "coverage",
    "sharpness_ratio",
    "memorisation_ratio",
    "recon_psnr",
    "steps",
    "selected_step",
    "train_s",
)


def main(folder: str) -> None:
    m = json.loads((Path(folder) / "metrics.json").read_text())
    runs = m.pop("runs", [])
    m["runs"] = [
        {"model": r["model"], "seed": r["seed"], **{k: r.get("metrics", {}).get(k) for k in KEPT}}
        for r in runs
    ]
    print(json.dumps(m, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
