"""What changes when the training split is small (issue 21), stated once.

On a few hundred images a model trained for a budget meant for tens of thousands memorises: a VAE's
posterior drifts far from its prior and its samples turn to speckle, a GAN's discriminator learns the
training images by heart. Below `SMALL_BELOW` training images a comparison therefore

- keeps a **validation split** (`VALIDATION_SHARE` of the training split, stratified and seeded, the same
  split a search uses) that no model trains on, and keeps each run's weights from the point of its
  in-training evaluation where the **validation FD** was lowest (`--checkpoint best`; the test split is
  never read to choose);
- gives a **budget in epochs** that shows every model at least `MIN_IMAGES_SEEN` images when no budget is
  given (5 epochs of 300 images are 23 steps of 64: nothing learns in that);

and the GANs augment what their discriminator sees with ADA's adaptive probability (`diffaug=auto`, their
default: nn/ada.py, nn/diffaugment.py), which stays near 0 until the discriminator starts to memorise.
`--augment flip` doubles the data for every model alike where mirror images are as real as the originals.

>>> is_small(300), is_small(48_000)
(True, False)
>>> default_epochs(300, batch_size=64)  # 4 batches of 64 an epoch
391.0
"""

from __future__ import annotations

import math

SMALL_BELOW = 5_000  # training images
VALIDATION_SHARE = 0.1  # of the training split
MIN_IMAGES_SEEN = 100_000  # the default budget on small data: at least this many images per run
DEFAULT_EPOCHS = 5.0  # the default budget elsewhere (but digits: see plan.py)


def is_small(n_train: int) -> bool:
    return n_train < SMALL_BELOW


def default_epochs(n_train: int | None, batch_size: int = 64) -> float:
    """The default budget in epochs for a training split of `n_train` (None: not known yet). An epoch is
    the loop's: whole batches only (`n_train // batch_size` of them, at least one)."""
    if n_train is None or not is_small(n_train):
        return DEFAULT_EPOCHS
    per_epoch = max(n_train // batch_size, 1) * min(batch_size, n_train)
    return max(DEFAULT_EPOCHS, float(math.ceil(MIN_IMAGES_SEEN / per_epoch)))


def rule_line(n_train: int, n_val: int, *, selecting: bool, epochs: float | None) -> str:
    """The line a comparison prints when the small-data rule applies."""
    parts = [f"small data: {n_train:,} training images (< {SMALL_BELOW:,})"]
    if selecting:
        parts.append(
            f"{n_val} of them form a validation split that chooses each run's checkpoint by validation FD "
            "(--checkpoint last: train on all, keep the last weights)"
        )
    if epochs is not None:
        parts.append(f"default budget {epochs:g} epochs (>= {MIN_IMAGES_SEEN:,} images per run)")
    return "; ".join(parts)
