"""ONNX export (`ganvae export --format onnx`): onnxruntime against PyTorch, largest absolute difference of
every exported output at batch sizes 1, 7 and 64, for trained models (model folders given) and for every
image family `compare` uses built untrained at 28x28 (their BatchNorm statistics at their start).
Prints JSON.

    python bench/onnx_equality.py runs/fm-members/models/vae-seed0 runs/fm-members/models/dcgan-seed0 \
        > bench/onnx_equality.json
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ganvae.export.onnx import export_onnx
from ganvae.models import build_model
from ganvae.models.base import GenerativeModel

FAMILIES = ["vae", "beta-vae", "dvae", "cvae", "dcgan", "wgan-gp", "sngan", "cgan"]


def check(label: str, model, root: Path) -> dict:
    start = time.perf_counter()
    manifest = export_onnx(model, root / label.replace("/", "_"))
    seconds = time.perf_counter() - start
    folder = root / label.replace("/", "_")
    row = {
        "model": label,
        "export_s": round(seconds, 2),
        "files": manifest["files"],
        "prior": manifest["prior"]["kind"],
    }
    g = torch.Generator().manual_seed(0)
    worst = {}
    for b in (1, 7, 64):
        z = (
            model.latent(b, g)
            if model.family == "gan" or not model.num_classes
            else torch.randn(b, model.latent_dim, generator=g)
        )
        labels = torch.randint(model.num_classes, (b,), generator=g) if model.num_classes else None
        extra = {"labels": labels.numpy()} if labels is not None else {}
        dec = ort.InferenceSession(str(folder / "decoder.onnx"), providers=["CPUExecutionProvider"])
        (img,) = dec.run(None, {"z": z.numpy()} | extra)
        worst[f"decoder_b{b}"] = float(np.abs(img - model.decode(z, labels=labels).numpy()).max())
        if "encoder.onnx" in manifest["files"]:
            x = torch.rand(b, *model.shape, generator=g)
            enc = ort.InferenceSession(str(folder / "encoder.onnx"), providers=["CPUExecutionProvider"])
            mean, logvar = enc.run(None, {"x": x.numpy()} | extra)
            mu, lv = model.posterior(x, labels)
            worst[f"mean_b{b}"] = float(np.abs(mean - mu.detach().numpy()).max())
            worst[f"logvar_b{b}"] = float(np.abs(logvar - lv.detach().numpy()).max())
    row["max_abs_diff"] = worst
    row["worst"] = max(worst.values())
    return row


def main() -> None:
    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sys.argv[1:]:
            rows.append(
                check(
                    f"trained {Path(folder).parent.parent.name}/{Path(folder).name}",
                    GenerativeModel.load(folder),
                    Path(tmp),
                )
            )
        for name in FAMILIES:
            torch.manual_seed(0)
            model = build_model(name, (1, 28, 28), 10 if name in ("cvae", "cgan") else 0).eval()
            rows.append(check(f"untrained {name} 28x28", model, Path(tmp)))
    print(
        json.dumps(
            {
                "command": "python " + " ".join(sys.argv),
                "torch": torch.__version__,
                "onnxruntime": ort.__version__,
                "rows": rows,
                "worst": max(r["worst"] for r in rows),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
