"""Claim verdicts on hand-built summaries whose right answer is known. Each test named after a defect of
the old verdict layer (issue 15, A1-A11) gave the wrong verdict there."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ganvae.experiment.claims import FAILS, HOLDS, UNSURE, evaluate_claims
from ganvae.experiment.verdicts import estimate, share, spread, use_case_row

FAMILIES = {"vae": "vae", "dcgan": "gan", "wgan-gp": "gan", "beta-vae": "vae"}


def seeds(mean, delta=0.1, n=3):
    """n per-seed values around `mean`, spread by `delta`."""
    return estimate([mean + delta * (i - (n - 1) / 2) for i in range(n)])


def claim(summary, number, families=FAMILIES):
    return next(r for r in evaluate_claims(summary, families) if r.number == number)


def test_claim1_holds_when_gan_better_on_fd_and_closer_to_real_sharpness():
    summary = {
        "vae": {"fd": seeds(50, 1), "sharpness_ratio": seeds(0.4, 0.02)},
        "dcgan": {"fd": seeds(10, 1), "sharpness_ratio": seeds(1.05, 0.02)},
    }
    assert claim(summary, 1).verdict == HOLDS


def test_claim1_does_not_hold_when_vae_clearly_better():
    summary = {
        "vae": {"fd": seeds(5, 0.5), "sharpness_ratio": seeds(0.95, 0.02)},
        "dcgan": {"fd": seeds(40, 1), "sharpness_ratio": seeds(0.5, 0.02)},
    }
    assert claim(summary, 1).verdict == FAILS


def test_a5_noise_is_not_sharper():
    """A GAN whose sharpness ratio is 3 (noise) is further from real images than a VAE at 0.9."""
    summary = {
        "vae": {"fd": seeds(20, 1), "sharpness_ratio": seeds(0.9, 0.02)},
        "dcgan": {"fd": seeds(20, 1), "sharpness_ratio": seeds(3.0, 0.05)},
    }
    c1 = claim(summary, 1)
    sharp = next(c for c in c1.checks if c.metric == "sharpness_ratio")
    assert sharp.verdict == FAILS and c1.verdict == FAILS
    assert "closer to 1" in sharp.rule


def test_a11_non_overlapping_spreads_of_two_seeds_are_not_enough():
    """Means 10 and 12 with std 0.5 over 2 seeds: mean ± std do not overlap, Welch's interval includes 0."""
    summary = {
        "vae": {"recon_psnr": estimate([12.35, 11.65]), "recon_ssim": estimate([0.9, 0.91])},
        "dcgan": {"recon_psnr": estimate([10.35, 9.65]), "recon_ssim": estimate([0.5, 0.51])},
    }
    c7 = claim(summary, 7)
    assert c7.checks[0].verdict == UNSURE and "interval" in c7.checks[0].reason
    assert c7.verdict == UNSURE


def test_a1_one_seed_is_inconclusive_for_every_kind_of_check():
    one = {
        "vae": {
            "fd": seeds(50, n=1),
            "sharpness_ratio": seeds(0.4, n=1),
            "memorisation_ratio": seeds(1.1, n=1),
            "copy_share": seeds(0.0, 0, n=1),
            "decode_variance": seeds(0.01, 0, n=1),
            "diverged_share": share(0, 1),
            "reach_share": share(1, 1),
        },
        "dcgan": {
            "fd": seeds(10, n=1),
            "sharpness_ratio": seeds(1.0, n=1),
            "memorisation_ratio": seeds(0.2, n=1),
            "copy_share": seeds(0.6, 0, n=1),
            "diverged_share": share(1, 1),
            "reach_share": share(0, 1),
        },
    }
    results = evaluate_claims(one, FAMILIES)
    assert {r.verdict for r in results} == {UNSURE}
    assert all(c.verdict == UNSURE for r in results for c in r.checks)


def test_a2_every_model_must_produce_new_samples_and_the_breaker_is_named():
    clean = {"memorisation_ratio": seeds(1.0, 0.02), "copy_share": estimate([0.0, 0.0, 0.0])}
    summary = {
        "vae": clean,
        "wgan-gp": clean,
        "dcgan": {"memorisation_ratio": seeds(0.3, 0.02), "copy_share": seeds(0.6, 0.02)},
    }
    c6 = claim(summary, 6)
    assert c6.verdict == FAILS
    broken = [c for c in c6.checks if c.verdict == FAILS]
    assert broken and all("dcgan" in c.reason and c.gan.model == "dcgan" for c in broken)
    assert claim({"vae": clean, "wgan-gp": clean}, 6).verdict == HOLDS


def test_a3_shares_get_a_binomial_interval():
    """2 of 2 runs reaching the target against 1 of 2 is not a definite difference."""
    summary = {"vae": {"reach_share": share(2, 2)}, "dcgan": {"reach_share": share(1, 2)}}
    c9 = claim(summary, 9)
    assert c9.checks[0].verdict == UNSURE and c9.verdict == UNSURE and c9.checks[0].reason
    clear = {"vae": {"reach_share": share(10, 10)}, "dcgan": {"reach_share": share(0, 10)}}
    assert claim(clear, 9).verdict == HOLDS


def test_a6_gan_decoding_is_deterministic_by_construction_not_a_measured_win():
    c8 = claim({"vae": {"decode_variance": seeds(0.01, 0.001)}, "dcgan": {"decode_variance": seeds(0, 0)}}, 8)
    assert c8.verdict == HOLDS and "by design" in c8.by_construction
    assert all(c.gan is None for c in c8.checks)  # no GAN figure is compared
    # a VAE whose decodes do not vary breaks it, whatever the GAN does
    flat = {"vae": {"decode_variance": estimate([0.0, 0.0, 0.0])}, "dcgan": {}}
    assert claim(flat, 8).verdict == FAILS


def test_claim2_blurrier_compares_raw_sharpness():
    summary = {
        "vae": {"sharpness_ratio": seeds(0.4, 0.02), "recon_sharpness_ratio": seeds(0.5, 0.02)},
        "dcgan": {"sharpness_ratio": seeds(0.95, 0.02), "recon_sharpness_ratio": seeds(0.9, 0.02)},
    }
    assert claim(summary, 2).verdict == HOLDS
    sharp_vae = {
        "vae": {"sharpness_ratio": seeds(1.3, 0.02), "recon_sharpness_ratio": seeds(1.2, 0.02)},
        "dcgan": {"sharpness_ratio": seeds(0.95, 0.02), "recon_sharpness_ratio": seeds(0.9, 0.02)},
    }
    assert claim(sharp_vae, 2).verdict == FAILS


def test_stability_is_a_variance_ratio_over_seeds():
    steady, shaky = spread([3.0, 3.01, 2.99, 3.0, 3.02]), spread([2.0, 4.0, 3.0, 5.5, 1.5])
    assert claim({"vae": {"fd_spread": steady}, "dcgan": {"fd_spread": shaky}}, 4).verdict == HOLDS
    close = spread([3.0, 3.015, 2.985, 3.01, 3.02])
    assert claim({"vae": {"fd_spread": steady}, "dcgan": {"fd_spread": close}}, 4).verdict == UNSURE


def test_best_model_of_each_family_is_compared():
    summary = {
        "vae": {"recon_psnr": seeds(20, 0.1), "recon_ssim": seeds(0.9, 0.01)},
        "dcgan": {"recon_psnr": seeds(15, 0.1), "recon_ssim": seeds(0.6, 0.01)},
        "wgan-gp": {"recon_psnr": seeds(25, 0.1), "recon_ssim": seeds(0.95, 0.01)},
    }
    c7 = claim(summary, 7)
    assert c7.verdict == FAILS and c7.checks[0].gan.model == "wgan-gp"


def test_missing_family_is_inconclusive():
    summary = {"vae": {"fd": seeds(10), "sharpness_ratio": seeds(1.0)}}
    assert all(r.verdict == UNSURE for r in evaluate_claims(summary, {"vae": "vae"}))


def test_a10_every_compared_model_needs_two_seeds():
    """A winner with 3 seeds against a runner-up with 1 is not a clear win, however large the gap."""
    summary = {"vae": {"fd": seeds(10, 0.5)}, "dcgan": {"fd": seeds(30, n=1)}}
    row = use_case_row("realistic generation", "fd", summary, FAMILIES)
    assert row["winner"] == "vae" and row["clear"] is False and "one seed" in row["reason"]
    summary["dcgan"]["fd"] = seeds(30, 0.5)
    assert use_case_row("realistic generation", "fd", summary, FAMILIES)["clear"] is True


def test_use_case_row_judges_ideal_figures_by_distance():
    summary = {"vae": {"sharpness_ratio": seeds(0.8, 0.01)}, "dcgan": {"sharpness_ratio": seeds(2.0, 0.01)}}
    row = use_case_row("sharp", "sharpness_ratio", summary, FAMILIES)
    assert row["winner"] == "vae" and row["clear"]


# ---- the diffusion claims (10-12, issue 20): only with a diffusion model, each check only against a family
# that is compared
WITH_DIFFUSION = {**FAMILIES, "ddpm": "diffusion", "cddpm": "diffusion"}


def diffusion_claims(summary, families=WITH_DIFFUSION):
    return {r.number: r for r in evaluate_claims(summary, families) if r.number >= 10}


def test_diffusion_claims_are_left_out_without_a_diffusion_model():
    summary = {"vae": {"fd": seeds(10)}, "dcgan": {"fd": seeds(20)}}
    assert diffusion_claims(summary, FAMILIES) == {}
    assert [r.number for r in evaluate_claims(summary, FAMILIES)] == list(range(1, 10))


def test_claim10_fd_diffusion_against_the_best_gan():
    better = {"dcgan": {"fd": seeds(30, 1)}, "wgan-gp": {"fd": seeds(25, 1)}, "ddpm": {"fd": seeds(10, 1)}}
    c10 = diffusion_claims(better)[10]
    assert c10.verdict == HOLDS
    check = c10.checks[0]
    assert check.gan.model == "wgan-gp" and check.diffusion.model == "ddpm" and check.vae is None
    assert check.rule == "diffusion lower than the GAN"
    assert check.difference.startswith("15 ")  # 25 - 10, the claimed family's advantage
    worse = {"dcgan": {"fd": seeds(10, 1)}, "ddpm": {"fd": seeds(30, 1)}}
    assert diffusion_claims(worse)[10].verdict == FAILS
    level = {"dcgan": {"fd": estimate([20.0, 22.0, 18.0])}, "ddpm": {"fd": estimate([21.0, 19.0, 20.5])}}
    c = diffusion_claims(level)[10]
    assert c.verdict == UNSURE and "interval" in c.checks[0].reason
    one = {"dcgan": {"fd": seeds(40, n=1)}, "ddpm": {"fd": seeds(5, n=1)}}
    c = diffusion_claims(one)[10]
    assert c.verdict == UNSURE and "one seed" in c.checks[0].reason


def test_claim11_collapse_of_the_gan_against_diffusion():
    def row(recall, coverage, kl):
        return {"recall": seeds(recall, 0.01), "coverage": seeds(coverage, 0.01), "class_kl": seeds(kl, 0.01)}

    collapsed = {"dcgan": row(0.2, 0.15, 1.8), "ddpm": row(0.7, 0.8, 0.05)}
    assert diffusion_claims(collapsed)[11].verdict == HOLDS
    # the diffusion model better on two figures, clearly worse on one: a check clearly fails
    mixed = {"dcgan": row(0.2, 0.15, 0.02), "ddpm": row(0.7, 0.8, 0.3)}
    c11 = diffusion_claims(mixed)[11]
    assert c11.verdict == FAILS
    assert [c.verdict for c in c11.checks] == [HOLDS, HOLDS, FAILS]
    level = {"dcgan": row(0.5, 0.5, 0.1), "ddpm": row(0.5, 0.5, 0.1)}
    assert diffusion_claims(level)[11].verdict == UNSURE


def test_claim12_much_slower_is_a_ratio_above_ten():
    # per-image times over 3 seeds: ddpm ~100x a GAN's, ~50x a VAE's
    slow = {
        "vae": {"sample_s_per_image": estimate([2.0e-5, 2.2e-5, 1.9e-5])},
        "dcgan": {"sample_s_per_image": estimate([1.0e-5, 1.1e-5, 0.9e-5])},
        "ddpm": {"sample_s_per_image": estimate([1.0e-3, 1.05e-3, 0.97e-3])},
    }
    c12 = diffusion_claims(slow)[12]
    assert c12.verdict == HOLDS
    gan, vae = c12.checks
    assert gan.gan.model == "dcgan" and vae.vae.model == "vae" and gan.diffusion.model == "ddpm"
    assert gan.rule == "diffusion at least 10x the GAN's"
    # the ratio of geometric means, and Welch's interval on log times as scipy computes it
    logs_d, logs_g = np.log([1.0e-3, 1.05e-3, 0.97e-3]), np.log([1.0e-5, 1.1e-5, 0.9e-5])
    ci = stats.ttest_ind(logs_d, logs_g, equal_var=False).confidence_interval(0.95)
    ratio, lo, hi = np.exp([logs_d.mean() - logs_g.mean(), ci.low, ci.high])
    assert gan.difference == f"ratio {ratio:.3g}x (95 % CI {lo:.3g}x to {hi:.3g}x)"
    assert 10 < lo < ratio < hi
    # 3x slower is slower, but clearly not "much" slower: the ratio's interval lies below 10
    mild = {**slow, "ddpm": {"sample_s_per_image": estimate([3.0e-5, 3.1e-5, 2.9e-5])}}
    c = diffusion_claims(mild)[12]
    assert c.verdict == FAILS and [ch.verdict for ch in c.checks] == [FAILS, FAILS]
    # about 10x: the interval includes a ratio of 10
    near = {
        "dcgan": {"sample_s_per_image": estimate([1.0e-5, 1.3e-5, 0.8e-5])},
        "ddpm": {"sample_s_per_image": estimate([1.0e-4, 0.8e-4, 1.3e-4])},
    }
    c = diffusion_claims(near)[12]
    assert c.verdict == UNSURE and "a ratio of 10" in c.checks[0].reason
    one = {
        m: {"sample_s_per_image": estimate(e["sample_s_per_image"]["values"][:1])} for m, e in slow.items()
    }
    assert diffusion_claims(one)[12].verdict == UNSURE


def test_claim12_no_ratio_of_a_time_too_small_to_measure():
    summary = {
        "dcgan": {"sample_s_per_image": estimate([0.0, 0.0, 0.0])},
        "ddpm": {"sample_s_per_image": estimate([1e-3, 1.1e-3, 0.9e-3])},
    }
    check = diffusion_claims(summary)[12].checks[0]
    assert check.verdict == UNSURE and "no ratio" in check.reason


def test_diffusion_checks_only_against_compared_families():
    families = {"vae": "vae", "ddpm": "diffusion"}
    summary = {
        "vae": {"fd": seeds(30), "sample_s_per_image": estimate([1e-5, 1.1e-5, 0.9e-5])},
        "ddpm": {"fd": seeds(10), "sample_s_per_image": estimate([1e-3, 1.1e-3, 0.9e-3])},
    }
    got = diffusion_claims(summary, families)
    assert sorted(got) == [12]  # claims 10 and 11 are about a GAN, which is not compared
    assert [c.rule for c in got[12].checks] == ["diffusion at least 10x the VAE's"]
    assert got[12].verdict == HOLDS
