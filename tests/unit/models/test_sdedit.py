"""The diffusion model's restoration (SDEdit), anomaly score and morph against known answers: Donoho's noise
estimate on images of known noise; the start step from the forward process's noise-to-signal ratio (abar
computed here in float64 from the DDPM paper's linear betas); the top-up noise that makes a noisy image a
sample of x_t; and, with the ideal denoiser of data that is one image c, restoration returns c and the
anomaly score is exactly the squared distance to c. A morph along DDIM-inverted codes starts and ends at
its two images when inversion is exact (a noise prediction that does not depend on x)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models import build_model
from ganvae.models.sdedit import noise_sigma, noised_to, partial_step_for, start_steps
from ganvae.nn.unet import UNetPlan
from ganvae.tasks.interpolate import morph, slerp


def _abar(timesteps: int = 1000) -> np.ndarray:
    """Ho et al. 2020: beta_t linear from 1e-4 to 0.02; abar_t = prod_{s <= t} (1 - beta_s)."""
    return np.cumprod(1.0 - np.linspace(1e-4, 0.02, timesteps, dtype=np.float64))


class PointMass(nn.Module):
    """The ideal noise prediction when the data is one image `c` (model scale): x_t = sqrt(abar) c +
    sqrt(1 - abar) eps, so eps = (x_t - sqrt(abar) c) / sqrt(1 - abar)."""

    def __init__(self, c: torch.Tensor, abar: torch.Tensor):
        super().__init__()
        self.c, self.abar = c, abar.double()
        self.anchor = nn.Parameter(torch.zeros(()))  # so the model still has a device

    def forward(self, x, t, class_labels=None):
        a = self.abar[int(t)]
        return SimpleNamespace(sample=((x.double() - a.sqrt() * self.c) / (1 - a).sqrt()).float())


def _point_mass_model(c01: torch.Tensor, **overrides):
    """A ddpm whose denoiser is ideal for the data {c01} (pixels in [0, 1])."""
    model = build_model("ddpm", tuple(c01.shape), overrides={"width": 8, "weights": "raw", **overrides})
    c = model.plan.pad(c01[None] * 2 - 1).double()
    model.unet = PointMass(c, model.noise_schedule.alphas_cumprod)
    return model.eval()


def test_noise_sigma_is_donohos_estimate():
    g = torch.Generator().manual_seed(0)
    for sigma in (0.02, 0.1, 0.3):
        flat = 0.5 + sigma * torch.randn(200, 1, 8, 8, generator=g)  # 16 coefficients an image
        est = noise_sigma(flat)
        assert est.shape == (200,) and float(est.mean()) == pytest.approx(sigma, rel=0.1)
    assert float(noise_sigma(torch.full((3, 1, 8, 8), 0.7)).max()) == 0.0
    # a smooth ramp has no diagonal detail: its noise estimate stays 0; odd sizes drop the last row
    ramp = torch.linspace(0, 1, 9)[None, None, :, None] + torch.linspace(0, 1, 7)[None, None, None, :]
    assert float(noise_sigma(ramp).abs().max()) < 1e-6


def test_start_step_is_the_least_noisy_step_with_enough_noise():
    model = build_model("ddpm", (1, 8, 8), overrides={"width": 8, "sample_steps": 50})
    sched = model._ddim()
    steps = sched.timesteps.numpy()
    abar = _abar()
    noise = torch.tensor([0.0, 0.05, 0.2, 0.8, 50.0])
    got = start_steps(sched.timesteps, sched.alphas_cumprod, noise).numpy()
    for s, k in zip(noise.tolist(), got, strict=True):
        ratio = (1 - abar[steps]) / abar[steps]
        ok = np.flatnonzero(ratio >= s**2)
        expected = ok.max() if len(ok) else 0  # none has enough (50: far beyond pure noise): start at T-1
        assert k == expected, s
    # the matched step's noise is at least the image's, the next step's less (where there is one)
    k = int(got[2])
    assert (1 - abar[steps[k]]) / abar[steps[k]] >= 0.04 > (1 - abar[steps[k + 1]]) / abar[steps[k + 1]]
    assert steps[partial_step_for(0.25, sched.timesteps, 1000)] == 259  # the trailing step nearest 249.75


def test_top_up_makes_a_noisy_image_a_sample_of_the_forward_process():
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand(4000, 1, 4, 4, generator=g) * 2 - 1
    s, a = 0.3, 0.6
    noisy = x0 + s * torch.randn(x0.shape, generator=g)
    xt = noised_to(noisy, torch.full((len(x0),), s), torch.full((len(x0),), a), g)
    residual = (xt.double() - a**0.5 * x0.double()).flatten()
    assert float(residual.var()) == pytest.approx(1 - a, rel=0.03)  # the forward process's variance
    assert abs(float(residual.mean())) < 0.01


def test_restore_with_the_ideal_denoiser_returns_the_one_image():
    g = torch.Generator().manual_seed(2)
    c = torch.rand(1, 8, 8, generator=g) * 0.8 + 0.1
    model = _point_mass_model(c, sample_steps=20)
    # images with noise 0.02 to 0.4: each starts at its own step (several groups), all land on c
    sig = torch.tensor([0.02, 0.05, 0.1, 0.2, 0.4])
    noisy = c[None] + sig.view(-1, 1, 1, 1) * torch.randn(5, 1, 8, 8, generator=g)
    starts = start_steps(model._ddim().timesteps, model.noise_schedule.alphas_cumprod, 2 * noise_sigma(noisy))
    assert len(set(starts.tolist())) >= 3
    restored = model.restore(noisy, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(restored, c[None].expand(5, -1, -1, -1), rtol=1e-4, atol=1e-4)
    # a given noise level instead of the estimate, same answer
    fixed = model.with_sampling({"restore_noise": "0.3"}).restore(noisy)
    torch.testing.assert_close(fixed, c[None].expand(5, -1, -1, -1), rtol=1e-4, atol=1e-4)


def test_partial_recon_score_is_the_squared_distance_to_what_the_model_knows():
    g = torch.Generator().manual_seed(3)
    c = torch.rand(1, 8, 8, generator=g) * 0.8 + 0.1
    model = _point_mass_model(c, sample_steps=20)
    x = torch.stack([c, c + 0.05, torch.rand(1, 8, 8, generator=g) * 0.8 + 0.1])
    expected = (x - c).pow(2).flatten(1).mean(1)
    torch.testing.assert_close(model.score(x, method="partial-recon"), expected, rtol=1e-4, atol=1e-6)
    assert model.anomaly_scores == ("partial-recon",) and "score" in model.capabilities


class InputFree(nn.Module):
    def __init__(self, const):
        super().__init__()
        self.const = const
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, x, t, class_labels=None):
        return SimpleNamespace(sample=self.const.expand_as(x))


def test_morph_walks_the_sphere_between_the_two_inverted_images():
    g = torch.Generator().manual_seed(4)
    model = build_model("ddpm", (1, 8, 8), overrides={"width": 8, "weights": "raw", "sample_steps": 10})
    const = torch.randn(1, 1, *UNetPlan.for_shape((1, 8, 8), 8).grid, generator=g) * 0.3
    model.unet = InputFree(const)
    model.eval()
    a, b = torch.rand(2, 1, 8, 8, generator=g)
    frames = morph(model, a, b, steps=5)
    # inversion is exact here, so the morph starts and ends at the two images
    torch.testing.assert_close(frames[0], a, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(frames[-1], b, rtol=1e-4, atol=1e-4)
    za, zb = model.encode(torch.stack([a, b]))
    mid = model.decode(slerp(za, zb, torch.tensor([0.5])))  # the task's great circle (norms linear)
    torch.testing.assert_close(frames[2], mid[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("restore_noise", "lots", "restore_noise"),
        ("restore_noise", "1.5", "[0, 1]"),
        ("anomaly_t", "0", "(0, 1]"),
    ],
)
def test_bad_restore_settings_are_one_line(key, value, needle):
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("(", r"\(")):
        build_model("ddpm", (1, 8, 8), overrides={"width": 8, key: value})
