"""Anomaly detection quality of per-image scores (higher = more anomalous) against the truth.

AUROC is the probability that a random anomalous image scores above a random normal one (the
Mann-Whitney U statistic over n_anomalous x n_normal); AUPRC is the average precision, whose chance level
is the share of anomalies. Both through scikit-learn.

>>> import numpy as np
>>> detection_metrics(np.array([0.1, 0.2, 0.9, 0.8]), np.array([0, 0, 1, 1]))["auroc"]
1.0
"""

from __future__ import annotations

import numpy as np

from ganvae.metrics.meta import declare

declare("auroc", "AUROC", better="higher", bounds=(0.0, 1.0))
declare("auprc", "AUPRC", better="higher", bounds=(0.0, 1.0))


def detection_metrics(scores: np.ndarray, anomalous: np.ndarray) -> dict[str, float]:
    """AUROC and AUPRC of `scores` for the 0/1 labels `anomalous`."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {
        "auroc": float(roc_auc_score(anomalous, scores)),
        "auprc": float(average_precision_score(anomalous, scores)),
    }
