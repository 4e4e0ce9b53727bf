"""`compare.summarise` and the evaluation reference: the figures the claims stand on (issue 15 A4, A7, A8)."""

from __future__ import annotations

import math

import pytest
import torch

from ganvae import metrics as M
from ganvae.compare import summarise
from ganvae.data.images import ImageData
from ganvae.evaluate.images import EvalConfig, Reference


def run(model, seed, fd, *, diverged=False, curve=None, family="gan"):
    r = {"model": model, "seed": seed, "family": family, "diverged": diverged, "curve": curve or []}
    if fd is not None:
        r["metrics"] = {"fd": fd}
    return r


def test_a7_blown_up_and_stopped_runs_count_in_stability():
    runs = [
        run("dcgan", 0, 20.0),
        run("dcgan", 1, 21.0),
        run("dcgan", 2, 400.0, diverged=True),  # FD blew up during training: it has a final FD
        run("dcgan", 3, None, diverged=True),  # stopped on NaN: no FD at all
        *[run("vae", s, fd, family="vae") for s, fd in enumerate([20.0, 20.5, 21.0, 20.2])],
    ]
    summary, _ = summarise(runs)
    gan = summary["dcgan"]
    assert gan["fd_spread"]["n"] == 3 and math.log(400.0) in gan["fd_spread"]["values"]
    assert gan["fd_spread"]["mean"] > 10 * summary["vae"]["fd_spread"]["mean"]
    assert (gan["diverged_share"]["k"], gan["diverged_share"]["n"]) == (2, 4)
    assert gan["diverged_share"]["lo"] > 0  # a binomial interval, never a zero-width spread


def test_a8_fd_target_is_set_at_the_curves_sample_size():
    """Final FD at 1,000 samples is 10, the same models' curve FD at 256 samples ends at 20 (FD is biased
    upwards at small N): a target set from the 1,000-sample figure (15) would never be reached."""
    curve = [(1.0, 10, 60.0), (2.0, 20, 25.0), (3.0, 30, 20.0)]
    runs = [
        run(m, s, 10.0, curve=curve, family=f) for m, f in (("dcgan", "gan"), ("vae", "vae")) for s in (0, 1)
    ]
    summary, extra = summarise(runs)
    assert extra["fd_target"] == pytest.approx(30.0)
    assert summary["vae"]["reach_share"]["k"] == 2
    assert summary["vae"]["time_to_target_s"]["mean"] == 2.0


class PixelFeatures:
    """A feature extractor that is the identity on pixels."""

    feature_name = "pixels"

    def features(self, x):
        return x.flatten(1).float()


def test_a4_memorisation_searches_the_whole_training_split():
    g = torch.Generator().manual_seed(0)
    data = ImageData("toy", torch.rand(6000, 1, 4, 4, generator=g), torch.rand(200, 1, 4, 4, generator=g))
    ref = Reference(data, PixelFeatures(), EvalConfig(n_samples=100))
    assert len(ref.train_feat) == 6000
    copies = data.x_train[-300:]  # copies of images a 5,000-image subsample would partly miss
    mem = M.memorisation(ref.classifier.features(copies), ref.train_feat, ref.test_feat)
    assert mem["copy_share"] == 1.0
