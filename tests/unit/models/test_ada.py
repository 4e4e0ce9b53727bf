"""ADA's adaptive augmentation probability (Karras et al. 2020, section 3): the update rule against hand
computations; known answers in a GAN's training step (a discriminator that memorises its training images
drives p up, to the closed-form p at which the share of untouched images meets the target; one that
cannot tell real from fake keeps p at 0); the Wasserstein critic's shift-invariant heuristic; exact resume;
what a model saved before ADA says it used."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ganvae.models import GenerativeModel, build_model
from ganvae.nn.ada import P_MAX, AdaptiveProbability, adjusted
from ganvae.training import TrainConfig
from ganvae.training.run import train

SMALL = {"width": 8, "latent_dim": 8, "inversion_steps": 5, "ema_decay": 0}


# ---- the update rule -----------------------------------------------------------------------------------
def test_the_update_rule_by_hand():
    # batch 64 x interval 4 = 256 images; 20,000 images take p from 0 to 1: a step of 0.0128
    assert adjusted(0.3, 0.7, 0.6, 256, 20_000) == pytest.approx(0.3128, abs=1e-12)
    assert adjusted(0.3, 0.5, 0.6, 256, 20_000) == pytest.approx(0.2872, abs=1e-12)
    assert adjusted(0.3, 0.6, 0.6, 256, 20_000) == 0.3  # sign(0): no move
    assert adjusted(0.005, -1.0, 0.6, 256, 20_000) == 0.0  # clamped at 0
    assert adjusted(0.98, 1.0, 0.6, 256, 20_000) == P_MAX < 1  # and below 1
    assert adjusted(0.0, 1.0, 0.6, 100, 500_000) == pytest.approx(2e-4)  # ADA's own speed


def test_the_heuristic_over_an_interval_by_hand():
    ada = AdaptiveProbability()
    ada.observe(torch.tensor([3.0, -0.5, 0.0, 2.0]))  # signs +1 -1 0 +1
    ada.observe(torch.tensor([1.0, 1.0, 1.0, -4.0]))  # +1 +1 +1 -1
    assert int(ada.signs) == 3 and int(ada.seen) == 8
    ada.update(target=0.3, images_to_one=80)  # r = 3 / 8 = 0.375 > 0.3: p += 8 / 80
    assert float(ada.r) == 0.375 and ada.value == pytest.approx(0.1)
    assert int(ada.signs) == 0 and int(ada.seen) == 0  # the next interval starts empty
    ada.observe(torch.tensor([-1.0, -1.0]))
    ada.update(target=0.3, images_to_one=80)  # r = -1: p -= 2 / 80
    assert float(ada.r) == -1.0 and ada.value == pytest.approx(0.075)
    ada.observe(torch.tensor([1.0]))
    ada.update(target=0.3, images_to_one=80, adapt=False)  # measured only (a fixed policy, or none)
    assert float(ada.r) == 1.0 and ada.value == pytest.approx(0.075)


# ---- known answers in the GAN ----------------------------------------------------------------------------
class Memoriser(nn.Module):
    """A discriminator that has memorised its training images: logit +5 on an exact training image (as
    the data gives it, in [-1, 1]), -5 on anything else -- an augmented image included."""

    def __init__(self, x_train: torch.Tensor):
        super().__init__()
        self.train_set = x_train.flatten(1) * 2 - 1
        self.w = nn.Parameter(torch.zeros(()))  # something for its optimizer

    def forward(self, x, labels=None):
        flat = x.flatten(1).float()
        dist = torch.cdist(flat, self.train_set, compute_mode="donot_use_mm_for_euclid_dist")
        seen = (dist.min(1).values < 1e-5).float()
        # + 0 x (w + sum x): a gradient path (zero) for its optimizer and for WGAN-GP's penalty
        return 10 * seen - 5 + 0 * (self.w + flat.sum(1))


class Coin(nn.Module):
    """A discriminator that cannot tell: logits from a fixed random linear map of centred images."""

    def __init__(self, d: int):
        super().__init__()
        self.w = nn.Parameter(torch.randn(d, generator=torch.Generator().manual_seed(0)))

    def forward(self, x, labels=None):
        x = x.flatten(1)
        return ((x - x.mean(1, keepdim=True)) * self.w).sum(1)


class Plain:
    def __init__(self, optimizers):
        self.optimizers = optimizers

    def __getitem__(self, name):
        return self.optimizers[name]

    def step(self, name, loss):
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        if loss.requires_grad:
            loss.backward()
        opt.step()


def _drive(model, x, steps, batch=64, seed=0):
    torch.manual_seed(seed)
    opt = Plain(model.configure_optimizers())
    ps = []
    for step in range(steps):
        idx = torch.randint(len(x), (batch,))
        logs = model.train_step(x[idx], None, opt, step)
        ps.append(float(logs["aug_p"]))
    return ps


def _untouched(p: float, h: int) -> float:
    """The share of 1-channel H x H images with values in (0, 1) that the full policy leaves exactly as
    they were at probability p: brightness, contrast and cutout change every image they reach (saturation
    is the identity on one channel); translation leaves one of its (2s+1)^2 shifts, (0, 0), unchanged."""
    s = int(h * 0.125 + 0.5)
    return (1 - p) ** 3 * (1 - p * (1 - 1 / (2 * s + 1) ** 2))


def test_a_memorising_discriminator_drives_p_up_to_where_the_target_is_met():
    # r_t = P(untouched) - P(touched) = 2 u(p) - 1; it meets the target 0.6 where u(p) = 0.8
    x = 0.1 + 0.8 * torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    over = {**SMALL, "diffaug": "ada", "ada_interval": 4, "ada_kimg": 10.0, "ada_target": 0.6}
    model = build_model("dcgan", (1, 8, 8), overrides=over)
    model.discriminator = Memoriser(x)
    ps = _drive(model, x, 400)
    step = 64 * 4 / 10_000
    # while every real image is untouched and recognised (r = 1), p climbs one step per interval
    assert ps[:9] == pytest.approx([0.0] * 4 + [step] * 4 + [2 * step], abs=1e-6)
    lo, hi = 0.0, 1.0  # the closed form's root, by bisection
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _untouched(mid, 8) > 0.8 else (lo, mid)
    settled = sum(ps[100:]) / 300
    assert settled == pytest.approx(lo, abs=0.01), (settled, lo)  # lo = 0.056
    assert max(ps[100:]) < 3 * lo  # it stays there, not drifting up


def test_a_discriminator_that_cannot_tell_keeps_p_at_zero():
    x = torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    model = build_model("dcgan", (1, 8, 8), overrides={**SMALL, "diffaug": "ada", "ada_kimg": 1.0})
    model.discriminator = Coin(64)
    torch.manual_seed(0)
    opt, rs = Plain(model.configure_optimizers()), []
    for step in range(200):
        logs = model.train_step(x[torch.randint(400, (64,))], None, opt, step)
        assert float(logs["aug_p"]) == 0.0  # a fast speed (a step of 0.256), and still never a move
        if "ada_r" in logs:
            rs.append(float(logs["ada_r"]))
    assert len(rs) == 50 and abs(sum(rs) / len(rs)) < 0.15  # r_t ~ 0


def test_the_critics_heuristic_ignores_a_constant_added_to_the_critic():
    """wgan-gp: a real image counts as judged real when it scores above the batch's mean fake; adding a
    constant to a critic changes nothing it trains on, and nothing in p. (BCE's threshold 0 is absolute.)"""
    x = 0.1 + 0.8 * torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(0))

    def shifted(name, shift, steps=120):
        class Shifted(Memoriser):
            def forward(self, x, labels=None):
                return super().forward(x, labels) + shift

        model = build_model(name, (1, 8, 8), overrides={**SMALL, "diffaug": "ada", "ada_kimg": 10.0})
        model.discriminator = Shifted(x)
        return _drive(model, x, steps)

    critic = shifted("wgan-gp", 0.0)
    assert max(critic) > 0.03  # it memorises: p rises
    assert shifted("wgan-gp", 100.0) == critic  # the same p at every step
    # BCE: every real logit of the shifted memoriser is > 0, so r = 1 throughout and p climbs to its cap
    assert shifted("dcgan", 100.0, steps=4 * 40)[-1] == pytest.approx(P_MAX)


# ---- state: resume and old models -------------------------------------------------------------------------
FAST = {**SMALL, "diffaug": "ada", "ada_kimg": 0.5, "ada_target": 0.0, "ada_interval": 4}


def test_a_resumed_run_continues_p_and_its_interval_exactly(tiny_digits, tmp_path):
    cfg = TrainConfig(steps=22, batch_size=32, seed=2)
    train("dcgan", tiny_digits, tmp_path / "a", cfg, FAST, progress=False)
    # stop inside an interval (14 = 3 x 4 + 2 steps; p moved at step 12), so its unfinished sums must
    # come back too
    train("dcgan", tiny_digits, tmp_path / "b", dataclasses.replace(cfg, steps=14), FAST, progress=False)
    ckpt = load_file(str(tmp_path / "b" / "checkpoints" / "last" / "model.safetensors"))
    assert int(ckpt["ada.seen"]) == 2 * 32 and float(ckpt["ada.p"]) > 0
    train("dcgan", tiny_digits, tmp_path / "b", cfg, None, resume=True, progress=False)
    a = load_file(str(tmp_path / "a" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert 0 < float(a["ada.p"]) != float(ckpt["ada.p"])
    loaded = GenerativeModel.load(tmp_path / "a")
    assert loaded.ada.value == float(a["ada.p"])  # the saved model says the p it reached
    records = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert "aug_p" in records[-1] and "ada_r" in records[-1]


def test_a_model_saved_before_ada_loads_and_says_what_it_used(tiny_digits, tmp_path):
    cfg = TrainConfig(steps=2, batch_size=32)
    for policy in ("color,translation,cutout", "none"):  # what old configs hold (auto was settled)
        out = tmp_path / policy
        train("dcgan", tiny_digits, out, cfg, {**SMALL, "diffaug": policy}, progress=False)
        weights = load_file(str(out / "model.safetensors"))
        save_file({k: v for k, v in weights.items() if not k.startswith("ada.")}, out / "model.safetensors")
        meta = json.loads((out / "config.json").read_text())
        for key in ("ada_target", "ada_interval", "ada_kimg"):
            meta["config"].pop(key)
        (out / "config.json").write_text(json.dumps(meta))
        old = GenerativeModel.load(out)
        assert old.config.diffaug == policy and old.absent_state_ == ("ada.",)
        assert old.ada.value == (1.0 if policy != "none" else 0.0)  # a fixed policy reached every image
    # a config saved before DiffAugment existed trained without it, whatever today's default
    meta["config"].pop("diffaug")
    (tmp_path / "none" / "config.json").write_text(json.dumps(meta))
    assert GenerativeModel.load(tmp_path / "none").config.diffaug == "none"
