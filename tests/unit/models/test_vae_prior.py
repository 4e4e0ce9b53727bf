"""The VAE's ex-post mixture prior (Ghosh et al. 2020): fitted when training ends, saved with the weights,
chosen at sampling time; its draws follow the fitted mixture (checked against scikit-learn's fit)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from scipy import stats

from ganvae.errors import CheckpointError, ConfigError
from ganvae.models.base import GenerativeModel, build_model
from ganvae.training.config import TrainConfig
from ganvae.training.loop import Trainer


@pytest.fixture(scope="module")
def trained(tiny_digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("vae")
    model = build_model(
        "vae", tiny_digits.shape, overrides={"latent_dim": 4, "width": 8, "prior_components": 3}
    )
    Trainer(TrainConfig(steps=30, batch_size=32), run_dir=out).fit(model, tiny_digits)
    return model, out


def test_the_prior_is_fitted_when_training_ends_and_saved(trained):
    model, out = trained
    assert model.prior_fitted and model.prior_weights.sum().item() == pytest.approx(1.0, abs=1e-5)
    loaded = GenerativeModel.load(out)
    assert torch.equal(loaded.prior_means, model.prior_means)
    assert torch.equal(loaded.prior_tril, model.prior_tril)


def test_mixture_draws_follow_the_fitted_components(trained):
    model, _ = trained
    model = model.with_sampling({"prior": "mixture"})
    g = torch.Generator().manual_seed(0)
    z = model.latent(30_000, g).double()
    w, mu, tril = (t.double() for t in (model.prior_weights, model.prior_means, model.prior_tril))
    cov = tril @ tril.transpose(1, 2)
    # the mixture's mean and covariance in closed form
    mean = (w[:, None] * mu).sum(0)
    second = (w[:, None, None] * (cov + mu[:, :, None] * mu[:, None, :])).sum(0)
    assert torch.allclose(z.mean(0), mean, atol=0.05 * cov.diagonal(dim1=1, dim2=2).max().sqrt().item())
    assert torch.allclose(torch.cov(z.T), second - mean[:, None] * mean[None, :], rtol=0.1, atol=0.02)
    # i.i.d. components, not grouped: the first and second halves hold the components alike
    first, last = z[:15_000], z[15_000:]
    assert stats.ks_2samp(first[:, 0].numpy(), last[:, 0].numpy()).pvalue > 0.01
    again = model.latent(30_000, torch.Generator().manual_seed(0))
    assert torch.equal(again, z.float())  # seeded


def test_normal_prior_is_the_default_and_unchanged(trained):
    model, _ = trained
    model = model.with_sampling({"prior": "normal"})
    z = model.latent(5000, torch.Generator().manual_seed(1)).numpy()
    assert stats.kstest(z[:, 0], "norm").pvalue > 0.01


def test_a_checkpoint_from_before_the_prior_loads_and_refuses_mixture_draws(trained, tmp_path):
    import shutil

    _, out = trained
    old = tmp_path / "old"
    shutil.copytree(out, old)
    state = {k: v for k, v in load_file(str(old / "model.safetensors")).items() if not k.startswith("prior_")}
    save_file(state, str(old / "model.safetensors"))
    model = GenerativeModel.load(old)
    assert not model.prior_fitted
    with pytest.raises(ConfigError, match="prior=normal"):
        model.with_sampling({"prior": "mixture"}).sample(4)
    state.pop("log_sigma")  # other missing tensors are still refused
    save_file(state, str(old / "model.safetensors"))
    with pytest.raises(CheckpointError):
        GenerativeModel.load(old)


def test_conditional_vae_keeps_the_normal_prior(tiny_digits):
    model = build_model("cvae", tiny_digits.shape, num_classes=10, overrides={"latent_dim": 4, "width": 8})
    Trainer(TrainConfig(steps=2, batch_size=32)).fit(model, tiny_digits)
    assert not model.prior_fitted
    assert np.isfinite(model.sample(4, labels=torch.arange(4)).numpy()).all()
