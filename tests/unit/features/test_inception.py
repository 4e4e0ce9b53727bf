"""FID / KID with a user-supplied Inception program. The real network cannot be downloaded here, so the
tests serialize small stand-ins (`inception_file` in tests/conftest.py, and one below) with the same
contract (uint8 N x 3 x H x W in, N x D features out) and check the scores against scipy's matrix square
root and a direct unbiased MMD² computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import linalg
from torch import nn

from ganvae.errors import ConfigError
from ganvae.features.inception import InceptionFeatures, InceptionScores


class NoKeyword(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float().mean(dim=(2, 3)) * self.scale


def _fid_reference(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(ca @ cb).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


def _mmd2_unbiased(a: np.ndarray, b: np.ndarray) -> float:
    d = a.shape[1]
    k = lambda x, y: (x @ y.T / d + 1) ** 3  # noqa: E731 - KID's cubic polynomial kernel
    m = len(a)
    kxx, kyy, kxy = k(a, a), k(b, b), k(a, b)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def test_loads_torchscript_and_embeds_grayscale_as_rgb(inception_file):
    inc = InceptionFeatures(inception_file)
    assert inc.num_features == 8 and inc.path.name in inc.name and len(inc.digest) == 12
    gray = torch.rand(5, 1, 12, 12, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(inc.features(gray), inc.features(gray.expand(-1, 3, -1, -1)))
    # batching does not change the features
    assert torch.allclose(inc.features(gray, batch_size=2), inc.features(gray, batch_size=5))


def test_fid_and_kid_match_scipy_and_a_direct_mmd(inception_file):
    g = torch.Generator().manual_seed(0)
    real = torch.rand(120, 1, 10, 10, generator=g)
    fake = (torch.rand(120, 1, 10, 10, generator=g) * 0.7).clamp(0, 1)
    inc = InceptionFeatures(inception_file)
    scores = InceptionScores(inc, real, kid_subsets=1)
    got = scores(fake)
    fr, ff = inc.features(real).double().numpy(), inc.features(fake).double().numpy()
    assert got["fid"] == pytest.approx(_fid_reference(fr, ff), rel=1e-4, abs=1e-6)
    # one subset of all samples: the KID estimate is the full unbiased MMD² whatever the permutation
    assert got["kid"] == pytest.approx(_mmd2_unbiased(fr, ff), rel=1e-4, abs=1e-8)
    assert got["fid"] > 0.01
    # real features are kept between calls: a second model scores against the same reference
    assert scores(fake)["fid"] == pytest.approx(got["fid"])
    assert scores(real)["fid"] == pytest.approx(0.0, abs=1e-4)


def test_loads_a_torch_export_program_without_the_keyword(tmp_path):
    path = tmp_path / "net.pt2"
    x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    dims = {0: torch.export.Dim("n", min=2), 2: torch.export.Dim("h", min=2), 3: torch.export.Dim("w", min=2)}
    torch.export.save(torch.export.export(NoKeyword(), (x,), dynamic_shapes=({**dims},)), str(path))
    inc = InceptionFeatures(path)
    assert inc.num_features == 3
    images = torch.full((2, 1, 8, 8), 0.5)
    assert torch.allclose(inc.features(images), torch.full((2, 3), 2 * 128.0))  # round(0.5 * 255) = 128


def test_bad_files_fail_with_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        InceptionFeatures(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a network")
    with pytest.raises(ConfigError, match="neither a TorchScript nor a torch.export"):
        InceptionFeatures(junk)
