"""Start-up time of the command line (issue 18 item 7): `ganvae list` and `ganvae --help`, each a fresh
interpreter, against the floor `python -c 'import typer'` (what any Typer command line pays) measured in
the same rounds.

Each labelled source tree (`--src LABEL=PATH`, e.g. the code before and after a change) runs every
command once per round, the trees and commands interleaved round by round so that a background load
falls on all of them alike; the JSON holds each command's times, their median and the median's ratio to
the floor's median (the figure to compare across machines and loads). Each tree's `ganvae list` is also
run once under `-X importtime` to say which heavy packages it imported.

    git archive BASE src | tar -x -C /tmp/base          # the code before, to compare against
    python bench/startup.py --src before=/tmp/base/src --src after=src --rounds 5 > bench/startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date

COMMANDS = {"list": ["-m", "ganvae", "list"], "help": ["-m", "ganvae", "--help"]}
FLOOR = ["-c", "import typer"]
HEAVY = ("torch", "lightning_fabric", "torch._dynamo", "torchmetrics", "matplotlib", "scipy.stats")


def timed(argv: list[str], src: str | None) -> float:
    """Seconds from start to exit of `python ARGV` (output discarded), with `src` first on the path."""
    env = dict(os.environ, PYTHONPATH=src) if src else dict(os.environ)
    env["COLUMNS"] = "120"
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - t0


def heavy_imports(src: str) -> list[str]:
    """The HEAVY packages `ganvae list` imports from tree `src` (read from -X importtime's report)."""
    env = dict(os.environ, PYTHONPATH=src, COLUMNS="120")
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *COMMANDS["list"]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    names = {
        line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")
    }
    return [m for m in HEAVY if m in names]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", action="append", required=True, help="LABEL=PATH of a source tree (repeatable)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    trees = dict(s.split("=", 1) for s in args.src)
    times: dict[str, list[float]] = {"floor": []}
    for label in trees:
        for cmd in COMMANDS:
            times[f"{label}/{cmd}"] = []
    timed(FLOOR, None)  # warm the file cache before the first timed round
    for tree in trees.values():
        timed(COMMANDS["list"], tree)
    for _ in range(args.rounds):
        times["floor"].append(timed(FLOOR, None))
        for label, tree in trees.items():
            for cmd, argv in COMMANDS.items():
                times[f"{label}/{cmd}"].append(timed(argv, tree))
    floor = statistics.median(times["floor"])
    result = {
        "command": " ".join(["python", "bench/startup.py", *sys.argv[1:]]),
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": os.getloadavg(),
        "rounds": args.rounds,
        "floor": {
            "argv": FLOOR,
            "times_s": [round(t, 3) for t in times["floor"]],
            "median_s": round(floor, 3),
        },
        "commands": {
            key: {
                "times_s": [round(t, 3) for t in ts],
                "median_s": round(statistics.median(ts), 3),
                "ratio_to_floor": round(statistics.median(ts) / floor, 2),
            }
            for key, ts in times.items()
            if key != "floor"
        },
        "list_imports": {label: heavy_imports(tree) for label, tree in trees.items()},
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
