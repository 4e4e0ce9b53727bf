"""The diffusion model against known answers: the forward process is sqrt(abar) x + sqrt(1 - abar) eps with
abar the product of 1 - beta (computed here in float64 from the DDPM paper's linear betas); one DDIM step
from pure noise is x0 = (x_T - sqrt(1 - abar_{T-1}) eps) / sqrt(abar_{T-1}); DDIM inversion undoes DDIM
exactly for a noise prediction that does not depend on x; sampling is a function of the seed; odd sizes are
padded and cropped back; a missing diffusers is one line."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models import build_model
from ganvae.models.ddpm import slerp
from ganvae.nn.unet import UNetPlan


def _abar(timesteps: int = 1000) -> np.ndarray:
    """Ho et al. 2020: beta_t linear from 1e-4 to 0.02; abar_t = prod_{s <= t} (1 - beta_s)."""
    return np.cumprod(1.0 - np.linspace(1e-4, 0.02, timesteps, dtype=np.float64))


class KnownEps(nn.Module):
    """A stand-in denoiser whose noise prediction is a known function of its input."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.anchor = nn.Parameter(torch.zeros(()))  # so the model still has a device

    def forward(self, x, t, class_labels=None):
        return SimpleNamespace(sample=self.fn(x))


def _with_eps(fn, shape=(1, 8, 8), **overrides):
    model = build_model("ddpm", shape, overrides={"width": 8, "weights": "raw", **overrides}).eval()
    model.unet = KnownEps(fn)
    return model


def test_add_noise_is_the_closed_form_forward_process():
    model = build_model("ddpm", (1, 8, 8), overrides={"width": 8})
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(5, 1, 8, 8, generator=g), torch.randn(5, 1, 8, 8, generator=g)
    t = torch.tensor([0, 1, 250, 998, 999])
    got = model.noise_schedule.add_noise(x0, eps, t)
    a = torch.from_numpy(_abar()[t.numpy()]).float().view(-1, 1, 1, 1)
    torch.testing.assert_close(got, a.sqrt() * x0 + (1 - a).sqrt() * eps, rtol=1e-5, atol=1e-5)
    # abar_{T-1} is ~4e-5: the last step is (almost) pure noise, the first (almost) the image
    assert _abar()[-1] < 1e-4 and _abar()[0] >= 0.9999


def test_one_ddim_step_from_noise_is_the_predicted_x0():
    a = _abar()[-1]  # trailing spacing: the one step starts at t = T - 1 and lands on abar = 1
    k = (1 - 0.6 * math.sqrt(a)) / math.sqrt(1 - a)  # an eps that leaves x0 = 0.6 x_T - 0.16
    model = _with_eps(lambda x: k * x + 1e-3, sample_steps=1)
    images = model.sample(3, generator=torch.Generator().manual_seed(7))
    xt = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(7)).double()
    x0 = (xt - math.sqrt(1 - a) * (k * xt + 1e-3)) / math.sqrt(a)
    assert 0.5 < float((x0.abs() < 1).double().mean()) < 1  # most values unclipped, some clipped
    expected = ((x0.clamp(-1, 1) + 1) / 2).float()  # DDIM clips its x0 prediction to the data range
    torch.testing.assert_close(images, expected, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 25, 25)], ids=["8x8", "25x25"])
def test_ddim_inversion_undoes_ddim_for_an_input_free_noise_prediction(shape):
    # with eps independent of x, each DDIM step keeps the predicted x0 fixed: inversion is exact, which
    # checks that the inverse scheduler walks exactly the sampler's timesteps backwards (and pad / crop)
    g = torch.Generator().manual_seed(3)
    const = torch.randn(1, shape[0], *UNetPlan.for_shape(shape, 8).grid, generator=g) * 0.3
    model = _with_eps(lambda x: const.expand_as(x), shape, sample_steps=10)
    x = torch.rand(4, *shape, generator=g)
    z = model.encode(x)
    assert z.shape == (4, model.latent_dim)
    torch.testing.assert_close(model.decode(z), x, rtol=1e-4, atol=1e-4)
    # the code is not the image: at t = T - 1 it is almost all the noise direction
    assert float((z - model.plan.pad(x * 2 - 1).flatten(1)).abs().mean()) > 0.1


def test_sampling_is_a_function_of_the_seed():
    model = build_model("ddpm", (1, 8, 8), overrides={"width": 8, "sample_steps": 3}).eval()
    a = model.sample(4, generator=torch.Generator().manual_seed(1))
    b = model.sample(4, generator=torch.Generator().manual_seed(1))
    c = model.sample(4, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # eta > 0 draws DDIM's per-step noise from the same generator: still a function of the seed
    model.with_sampling({"eta": 1.0})
    d = model.sample(4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(d, model.sample(4, generator=torch.Generator().manual_seed(1)))
    assert not torch.equal(a, d)


def test_sample_steps_is_a_sampling_setting_and_the_network_is_not():
    model = build_model("ddpm", (1, 8, 8), overrides={"width": 8})
    assert model.with_sampling({"sample_steps": 10}).config.sample_steps == 10
    with pytest.raises(ConfigError, match="cannot change after training"):
        model.with_sampling({"width": 16})
    with pytest.raises(ConfigError, match="sample_steps must lie in 1..timesteps"):
        build_model("ddpm", (1, 8, 8), overrides={"sample_steps": 0})


def test_classifier_free_guidance_extrapolates_from_the_unconditional_prediction():
    model = build_model("cddpm", (1, 8, 8), 3, {"width": 8, "weights": "raw", "guidance": 3.0}).eval()
    seen = {}

    class Net(KnownEps):
        def forward(self, x, t, class_labels=None):
            seen["labels"] = class_labels
            # cond: 1, uncond (label 3 = "no label"): 0 -> guided eps = 0 + 3 * (1 - 0)
            return SimpleNamespace(sample=(class_labels != 3).float().view(-1, 1, 1, 1).expand_as(x))

    model.unet = Net(lambda x: x)
    x, t = torch.zeros(2, 1, 8, 8), torch.tensor(500)
    out = model._eps(x, t, torch.tensor([0, 2]))
    torch.testing.assert_close(out, torch.full_like(x, 3.0))
    assert seen["labels"].tolist() == [0, 2, 3, 3]


def test_plan_pads_odd_sizes_to_what_the_unet_halves():
    assert (
        UNetPlan.for_shape((1, 8, 8), 8).grid == (8, 8)
        and len(UNetPlan.for_shape((1, 8, 8), 8).channels) == 2
    )
    assert UNetPlan.for_shape((1, 25, 25), 8).grid == (28, 28)
    assert UNetPlan.for_shape((3, 37, 45), 8).grid == (40, 48)
    plan = UNetPlan.for_shape((1, 25, 25), 8)
    x = torch.rand(2, 1, 25, 25)
    assert torch.equal(plan.crop(plan.pad(x)), x)


def test_slerp_keeps_the_norm_and_moves_at_constant_angle():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 50, generator=g), torch.randn(3, 50, generator=g)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)
    omega = torch.arccos((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)))
    for t in (0.0, 0.25, 0.5, 1.0):
        z = slerp(a, b, torch.tensor(t))
        torch.testing.assert_close(z.norm(dim=1), a.norm(dim=1))
        angle = torch.arccos(((z * a).sum(1) / (z.norm(dim=1) * a.norm(dim=1))).clamp(-1, 1))
        torch.testing.assert_close(angle, t * omega, atol=1e-3, rtol=1e-3)


def test_missing_diffusers_is_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "diffusers" else real(n, *a))
    with pytest.raises(ConfigError, match=r"pip install 'ganvae\[diffusion\]'"):
        build_model("ddpm", (1, 8, 8))
