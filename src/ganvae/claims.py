"""The GAN-vs-VAE folklore (../shared/CLAIMS.md) as checks on measured figures.

Each claim compares the best model of each family on one or more metrics (mean ± std over seeds) and
returns a verdict: **holds** when every check goes the claimed way and the spreads do not overlap,
**does not hold** when a check clearly goes the other way, **inconclusive** otherwise (overlapping spreads,
a single seed, or a missing figure). A claim that does not hold on the user's data is a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Better = Literal["lower", "higher"]
Family = Literal["gan", "vae"]

HOLDS, FAILS, UNSURE = "holds", "does not hold", "inconclusive"

# What each metric is called in the report, and which direction is better.
METRICS: dict[str, tuple[str, Better]] = {
    "fd": ("FD (domain features)", "lower"),
    "kid": ("KID (domain features)", "lower"),
    "fid": ("FID (Inception)", "lower"),
    "kid_inception": ("KID (Inception)", "lower"),
    "precision": ("precision", "higher"),
    "recall": ("recall", "higher"),
    "density": ("density", "higher"),
    "coverage": ("coverage", "higher"),
    "classes_covered": ("classes covered", "higher"),
    "class_kl": ("class-histogram KL", "lower"),
    "sharpness_ratio": ("sample sharpness / real", "higher"),
    "recon_sharpness_ratio": ("reconstruction sharpness / real", "higher"),
    "memorisation_ratio": ("NN distance ratio (samples / test)", "higher"),
    "copy_share": ("exact-copy share", "lower"),
    "recon_psnr": ("reconstruction PSNR (dB)", "higher"),
    "recon_ssim": ("reconstruction SSIM", "higher"),
    "recon_mse": ("reconstruction MSE", "lower"),
    "probe_accuracy": ("linear-probe accuracy on codes", "higher"),
    "path_length_ratio": ("interpolation path length ratio", "lower"),
    "max_step_ratio": ("interpolation max step ratio", "lower"),
    "decode_variance": ("output variance for one input", "higher"),
    "fd_cv": ("FD spread across seeds (std / mean)", "lower"),
    "reach_share": ("runs reaching the FD target", "higher"),
    "time_to_target_s": ("time to FD target (s)", "lower"),
}


@dataclass(frozen=True)
class Check:
    """Either a comparison (`favours`: the family the claim says is better on `metric`) or an absolute
    check (`subject`'s value is `above` or `below` a constant)."""

    metric: str
    favours: Family | None = None
    subject: Family | None = None
    above: float | None = None
    below: float | None = None
    # for a figure with no spread of its own (one number per family): clear only at this ratio
    clear_ratio: float | None = None


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    checks: tuple[Check, ...]
    note: str = ""


CLAIMS: tuple[Claim, ...] = (
    Claim(
        1,
        "GANs produce sharper, more realistic samples",
        (Check("fd", "gan"), Check("sharpness_ratio", "gan")),
    ),
    Claim(
        2,
        "VAE samples are blurrier",
        (
            Check("sharpness_ratio", "gan"),
            Check("recon_sharpness_ratio", "gan"),
            Check("sharpness_ratio", subject="vae", below=1.0),
        ),
        "the last check: the VAE's sample sharpness ratio is below 1 (blurrier than real images)",
    ),
    Claim(
        3,
        "The VAE latent space is structured and smooth, easy to interpolate",
        (Check("path_length_ratio", "vae"), Check("probe_accuracy", "vae")),
        "GAN codes come from latent inversion (approximate)",
    ),
    Claim(
        4,
        "GAN training is harder and less stable",
        (Check("fd_cv", "vae", clear_ratio=1.5),),
        "also compare diverged runs in the stability table",
    ),
    Claim(
        5,
        "VAEs cover the data more diversely; GANs risk mode collapse",
        (Check("recall", "vae"), Check("coverage", "vae"), Check("class_kl", "vae")),
    ),
    Claim(
        6,
        "Both produce new samples, not copies of the training set",
        (
            Check("memorisation_ratio", subject="gan", above=0.9),
            Check("memorisation_ratio", subject="vae", above=0.9),
            Check("copy_share", subject="gan", below=0.01),
            Check("copy_share", subject="vae", below=0.01),
        ),
        "absolute checks: each family's NN-distance ratio >= 0.9 and under 1 % exact copies",
    ),
    Claim(
        7,
        "VAEs reconstruct their inputs well",
        (Check("recon_psnr", "vae"), Check("recon_ssim", "vae")),
        "GAN reconstructions come from latent inversion",
    ),
    Claim(
        8,
        "VAEs are stochastic: one input, many plausible outputs",
        (Check("decode_variance", "vae"), Check("decode_variance", subject="vae", above=1e-6)),
    ),
    Claim(
        9,
        "VAEs are easier to train",
        (Check("reach_share", "vae"), Check("time_to_target_s", "vae")),
        "target: FD (domain features) within 1.5x the best final FD of all runs",
    ),
)


@dataclass
class Side:
    model: str
    mean: float
    std: float
    n: int


@dataclass
class CheckResult:
    metric: str
    label: str
    gan: Side | None
    vae: Side | None
    verdict: str
    rule: str = ""


@dataclass
class ClaimResult:
    number: int
    text: str
    verdict: str
    checks: list[CheckResult] = field(default_factory=list)
    note: str = ""


def best_of_family(
    summary: dict[str, dict[str, dict]], families: dict[str, str], family: str, metric: str
) -> Side | None:
    """The model of `family` with the best mean on `metric` (None when no model has the figure)."""
    better = METRICS[metric][1]
    sides = [
        Side(m, s[metric]["mean"], s[metric]["std"], s[metric]["n"])
        for m, s in summary.items()
        if families.get(m) == family
        and metric in s
        and s[metric]["mean"] is not None
        and math.isfinite(s[metric]["mean"])
    ]
    if not sides:
        return None
    return (min if better == "lower" else max)(sides, key=lambda s: s.mean)


def _compare(check: Check, gan: Side | None, vae: Side | None) -> str:
    if check.subject is not None:
        side = gan if check.subject == "gan" else vae
        if side is None:
            return UNSURE
        margin = side.mean - check.above if check.above is not None else check.below - side.mean  # type: ignore[operator]
        if side.n >= 2 and abs(margin) <= side.std:
            return UNSURE
        return HOLDS if margin > 0 or (margin == 0 and check.below is not None) else FAILS
    sign = 1.0 if METRICS[check.metric][1] == "higher" else -1.0
    if gan is None or vae is None:
        return UNSURE
    fav, other = (gan, vae) if check.favours == "gan" else (vae, gan)
    diff = sign * (fav.mean - other.mean)
    if check.clear_ratio is not None:
        lo, hi = sorted([fav.mean, other.mean])
        if hi < check.clear_ratio * lo or min(fav.n, other.n) < 2:
            return UNSURE
        return HOLDS if diff > 0 else FAILS
    if min(fav.n, other.n) < 2:
        return UNSURE  # one seed: no spread to judge by
    if abs(fav.mean - other.mean) <= fav.std + other.std:
        return UNSURE
    return HOLDS if diff > 0 else FAILS


def _rule(check: Check) -> str:
    if check.subject is not None:
        bound = f"above {check.above:g}" if check.above is not None else f"below {check.below:g}"
        return f"{check.subject.upper()} {bound}"
    better = METRICS[check.metric][1]
    return f"{check.favours.upper()} {better}"  # type: ignore[union-attr]


def evaluate_claims(summary: dict[str, dict[str, dict]], families: dict[str, str]) -> list[ClaimResult]:
    """`summary[model][metric] = {"mean", "std", "n"}`; `families[model]` is "gan" or "vae"."""
    results = []
    for claim in CLAIMS:
        checks = []
        for check in claim.checks:
            gan, vae = (
                best_of_family(summary, families, "gan", check.metric),
                best_of_family(summary, families, "vae", check.metric),
            )
            checks.append(
                CheckResult(
                    check.metric, METRICS[check.metric][0], gan, vae, _compare(check, gan, vae), _rule(check)
                )
            )
        verdicts = [c.verdict for c in checks]
        if all(v == HOLDS for v in verdicts):
            verdict = HOLDS
        elif any(v == FAILS for v in verdicts):
            verdict = FAILS
        else:
            verdict = UNSURE
        results.append(ClaimResult(claim.number, claim.text, verdict, checks, claim.note))
    return results


def as_dicts(results: list[ClaimResult]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(r) for r in results]
