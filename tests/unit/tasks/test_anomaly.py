"""Anomaly scores and the one-class protocol, against independent references (scipy's Mann-Whitney U for
AUROC, numpy order statistics for the threshold) and on real digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import mannwhitneyu

from ganvae.errors import ConfigError
from ganvae.metrics.detection import detection_metrics
from ganvae.models.base import build_model
from ganvae.tasks.anomaly import AnomalyConfig, one_class_split
from ganvae.tasks.scoring import threshold_at_fpr


def test_auroc_equals_the_mann_whitney_statistic():
    rng = np.random.default_rng(0)
    normal, anomalous = rng.normal(0, 1, 300), rng.normal(0.8, 1.3, 200)
    scores = np.concatenate([normal, anomalous])
    truth = np.r_[np.zeros(300), np.ones(200)].astype(int)
    u = mannwhitneyu(anomalous, normal).statistic
    m = detection_metrics(scores, truth)
    assert m["auroc"] == pytest.approx(u / (300 * 200), abs=1e-12)
    assert 200 / 500 < m["auprc"] <= 1.0  # above the positive rate of a chance ranking


def test_threshold_flags_at_most_the_requested_share_of_normal_scores():
    rng = np.random.default_rng(1)
    calib = rng.normal(size=101)
    for fpr in (0.01, 0.05, 0.2, 0.5):
        t = threshold_at_fpr(calib, fpr)
        assert (calib > t).mean() <= fpr
        # the closed form: the ceil((1 - fpr)(n - 1))-th order statistic
        assert t == np.sort(calib)[int(np.ceil((1 - fpr) * (len(calib) - 1)))]


def test_one_class_split_holds_out_normal_training_images(digits):
    train, held = one_class_split(digits, 4)
    normal = digits.x_train[digits.y_train == 4]
    assert len(train.x_train) + len(held) == len(normal) and len(held) == int(0.1 * len(normal))
    assert len(train.x_test) == int((digits.y_test == 4).sum())
    # disjoint: no held-out image is a training image
    d = torch.cdist(held.flatten(1), train.x_train.flatten(1))
    assert (d.min(1).values > 0).all()


def test_config_rejects_conditional_models_and_ambiguous_classes():
    with pytest.raises(ConfigError, match="class-conditional"):
        AnomalyConfig(models=("cvae",), normal_class="0").validate()
    with pytest.raises(ConfigError, match="not both"):
        AnomalyConfig(normal_class="0", all_classes=True).validate()
    with pytest.raises(ConfigError, match="not both"):
        AnomalyConfig().validate()


def test_every_model_scores_each_method_finitely():
    from ganvae.registry import MODELS

    x = torch.rand(5, 1, 8, 8)
    for entry in MODELS:
        if entry.factory.data_kind != "images" or "score" not in entry.factory.capabilities:
            continue  # the super-resolution models train on images but score nothing
        model = build_model(
            entry.name,
            (1, 8, 8),
            10,
            {"inversion_steps": 3, "width": 8} if entry.factory.family == "gan" else {"width": 8},
        )
        labels = torch.arange(5) if model.num_classes else None
        assert model.anomaly_scores, entry.name
        for method in model.anomaly_scores:
            s = model.eval().score(x, labels, method=method)
            assert s.shape == (5,) and torch.isfinite(s).all(), (entry.name, method)
    with pytest.raises(ConfigError, match="choose one of neg-elbo, recon-error"):
        build_model("vae", (1, 8, 8)).score(x, method="critic")


def test_vae_recon_error_is_the_reconstruction_mse():
    model = build_model("vae", (1, 8, 8)).eval()
    x = torch.rand(4, 1, 8, 8)
    expected = (model.reconstruct(x) - x).pow(2).flatten(1).mean(1)
    torch.testing.assert_close(model.score(x, method="recon-error"), expected)


def test_anogan_scores_generated_images_below_noise():
    """An image the generator can produce has a near-zero AnoGAN loss; uniform noise does not."""
    torch.manual_seed(0)
    model = build_model(
        "dcgan", (1, 8, 8), overrides={"inversion_steps": 150, "inversion_restarts": 2}
    ).eval()
    generated = model.sample(6, generator=torch.Generator().manual_seed(1))
    noise = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    s_gen, s_noise = model.score(generated, method="anogan"), model.score(noise, method="anogan")
    assert s_gen.max() < s_noise.min()
    # with λ = 0 the score is the mean absolute residual of the projection, in [-1, 1] units
    model.config.anogan_weight = 0.0
    assert (model.score(noise, method="anogan") <= (noise * 2 - 1).abs().flatten(1).mean(1) + 1e-6).all()
