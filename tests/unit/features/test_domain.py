"""Domain classifier: accuracy on real digits, caching, save/load, determinism, random-feature fallback."""

from __future__ import annotations

import json

import pytest
import torch

from ganvae.data.images import ImageData
from ganvae.errors import CheckpointError, ConfigError, DataError
from ganvae.features import (
    DomainClassifier,
    DomainClassifierConfig,
    FeatureNet,
    cache_key,
    default_cache_dir,
    get_domain_classifier,
)


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ganvae-cache")


@pytest.fixture(scope="module")
def fitted(digits, cache_root):
    """The default classifier on real digits, fitted once through the cache."""
    return get_domain_classifier(digits, cache_dir=cache_root)


def test_digits_accuracy_reaches_95_percent(fitted):
    assert fitted.kind_ == "classifier" and fitted.feature_name == "domain features"
    assert fitted.accuracy_ >= 0.95
    assert fitted.epochs_run_ == DomainClassifierConfig().epochs_for(1437)


def test_features_and_probabilities_have_the_right_shapes(fitted, digits):
    f = fitted.features(digits.x_test, batch_size=100)
    assert f.shape == (len(digits.x_test), 128) and f.dtype == torch.float32
    torch.testing.assert_close(f, fitted.features(digits.x_test))  # batching does not matter
    p = fitted.predict_proba(digits.x_test[:10])
    torch.testing.assert_close(p.sum(1), torch.ones(10))
    with pytest.raises(DataError, match="shape"):
        fitted.features(torch.zeros(2, 1, 28, 28))


def test_second_call_loads_from_the_cache(fitted, digits, cache_root, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("should have loaded from the cache, not trained")

    monkeypatch.setattr(DomainClassifier, "fit", refuse)
    again = get_domain_classifier(digits, cache_dir=cache_root)
    assert again is not fitted and again.accuracy_ == fitted.accuracy_
    torch.testing.assert_close(again.features(digits.x_test), fitted.features(digits.x_test), rtol=0, atol=0)
    (folder,) = (cache_root / "features").iterdir()
    assert folder.name == cache_key(digits.fingerprint(), DomainClassifierConfig())


def test_cache_key_changes_with_the_config_and_the_data(digits):
    base = cache_key(digits.fingerprint(), DomainClassifierConfig())
    assert cache_key(digits.fingerprint(), DomainClassifierConfig(epochs=3)) != base
    assert cache_key(digits.subset(train=100).fingerprint(), DomainClassifierConfig()) != base


def test_save_load_round_trip(fitted, digits, tmp_path):
    folder = fitted.save(tmp_path / "clf")
    meta = json.loads((folder / "config.json").read_text())
    assert meta["kind"] == "classifier" and meta["accuracy"] == fitted.accuracy_
    loaded = DomainClassifier.load(folder)
    assert loaded.config == fitted.config and loaded.class_names_ == fitted.class_names_
    x = digits.x_test[:50]
    torch.testing.assert_close(loaded.predict_proba(x), fitted.predict_proba(x), rtol=0, atol=0)


def test_corrupt_or_foreign_files_raise_checkpoint_errors(fitted, tmp_path):
    folder = fitted.save(tmp_path / "clf")
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="cannot read the weights"):
        DomainClassifier.load(folder)
    (folder / "config.json").write_text('{"format": "something-else"}')
    with pytest.raises(CheckpointError, match="not a ganvae domain classifier"):
        DomainClassifier.load(folder)
    with pytest.raises(CheckpointError, match="cannot read a domain classifier"):
        DomainClassifier.load(tmp_path / "missing")


def test_damaged_cache_entry_is_refitted(tiny_digits, tmp_path):
    first = get_domain_classifier(tiny_digits, cache_dir=tmp_path, epochs=1)
    (folder,) = (tmp_path / "features").iterdir()
    (folder / "model.safetensors").write_bytes(b"garbage")
    second = get_domain_classifier(tiny_digits, cache_dir=tmp_path, epochs=1)
    x = tiny_digits.x_test
    torch.testing.assert_close(second.features(x), first.features(x), rtol=0, atol=0)
    assert DomainClassifier.load(folder).accuracy_ == first.accuracy_


def test_fit_is_deterministic_and_leaves_the_global_rng_alone(tiny_digits):
    state = torch.get_rng_state()
    a = DomainClassifier(epochs=2).fit(tiny_digits, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    b = DomainClassifier(epochs=2).fit(tiny_digits, seed=3)
    c = DomainClassifier(epochs=2).fit(tiny_digits, seed=4)
    x = tiny_digits.x_test
    assert torch.equal(a.features(x), b.features(x))
    assert not torch.equal(a.features(x), c.features(x))
    assert a.config.seed == 3 and a.config.epochs == 2


def test_unlabelled_data_falls_back_to_random_features(tiny_digits):
    data = ImageData("unlabelled", tiny_digits.x_train, tiny_digits.x_test)
    clf = DomainClassifier().fit(data)
    assert clf.kind_ == "random" and clf.feature_name == "random features" and clf.accuracy_ is None
    assert clf.epochs_run_ == 0
    f_real, f_noise = clf.features(data.x_test), clf.features(torch.rand_like(data.x_test))
    assert f_real.shape == (len(data.x_test), 128) and f_real.std() > 0
    # Random features still tell digits from uniform noise apart.
    assert (f_real.mean(0) - f_noise.mean(0)).norm() > 0.5 * f_real.std(0).norm()
    with pytest.raises(DataError, match="random features"):
        clf.predict_proba(data.x_test)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 13, 17), (1, 5, 5)])
def test_network_handles_any_image_shape(shape):
    net = FeatureNet(shape, num_classes=4, feature_dim=16).eval()
    with torch.no_grad():
        assert net(torch.rand(2, *shape)).shape == (2, 4)
        assert net.features(torch.rand(2, *shape)).shape == (2, 16)


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown domain classifier option"):
        DomainClassifier(layers=3)
    with pytest.raises(ConfigError):
        DomainClassifierConfig(width=0)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GANVAE_CACHE", str(tmp_path / "g"))
    assert default_cache_dir() == tmp_path / "g"
    monkeypatch.delenv("GANVAE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "ganvae"
