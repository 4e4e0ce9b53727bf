"""ADA's adaptive DiffAugment probability (issue 21), measured: comparison folders trained with
diffaug=none / auto / the fixed full policy, read back into one JSON -- per run the final figures of
`ganvae compare` (FD and the rest), the p the model reached (its `ada.p` buffer), and the training curves
of p (`aug_p`), of ADA's overfitting heuristic r_t (`ada_r`, logged whatever diffaug is) and of the
in-training FD. Steps, not wall-clock: the machine is shared.

    ganvae compare --models dcgan --steps 300 --seeds 2 --set diffaug=none --out /tmp/ada/digits-none -q
    ganvae compare --models dcgan --steps 300 --seeds 2 --set diffaug=auto --out /tmp/ada/digits-auto -q
    python bench/small_folder.py /tmp/fm375        # 375 Fashion-MNIST images, 25 x 25 (300 train)
    ganvae compare --data /tmp/fm375 --models dcgan --steps 1500 --seeds 2 --set diffaug=none \\
        --out /tmp/ada/fm375-none -q               # and auto, and color,translation,cutout
    python bench/ada.py /tmp/ada/digits-* /tmp/ada/fm375-* > bench/ada.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from safetensors.torch import load_file

FIGURES = (
    "fd",
    "kid",
    "precision",
    "recall",
    "density",
    "coverage",
    "class_kl",
    "sharpness_ratio",
    "memorisation_ratio",
    "copy_share",
)
SETTINGS = ("diffaug", "ada_target", "ada_interval", "ada_kimg", "loss")


def _curves(log: Path) -> dict[str, list]:
    """Training curves from log.jsonl: [step, value] pairs of aug_p, ada_r and the in-training FD."""
    curves: dict[str, list] = {"aug_p": [], "ada_r": [], "fd": []}
    for line in log.read_text().splitlines():
        rec = json.loads(line)
        for key in curves:
            if key in rec:
                curves[key].append([rec["step"], round(rec[key], 4)])
    return curves


def read(run: Path) -> dict:
    meta = json.loads((run / "config.json").read_text())["compare"]
    metrics = json.loads((run / "metrics.json").read_text())
    rows = []
    for r in metrics["runs"]:
        folder = run / "models" / f"{r['model']}-seed{r['seed']}"
        cfg = json.loads((folder / "config.json").read_text())
        weights = load_file(str(folder / "model.safetensors"))
        rows.append(
            {
                "model": r["model"],
                "seed": r["seed"],
                "settings": {k: cfg["config"][k] for k in SETTINGS if k in cfg["config"]},
                "final_p": round(float(weights["ada.p"]), 4) if "ada.p" in weights else None,
                "steps": cfg.get("result", {}).get("step"),
                **{k: r["metrics"].get(k) for k in FIGURES},
                "curves": _curves(folder / "log.jsonl"),
            }
        )
    data = metrics["data"]
    return {
        "run": str(run),
        "data": meta["data"],
        "n_train": data.get("n_train"),
        "shape": data.get("shape"),
        "budget": {k: meta[k] for k in ("steps", "epochs", "budget_s") if meta.get(k) is not None},
        "rows": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+", help="comparison folders of GANs")
    args = ap.parse_args()
    text = json.dumps([read(run) for run in args.runs], indent=1)
    # a list of numbers (a curve's [step, value] pair) on one line
    print(re.sub(r"\[\s+([-\d.e,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text))


if __name__ == "__main__":
    main()
