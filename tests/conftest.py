"""Shared fixtures: small real data (scikit-learn digits) and thread settings that keep tests quick."""

from __future__ import annotations

import os

import pytest
import torch

# Tests compare exact weights across processes; fix the thread count so float reductions match.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def digits():
    """Real 8x8 digits as ImageData (1,437 train / 360 test)."""
    from ganvae.data import load_images

    return load_images("digits")


@pytest.fixture(scope="session")
def tiny_digits(digits):
    """A few hundred digits: enough for a handful of training steps."""
    return digits.subset(train=256, test=64, seed=0)
