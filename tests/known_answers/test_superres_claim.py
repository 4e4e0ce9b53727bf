"""Known-answer tests of the super-resolution claim ("GAN super-resolution looks sharper and more realistic
but is less faithful pixel by pixel than a regression or VAE model"): stand-in arms whose outputs are made
from the truth go through the task's real figures (`tasks.superres.figures`: PSNR, FD in the digits'
domain features, sharpness) and summary, and the claim must get the verdict each construction deserves.

Stand-ins, on real 8x8 digits at scale 2 (each seed adds its own N(0, 0.01²) noise, so seeds differ):
- "shifted": the truth moved one pixel right: as realistic and sharp as real digits, but misplaced, so
  pixel by pixel it is further from the truth than bicubic — the GAN the claim describes;
- "truth": the true image; "bicubic": bicubic upsampling of the input (blurry, faithful on average);
- "noisy": the truth plus strong noise (σ = 0.5): a sharpness ratio far above 1 that must not count as
  "sharper"."""

from __future__ import annotations

import pytest
import torch

from ganvae.experiment.superres_claim import judge
from ganvae.experiment.verdicts import FAILS, HOLDS, UNSURE
from ganvae.tasks.superres import bicubic, figures, make_scene, summarise

SEEDS = 3


@pytest.fixture(scope="module")
def scene(digits):
    from ganvae.features import get_domain_classifier

    return make_scene(digits, 200, 2, get_domain_classifier(digits))


def _noise(x: torch.Tensor, seed: int, sigma: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)


def _output(kind: str, scene, seed: int) -> torch.Tensor:
    truth = scene.truth
    if kind == "truth":
        base = truth
    elif kind == "bicubic":
        base = bicubic(scene.lr, 2)
    elif kind == "shifted":
        base = torch.roll(truth, 1, dims=-1)
        base[..., 0] = 0.0
    else:
        assert kind == "noisy"
        base = _noise(truth, 100 + seed, 0.5)
    return _noise(base, seed, 0.01)


@pytest.fixture(scope="module")
def records(scene):
    cache: dict[tuple[str, int], dict] = {}

    def get(kind: str, seed: int) -> dict:
        if (kind, seed) not in cache:
            out = _output(kind, scene, seed)
            # several draws per input: the output and a second noisy version of it
            draws = torch.stack([out[:32], _noise(out[:32], 50 + seed, 0.05)])
            cache[kind, seed] = {**figures(out, draws, scene), "upscale_s_per_image": 0.0}
        return cache[kind, seed]

    return get


def claim_of(records, arms: dict[str, tuple[str, str]], seeds: int = SEEDS) -> dict:
    """arms: name -> (family, stand-in kind); the claim as the task's summary judges it."""
    runs = [
        {"method": name, "family": fam, "seed": s, **records(kind, s)}
        for name, (fam, kind) in arms.items()
        for s in range(seeds)
    ]
    from types import SimpleNamespace

    data = SimpleNamespace(shape=(1, 8, 8))
    return summarise(runs, SimpleNamespace(scale=2), data, 200, 3.0)["claim"]


def _checks(claim: dict) -> dict[tuple[str, str], str]:
    return {(c["aspect"], c["against"]): c["verdict"] for c in claim["checks"]}


def test_a_plausible_but_misplaced_gan_makes_the_claim_hold(records):
    claim = claim_of(
        records, {"gan": ("gan", "shifted"), "reg": ("regression", "bicubic"), "vae": ("vae", "bicubic")}
    )
    assert claim["verdict"] == HOLDS, claim
    assert set(_checks(claim).values()) == {HOLDS} and len(claim["checks"]) == 6


def test_a_gan_that_returns_the_truth_is_not_less_faithful(records):
    claim = claim_of(records, {"gan": ("gan", "truth"), "reg": ("regression", "bicubic")})
    checks = _checks(claim)
    assert claim["verdict"] == FAILS
    assert checks["less faithful", "regression"] == FAILS
    assert checks["more realistic", "regression"] == HOLDS and checks["sharper", "regression"] == HOLDS
    assert "not less faithful than regression" in claim["reason"]


def test_noise_does_not_count_as_sharper(records, scene):
    claim = claim_of(records, {"gan": ("gan", "noisy"), "vae": ("vae", "shifted")})
    # the noisy arm is far sharper than the truth, the shifted one about as sharp: noise is further off
    noisy = figures(_output("noisy", scene, 0), None, scene)["sr_sharpness_ratio"]
    assert noisy > 1.8
    checks = _checks(claim)
    assert checks["sharper", "vae"] == FAILS and checks["more realistic", "vae"] == FAILS
    assert claim["verdict"] == FAILS


def test_identical_arms_are_inconclusive(records):
    claim = claim_of(
        records, {"gan": ("gan", "bicubic"), "reg": ("regression", "bicubic"), "vae": ("vae", "bicubic")}
    )
    assert claim["verdict"] == UNSURE and set(_checks(claim).values()) == {UNSURE}
    assert all("includes no difference" in c["reason"] for c in claim["checks"])


def test_one_seed_is_inconclusive(records):
    claim = claim_of(records, {"gan": ("gan", "shifted"), "reg": ("regression", "bicubic")}, seeds=1)
    assert claim["verdict"] == UNSURE
    assert all(c["reason"] == "one seed: no spread to judge by" for c in claim["checks"])


def test_a_missing_side_is_inconclusive_and_says_why():
    claim = judge({"reg": {"family": "regression"}, "bicubic": {"family": "baseline"}})
    assert claim["verdict"] == UNSURE and claim["reason"] == "no GAN arm was run"
    claim = judge({"g": {"family": "gan"}, "bicubic": {"family": "baseline"}})
    assert claim["verdict"] == UNSURE and claim["reason"] == "no regression or VAE arm was run"


def test_truth_scores_the_bounds_of_every_figure(scene):
    """The figures' known answers: the truth has PSNR at the cap, SSIM 1, sharpness ratio 1, the FD
    floor, full consistency; a stochastic arm's draw variance equals the variance of its draws."""
    found = figures(scene.truth, torch.stack([scene.truth[:4], scene.truth[:4] + 0.1]), scene)
    assert found["sr_psnr"] == 100.0 and found["sr_ssim"] == pytest.approx(1.0)
    assert found["sr_sharpness_ratio"] == pytest.approx(1.0) and found["consistency_psnr"] == 100.0
    assert found["fd"] == pytest.approx(scene.fd(scene.truth))
    assert found["decode_variance"] == pytest.approx(0.1**2 / 2, rel=1e-5)  # two draws 0.1 apart
