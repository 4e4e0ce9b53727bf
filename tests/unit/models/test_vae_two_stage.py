"""The two-stage VAE's second stage (Dai & Wipf 2019) and KL warm-up: the second stage learns the law of the
codes it is fitted on (checked against the known law), is saved with the weights, never trains with the
first stage, and is chosen at sampling time."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, build_model
from ganvae.models.second_stage import SecondStage
from ganvae.training.config import TrainConfig
from ganvae.training.loop import Trainer


def test_second_stage_learns_a_shifted_scaled_gaussian():
    g = torch.Generator().manual_seed(0)
    mean, std = torch.tensor([3.0, -1.0, 0.5]), torch.tensor([0.5, 2.0, 1.0])
    codes = mean + std * torch.randn(4000, 3, generator=g)
    s = SecondStage(3, hidden=64).fit(codes, steps=1000)
    z = s.sample(8000, torch.Generator().manual_seed(1))
    assert torch.allclose(z.mean(0), mean, atol=0.15)
    assert torch.allclose(z.std(0), std, rtol=0.2)


def test_second_stage_keeps_two_clusters_apart():
    """Codes in two tight clusters: a single Gaussian fitted to them puts about half its mass between the
    clusters (the prior hole); the second stage must put little there."""
    g = torch.Generator().manual_seed(0)
    side = torch.randint(0, 2, (4000,), generator=g).float() * 2 - 1
    codes = torch.stack([4 * side, torch.zeros(4000)], 1) + 0.3 * torch.randn(4000, 2, generator=g)
    z = SecondStage(2).fit(codes, steps=2000).sample(8000, torch.Generator().manual_seed(1))
    between = (z[:, 0].abs() < 2).float().mean().item()
    single = stats.norm(0, codes[:, 0].std().item())
    between_single = single.cdf(2) - single.cdf(-2)
    assert between_single > 0.3  # what N(mean, cov) of the codes would do
    assert between < 0.2 and between < between_single / 2
    # both clusters are kept, in their proportions
    assert abs((z[:, 0] > 0).float().mean().item() - 0.5) < 0.1


def test_fit_leaves_the_callers_random_stream_alone():
    codes, stage = torch.randn(64, 2), SecondStage(2, hidden=8)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    stage.fit(codes, steps=5)
    assert torch.equal(torch.rand(3), expected)
    # and the fit depends on its seed alone, not on the weights it started from
    other = SecondStage(2, hidden=8).fit(codes, steps=5)
    pairs = zip(stage.state_dict().values(), other.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


@pytest.fixture(scope="module")
def two_stage(tiny_digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("vae2")
    model = build_model(
        "vae",
        tiny_digits.shape,
        overrides={"latent_dim": 4, "width": 8, "prior": "two-stage", "stage2_steps": 50, "kl_warmup": 10},
    )
    trainer = Trainer(TrainConfig(steps=30, batch_size=32), run_dir=out).fit(model, tiny_digits)
    return model, out, trainer


def test_two_stage_is_fitted_when_training_ends_saved_and_sampled(two_stage):
    model, out, _ = two_stage
    assert model.stage2.fitted and model.prior_fitted  # the mixture is always fitted too
    loaded = GenerativeModel.load(out)
    for key, value in model.stage2.state_dict().items():
        assert torch.equal(loaded.stage2.state_dict()[key], value)
    a = loaded.sample(6, generator=torch.Generator().manual_seed(0))
    b = model.sample(6, generator=torch.Generator().manual_seed(0))
    assert a.shape == (6, *model.shape) and torch.allclose(a, b)
    assert torch.isfinite(a).all()


def test_second_stage_never_trains_with_the_first(two_stage):
    model, _, _ = two_stage
    assert not any(p.requires_grad for p in model.stage2.parameters())
    optimised = {id(p) for p in model.configure_optimizers()["vae"].param_groups[0]["params"]}
    assert not optimised & {id(p) for p in model.stage2.parameters()}
    assert optimised == {id(p) for n, p in model.named_parameters() if not n.startswith("stage2.")}


def test_two_stage_needs_a_second_stage_trained_with_it(tiny_digits):
    model = build_model("vae", tiny_digits.shape, overrides={"latent_dim": 4, "width": 8})
    # untrained (or still training): the ex-post priors do not exist yet, codes come from N(0, I)
    z = model.with_sampling({"prior": "two-stage"}).latent(4000, torch.Generator().manual_seed(0))
    assert stats.kstest(z[:, 0].numpy(), "norm").pvalue > 0.01
    model.with_sampling({"prior": "mixture"})
    Trainer(TrainConfig(steps=3, batch_size=32), progress=False).fit(model, tiny_digits)
    assert model.prior_fitted and not model.stage2.fitted  # trained with prior=mixture: no second stage
    with pytest.raises(ConfigError, match="retrain with --set prior=two-stage"):
        model.with_sampling({"prior": "two-stage"}).sample(2)


def test_kl_warmup_rises_linearly_to_beta(two_stage):
    model, out, _ = two_stage
    beta = np.array([model.beta_at(s) for s in range(12)])
    expected = model.config.beta * np.minimum(1.0, (np.arange(12) + 1) / 10)
    np.testing.assert_allclose(beta, expected)
    plain = build_model("vae", (1, 8, 8), overrides={"latent_dim": 2, "width": 4})
    assert plain.beta_at(0) == plain.config.beta


def test_bad_prior_settings_are_refused():
    with pytest.raises(ConfigError, match="choose one of normal, mixture, two-stage"):
        build_model("vae", (1, 8, 8), overrides={"prior": "flow"})
    with pytest.raises(ConfigError, match="kl_warmup"):
        build_model("vae", (1, 8, 8), overrides={"kl_warmup": -1})


def test_samples_drawn_while_training_come_from_a_provisional_mixture(tiny_digits):
    """Before training ends the FD curve and grids draw from a mixture of the current codes (what the final
    samples will do), not from N(0, I), and nothing of it enters the saved state."""
    model = build_model("vae", tiny_digits.shape, overrides={"latent_dim": 4, "width": 8})
    untrained = model.latent(4000, torch.Generator().manual_seed(0))
    assert stats.kstest(untrained[:, 0].numpy(), "norm").pvalue > 0.01  # no data given: N(0, I)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.prepare_training(tiny_digits.x_train)
    model.eval()
    z = model.latent(20_000, torch.Generator().manual_seed(0))
    codes = model.training_codes(tiny_digits.x_train)
    assert torch.allclose(z.mean(0), codes.mean(0), atol=0.1 * codes.std(0).max().item())
    # each component's covariance carries scikit-learn's reg_covar = 1e-4 on its diagonal
    assert torch.allclose(z.var(0), codes.var(0) + 1e-4, rtol=0.15)
    assert torch.equal(
        model.latent(50, torch.Generator().manual_seed(3)), model.latent(50, torch.Generator().manual_seed(3))
    )
    assert not model.prior_fitted
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    model.finish_training(tiny_digits.x_train)  # the real prior, then no training data kept
    assert model.prior_fitted and model._train_x is None
