"""The stronger GAN family members (issue 16): the generator's EMA against its closed form, never trained,
saved and loaded (old checkpoints fall back to the raw generator); R1 against closed forms on linear
critics; TTUR's two learning rates; what diffaug means and says; the search space. (ADA's adaptive
probability itself: test_ada.py.)"""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ganvae.config import apply_overrides
from ganvae.errors import CheckpointError, ConfigError
from ganvae.models import GANConfig, GenerativeModel, build_model
from ganvae.nn.diffaugment import FULL
from ganvae.nn.ema import EMA
from ganvae.nn.flops import capacity_table, count_parameters
from ganvae.nn.penalties import input_gradient_sq_norm
from ganvae.registry import MODELS
from ganvae.search_space import Param
from ganvae.training import TrainConfig, Trainer
from ganvae.training.run import train

# diffaug=auto (the default, named so that the tests read as what they check): settled from the data
SMALL = {"width": 8, "latent_dim": 8, "inversion_steps": 5, "diffaug": "auto"}
# the image GANs that draw samples (srgan is a GAN of images too, but upscales: tests/unit/models/test_sr*)
GANS = [
    e.name
    for e in MODELS
    if e.factory.data_kind == "images" and e.factory.family == "gan" and "sample" in e.factory.capabilities
]


class Steps:
    """The `Optimizers` of the loop, plain: zero_grad, backward, step; keeps each step's gradients."""

    def __init__(self, optimizers, update: bool = True):
        self.optimizers, self.update, self.grads = optimizers, update, {}

    def __getitem__(self, name):
        return self.optimizers[name]

    def step(self, name, loss):
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        self.grads[name] = [
            None if p.grad is None else p.grad.clone() for g in opt.param_groups for p in g["params"]
        ]
        if self.update:
            opt.step()


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


# ---- EMA -----------------------------------------------------------------------------------------------
def test_ema_follows_the_closed_form_after_k_generator_steps():
    torch.manual_seed(0)
    d = 0.9
    over = {**SMALL, "ema_decay": d, "ema_warmup": False, "diffaug": "none", "n_critic": 2}
    model = build_model("dcgan", (1, 8, 8), overrides=over).train()
    init = _params(model.generator)
    opt = Steps(model.configure_optimizers())
    x = torch.rand(16, 1, 8, 8)
    after = []  # the generator's weights after each of its steps (every n_critic-th batch)
    for step in range(6):
        model.train_step(x, None, opt, step)
        if (step + 1) % 2 == 0:
            after.append(_params(model.generator))
    k = len(after)
    assert int(model.generator_ema.updates) == k == 3
    for i, ema in enumerate(model.generator_ema.net.parameters()):
        # ema_k = d^k init + (1 - d) sum_j d^(k-1-j) theta_j
        expected = d**k * init[i] + sum((1 - d) * d ** (k - 1 - j) * after[j][i] for j in range(k))
        torch.testing.assert_close(ema, expected, rtol=1e-5, atol=1e-7)
        assert not torch.allclose(ema, after[-1][i])  # an average, not the last weights
    for mine, theirs in zip(model.generator_ema.net.buffers(), model.generator.buffers(), strict=True):
        assert torch.equal(mine, theirs)  # BatchNorm statistics: copied


def test_ema_start_and_warmup_decays_follow_their_formula():
    net = nn.Linear(3, 2)
    ema = EMA(net, decay=0.95, start=2, warmup=True)
    expected, decays, avg = [], [], net.weight.detach().double().clone()
    for n in range(8):
        with torch.no_grad():
            net.weight.copy_(torch.full_like(net.weight, float(n + 1)))
        decays.append(float(ema.update(net)))
        m = n - 2
        dn = 0.0 if n < 2 else min(0.95, (1 + m) / (10 + m))
        expected.append(dn)
        avg = dn * avg + (1 - dn) * net.weight.detach().double()
    assert decays == pytest.approx(expected, abs=1e-7)  # 0, 0, 0.1, 0.18, 0.25, ...
    torch.testing.assert_close(ema.net.weight.double(), avg, rtol=1e-6, atol=1e-6)


def test_the_ema_is_never_trained(tiny_digits):
    model = build_model("dcgan", tiny_digits.shape, overrides=SMALL)
    ema = list(model.generator_ema.net.parameters())
    optimizers = model.configure_optimizers()
    optimized = {id(p) for o in optimizers.values() for g in o.param_groups for p in g["params"]}
    trained = {id(p) for p in [*model.generator.parameters(), *model.discriminator.parameters()]}
    assert optimized == trained and not optimized & {id(p) for p in ema}
    Trainer(TrainConfig(steps=4, batch_size=32), progress=False).fit(model, tiny_digits)
    model.encode(tiny_digits.x_test[:2])  # the inversion freezes every weight, then restores each flag
    assert all(not p.requires_grad and p.grad is None for p in ema)
    assert all(p.requires_grad for p in model.generator.parameters())
    assert int(model.generator_ema.updates) == 4


def test_data_parallel_leaves_the_ema_unwrapped():
    from ganvae.training.distributed import DataParallel

    class Fabric:  # a 2-process Fabric that records what it wraps
        world_size, global_rank, is_global_zero, wrapped = 2, 0, True, []

        def setup_module(self, module):
            self.wrapped.append(module)
            return module

    model = build_model("dcgan", (1, 8, 8), overrides=SMALL)
    dp = DataParallel(Fabric(), model, 32)
    assert set(dp._wrapped) == {"generator", "discriminator"} and dp._loose == []


def test_parts_count_the_generator_once_and_the_ema_is_memory_only():
    model = build_model("dcgan", (1, 28, 28), overrides=SMALL)
    rows = {r["part"]: r for r in capacity_table(model)}
    g, d = count_parameters(model.generator), count_parameters(model.discriminator)
    assert rows["generator"]["parameters"] == g and rows["discriminator"]["parameters"] == d
    assert count_parameters(model) == 2 * g + d  # the EMA: a second copy of the generator's weights
    off = build_model("dcgan", (1, 28, 28), overrides={**SMALL, "ema_decay": 0})
    assert off.generator_ema is None and count_parameters(off) == g + d
    assert not any("ema" in k for k in off.state_dict())


@pytest.fixture(scope="module")
def trained(tiny_digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("dcgan")
    cfg = TrainConfig(steps=8, batch_size=32)
    model, _ = train("dcgan", tiny_digits, out, cfg, SMALL, progress=False)
    return model, out


def _decode_with(net, z):
    with torch.no_grad():
        return (torch.tanh(net(z)) + 1) / 2


def test_samples_come_from_the_ema_generator_unless_raw_is_asked(trained):
    model, _ = trained
    z = torch.randn(6, model.latent_dim)
    ema, raw = _decode_with(model.generator_ema.net, z), _decode_with(model.generator, z)
    assert not torch.allclose(ema, raw, atol=1e-3)
    torch.testing.assert_close(model.decode(z), ema)
    try:
        torch.testing.assert_close(model.with_sampling({"generator": "raw"}).decode(z), raw)
    finally:
        model.with_sampling({"generator": "ema"})
    with pytest.raises(ConfigError, match="cannot change after training"):
        model.with_sampling({"ema_decay": "0"})


def test_save_and_load_keep_the_ema_weights(trained):
    model, out = trained
    saved = load_file(str(out / "model.safetensors"))
    assert int(saved["generator_ema.updates"]) == 8
    loaded = GenerativeModel.load(out)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value.cpu()), key
    z = torch.randn(4, model.latent_dim)
    torch.testing.assert_close(loaded.decode(z), _decode_with(model.generator_ema.net, z))


def _strip_ema(folder):
    weights = load_file(str(folder / "model.safetensors"))
    kept = {k: v for k, v in weights.items() if not k.startswith("generator_ema.")}
    save_file(kept, folder / "model.safetensors")
    return weights


def test_a_checkpoint_without_the_ema_loads_and_draws_from_the_raw_generator(trained, tmp_path):
    import shutil

    model, out = trained
    shutil.copytree(out, tmp_path / "old")
    weights = _strip_ema(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "config.json").read_text())
    for key in ("ema_decay", "ema_start", "ema_warmup", "generator", "r1_weight", "r1_every", "diffaug"):
        meta["config"].pop(key)  # a config.json written before these settings existed
    (tmp_path / "old" / "config.json").write_text(json.dumps(meta))
    old = GenerativeModel.load(tmp_path / "old")
    assert not old.generator_ema.ready
    assert old.config.diffaug == "none"  # what a run saved before DiffAugment existed trained with
    z = torch.randn(5, model.latent_dim)
    raw = _decode_with(model.generator, z)
    torch.testing.assert_close(old.decode(z), raw)  # the raw generator, not an untrained copy
    for mine, theirs in zip(old.generator_ema.net.parameters(), old.generator.parameters(), strict=True):
        assert torch.equal(mine, theirs)  # the average restarts from the loaded generator
    with torch.no_grad():  # and whatever the never-updated average holds, the raw generator draws
        for p in old.generator_ema.net.parameters():
            p.normal_()
    torch.testing.assert_close(old.decode(z), raw)
    weights.pop("generator.out.weight")  # any other missing tensor is still refused
    save_file(weights, tmp_path / "old" / "model.safetensors")
    with pytest.raises(CheckpointError, match="does not match"):
        GenerativeModel.load(tmp_path / "old")


def test_a_run_checkpointed_before_the_ema_resumes_averaging_its_own_generator(tiny_digits, tmp_path):
    cfg = TrainConfig(steps=4, batch_size=32)
    train("dcgan", tiny_digits, tmp_path, cfg, SMALL, progress=False)
    _strip_ema(tmp_path / "checkpoints" / "last")
    more = dataclasses.replace(cfg, steps=6)
    model, _ = train("dcgan", tiny_digits, tmp_path, more, None, resume=True, progress=False)
    assert int(model.generator_ema.updates) == 2


# ---- R1 ------------------------------------------------------------------------------------------------
class LinearCritic(nn.Module):
    """D(x, y) = w_y . x (w_0 without labels): grad_x D = w_y, so ||grad||^2 = ||w_y||^2 exactly."""

    def __init__(self, shape, classes=1):
        super().__init__()
        self.w = nn.Parameter(torch.randn(classes, int(torch.tensor(shape).prod())))

    def forward(self, x, labels=None):
        w = self.w[labels] if labels is not None else self.w[0].expand(len(x), -1)
        return (x.flatten(1) * w).sum(1)


def test_r1_of_a_linear_critic_is_its_squared_weight_norm():
    critic = LinearCritic((1, 4, 4), classes=3)
    x = torch.randn(6, 1, 4, 4, requires_grad=True)
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    expected = critic.w.detach().pow(2).sum(1)[y]
    torch.testing.assert_close(input_gradient_sq_norm(critic(x, y), x), expected)
    x2 = torch.randn(3, 2, 3, requires_grad=True)  # a non-linear one: D(x) = 0.5 ||x||^2, grad = x
    square = 0.5 * x2.pow(2).sum((1, 2))
    torch.testing.assert_close(input_gradient_sq_norm(square, x2), x2.detach().pow(2).sum((1, 2)))


@pytest.mark.parametrize("name", ["dcgan", "sngan", "cgan"])
def test_the_r1_term_of_the_discriminator_step(name):
    """The logged R1 is E||w_y||^2, and the critic's gradient grows by exactly γ * every * w (per class,
    weighted by its share of the batch) on R1 steps, nothing on the others."""
    gamma, every = 0.5, 3
    over = {**SMALL, "r1_weight": gamma, "r1_every": every, "diffaug": "none", "ema_decay": 0}
    model = build_model(name, (1, 4, 4), 3, over)
    model.discriminator = LinearCritic((1, 4, 4), classes=3)
    x, y = torch.rand(6, 1, 4, 4), torch.tensor([0, 1, 2, 2, 1, 2])
    w = model.discriminator.w.detach()

    def d_step(step, weight):
        model.config = dataclasses.replace(model.config, r1_weight=weight)
        torch.manual_seed(7)
        opt = Steps(model.configure_optimizers(), update=False)
        logs = model.train_step(x, y, opt, step)
        return logs, opt.grads["d"][0]

    labels = y if model.num_classes else torch.zeros(6, dtype=torch.long)
    logs, with_r1 = d_step(0, gamma)
    _, without = d_step(0, 0.0)
    assert float(logs["r1"]) == pytest.approx(float(w[labels].pow(2).sum(1).mean()), rel=1e-5)
    share = torch.bincount(labels, minlength=3).double() / len(labels)
    expected = gamma * every * share[:, None] * w.double()
    torch.testing.assert_close((with_r1 - without).double(), expected, rtol=1e-4, atol=1e-6)
    logs, lazy = d_step(1, gamma)  # not an R1 step: 1 % 3 != 0
    assert "r1" not in logs
    torch.testing.assert_close(lazy, d_step(1, 0.0)[1])


# ---- TTUR ----------------------------------------------------------------------------------------------
def test_each_player_learns_at_its_own_rate():
    model = build_model("dcgan", (1, 8, 8), overrides={**SMALL, "lr_g": 1e-4, "lr_d": 4e-4, "beta1": 0.0})
    opts = model.configure_optimizers()
    g, d = opts["g"].param_groups[0], opts["d"].param_groups[0]
    assert (g["lr"], d["lr"], g["betas"], d["betas"]) == (1e-4, 4e-4, (0.0, 0.999), (0.0, 0.999))
    assert [id(p) for p in g["params"]] == [id(p) for p in model.generator.parameters()]
    assert [id(p) for p in d["params"]] == [id(p) for p in model.discriminator.parameters()]


# ---- what diffaug means -------------------------------------------------------------------------------
def test_diffaug_ada_adapts_the_full_policy_and_auto_settles_from_the_training_split():
    assert GANConfig().diffaug == "auto"  # settled from the data: ada on small splits, none on large
    ada, fixed, off = GANConfig(diffaug="ada"), GANConfig(diffaug="cutout, color"), GANConfig(diffaug="none")
    assert (
        (ada.diffaug_policy, ada.diffaug_adaptive)
        == (FULL, True)
        == (("color", "translation", "cutout"), True)
    )
    assert (fixed.diffaug_policy, fixed.diffaug_adaptive) == (("cutout", "color"), False)
    assert (off.diffaug_policy, off.diffaug_adaptive) == ((), False)
    # auto: ada below small_data's 5,000 training images, none from there on; an explicit choice stays
    assert GANConfig(diffaug="auto").for_data(4_999).diffaug == "ada"
    assert GANConfig(diffaug="auto").for_data(5_000).diffaug == "none"
    assert GANConfig(diffaug="cutout").for_data(10).diffaug == "cutout"
    auto = {"diffaug": "auto"}
    assert build_model("dcgan", (1, 8, 8), overrides=auto, n_train=500).config.diffaug == "ada"
    assert build_model("dcgan", (1, 8, 8), overrides=auto, n_train=50_000).config.diffaug == "none"
    unsettled = build_model("dcgan", (1, 8, 8), overrides=auto)  # no data yet: augments nothing
    assert unsettled.config.diffaug == "auto" and unsettled.config.diffaug_policy == ()
    # the probability each op is applied with, before training: ada starts at 0, a fixed policy is 1
    assert build_model("dcgan", (1, 8, 8), overrides={"diffaug": "ada"}).ada.value == 0.0
    assert build_model("dcgan", (1, 8, 8), overrides={"diffaug": "cutout"}).ada.value == 1.0
    assert build_model("dcgan", (1, 8, 8), overrides={"diffaug": "none"}).ada.value == 0.0
    with pytest.raises(ConfigError, match="unknown DiffAugment policy 'blur'"):
        build_model("dcgan", (1, 8, 8), overrides={"diffaug": "color,blur"})
    with pytest.raises(ConfigError, match="ada_target must lie in"):
        build_model("dcgan", (1, 8, 8), overrides={"ada_kimg": 0})


def test_training_says_what_diffaug_does_and_saves_it(trained, tiny_digits, caplog):
    model, out = trained  # diffaug=auto on tiny_digits (a small split): settled to ada and saved so
    assert json.loads((out / "config.json").read_text())["config"]["diffaug"] == "ada"
    assert GenerativeModel.load(out).config.diffaug == "ada"
    notes = {}
    for policy in ("auto", "color,cutout", "none"):
        fresh = build_model("dcgan", tiny_digits.shape, overrides={**SMALL, "diffaug": policy})
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="ganvae.training.loop"):
            Trainer(TrainConfig(steps=1, batch_size=32), progress=False).fit(fresh, tiny_digits)
        notes[policy] = [r.getMessage() for r in caplog.records if "DiffAugment" in r.getMessage()]
        if policy == "auto":  # built without the data's size: settled when training starts
            assert fresh.config.diffaug == "ada"
    assert notes["auto"] == [
        "dcgan: adaptive DiffAugment (diffaug=ada, ADA): color, translation and cutout each reach a share p "
        "of the discriminator's real and fake images; p (0 in a new run) moves every 4 steps by up to 1 per "
        "20,000 images, up while over 0.9 of the real images are judged real, down otherwise (log: aug_p); "
        "--set diffaug=none turns it off"
    ]
    assert notes["color,cutout"] == [
        "dcgan: DiffAugment (color,cutout) on every real and fake image the discriminator sees; "
        "diffaug=ada applies it only as much as the discriminator overfits, --set diffaug=none turns it off"
    ]
    assert notes["none"] == []


def test_resuming_with_diffaug_auto_asked_again_is_not_a_change(trained, tiny_digits, tmp_path):
    cfg = TrainConfig(steps=2, batch_size=32)
    train("dcgan", tiny_digits, tmp_path, cfg, {**SMALL, "diffaug": "auto"}, progress=False)
    more = dataclasses.replace(cfg, steps=3)
    train("dcgan", tiny_digits, tmp_path, more, {**SMALL, "diffaug": "auto"}, resume=True, progress=False)
    with pytest.raises(ConfigError, match="cannot change the model"):
        train("dcgan", tiny_digits, tmp_path, more, {**SMALL, "diffaug": "none"}, resume=True, progress=False)


# ---- the search space ----------------------------------------------------------------------------------
def test_the_search_space_names_fields_and_every_extreme_is_a_valid_config():
    space = GANConfig.search_space
    assert isinstance(space, dict) and all(isinstance(p, Param) for p in space.values())
    assert set(space) <= {f.name for f in dataclasses.fields(GANConfig)}
    assert "search_space" not in {f.name for f in dataclasses.fields(GANConfig)}
    assert space["lr_g"] == Param("log", 1e-5, 1e-3) and space["lr_d"] == Param("log", 1e-5, 1e-3)
    assert 0.0 in space["r1_weight"].choices and 0.0 in space["ema_decay"].choices
    for name in GANS:  # every value a search may propose builds each registered GAN
        preset = MODELS.get(name).extra["preset"]
        for key, param in space.items():
            for value in param.extremes():
                assert getattr(apply_overrides(preset, {key: value}), key) == value


def test_a_search_parameter_is_checked_when_declared():
    with pytest.raises(ConfigError, match="low > 0"):
        Param("log", 0.0, 1.0)
    with pytest.raises(ConfigError, match="needs choices"):
        Param("categorical")
    with pytest.raises(ConfigError, match="low <= high"):
        Param("float", 2.0, 1.0)
    with pytest.raises(ConfigError, match="unknown"):
        Param("normal", 0.0, 1.0)  # type: ignore[arg-type]
    assert Param("int", 1, 5).extremes() == (1, 5)
