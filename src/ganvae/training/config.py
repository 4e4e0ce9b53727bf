"""`TrainConfig`: how long and how a model trains (the model's own hyper-parameters live in its config)."""

from __future__ import annotations

from dataclasses import dataclass

from ganvae.errors import ConfigError

PRECISIONS = ("auto", "32-true", "16-mixed", "bf16-mixed", "64-true")
STRATEGIES = ("auto", "ddp")  # Fabric's: DDP only with several processes, or DDP always


@dataclass
class TrainConfig:
    """Budget: any of epochs / steps / budget_s; training stops at whichever comes first.

    >>> TrainConfig(steps=100).validate()
    """

    batch_size: int = 128  # the global batch: with N processes each takes batch_size / N of it
    epochs: float | None = None
    steps: int | None = None
    budget_s: float | None = None
    seed: int = 0
    precision: str = "auto"
    accelerator: str = "auto"
    log_every: int = 50
    sample_every: int = 0  # steps between sample grids; 0 = about ten grids per run
    checkpoint_every: int = 500
    eval_every: int = 0  # steps between in-training evaluations (when an evaluator is given); 0 = ~ten
    grid_size: int = 64
    augment: str = "none"  # of every training batch (training/augment.py): none, flip
    # an in-training evaluation figure to minimise (e.g. "val_fd"): the run keeps the weights of the
    # evaluation where it was lowest instead of the last ones (early stopping without stopping)
    select: str | None = None
    devices: int = 1  # processes per node for data-parallel training (DDP); torchrun's count wins under it
    num_nodes: int = 1
    # "ddp": Fabric's DDP strategy even with one process (--set strategy=ddp --devices 1), so the
    # multi-GPU path runs on one device; "auto": DDP only with several processes
    strategy: str = "auto"

    def validate(self) -> None:
        if self.batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        for key in ("epochs", "steps", "budget_s"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                raise ConfigError(f"{key} must be positive, got {value}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} unknown; choose one of {', '.join(PRECISIONS)}")
        if self.log_every < 1 or self.checkpoint_every < 1 or self.sample_every < 0 or self.eval_every < 0:
            raise ConfigError("log_every and checkpoint_every must be >= 1, sample_every and eval_every >= 0")
        from ganvae.training.augment import check_augment

        check_augment(self.augment)
        if self.devices < 1 or self.num_nodes < 1:
            raise ConfigError("devices and num_nodes must be >= 1")
        check_global_batch(self.batch_size, self.devices * self.num_nodes)
        check_strategy(self.strategy)

    def with_default_budget(self) -> TrainConfig:
        """When no budget is given, train for 10 epochs."""
        if self.epochs is None and self.steps is None and self.budget_s is None:
            from dataclasses import replace

            return replace(self, epochs=10.0)
        return self

    def budget_note(self, total_steps: int | None) -> str | None:
        """One line when more than one budget is given (none is silently dropped): training stops at
        whichever ends first; `total_steps`: where the step and epoch budgets end."""
        budgets = (("--epochs", self.epochs), ("--steps", self.steps), ("--budget", self.budget_s))
        given = [f"{flag} {value:g}" for flag, value in budgets if value is not None]
        if len(given) < 2:
            return None
        unit = " s" if given[-1].startswith("--budget") else ""
        where = ""
        if total_steps is not None:
            where = f" (step {total_steps}" + (" at the latest)" if self.budget_s is not None else ")")
        return f"budget: {' and '.join(given)}{unit} given; training stops at whichever ends first{where}"

    def describe_budget(self) -> str:
        parts = []
        if self.epochs is not None:
            parts.append(f"{self.epochs:g} epochs")
        if self.steps is not None:
            parts.append(f"{self.steps} steps")
        if self.budget_s is not None:
            parts.append(f"{self.budget_s:g} s wall-clock")
        return " or ".join(parts) or "10 epochs"


def check_strategy(strategy: str) -> None:
    """A strategy Fabric is asked for by name (`STRATEGIES`)."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy {strategy!r} unknown; choose one of {', '.join(STRATEGIES)}")


def check_global_batch(batch_size: int, world_size: int) -> None:
    """Each of the `world_size` processes takes an equal share of every global batch."""
    if batch_size % world_size:
        raise ConfigError(
            f"batch size {batch_size} does not split evenly over {world_size} processes; batch_size is the "
            f"global batch, so give a multiple of {world_size} "
            f"(e.g. --batch-size {world_size * max(1, batch_size // world_size)})"
        )
