"""ganvae: train GANs and VAEs side by side on the same data and budget, measure the trade-offs, and use
the family that wins on *your* data.

>>> import ganvae
>>> data = ganvae.load_images("digits")                       # doctest: +SKIP
>>> model = ganvae.build_model("vae", data.shape)             # doctest: +SKIP
>>> ganvae.Trainer(ganvae.TrainConfig(epochs=5)).fit(model, data)   # doctest: +SKIP

Public names are imported lazily so that `import ganvae` (and `ganvae --help`) stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Dataset": "ganvae.data.base",
    "ImageData": "ganvae.data.images",
    "load_images": "ganvae.data.images.load",
    "fetch_dataset": "ganvae.data.images.fetch",
    "load_table": "ganvae.data.tables",
    "prepare_table": "ganvae.data.tables.table_data",
    "load_interactions": "ganvae.data.interactions",
    "build_model": "ganvae.models.base",
    "GenerativeModel": "ganvae.models.base",
    "TrainConfig": "ganvae.training.config",
    "Trainer": "ganvae.training.loop",
    "train": "ganvae.training.run",
    "compare": "ganvae.experiment.comparison",
    "GanvaeError": "ganvae.errors",
    "DataError": "ganvae.errors",
    "ConfigError": "ganvae.errors",
    "CheckpointError": "ganvae.errors",
    "TrainingDiverged": "ganvae.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ganvae' has no attribute {name!r}")
