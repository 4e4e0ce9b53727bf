"""Shared fixtures: small real data (scikit-learn digits) and thread settings that keep tests quick."""

from __future__ import annotations

import os

# Idle OpenMP threads spin by default; with other processes on the cores (compare --jobs, a second test
# run) the spinning starves them: one classifier fit measured 24 s instead of 0.5 s. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

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


class InceptionStandIn(torch.nn.Module):
    """The contract of StyleGAN2-ADA's Inception detector, small: `net(uint8 N x 3 x H x W,
    return_features=True)` -> N x 8 features. The real network cannot be downloaded here."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(3 * 4 * 4, 8)

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        x = torch.nn.functional.adaptive_avg_pool2d(x.float() / 255.0, 4)
        return torch.tanh(self.proj(x.flatten(1)))


@pytest.fixture(scope="session")
def inception_file(tmp_path_factory):
    """A TorchScript file with the Inception detector's contract (for `--inception-weights`)."""
    import warnings

    path = tmp_path_factory.mktemp("inception") / "inception.pt"
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(0)
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit still saves and loads
        torch.jit.script(InceptionStandIn().eval()).save(str(path))
    return path
