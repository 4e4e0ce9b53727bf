"""Registry-driven model tests: every registered model builds for several image shapes, trains a few steps
without NaN, samples the right shape in [0, 1], encodes/decodes/reconstructs, and round-trips save/load."""

from __future__ import annotations

import pytest
import torch

from ganvae.data.images import ImageData
from ganvae.errors import CheckpointError, ConfigError
from ganvae.models import GenerativeModel, build_model
from ganvae.models.base import config_keys
from ganvae.nn.flops import capacity_table
from ganvae.registry import MODELS
from ganvae.training import TrainConfig, Trainer

# image models that draw samples; the recommenders (data_kind "interactions") have their own tests in
# tests/unit/tasks, the super-resolution models (which upscale, not sample) in test_sr_models.py
NAMES = [e.name for e in MODELS if e.factory.data_kind == "images" and "sample" in e.factory.capabilities]
SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]


def _toy(shape, n=32, classes=3):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, *shape, generator=g)
    y = torch.arange(n) % classes
    return ImageData("toy", x, x[:8].clone(), y, y[:8].clone())


# small settings, each given to the models that have it (a diffusion model has no latent_dim: its code is
# its initial noise; 4 DDIM steps keep its sampling and inversion cheap)
SMALL = {"width": 8, "latent_dim": 8, "inversion_steps": 5, "sample_steps": 4}


def _small(name, shape, classes=3):
    torch.manual_seed(0)
    keys = config_keys(name)
    return build_model(name, shape, classes, {k: v for k, v in SMALL.items() if k in keys})


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", NAMES)
def test_model_trains_and_samples(name, shape):
    data = _toy(shape)
    model = _small(name, shape)
    trainer = Trainer(TrainConfig(steps=6, batch_size=8, log_every=2), progress=False).fit(model, data)
    assert trainer.state_.step == 6
    for record in trainer.history_:
        assert all(torch.isfinite(torch.tensor(v)) for k, v in record.items() if isinstance(v, float))
    labels = torch.tensor([0, 1, 2, 0]) if model.num_classes else None
    x = model.sample(4, labels=labels, generator=torch.Generator().manual_seed(1))
    assert x.shape == (4, *shape)
    assert torch.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    z = model.encode(data.x_test[:3], data.y_test[:3] if model.num_classes else None)
    assert z.shape == (3, model.latent_dim)
    rec = model.reconstruct(data.x_test[:3], data.y_test[:3] if model.num_classes else None)
    assert rec.shape == (3, *shape)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name, tmp_path):
    model = _small(name, (1, 8, 8)).eval()
    model.save(tmp_path)
    loaded = GenerativeModel.load(tmp_path)
    assert loaded.registered_name == name and loaded.config == model.config
    z = torch.randn(5, model.latent_dim)
    labels = torch.tensor([0, 1, 2, 0, 1]) if model.num_classes else None
    torch.testing.assert_close(loaded.decode(z, labels=labels), model.decode(z, labels=labels))


@pytest.mark.parametrize("name", NAMES)
def test_capacity_table(name):
    rows = capacity_table(_small(name, (1, 28, 28)))
    # encoder and decoder, discriminator and generator; a diffusion model has one network, its denoiser
    parts = 1 if MODELS.get(name).factory.family == "diffusion" else 2
    assert len(rows) == parts and all(r["parameters"] > 0 and r["flops"] > 0 for r in rows)


def test_matched_capacity_decoder_equals_generator():
    vae = build_model("vae", (1, 28, 28))
    gan = build_model("dcgan", (1, 28, 28))
    dec = {r["part"]: r for r in capacity_table(vae)}["decoder"]
    gen = {r["part"]: r for r in capacity_table(gan)}["generator"]
    assert dec["parameters"] == gen["parameters"] and dec["flops"] == gen["flops"]


def test_vae_kl_matches_closed_form_against_torch_distributions():
    mu, logvar = torch.randn(6, 4), torch.randn(6, 4)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    torch.testing.assert_close(build_model("vae", (1, 8, 8)).kl(mu, logvar), expected)


def test_vae_gaussian_nll_matches_torch_normal():
    model = build_model("vae", (1, 8, 8), overrides={"likelihood": "gaussian"})
    x, mean = torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8)
    # training: sigma is the batch's RMS error (the optimal sigma of Rybkin et al. 2021)
    rms = (x - mean).pow(2).mean().sqrt()
    expected = -torch.distributions.Normal(mean, rms).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    # evaluation: the running estimate kept in the buffer
    model.eval()
    sigma = model.log_sigma.exp()
    expected = -torch.distributions.Normal(mean, sigma).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)


def test_vae_sigma_floor_bounds_the_likelihood_sigma():
    # a batch reconstructed almost exactly (RMS error 1e-3) would get sigma 1e-3; the floor holds it at 0.05
    model = build_model("vae", (1, 8, 8), overrides={"sigma_floor": 0.05}).train()
    x = torch.rand(3, 1, 8, 8)
    mean = x + 1e-3
    expected = -torch.distributions.Normal(mean, 0.05).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    # above the floor sigma stays the batch's RMS error
    mean = x + 0.2
    expected = -torch.distributions.Normal(mean, 0.2).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    with pytest.raises(ConfigError, match="sigma_floor"):
        build_model("vae", (1, 8, 8), overrides={"sigma_floor": 0})


def test_vae_mse_likelihood_is_half_the_sum_of_squared_errors():
    # pythae's VAE objective (reconstruction_loss="mse"): 0.5 * sum of squared errors per image, no sigma
    model = build_model("vae", (1, 8, 8), overrides={"likelihood": "mse"})
    x, mean = torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8)
    expected = torch.tensor(
        [
            0.5
            * sum((float(a) - float(b)) ** 2 for a, b in zip(x[i].flatten(), mean[i].flatten(), strict=True))
            for i in range(3)
        ]
    )
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    model.eval()  # no running sigma: the same in evaluation
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    assert float(model.log_sigma) == 0.0
    # the training loss is its batch mean plus the KL, as pythae's loss_function
    torch.manual_seed(0)
    nll, kl = model.elbo_terms(x, sample=False)
    mu, logvar = model.posterior(x)
    rec = model.decode_raw(mu, None)
    torch.testing.assert_close(nll, 0.5 * (rec - x).pow(2).flatten(1).sum(1))
    torch.testing.assert_close(kl, -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1))


def test_vae_score_is_negative_elbo_and_deterministic():
    model = build_model("vae", (1, 8, 8)).eval()
    x = torch.rand(4, 1, 8, 8)
    s1, s2 = model.score(x), model.score(x)
    torch.testing.assert_close(s1, s2)
    assert (s1 > 0).all()


def test_vae_posterior_draws_vary_for_one_input():
    model = build_model("vae", (1, 8, 8)).eval()
    draws = model.reconstruct_samples(torch.rand(2, 1, 8, 8), k=4)
    assert draws.shape == (4, 2, 1, 8, 8) and draws.var(0).mean() > 0


def test_gan_inversion_recovers_a_generated_image():
    torch.manual_seed(0)
    model = build_model(
        "dcgan", (1, 8, 8), overrides={"inversion_steps": 300, "inversion_restarts": 2}
    ).eval()
    z = torch.randn(3, model.latent_dim)
    target = model.decode(z)
    rec = model.reconstruct(target)
    baseline = (model.sample(3) - target).pow(2).mean()
    assert (rec - target).pow(2).mean() < 0.1 * baseline
    assert all(p.grad is None for p in model.generator.parameters())


def test_wgan_gp_rejects_batch_norm_critic():
    with pytest.raises(ConfigError, match="batch norm"):
        build_model("wgan-gp", (1, 8, 8), overrides={"d_norm": "batch"})


def test_unknown_model_and_key():
    with pytest.raises(ConfigError, match="unknown model 'vea'.*Did you mean 'vae'"):
        build_model("vea", (1, 8, 8))
    with pytest.raises(ConfigError, match="unknown vae config key 'bogus'"):
        build_model("vae", (1, 8, 8), overrides={"bogus": "1"})


def test_conditional_needs_labels():
    with pytest.raises(ConfigError, match="labelled data"):
        build_model("cgan", (1, 8, 8), num_classes=0)


def test_load_rejects_corrupt_weights(tmp_path):
    build_model("vae", (1, 8, 8)).save(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="corrupt"):
        GenerativeModel.load(tmp_path)


def test_sample_in_batches_draws_n_images_with_their_labels():
    from ganvae.models.base import sample_in_batches

    model = build_model("cvae", (1, 8, 8), 3, {"width": 8, "latent_dim": 4}).eval()
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    g = torch.Generator().manual_seed(0)
    images = sample_in_batches(model, 7, labels=labels, generator=g, batch=3)
    assert images.shape == (7, 1, 8, 8) and images.device.type == "cpu"
    # each chunk is conditioned on its own labels: the chunk [0, 1, 2] equals a direct draw of it
    direct = model.sample(3, labels=labels[:3], generator=torch.Generator().manual_seed(0))
    assert torch.allclose(images[:3], direct)
