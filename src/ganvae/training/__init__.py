"""Training: the one loop, its config, checkpoints and the high-level `train` entry point."""

from ganvae.training.config import TrainConfig
from ganvae.training.loop import Interrupted, Trainer

__all__ = ["Interrupted", "TrainConfig", "Trainer"]
