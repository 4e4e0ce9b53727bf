"""The two-domain translators (cyclegan, unit; data kind "domains") and `translate`, the one way any model
translates: they train through the one loop on digits 0 <-> 1, translate into the asked domain, round-trip
save/load exactly, and refuse data that is not two domains."""

from __future__ import annotations

import pytest
import torch

from ganvae.data.images.domains import SOURCE, TARGET, load_domains
from ganvae.errors import ConfigError
from ganvae.models import GenerativeModel, build_model
from ganvae.models.domains import lsgan_d, lsgan_g, split_domains, translate
from ganvae.nn.flops import capacity_table
from ganvae.registry import MODELS
from ganvae.training import TrainConfig, Trainer

TRANSLATORS = [e.name for e in MODELS if e.factory.data_kind == "domains"]
SMALL = {"width": 8, "latent_dim": 8}


@pytest.fixture(scope="module")
def domains():
    return load_domains("0", "1", data="digits")


def test_the_translators_are_registered():
    assert TRANSLATORS == ["cyclegan", "unit"]


@pytest.mark.parametrize("name", TRANSLATORS)
def test_trains_translates_and_round_trips(name, domains, tmp_path):
    torch.manual_seed(0)
    model = build_model(name, domains.shape, domains.num_classes, SMALL, domains.class_names)
    trainer = Trainer(
        TrainConfig(steps=4, batch_size=32, log_every=2), run_dir=tmp_path / "run", progress=False
    )
    trainer.fit(model, domains)
    assert trainer.state_.step == 4
    logs = [r for r in trainer.history_ if "loss_g" in r]
    assert logs and all(torch.isfinite(torch.tensor(v)) for r in logs for v in r.values())
    assert list((tmp_path / "run" / "samples").glob("*.png"))  # the loop's grids: translations while training
    x = domains.images("test", SOURCE)[:5]
    out = translate(model, x, TARGET)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    loaded = GenerativeModel.load(tmp_path / "run")
    assert loaded.class_names == ["0", "1"] and loaded.num_classes == 2
    torch.testing.assert_close(translate(loaded, x, TARGET), out)
    assert len(capacity_table(model)) == 2


@pytest.mark.parametrize("name", TRANSLATORS)
def test_a_translator_needs_two_domains(name):
    with pytest.raises(ConfigError, match="two image domains.*ganvae task translate"):
        build_model(name, (1, 8, 8), 10, SMALL)


def test_a_batch_of_one_domain_changes_nothing(domains):
    model = build_model("cyclegan", domains.shape, 2, SMALL)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = domains.images("train", SOURCE)[:8]
    assert model.train_step(x, torch.zeros(8, dtype=torch.long), None, 0) == {}  # no optimizer is touched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_cyclegan_cannot_draw_from_nothing():
    model = build_model("cyclegan", (1, 8, 8), 2, SMALL).eval()
    with pytest.raises(ConfigError, match="cannot draw from nothing"):
        model.sample(2)


def test_unit_shares_its_code_layers_and_translates_through_the_shared_code(domains):
    torch.manual_seed(0)
    model = build_model("unit", domains.shape, 2, SMALL).eval()
    # one head for both encoders, one projection for both decoders: the decoders hold no projection
    assert all(isinstance(d.project, torch.nn.Identity) for d in model.decoders)
    x = domains.images("test", SOURCE)[:4]
    z = model.encode(x, torch.full((4,), SOURCE))
    torch.testing.assert_close(translate(model, x, TARGET), model.decode(z, labels=torch.full((4,), TARGET)))
    # the reverse mapping decodes the same kind of code with the other decoder
    y = domains.images("test", TARGET)[:4]
    z_y = model.encode(y, torch.full((4,), TARGET))
    torch.testing.assert_close(
        translate(model, y, SOURCE), model.decode(z_y, labels=torch.full((4,), SOURCE))
    )


def test_a_conditional_vae_translates_by_swapping_the_label(domains):
    model = build_model("cvae", domains.shape, 2, SMALL).eval()
    x = domains.images("test", SOURCE)[:3]
    z = model.encode(x, torch.zeros(3, dtype=torch.long))
    expected = model.decode(z, labels=torch.ones(3, dtype=torch.long))
    torch.testing.assert_close(translate(model, x, TARGET), expected)
    with pytest.raises(ConfigError, match="does not translate"):
        translate(build_model("vae", domains.shape, 0, SMALL), x, TARGET)


def test_least_squares_losses_and_the_domain_split():
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, -1.0])
    # D: half of mean((real - 1)^2) + mean(fake^2)
    assert float(lsgan_d(real, fake)) == pytest.approx(0.5 * (0.5 + 0.625))
    assert float(lsgan_g(fake)) == pytest.approx((0.25 + 4.0) / 2)
    x = torch.arange(4.0).view(4, 1, 1, 1)
    a, b = split_domains(x, torch.tensor([1, 0, 0, 1]))
    assert a.flatten().tolist() == [1.0, 2.0] and b.flatten().tolist() == [0.0, 3.0]
