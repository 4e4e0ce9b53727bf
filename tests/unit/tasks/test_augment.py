"""The augmentation task's pieces: the stratified K-per-class subset, its input checks, the samples per
class and the summary (checked against numpy), on real digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganvae.errors import ConfigError, DataError
from ganvae.models.base import build_model
from ganvae.report.sections.augment import arm_names, compare_to_real
from ganvae.tasks.augment import (
    REAL,
    AugmentConfig,
    check_labels_per_class,
    classifier_accuracy,
    stratified_subset,
    summarise,
    synthesise,
    synthetic_only,
    with_real,
)


def test_subset_has_exactly_k_per_class_and_the_full_test_split(digits):
    small = stratified_subset(digits, 7, seed=3)
    assert torch.bincount(small.y_train, minlength=10).tolist() == [7] * 10
    assert torch.equal(small.x_test, digits.x_test) and torch.equal(small.y_test, digits.y_test)
    assert small.class_names == digits.class_names
    # every picked image is a training image of the class it is labelled with
    for x, y in zip(small.x_train, small.y_train, strict=True):
        same = (digits.x_train == x).flatten(1).all(1)
        assert same.any() and (digits.y_train[same] == y).all()


def test_subset_is_seeded_and_nested_across_k(digits):
    a, b = stratified_subset(digits, 5, seed=1), stratified_subset(digits, 5, seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.x_train, stratified_subset(digits, 5, seed=2).x_train)
    big = stratified_subset(digits, 12, seed=1)
    for cls in range(10):  # a larger K adds images to the smaller K's, it does not swap them
        assert torch.equal(big.x_train[big.y_train == cls][:5], a.x_train[a.y_train == cls])


def test_k_larger_than_the_class_size_is_refused_naming_the_class(digits):
    counts = torch.bincount(digits.y_train)
    smallest, have = int(counts.argmin()), int(counts.min())
    check_labels_per_class(digits, [1, have])
    with pytest.raises(DataError, match=rf"class '{smallest}' .* has {have} training images"):
        check_labels_per_class(digits, [10, have + 1])
    with pytest.raises(DataError, match=f"<= {have}"):
        stratified_subset(digits, have + 1, seed=0)


def test_config_rejects_unconditional_models_and_bad_values():
    with pytest.raises(ConfigError, match="not class-conditional.*cvae or cgan.*conditional=true"):
        AugmentConfig(models=("cvae", "dcgan")).validate()
    AugmentConfig(models=("vae",), overrides={"conditional": "true"}).validate()
    for bad in ({"labels_per_class": ()}, {"labels_per_class": (0, 10)}, {"labels_per_class": (5, 5)}):
        with pytest.raises(ConfigError, match="--labels-per-class"):
            AugmentConfig(**bad).validate()
    with pytest.raises(ConfigError, match="--synthetic-per-class"):
        AugmentConfig(synthetic_per_class=0).validate()
    # small sets make an epoch tiny: the default budget is in steps on every dataset
    assert AugmentConfig(data="fashion-mnist").budget()["steps"] > 0


def test_synthesise_gives_per_class_samples_with_their_labels():
    torch.manual_seed(0)
    model = build_model("cvae", (1, 8, 8), num_classes=3).eval()
    x, y = synthesise(model, 3, 4, seed=0)
    assert x.shape == (12, 1, 8, 8) and y.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.equal(x, synthesise(model, 3, 4, seed=0)[0])


def test_every_arm_gets_the_same_number_of_classifier_updates(digits):
    cfg = AugmentConfig(classifier_steps=6, classifier_batch_size=32)
    few, more = stratified_subset(digits, 2, seed=0), stratified_subset(digits, 10, seed=0)
    a, b = classifier_accuracy(few, cfg, seed=0), classifier_accuracy(more, cfg, seed=0)
    assert (a["n_train"], b["n_train"]) == (20, 100)
    assert a["updates"] == 6 and 6 <= b["updates"] < 6 + 4  # within one epoch of 100 / 32 batches
    assert 0.0 <= a["accuracy"] <= 1.0


def test_summary_matches_numpy():
    rng = np.random.default_rng(0)
    models, families = ("cvae", "cgan"), {"cvae": "vae", "cgan": "gan"}
    arms = [REAL, *(with_real(m) for m in models), *(synthetic_only(m) for m in models)]
    acc = {(k, arm): rng.uniform(0.5, 1.0, size=3) for k in (5, 20) for arm in arms}
    runs = [
        {"k": k, "seed": s, "arm": arm, "accuracy": float(acc[k, arm][s])}
        for k in (20, 5)
        for s in range(3)
        for arm in arms
    ]
    out = summarise(runs, models, families)
    assert out["labels_per_class"] == [5, 20] and out["arms"] == arms
    # the report's section finds each model's arms by that order (it imports nothing from the task)
    named = (REAL, {m: with_real(m) for m in models}, {m: synthetic_only(m) for m in models})
    assert arm_names(out, models) == named
    for (k, arm), values in acc.items():
        cell = out["accuracy"][str(k)][arm]
        assert cell["mean"] == pytest.approx(np.mean(values))
        assert cell["std"] == pytest.approx(np.std(values, ddof=1))
    for k in (5, 20):
        for m in models:
            diff = acc[k, with_real(m)] - acc[k, REAL]
            assert out["gain"][str(k)][m]["mean"] == pytest.approx(diff.mean())
            assert out["gain"][str(k)][m]["std"] == pytest.approx(diff.std(ddof=1))
    verdict = out["verdicts"][0]
    best = max(models, key=lambda m: acc[5, with_real(m)].mean())
    assert verdict["use_case"] == "augmentation of small labelled sets" and verdict["winner"] == best
    assert verdict["value"] == pytest.approx(acc[5, with_real(best)].mean())


def test_help_or_harm_is_judged_on_the_paired_gains():
    """Per-seed gains over real only (same seed, same real images): the t interval of their mean."""
    from ganvae.experiment.verdicts import estimate

    assert compare_to_real(estimate([0.05, 0.04, 0.06])) == "helps"
    assert compare_to_real(estimate([-0.10, -0.08, -0.12])) == "hurts"
    assert compare_to_real(estimate([0.03, -0.01, 0.05])) == "no clear difference"
    assert compare_to_real(estimate([0.10])) == "no clear difference"  # one seed
