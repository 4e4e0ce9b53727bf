"""Claim verdicts on hand-built summaries: holds / does not hold / inconclusive by the documented rules."""

from __future__ import annotations

from ganvae.claims import FAILS, HOLDS, UNSURE, evaluate_claims

FAMILIES = {"vae": "vae", "dcgan": "gan", "wgan-gp": "gan"}


def _s(mean, std=0.1, n=3):
    return {"mean": mean, "std": std, "n": n, "values": []}


def _claim(results, number):
    return next(r for r in results if r.number == number)


def test_claim1_holds_when_gan_better_on_fd_and_sharpness():
    summary = {
        "vae": {"fd": _s(50), "sharpness_ratio": _s(0.4, 0.02)},
        "dcgan": {"fd": _s(10), "sharpness_ratio": _s(1.1, 0.02)},
    }
    assert _claim(evaluate_claims(summary, FAMILIES), 1).verdict == HOLDS


def test_claim1_does_not_hold_when_vae_clearly_better():
    summary = {
        "vae": {"fd": _s(5), "sharpness_ratio": _s(1.2, 0.02)},
        "dcgan": {"fd": _s(40), "sharpness_ratio": _s(0.5, 0.02)},
    }
    assert _claim(evaluate_claims(summary, FAMILIES), 1).verdict == FAILS


def test_overlapping_spreads_and_single_seed_are_inconclusive():
    overlap = {
        "vae": {"fd": _s(10, 3), "sharpness_ratio": _s(1.0)},
        "dcgan": {"fd": _s(9, 3), "sharpness_ratio": _s(1.0)},
    }
    assert _claim(evaluate_claims(overlap, FAMILIES), 1).verdict == UNSURE
    single = {
        "vae": {"fd": _s(50, 0, 1), "sharpness_ratio": _s(0.4, 0, 1)},
        "dcgan": {"fd": _s(10, 0, 1), "sharpness_ratio": _s(1.1, 0, 1)},
    }
    assert _claim(evaluate_claims(single, FAMILIES), 1).verdict == UNSURE


def test_best_model_of_each_family_is_compared():
    summary = {
        "vae": {"recon_psnr": _s(20, 0.1), "recon_ssim": _s(0.9, 0.01)},
        "dcgan": {"recon_psnr": _s(15, 0.1), "recon_ssim": _s(0.6, 0.01)},
        "wgan-gp": {"recon_psnr": _s(25, 0.1), "recon_ssim": _s(0.95, 0.01)},
    }
    c7 = _claim(evaluate_claims(summary, FAMILIES), 7)
    assert c7.verdict == FAILS and c7.checks[0].gan.model == "wgan-gp"


def test_absolute_checks_novelty_and_stochasticity():
    summary = {
        "vae": {
            "memorisation_ratio": _s(1.2, 0.05),
            "copy_share": _s(0.0, 0.0),
            "decode_variance": _s(0.01, 0.001),
        },
        "dcgan": {
            "memorisation_ratio": _s(0.5, 0.05),
            "copy_share": _s(0.2, 0.01),
            "decode_variance": _s(0.0, 0.0),
        },
    }
    res = evaluate_claims(summary, FAMILIES)
    assert _claim(res, 6).verdict == FAILS  # the GAN copies
    assert _claim(res, 8).verdict == HOLDS


def test_stability_needs_a_clear_ratio():
    clear = {"vae": {"fd_cv": _s(0.05, 0)}, "dcgan": {"fd_cv": _s(0.30, 0)}}
    assert _claim(evaluate_claims(clear, FAMILIES), 4).verdict == HOLDS
    close = {"vae": {"fd_cv": _s(0.05, 0)}, "dcgan": {"fd_cv": _s(0.06, 0)}}
    assert _claim(evaluate_claims(close, FAMILIES), 4).verdict == UNSURE


def test_missing_family_is_inconclusive():
    summary = {"vae": {"fd": _s(10), "sharpness_ratio": _s(1.0)}}
    assert all(r.verdict == UNSURE for r in evaluate_claims(summary, {"vae": "vae"}))
