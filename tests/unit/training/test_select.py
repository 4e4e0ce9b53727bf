"""Choosing a run's checkpoint on an in-training figure (`TrainConfig.select`, issue 21) and the
`--augment` transforms of the training batches."""

from __future__ import annotations

import json
import os
import signal

import pytest
import torch
from safetensors.torch import load_file

from ganvae.models import build_model
from ganvae.training import Interrupted, TrainConfig
from ganvae.training.augment import augment_batch, flip
from ganvae.training.run import train

SMALL = {"width": 8, "latent_dim": 8}
# the figure each evaluation returns, by step: lowest at step 8, then worse (an overfitting run)
SCRIPT = {1: 9.0, 4: 7.0, 8: 1.0, 12: 3.0, 16: 5.0, 20: 8.0}


class Scripted:
    """An evaluator that returns SCRIPT[step] as "val_fd" and keeps a copy of the weights it was shown."""

    def __init__(self):
        self.seen: dict[int, dict[str, torch.Tensor]] = {}
        self.step = 0

    def __call__(self, model):
        self.step = max(model_step for model_step in SCRIPT if model_step <= self._count(model))
        self.seen[self.step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return {"val_fd": SCRIPT[self.step], "fd": 0.0}

    @staticmethod
    def _count(model):
        return model._test_step  # set by the patched train_step below


@pytest.fixture
def counted(monkeypatch):
    """Every model class records the steps it took, so the scripted evaluator knows where it is."""

    def patch(cls):
        original = cls.train_step

        def step(self, x, y, opt, i):
            self._test_step = i + 1
            return original(self, x, y, opt, i)

        monkeypatch.setattr(cls, "train_step", step)
        return original

    return patch


def _generator_weight(state):
    return next(k for k in state if k.startswith("generator.") and k.endswith("weight"))


CFG = TrainConfig(
    steps=20, batch_size=32, eval_every=4, checkpoint_every=8, log_every=4, seed=1, select="val_fd"
)


def test_the_weights_of_the_lowest_figure_are_kept(tiny_digits, tmp_path, counted):
    counted(type(build_model("dcgan", tiny_digits.shape)))
    ev = Scripted()
    _, trainer = train("dcgan", tiny_digits, tmp_path / "r", CFG, SMALL, progress=False, evaluate=ev)
    saved = load_file(str(tmp_path / "r" / "model.safetensors"))
    assert set(ev.seen) == set(SCRIPT)
    for key, value in ev.seen[8].items():
        torch.testing.assert_close(saved[key], value, rtol=0, atol=0, msg=key)
    key = _generator_weight(saved)
    assert not torch.equal(ev.seen[8][key], ev.seen[20][key])  # training went on after step 8
    log = [json.loads(x) for x in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    assert [r for r in log if r.get("kind") == "selected"] == [
        {"kind": "selected", "step": 8, "of": "val_fd", "value": 1.0}
    ]
    # the FD curve still shows where training went: every evaluation, the last included
    assert [r["step"] for r in log if r.get("kind") == "eval"] == sorted(SCRIPT)
    result = json.loads((tmp_path / "r" / "config.json").read_text())["result"]
    assert result["selected"] == {"of": "val_fd", "value": 1.0, "step": 8} and result["step"] == 20
    assert trainer.best_.step == 8


def test_without_select_the_last_weights_are_kept(tiny_digits, tmp_path, counted):
    counted(type(build_model("dcgan", tiny_digits.shape)))
    ev = Scripted()
    cfg = TrainConfig(**{**CFG.__dict__, "select": None})
    train("dcgan", tiny_digits, tmp_path / "r", cfg, SMALL, progress=False, evaluate=ev)
    saved = load_file(str(tmp_path / "r" / "model.safetensors"))
    key = _generator_weight(saved)
    torch.testing.assert_close(saved[key], ev.seen[20][key], rtol=0, atol=0)
    assert "selected" not in json.loads((tmp_path / "r" / "config.json").read_text())["result"]


def test_a_vae_refits_its_prior_on_the_kept_weights(tiny_digits, tmp_path, counted):
    counted(type(build_model("vae", tiny_digits.shape)))
    ev = Scripted()
    model, _ = train("vae", tiny_digits, tmp_path / "r", CFG, SMALL, progress=False, evaluate=ev)
    # an independent refit: the weights seen at step 8, the mixture fitted to their codes
    fresh = build_model("vae", tiny_digits.shape, overrides=SMALL)
    fresh.load_state_dict({k: v for k, v in ev.seen[8].items() if not k.startswith("prior_")}, strict=False)
    fresh.fit_prior(tiny_digits.x_train)
    torch.testing.assert_close(model.prior_means, fresh.prior_means)
    torch.testing.assert_close(model.prior_weights, fresh.prior_weights)
    assert model.prior_fitted


def test_a_resumed_run_chooses_among_every_evaluation(tiny_digits, tmp_path, monkeypatch, counted):
    cls = type(build_model("dcgan", tiny_digits.shape))
    counted(cls)
    train("dcgan", tiny_digits, tmp_path / "a", CFG, SMALL, progress=False, evaluate=Scripted())
    patched = cls.train_step

    def interrupt(self, x, y, opt, step):
        if step == 12:  # after the best (step 8) and its checkpoint, before the end
            os.kill(os.getpid(), signal.SIGINT)
        return patched(self, x, y, opt, step)

    monkeypatch.setattr(cls, "train_step", interrupt)
    with pytest.raises(Interrupted):
        train("dcgan", tiny_digits, tmp_path / "b", CFG, SMALL, progress=False, evaluate=Scripted())
    monkeypatch.setattr(cls, "train_step", patched)
    train("dcgan", tiny_digits, tmp_path / "b", CFG, None, resume=True, progress=False, evaluate=Scripted())
    a, b = (load_file(str(tmp_path / r / "model.safetensors")) for r in "ab")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


def test_flip_mirrors_about_half_the_images_left_right():
    x = torch.rand(4000, 1, 3, 5)
    out = flip(x, torch.Generator().manual_seed(0))
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert bool((mirrored | kept).all())  # each image is itself or its mirror image, nothing else
    share = mirrored.float().mean().item()
    assert abs(share - 0.5) < 5 * (0.25 / 4000) ** 0.5  # a fair coin per image (5 sigma)
    assert torch.equal(augment_batch("none", x), x)
    rows = torch.rand(8, 12)  # rows of a table are not images: nothing to mirror
    assert torch.equal(augment_batch("flip", rows), rows)


def test_augment_is_checked():
    from ganvae.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown --augment 'rotate'"):
        TrainConfig(augment="rotate").validate()


def test_a_run_that_keeps_its_best_weights_is_not_warned_about_memorising(tiny_digits, caplog):
    import logging

    from ganvae.training import Trainer
    from ganvae.training.loop import MANY_PASSES

    n = len(tiny_digits.x_train)
    for select, warned in ((None, True), ("val_fd", False)):
        caplog.clear()
        model = build_model("vae", tiny_digits.shape, overrides={"latent_dim": 2, "width": 4})
        cfg = TrainConfig(steps=MANY_PASSES, batch_size=n, eval_every=50, select=select)
        with caplog.at_level(logging.INFO, logger="ganvae.training.loop"):
            Trainer(cfg, progress=False, evaluate=lambda m: {"val_fd": 1.0}).fit(model, tiny_digits)
        assert any("is seen about" in r.getMessage() for r in caplog.records) == warned
