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


def _old_split(x, y):
    """The formulation split_domains replaced: boolean masks (a host sync per step on a GPU)."""
    return x[y == SOURCE], x[y == TARGET]


class _Recording:
    """The `Optimizers` of a train_step that also keeps each update's loss and gradients."""

    def __init__(self, model):
        self.model, self.opts, self.seen = model, model.configure_optimizers(), []

    def step(self, name, loss):
        self.opts[name].zero_grad(set_to_none=True)
        loss.backward()
        grads = {k: p.grad.clone() for k, p in self.model.named_parameters() if p.grad is not None}
        self.seen.append((name, loss.detach().clone(), grads))
        self.opts[name].step()


@pytest.mark.parametrize("name", TRANSLATORS)
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])  # the loop's is NHWC
def test_the_sync_free_split_leaves_losses_and_gradients_unchanged(name, layout, domains, monkeypatch):
    pick = torch.randperm(len(domains.x_train), generator=torch.Generator().manual_seed(0))[:24]
    x = domains.x_train[pick].contiguous(memory_format=layout)
    y = domains.y_train[pick]
    assert 0 < int((y == SOURCE).sum()) < 24  # a mixed batch, in no particular order
    runs = []
    for split in (_old_split, split_domains):
        monkeypatch.setattr(f"ganvae.models.{name}.split_domains", split)
        torch.manual_seed(0)
        model = build_model(name, domains.shape, 2, SMALL).to(memory_format=layout)
        opt = _Recording(model)
        torch.manual_seed(1)  # unit draws its posterior noise in the step
        logs = [model.train_step(x, y, opt, step) for step in range(2)]
        runs.append((logs, opt.seen, model.state_dict()))
    (old_logs, old_seen, old_state), (new_logs, new_seen, new_state) = runs
    assert [list(r) for r in old_logs] == [list(r) for r in new_logs] and old_logs[0]
    for old, new in zip(old_logs, new_logs, strict=True):
        assert all(torch.equal(old[k], new[k]) for k in old), (old, new)
    assert [s[0] for s in old_seen] == [s[0] for s in new_seen] == ["d", "g", "d", "g"]
    for (_, old_loss, old_grads), (_, new_loss, new_grads) in zip(old_seen, new_seen, strict=True):
        assert torch.equal(old_loss, new_loss)
        assert old_grads.keys() == new_grads.keys()
        assert all(torch.equal(old_grads[k], new_grads[k]) for k in old_grads)
    assert all(torch.equal(old_state[k], new_state[k]) for k in old_state)  # BatchNorm running stats too


def test_split_domains_keeps_batch_order_and_the_device_of_the_images():
    x = torch.arange(6.0).view(6, 1, 1, 1)
    for y in (torch.tensor([1, 0, 1, 1, 0, 0]), torch.tensor([0, 0, 0, 0, 0, 0])):
        a, b = split_domains(x, y)
        old_a, old_b = _old_split(x, y)
        assert torch.equal(a, old_a) and torch.equal(b, old_b) and a.device == x.device


def test_the_loop_hands_a_translator_its_labels_on_the_host_aligned_with_its_images(domains, monkeypatch):
    """Translators split batches by domain on the host (`labels_on_host`); the labels the loop hands them
    must still be those of the very images in the batch, in every epoch."""
    model = build_model("cyclegan", domains.shape, 2, SMALL)
    assert model.labels_on_host and not build_model("vae", domains.shape, 0, SMALL).labels_on_host
    x_train, y_train = domains.x_train, domains.y_train
    flat = x_train.flatten(1)
    seen = []
    real_step = model.train_step

    def step(x, y, opt, i):
        seen.append((x.detach().flatten(1).clone(), y.clone()))
        return real_step(x, y, opt, i)

    monkeypatch.setattr(model, "train_step", step)
    per_epoch = len(x_train) // 64
    Trainer(TrainConfig(steps=per_epoch + 2, batch_size=64), progress=False).fit(model, domains)
    assert len(seen) == per_epoch + 2
    for images, labels in seen:
        assert labels.device.type == "cpu"
        rows = (images[:, None, :] == flat[None, :, :]).all(-1).float().argmax(1)  # each image's row
        assert torch.equal(flat[rows], images)
        assert torch.equal(y_train[rows], labels)
