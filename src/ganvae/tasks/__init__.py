"""Use cases run end to end with both families on the same data (`ganvae task NAME`)."""

from ganvae.registry import TASKS
from ganvae.tasks.anomaly import AnomalyConfig, run_anomaly

TASKS.register(
    "anomaly",
    run_anomaly,
    "one-class anomaly detection: AUROC/AUPRC of each model's scores",
    config=AnomalyConfig,
)

__all__ = ["AnomalyConfig", "run_anomaly"]
