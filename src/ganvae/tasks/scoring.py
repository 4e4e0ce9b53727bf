"""`ganvae score`: anomaly scores of new images from a fitted model, flagged against a threshold set on
held-out normal images at a requested false-positive rate (the calibration `ganvae task anomaly` saves
beside each model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganvae.atomic import atomic_path
from ganvae.errors import CheckpointError, ConfigError
from ganvae.models.base import GenerativeModel
from ganvae.tasks.anomaly import CALIBRATION


def threshold_at_fpr(normal_scores: np.ndarray, fpr: float) -> float:
    """The smallest threshold that flags at most `fpr` of the held-out normal scores (score > threshold)."""
    return float(np.quantile(np.asarray(normal_scores, dtype=float), 1.0 - fpr, method="higher"))


def score_images(
    model_dir: Path,
    data: str,
    out: str | Path,
    *,
    method: str | None = None,
    fpr: float = 0.05,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Score every image of `data` with the model in `model_dir`; write `out` as CSV (path, score, flag)."""
    from ganvae.data.images.named import load_named_images

    if not 0.0 < fpr < 1.0:
        raise ConfigError(f"--fpr {fpr} must lie strictly between 0 and 1, e.g. 0.05")
    model = GenerativeModel.load(model_dir)
    if not model.anomaly_scores:
        raise ConfigError(f"{model.registered_name} has no anomaly score")
    method = method or model.anomaly_scores[0]
    if method not in model.anomaly_scores:
        raise ConfigError(
            f"{model.registered_name} has no score {method!r}; choose {', '.join(model.anomaly_scores)}"
        )
    how = " given"
    if threshold is None:
        calib = _calibration(model_dir, method)
        threshold = threshold_at_fpr(calib, fpr)
        how = f" at {100 * fpr:g} % false positives on {len(calib)} held-out normal images"
    notes: list[str] = []
    names, x = load_named_images(data, model.shape, notes)
    scores = torch.cat([model.score(x[i : i + 500], method=method).cpu() for i in range(0, len(x), 500)])
    flags = scores > threshold
    with atomic_path(out, suffix=".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "score", "flag"])
        for name, s, flag in zip(names, scores.tolist(), flags.tolist(), strict=True):
            w.writerow([name, f"{s:.6g}", int(flag)])
    return {
        "n": len(names),
        "method": method,
        "threshold": threshold,
        "how": how,
        "flagged": int(flags.sum()),
        "notes": notes,  # images fitted to the model's size and channels
    }


def _calibration(model_dir: Path, method: str) -> np.ndarray:
    path = Path(model_dir) / CALIBRATION
    if not path.is_file():
        raise CheckpointError(
            f"{model_dir} has no held-out normal scores ({CALIBRATION}); use a model folder from "
            "`ganvae task anomaly`, or pass --threshold"
        )
    try:
        scores = json.loads(path.read_text(encoding="utf-8"))[method]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{path} is damaged or lacks {method!r} ({exc}); re-run the anomaly task"
        ) from None
    if not scores:
        raise CheckpointError(f"{path} holds no scores for {method!r}; re-run the anomaly task")
    return np.asarray(scores, dtype=float)
