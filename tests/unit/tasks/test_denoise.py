"""Corruptions of the denoising task against independent references (empirical moments, pixel counts),
the --noise spec parser, the verdict, and the denoising VAE's training criterion."""

from __future__ import annotations

import math

import pytest
import torch

from ganvae.errors import ConfigError
from ganvae.models.base import build_model
from ganvae.models.vae import VAEConfig
from ganvae.tasks.denoise import (
    BASELINES,
    CORRUPTIONS,
    MASK_FILL,
    DenoiseConfig,
    corrupt,
    mask_side,
    parse_noise,
    summarise,
)
from ganvae.training import TrainConfig, Trainer


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_gaussian_noise_has_the_requested_std_on_mid_gray_images():
    x = torch.full((200, 1, 16, 16), 0.5)
    for sigma in (0.05, 0.1):
        delta = CORRUPTIONS["gaussian"](x, sigma, _gen()) - x
        # clamping at 0 / 1 is 5σ away: the noise is unclipped and its moments are σ and 0
        assert delta.std().item() == pytest.approx(sigma, rel=0.02)
        assert abs(delta.mean().item()) < 0.05 * sigma


def test_salt_pepper_hits_the_requested_fraction_in_every_channel_alike():
    x = torch.full((100, 3, 16, 16), 0.5)
    y = CORRUPTIONS["salt-pepper"](x, 0.2, _gen())
    hit = y[:, 0] != 0.5
    assert hit.float().mean().item() == pytest.approx(0.2, abs=0.01)
    assert set(y.unique().tolist()) == {0.0, 0.5, 1.0}
    assert torch.equal(y[:, 0], y[:, 1]) and torch.equal(y[:, 0], y[:, 2])  # same pixels, same value
    assert (y[:, 0][hit] == 1.0).float().mean().item() == pytest.approx(0.5, abs=0.03)  # salt = pepper


@pytest.mark.parametrize(("shape", "level"), [((1, 8, 8), 0.25), ((3, 28, 20), 0.25), ((1, 8, 8), 0.01)])
def test_mask_is_one_square_of_the_requested_area(shape, level):
    x = torch.zeros(30, *shape)
    y = CORRUPTIONS["mask"](x, level, _gen())
    side = max(1, round(math.sqrt(level) * min(shape[1:])))
    assert mask_side(level, *shape[1:]) == side
    corners = set()
    for img in y:
        rows, cols = torch.nonzero(img[0] == MASK_FILL, as_tuple=True)
        assert len(rows) == side * side and torch.equal(img[0], img[-1])
        assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side
        corners.add((int(rows.min()), int(cols.min())))
    if side < min(shape[1:]):
        assert len(corners) > 1  # a random position per image


def test_corruptions_are_seeded_by_the_spec_and_stay_in_range():
    x = torch.rand(16, 3, 12, 12, generator=_gen(1))
    for name in CORRUPTIONS:
        y = corrupt(x, name, 0.5)
        assert torch.equal(y, corrupt(x, name, 0.5)) and not torch.equal(y, x)
        assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    # each spec draws its own noise: two levels' noise fields are uncorrelated, not one scaled copy
    gray = torch.full((64, 1, 8, 8), 0.5)
    a, b = (corrupt(gray, "gaussian", s).flatten() - 0.5 for s in (0.1, 0.2))
    assert abs(torch.corrcoef(torch.stack([a, b]))[0, 1].item()) < 0.1


def test_median_baseline_removes_an_isolated_impulse():
    x = torch.full((1, 1, 8, 8), 0.3)
    x[0, 0, 4, 4] = 1.0
    assert torch.allclose(BASELINES["median 3x3"](x), torch.full_like(x, 0.3))
    assert torch.equal(BASELINES["noisy input"](x), x)


def test_noise_specs_parse_and_bad_ones_name_the_fix():
    assert parse_noise(["gaussian:0.1", " Salt-Pepper:0.05 ", "mask:1"]) == [
        ("gaussian", 0.1),
        ("salt-pepper", 0.05),
        ("mask", 1.0),
    ]
    with pytest.raises(ConfigError, match="unknown corruption 'blur'.*known corruptions: gaussian"):
        parse_noise(["blur:0.1"])
    for bad in ("gaussian", "gaussian:", "gaussian:abc", "gaussian:nan"):
        with pytest.raises(ConfigError, match="NAME:LEVEL"):
            parse_noise([bad])
    for bad in ("gaussian:0", "mask:1.5", "salt-pepper:-0.1"):
        with pytest.raises(ConfigError, match=r"must lie in \(0, 1\]"):
            parse_noise([bad])
    with pytest.raises(ConfigError, match="twice"):
        parse_noise(["mask:0.25", "mask:0.250"])
    with pytest.raises(ConfigError, match="empty"):
        DenoiseConfig(noise=()).validate()
    with pytest.raises(ConfigError, match="--images"):
        DenoiseConfig(images=0).validate()
    DenoiseConfig().validate()


def test_verdict_ranks_models_by_mean_psnr_and_ignores_baselines():
    runs = []
    for method, fam, psnr in (
        ("noisy input", "baseline", 30.0),
        ("vae", "vae", 20.0),
        ("dcgan", "gan", 18.0),
    ):
        for seed in (0, 1) if fam != "baseline" else (0,):
            for key, shift in (("gaussian:0.1", 0.0), ("mask:0.25", -2.0)):
                runs.append(
                    {
                        "method": method,
                        "family": fam,
                        "seed": seed,
                        "noise": key,
                        "psnr": psnr + shift + seed,
                        "ssim": 0.5,
                    }
                )
    res = summarise(runs, ["gaussian:0.1", "mask:0.25"], 10)
    assert res["methods"]["vae"]["psnr"]["gaussian:0.1"]["mean"] == pytest.approx(20.5)
    assert res["methods"]["vae"]["psnr_mean"]["mean"] == pytest.approx(19.5)
    v = res["verdicts"][0]
    assert (v["use_case"], v["winner"], v["runner_up"]) == ("reconstruction / denoising", "vae", "dcgan")
    assert v["value"] == pytest.approx(19.5) and v["runner_value"] == pytest.approx(17.5)


def test_dvae_encoder_sees_noise_while_training_and_clean_images_after(tiny_digits):
    torch.manual_seed(0)
    model = build_model("dvae", tiny_digits.shape, overrides={"width": 8, "latent_dim": 8})
    assert model.config.train_noise == pytest.approx(0.2)
    seen = []
    posterior = model.posterior

    def spy(x, labels=None):
        seen.append(x.detach().clone())
        return posterior(x, labels)

    model.posterior = spy
    Trainer(TrainConfig(steps=1, batch_size=16), progress=False).fit(model, tiny_digits)
    # the one training step's input first; then the end-of-training prior fit encodes clean images
    assert len(seen) == 2 and seen[0].min() >= 0 and seen[0].max() <= 1
    assert torch.equal(
        seen[1],
        tiny_digits.x_train[
            torch.randperm(len(tiny_digits.x_train), generator=torch.Generator().manual_seed(0))
        ][: len(seen[1])],
    )
    # the encoder's input is a noisy image: far from every clean training image
    gap = torch.cdist(seen[0].flatten(1), tiny_digits.x_train.flatten(1)).min(1).values
    assert (gap > 0.5).all()
    model.eval()
    x = tiny_digits.x_test[:4]
    model.reconstruct(x)
    assert torch.equal(seen[-1], x)


def test_train_noise_must_not_be_negative():
    with pytest.raises(ConfigError, match="train_noise"):
        VAEConfig(train_noise=-0.1).validate()
    with pytest.raises(ConfigError, match="train_noise"):
        build_model("vae", (1, 8, 8), overrides={"train_noise": "-1"})
