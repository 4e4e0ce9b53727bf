"""Time to quality: wall-clock of training until FD (domain features) first falls below each target.

Reads a `ganvae compare` run folder. Every run logs its FD-vs-time curve: FD on a fixed subset of samples
(EvalConfig.curve_samples), about ten times per run, at training seconds that exclude the evaluation
itself. For each model and target this prints the first logged time at or below the target (the curve is
sampled, so the true crossing lies between that point and the one before), "never" if the run did not
get there, and the final FD. Prints JSON.

    ganvae compare --data fashion-mnist --models vae,dcgan --budget 4m --seeds 1 --out runs/ttq
    python bench/time_to_quality.py runs/ttq --targets 150,100,75,50 > bench/time_to_quality.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def first_time_below(curve: list[list[float]], target: float) -> float | None:
    """Training seconds of the first curve point (time_s, step, fd) with fd <= target."""
    for time_s, _step, fd in curve:
        if fd is not None and fd <= target:
            return time_s
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--targets", default="150,100,75,50")
    args = ap.parse_args()
    targets = [float(t) for t in args.targets.split(",")]
    metrics = json.loads((args.run / "metrics.json").read_text())
    rows = []
    for run in metrics["runs"]:
        curve = run.get("curve") or []
        rows.append(
            {
                "model": run["model"],
                "family": run.get("family"),
                "seed": run["seed"],
                "curve_points": len(curve),
                "final_curve_fd": curve[-1][2] if curve else None,
                "final_fd": (run.get("metrics") or {}).get("fd"),
                "seconds_to": {f"{t:g}": first_time_below(curve, t) for t in targets},
            }
        )
    print(
        json.dumps(
            {
                "run": str(args.run),
                "data": metrics["data"]["name"],
                "budget": metrics["budget"],
                "curve_samples": "FD of EvalConfig.curve_samples generated images against the test reference",
                "rows": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
