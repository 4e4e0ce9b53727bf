"""Registry-driven tests of the super-resolution models (capability "upscale"): every one builds for several
shapes and scales, trains through the one loop without NaN and without sample grids, upscales to the
right shape in [0, 1] at any input size, round-trips save/load, and has the matched capacity it claims.
Plus the known answers of their parts: antialiased bicubic against PIL, the Laplace likelihood and the KL
against torch.distributions, and one clear line for every shape a scale cannot serve."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from ganvae.data.images import ImageData
from ganvae.errors import ConfigError
from ganvae.models import GenerativeModel, build_model
from ganvae.models.paired import check_scale
from ganvae.nn.bicubic import downsample, upsample
from ganvae.nn.flops import capacity_table
from ganvae.registry import MODELS
from ganvae.training import Interrupted, TrainConfig, Trainer
from ganvae.training.run import train

NAMES = [e.name for e in MODELS if "upscale" in e.factory.capabilities]
CASES = [((1, 8, 8), 2), ((1, 28, 28), 4), ((3, 32, 32), 2), ((3, 16, 24), 4)]


def _toy(shape, n=32):
    x = torch.rand(n, *shape, generator=torch.Generator().manual_seed(0))
    return ImageData("toy", x, x[:8].clone())


def _small(name, shape, scale):
    torch.manual_seed(0)
    return build_model(name, shape, 0, {"width": 8, "scale": scale})


def test_the_three_arms_are_registered():
    assert sorted(NAMES) == ["sr-regression", "sr-vae", "srgan"]
    assert {n: MODELS.get(n).factory.family for n in NAMES} == {
        "srgan": "gan",
        "sr-vae": "vae",
        "sr-regression": "regression",
    }


@pytest.mark.parametrize(
    ("shape", "scale"), CASES, ids=lambda c: "x".join(map(str, c)) if isinstance(c, tuple) else f"s{c}"
)
@pytest.mark.parametrize("name", NAMES)
def test_trains_through_the_loop_and_upscales(name, shape, scale, tmp_path):
    model = _small(name, shape, scale)
    trainer = Trainer(TrainConfig(steps=4, batch_size=8, log_every=2), tmp_path, progress=False)
    trainer.fit(model, _toy(shape))
    assert trainer.state_.step == 4
    for record in trainer.history_:
        assert all(np.isfinite(v) for v in record.values() if isinstance(v, float))
    assert not (tmp_path / "samples").exists()  # it draws no samples: no grids
    c, h, w = shape
    lr = torch.rand(3, c, h // scale, w // scale)
    out = model.upscale(lr, generator=torch.Generator().manual_seed(1))
    assert out.shape == (3, *shape) and out.min() >= 0 and out.max() <= 1
    # fully convolutional: an input of another size upscales too
    assert model.upscale(torch.rand(1, c, 5, 7)).shape == (1, c, 5 * scale, 7 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name, tmp_path):
    model = _small(name, (1, 8, 8), 2).eval()
    model.save(tmp_path)
    loaded = GenerativeModel.load(tmp_path)
    assert loaded.registered_name == name and loaded.config == model.config
    lr = torch.rand(4, 1, 4, 4)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    torch.testing.assert_close(loaded.upscale(lr, generator=g()), model.upscale(lr, generator=g()))


def test_an_untrained_network_starts_at_bicubic_plus_its_residual():
    """The residual is added to bicubic upsampling: with the trunk's last layer zeroed, the output is
    bicubic interpolation exactly."""
    model = build_model("sr-regression", (1, 16, 16), 0, {"width": 8, "scale": 4})
    torch.nn.init.zeros_(model.generator.trunk.tail.weight)
    torch.nn.init.zeros_(model.generator.trunk.tail.bias)
    lr = torch.rand(2, 1, 4, 4)
    torch.testing.assert_close(model.upscale(lr), upsample(lr, 4).clamp(0, 1))


def test_matched_capacity():
    """The regression network is SRGAN's generator; the VAE's decoder is the same trunk with the latent
    map as extra input channels (one 3x3 kernel per extra channel and output channel)."""
    parts = {
        n: {r["part"]: r["parameters"] for r in capacity_table(build_model(n, (1, 28, 28), 0, {"scale": 4}))}
        for n in NAMES
    }
    assert parts["srgan"]["generator"] == parts["sr-regression"]["generator"]
    vae = build_model("sr-vae", (1, 28, 28), 0, {"scale": 4})
    extra = vae.config.latent_channels * vae.config.width * 9
    assert parts["sr-vae"]["decoder"] == parts["srgan"]["generator"] + extra
    assert set(parts["srgan"]) == {"generator", "discriminator"} and set(parts["sr-vae"]) == {
        "encoder",
        "decoder",
    }


def test_downsampling_matches_pil_bicubic():
    """Antialiased bicubic downsampling is PIL's BICUBIC resize (the usual SR degradation)."""
    from PIL import Image

    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    for scale in (2, 4):
        size = 28 // scale
        ref = Image.fromarray(x[0, 0].numpy().astype(np.float32), mode="F").resize(
            (size, size), Image.BICUBIC
        )
        expected = torch.from_numpy(np.array(ref)).clamp(0, 1)
        torch.testing.assert_close(downsample(x, scale)[0, 0], expected, atol=2e-3, rtol=0)


def test_laplace_likelihood_and_kl_match_torch_distributions():
    model = build_model("sr-vae", (1, 8, 8), 0, {"width": 8})
    x, mean = torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8)
    b = (x - mean).abs().mean()  # training: the batch's maximum-likelihood scale
    expected = -torch.distributions.Laplace(mean, b).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    model.eval()  # evaluation: the running estimate
    expected = -torch.distributions.Laplace(mean, model.log_scale.exp()).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.neg_log_likelihood(mean, x), expected)
    mu, logvar = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).flatten(1).sum(1)
    torch.testing.assert_close(model.kl(mu, logvar), kl)


def test_the_vae_draws_several_outputs_and_temperature_zero_one():
    model = build_model("sr-vae", (1, 8, 8), 0, {"width": 8}).eval()
    lr = torch.rand(2, 1, 4, 4)
    a = model.upscale(lr, generator=torch.Generator().manual_seed(0))
    b = model.upscale(lr, generator=torch.Generator().manual_seed(1))
    assert (a - b).abs().max() > 0
    torch.testing.assert_close(model.upscale(lr, generator=torch.Generator().manual_seed(0)), a)
    model.with_sampling({"temperature": 0.0})
    c = model.upscale(lr, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(c, model.upscale(lr, generator=torch.Generator().manual_seed(1)))


def test_srgan_trains_both_players():
    model = _small("srgan", (1, 8, 8), 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    Trainer(TrainConfig(steps=2, batch_size=8), progress=False).fit(model, _toy((1, 8, 8)))
    changed = {k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert {"generator", "discriminator"} <= changed


@pytest.mark.parametrize(
    ("shape", "scale", "needle"),
    [
        ((1, 10, 10), 4, "scale 4 does not divide the image size 10x10"),
        ((1, 8, 8), 4, "8x8 images at scale 4 give 2x2 low-resolution inputs; the smallest is 4x4"),
        ((1, 8, 8), 3, "scale 3 is not supported; use 2 or 4"),
    ],
)
def test_a_scale_the_shape_cannot_serve_is_one_clear_error(shape, scale, needle):
    with pytest.raises(ConfigError) as err:
        check_scale(shape, scale)
    assert needle in str(err.value)
    with pytest.raises(ConfigError):
        build_model("srgan", shape, 0, {"scale": scale})


def test_adv_weight_zero_is_refused_for_srgan():
    with pytest.raises(ConfigError, match="sr-regression"):
        build_model("srgan", (1, 8, 8), 0, {"adv_weight": 0})


def test_icnr_upsampling_starts_as_nearest_neighbour_and_still_learns():
    """Aitken et al. 2017: at initialisation every stage is a convolution then nearest-neighbour
    upsampling (no checkerboard); the four sub-pixel kernels are separate parameters that train apart."""
    import torch.nn.functional as F

    from ganvae.nn.srnet import SRTrunk

    torch.manual_seed(0)
    net = SRTrunk(1, 1, scale=4, width=8, blocks=2)
    h = torch.randn(2, 8, 5, 7)
    for stage in (net.up[0:3], net.up[3:6]):
        conv, shuffle = stage[0], stage[1]
        out = shuffle(conv(h))
        first = F.conv2d(h, conv.weight[::4], conv.bias[::4], padding=1)  # position 0 of each block
        torch.testing.assert_close(out, F.interpolate(first, scale_factor=2, mode="nearest"))
        h = stage(h)
    # not tied: one gradient step moves the four kernels of a block apart
    conv = net.up[0]
    loss = (net.up(torch.randn(2, 8, 5, 7)) * torch.randn(2, 8, 20, 28)).sum()
    loss.backward()
    g = conv.weight.grad.view(8, 4, 8, 3, 3)
    assert not torch.allclose(g[:, 0], g[:, 1])


# ---- srgan's content-only start (pretrain; Ledig et al. 2017 start the GAN from a trained SRResNet) --------
class _Opts:
    """The loop's `Optimizers`, plain: zero_grad, backward, step."""

    def __init__(self, optimizers):
        self.optimizers = optimizers

    def __getitem__(self, name):
        return self.optimizers[name]

    def step(self, name, loss):
        self.optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers[name].step()


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _content_only_update(model, opts, x):
    """A copy of `model`'s generator after one step of a copy of its optimizer `opts["g"]` (Adam's
    moments included) on the content loss alone (what sr-regression's step does)."""
    import copy

    from ganvae.models.paired import content_loss

    twin = copy.deepcopy(model)
    twin_opts = twin.configure_optimizers()
    twin_opts["g"].load_state_dict(copy.deepcopy(opts["g"].state_dict()))
    loss = content_loss(twin.generator(downsample(x, twin.config.scale)), x, twin.config.content_loss)
    _Opts(twin_opts).step("g", loss)
    return _state(twin.generator)


def test_srgan_pretrain_trains_the_content_loss_alone_then_both_players():
    torch.manual_seed(0)
    model = build_model("srgan", (1, 8, 8), 0, {"width": 8, "scale": 2, "pretrain": 0.5})
    model.plan_training(10, None)
    assert model.pretrain_steps_ == 5
    opts = model.configure_optimizers()
    x = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    for step in range(5):  # the content-only phase
        d_before = _state(model.discriminator)  # weights and batch statistics
        expected = _content_only_update(model, opts, x)
        logs = model.train_step(x, None, _Opts(opts), step)
        assert set(logs) == {"loss_g", "content"}
        for key, value in _state(model.discriminator).items():
            assert torch.equal(value, d_before[key]), key
        for key, value in _state(model.generator).items():
            torch.testing.assert_close(value, expected[key], rtol=0, atol=0, msg=key)
    assert not opts["d"].state  # the discriminator's optimizer never stepped
    # step 5 on: the adversarial term is on and the discriminator trains
    d_before = _state(model.discriminator)
    content_only = _content_only_update(model, opts, x)
    logs = model.train_step(x, None, _Opts(opts), 5)
    assert {"adversarial", "loss_d"} <= set(logs) and logs["loss_g"] > logs["content"]
    assert any(not torch.equal(v, d_before[k]) for k, v in _state(model.discriminator).items())
    assert any(not torch.equal(v, content_only[k]) for k, v in _state(model.generator).items())


def test_srgan_pretrain_is_a_share_of_the_steps_and_a_wall_clock_budget_alone_is_refused(tmp_path):
    model = build_model("srgan", (1, 8, 8), 0, {"width": 8, "scale": 2, "pretrain": 0.25})
    model.plan_training(200, 60.0)  # steps with a wall-clock cap: the share of the steps
    assert model.pretrain_steps_ == 50 and "--budget may end the run" in model.notes()[0]
    trainer = Trainer(TrainConfig(budget_s=5.0, batch_size=8), tmp_path / "r", progress=False)
    with pytest.raises(ConfigError, match=r"pretrain=0.25 is a share of the run.s steps.*--steps or"):
        trainer.fit(model, _toy((1, 8, 8)))
    plain = build_model("srgan", (1, 8, 8), 0, {"width": 8, "scale": 2})
    plain.plan_training(None, 5.0)  # without pretrain a wall-clock budget is fine
    assert plain.pretrain_steps_ == 0 and plain.notes() == []
    for bad in (1.0, -0.1):
        with pytest.raises(ConfigError, match=r"pretrain must lie in \[0, 1\)"):
            build_model("srgan", (1, 8, 8), 0, {"width": 8, "scale": 2, "pretrain": bad})


def test_srgan_interrupted_mid_pretrain_then_resumed_equals_uninterrupted(tiny_digits, tmp_path, monkeypatch):
    """A real SIGINT in step 6 of 12 content-only steps (24 in all): the resumed run finds the phase where
    the uninterrupted one had it (a function of the step), so the weights end bit for bit equal."""
    cfg = TrainConfig(steps=24, batch_size=32, log_every=4, checkpoint_every=8, seed=3)
    small = {"width": 8, "scale": 2, "pretrain": 0.5}
    train("srgan", tiny_digits, tmp_path / "a", cfg, small, progress=False)

    from ganvae.models.srgan import SRGAN

    original = SRGAN.train_step

    def step_and_maybe_interrupt(self, x, y, opt, step):
        if step == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, x, y, opt, step)

    monkeypatch.setattr(SRGAN, "train_step", step_and_maybe_interrupt)
    with pytest.raises(Interrupted) as info:
        train("srgan", tiny_digits, tmp_path / "b", cfg, small, progress=False)
    assert info.value.step == 6
    monkeypatch.setattr(SRGAN, "train_step", original)
    train("srgan", tiny_digits, tmp_path / "b", cfg, None, resume=True, budget_given=False, progress=False)

    a, b = (load_file(str(tmp_path / r / "model.safetensors")) for r in "ab")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
    # the log: no discriminator in the first 12 steps, both players after
    records = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    trained = {r["step"]: "loss_d" in r for r in records if "loss_g" in r}
    assert trained == {4: False, 6: False, 8: False, 12: False, 16: True, 20: True, 24: True}
