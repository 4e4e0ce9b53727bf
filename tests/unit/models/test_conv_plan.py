"""The conv networks' plan at any image size: sizes that halve evenly keep their exact layout; others are
drawn on the next doubling grid and centre-cropped (the encoder pads to it), so an odd size gets real
upsampling stages instead of one linear layer to every pixel (issue 21)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganvae.models.base import build_model
from ganvae.nn.conv import ConvDecoder, ConvEncoder, Plan


@pytest.mark.parametrize(
    ("shape", "base", "channels"),
    [
        ((1, 8, 8), (4, 4), (64, 32)),
        ((1, 28, 28), (7, 7), (128, 64, 32)),
        ((3, 32, 32), (4, 4), (256, 128, 64, 32)),
    ],
)
def test_sizes_that_halve_evenly_keep_their_exact_layout(shape, base, channels):
    plan = Plan.for_shape(shape, width=32)
    assert plan.base == base and plan.channels == channels and plan.grid == shape[1:]
    assert plan.margins() == (0, 0, 0, 0)


@pytest.mark.parametrize("shape", [(1, 25, 25), (3, 37, 45), (1, 50, 50), (1, 7, 9), (1, 27, 33)])
def test_odd_sizes_get_doubling_stages_on_the_smallest_grid(shape):
    plan = Plan.for_shape(shape, width=32)
    gh, gw = plan.grid
    assert plan.stages >= 1 and all(4 <= b <= Plan.MAX_BASE for b in plan.base)
    assert gh >= shape[1] and gw >= shape[2]
    # the smallest grid: one stage fewer would need a base above MAX_BASE, and the grid is the least
    # multiple of 2^stages that holds the image
    assert gh - shape[1] < 2**plan.stages and gw - shape[2] < 2**plan.stages
    top, bottom, left, right = plan.margins()
    assert top + bottom == gh - shape[1] and left + right == gw - shape[2] and abs(top - bottom) <= 1


def test_crop_and_pad_match_numpy():
    plan = Plan.for_shape((1, 25, 23), width=8)
    top, bottom, left, right = plan.margins()
    x = torch.arange(2 * 25 * 23, dtype=torch.float32).view(2, 1, 25, 23)
    padded = plan.pad(x)
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (top, bottom), (left, right)), mode="edge")
    np.testing.assert_array_equal(padded.numpy(), expected)
    assert torch.equal(plan.crop(padded), x)  # the crop undoes the pad: centred the same way


def test_odd_size_networks_are_no_larger_than_the_grid_they_work_on():
    # before: 25 x 25 had no stage, a 32 -> 32*25*25 linear layer (640k weights) and one convolution
    odd = sum(p.numel() for p in ConvDecoder(32, (1, 25, 25), 32).parameters())
    grid = sum(p.numel() for p in ConvDecoder(32, (1, 28, 28), 32).parameters())
    assert odd == grid
    assert ConvEncoder((1, 25, 25), 32).out_dim == ConvEncoder((1, 28, 28), 32).out_dim


@pytest.mark.parametrize("name", ["vae", "dcgan"])
def test_models_at_odd_sizes_draw_and_encode_the_right_shape(name):
    model = build_model(name, (3, 37, 45), overrides={"width": 8, "latent_dim": 8})
    x = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert x.shape == (3, 3, 37, 45) and torch.isfinite(x).all()
    if name == "vae":
        assert model.reconstruct(torch.rand(2, 3, 37, 45)).shape == (2, 3, 37, 45)
