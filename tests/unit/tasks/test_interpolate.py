"""Interpolation paths against closed forms, prompt-to-class generation, and morphs through real models.
(How a prompt names a class is tested with the one class rule, in tests/unit/data/test_classes.py.)"""

from __future__ import annotations

import math

import pytest
import torch

from ganvae.errors import ConfigError
from ganvae.models.base import build_model
from ganvae.tasks.interpolate import lerp, morph, pick_pairs, slerp
from ganvae.tasks.prompt import generate


def test_lerp_and_slerp_endpoints_and_closed_forms():
    z0, z1 = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 2.0, 0.0])
    t = torch.linspace(0, 1, 5)
    for path in (lerp(z0, z1, t), slerp(z0, z1, t)):
        torch.testing.assert_close(path[0], z0)
        torch.testing.assert_close(path[-1], z1)
    torch.testing.assert_close(lerp(z0, z1, t)[2], (z0 + z1) / 2)
    s = slerp(z0, z1, t)
    # norms go linearly from 1 to 2, the direction turns by equal angles (22.5 degrees a step)
    torch.testing.assert_close(s.norm(dim=1), 1 + t)
    angles = torch.atan2(s[:, 1], s[:, 0])
    torch.testing.assert_close(angles, t * math.pi / 2)
    # parallel codes fall back to the straight line
    torch.testing.assert_close(slerp(z0, 3 * z0, t), lerp(z0, 3 * z0, t))


def test_generate_needs_a_conditional_model_and_gives_the_class():
    with pytest.raises(ConfigError, match="not class-conditional"):
        generate(build_model("vae", (1, 8, 8)), "3", 2)
    model = build_model("cvae", (1, 8, 8), 10, class_names=[f"digit {i}" for i in range(10)]).eval()
    images, name = generate(model, "digit 7", 4, torch.Generator().manual_seed(0))
    assert images.shape == (4, 1, 8, 8) and name == "digit 7"
    # the same noise with label 7 given directly gives the same images
    expected = model.sample(4, labels=torch.full((4,), 7), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(images, expected)


def test_vae_morph_starts_at_the_reconstruction_of_a():
    model = build_model("vae", (1, 8, 8)).eval()
    a, b = torch.rand(1, 8, 8), torch.rand(1, 8, 8)
    frames = morph(model, a, b, steps=6, method="linear")
    assert frames.shape == (6, 1, 8, 8)
    torch.testing.assert_close(frames[0], model.reconstruct(a.unsqueeze(0))[0])
    torch.testing.assert_close(frames[-1], model.reconstruct(b.unsqueeze(0))[0])
    with pytest.raises(ConfigError, match="choose linear, slerp"):
        morph(model, a, b, method="cubic")
    with pytest.raises(ConfigError, match="--label"):
        morph(build_model("cvae", (1, 8, 8), 10).eval(), a, b)


def test_pairs_cross_classes_or_stay_in_one(digits):
    a, b = pick_pairs(digits, 10, same_class=False)
    assert (digits.y_test[a] != digits.y_test[b]).all()
    a, b = pick_pairs(digits, 10, same_class=True)
    assert (digits.y_test[a] == digits.y_test[b]).all() and (a != b).all()
