"""The GAN-vs-VAE folklore (../shared/CLAIMS.md) as checks on measured figures.

Two kinds of check, judged by the rule of `ganvae.experiment.intervals` (95 % intervals over seeds):

- **comparative** ("GANs are sharper"): each family is represented by its best model on the figure
  (`verdicts.representative`: by direction, or by distance from an ideal value) and the check holds when
  the claimed family is clearly better, does not hold when it is clearly worse, and is inconclusive
  otherwise (the interval includes no difference, a model has one seed, a figure is missing);
- **absolute** ("both produce new samples"): a family's models against a bound. A claim about *every*
  model of a family holds only when each model clearly meets it, and fails when any model clearly
  breaks it — the report names that model.

A claim holds when all its checks hold (or, for claims measured several ways — stability, ease of
training — when one holds and none fails), does not hold when a check clearly fails, and is inconclusive
otherwise. What a family cannot differ on by design (a GAN decodes one code one way) is said to be so,
not counted as a measured win. A claim that does not hold on the user's data is a finding.

Claims 10-12 are what people say of a diffusion model beside the two (issue 20). They apply only when a
diffusion model is compared (otherwise they are left out, never "holds"), and each of their checks only
when the family it is set against is compared too. "Much slower" is a ratio with a stated threshold:
the 95 % interval of the ratio of times per image (Welch's interval on log times) lies above 10.

Claims 4 and 9 are about training, and a comparison with a hyperparameter search (`compare --search N`)
measures them as Lucic et al. (2018) do: over each model's N trials — different configurations — rather
than over a few seeds of one configuration (`search_checks`, `experiment.search_figures`). Without a
search they keep the seed-based checks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ganvae.experiment.verdicts import (
    FAILS,
    HOLDS,
    UNSURE,
    Side,
    against_bound,
    compare_entries,
    compare_factor,
    members,
    no_usable_generator,
    representative,
)
from ganvae.metrics.meta import get as get_metric

Family = Literal["gan", "vae", "diffusion"]
NAMES = {"gan": "GAN", "vae": "VAE", "diffusion": "diffusion"}
# "much slower": the ratio of sampling times per image whose 95 % interval must lie above this
MUCH_SLOWER = 10.0
__all__ = ["CLAIMS", "FAILS", "HOLDS", "UNSURE", "as_dicts", "evaluate_claims"]


@dataclass(frozen=True)
class Check:
    """Comparative when `claimed` is set (that family does better on `metric` than `against`, by default
    the other of GAN and VAE; `direction` compares raw values one way instead of by the metric's metadata;
    `factor`: the claimed family's value is at least `factor` times the other's, a ratio of positive
    figures); absolute when `subject` is set (that family's models are `above` / `below` a constant:
    `every` model, or only its representative)."""

    metric: str
    claimed: Family | None = None
    direction: Literal["lower", "higher"] | None = None
    against: Family | None = None
    factor: float | None = None
    subject: Family | None = None
    above: float | None = None
    below: float | None = None
    every: bool = True


@dataclass(frozen=True)
class Claim:
    number: int
    text: str
    checks: tuple[Check, ...]
    note: str = ""
    combine: Literal["all", "any"] = "all"  # "any": measured several ways, one clear result suffices
    by_construction: str = ""  # what is so by design and therefore not measured
    # the checks used instead when the comparison ran a hyperparameter search (its figures are present)
    search_checks: tuple[Check, ...] = ()
    search_note: str = ""
    # shown only when a model of this family is compared (its checks only against families compared too)
    needs: Family | None = None


CLAIMS: tuple[Claim, ...] = (
    Claim(
        1,
        "GANs produce sharper, more realistic samples",
        (Check("fd", "gan"), Check("sharpness_ratio", "gan")),
        "sharpness is judged by closeness to real images (ratio 1): a ratio above 1 is noise, not realism",
    ),
    Claim(
        2,
        "VAE samples are blurrier",
        (
            Check("sharpness_ratio", "vae", direction="lower"),
            Check("sharpness_ratio", subject="vae", below=1.0, every=False),
            Check("recon_sharpness_ratio", subject="vae", below=1.0, every=False),
        ),
        "the best VAE's samples less sharp than the best GAN's, and its samples and reconstructions less "
        "sharp than real images (ratio below 1)",
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
        (Check("fd_spread", "vae"), Check("diverged_share", "vae")),
        "the FD spread counts every run with an FD, blown-up ones included; runs stopped by NaN count as "
        "diverged",
        combine="any",
        search_checks=(Check("search_fd_spread", "vae"), Check("search_diverged_share", "vae")),
        search_note="from the hyperparameter search (Lucic et al. 2018): how much validation FD varies over "
        "each model's trials (std of log FD; pruned trials at their FD when stopped) and the share of trials "
        "that diverged; TPE's trials after its random start are not independent draws",
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
        "every model of both families: NN-distance ratio above 0.9 and under 1 % exact copies",
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
        (Check("decode_variance", subject="vae", above=1e-4),),
        "every VAE: pixel variance of decodes of one input above 1e-4 (a standard deviation of 0.01)",
        by_construction="a GAN decodes its one (inverted) code to one image: its output variance for one "
        "input is 0 by design, so only the VAEs are measured",
    ),
    Claim(
        9,
        "VAEs are easier to train",
        (Check("reach_share", "vae"), Check("time_to_target_s", "vae")),
        "target: 1.5x the best final FD of all runs, target and curves at the same number of samples",
        combine="any",
        search_checks=(Check("search_miss_share", "vae"),),
        search_note="from the hyperparameter search (Lucic et al. 2018): the share of each model's trials "
        "that diverged or never reached the target (1.5x the best validation FD of all completed trials) "
        "on their FD curve or final FD; a pruned trial counts by its curve until it was stopped",
    ),
    Claim(
        10,
        "Diffusion samples are more realistic than a GAN's at the same training budget",
        (Check("fd", "diffusion", against="gan"),),
        "every model trained with the comparison's one budget; the diffusion model draws with its "
        "sample_steps DDIM steps",
        needs="diffusion",
    ),
    Claim(
        11,
        "Diffusion covers the data more diversely than a GAN (no mode collapse)",
        (
            Check("recall", "diffusion", against="gan"),
            Check("coverage", "diffusion", against="gan"),
            Check("class_kl", "diffusion", against="gan"),
        ),
        needs="diffusion",
    ),
    Claim(
        12,
        "Diffusion sampling is much slower than a GAN's or VAE's",
        (
            Check("sample_s_per_image", "diffusion", "higher", against="gan", factor=MUCH_SLOWER),
            Check("sample_s_per_image", "diffusion", "higher", against="vae", factor=MUCH_SLOWER),
        ),
        f"much: the 95 % interval of the ratio of sampling times per image (fastest diffusion model over "
        f"the fastest GAN, and over the fastest VAE; Welch's interval on log times) lies above "
        f"{MUCH_SLOWER:g}; does not hold when it lies below {MUCH_SLOWER:g}. Times from the evaluation's "
        "draws on this machine, at the diffusion model's sample_steps",
        needs="diffusion",
    ),
)


@dataclass
class CheckResult:
    metric: str
    label: str
    gan: Side | None
    vae: Side | None
    verdict: str
    rule: str = ""
    difference: str = ""  # the claimed family's advantage with its interval (comparative checks)
    reason: str = ""  # why it is inconclusive, or which model breaks it
    diffusion: Side | None = None


@dataclass
class ClaimResult:
    number: int
    text: str
    verdict: str
    checks: list[CheckResult] = field(default_factory=list)
    note: str = ""
    by_construction: str = ""
    unusable: str = ""  # why every verdict is inconclusive: no model is a usable generator
    evidence: str = "seeds"  # "search": judged on the trials of a hyperparameter search


def _rule(check: Check) -> str:
    meta = get_metric(check.metric)
    if check.subject is not None:
        bound = f"above {check.above:g}" if check.above is not None else f"below {check.below:g}"
        who = f"every {NAMES[check.subject]}" if check.every else f"the best {NAMES[check.subject]}"
        return f"{who} {bound}"
    fam = NAMES[check.claimed]  # type: ignore[index]
    vs = f" than the {NAMES[check.against]}" if check.against else ""
    if check.factor is not None:
        return f"{fam} at least {check.factor:g}x the {NAMES[_other(check)]}'s"
    if check.direction is not None:
        return f"{fam} {check.direction}{vs}"
    if meta.ideal is not None:
        return f"{fam} closer to {meta.ideal:g}{vs}"
    return f"{fam} {meta.better}{vs}"


def _other(check: Check) -> Family:
    """The family a comparative check sets the claimed one against."""
    return check.against or ("vae" if check.claimed == "gan" else "gan")


def _comparative(check: Check, summary, families) -> CheckResult:
    from ganvae.metrics.cost import MEASURABLE_S

    meta = get_metric(check.metric)
    claimed, against = check.claimed, _other(check)
    assert claimed is not None
    fav = representative(summary, families, claimed, meta)
    other = representative(summary, families, against, meta)
    res = CheckResult(check.metric, meta.label, None, None, UNSURE, _rule(check))
    setattr(res, claimed, fav)
    setattr(res, against, other)
    if fav is None or other is None:
        res.reason = f"no {NAMES[claimed if fav is None else against]} has this figure"
        return res
    if check.factor is not None:
        cmp = compare_factor(meta, fav.entry, other.entry, check.factor, floor=MEASURABLE_S)
    else:
        cmp = compare_entries(meta, fav.entry, other.entry, check.direction)
    res.difference, res.reason = cmp.text, cmp.reason
    if cmp.clear:
        res.verdict = HOLDS if (cmp.estimate or 0) > 0 else FAILS
    return res


def _absolute(check: Check, summary, families) -> CheckResult:
    meta = get_metric(check.metric)
    subject = check.subject
    assert subject is not None
    if check.every:
        sides = members(summary, families, subject, check.metric)
    else:
        rep = representative(summary, families, subject, meta)
        sides = [rep] if rep else []
    res = CheckResult(check.metric, meta.label, None, None, UNSURE, _rule(check))
    if not sides:
        res.reason = f"no {NAMES[subject]} has this figure"
        return res
    judged = [(against_bound(s.entry, check.above, check.below), s) for s in sides]
    order = {FAILS: 0, UNSURE: 1, HOLDS: 2}
    verdict, shown = min(judged, key=lambda vs: order[vs[0]])  # the model that decides the verdict
    setattr(res, subject, shown)
    res.verdict = verdict
    if verdict == FAILS:
        broken = [s.model for v, s in judged if v == FAILS]
        res.reason = f"broken by {', '.join(broken)}"
    elif verdict == UNSURE:
        unsure = [s.model for v, s in judged if v == UNSURE]
        res.reason = f"not clear for {', '.join(unsure)} (one seed, or the interval includes the bound)"
    return res


def _combine(claim: Claim, verdicts: list[str]) -> str:
    if claim.combine == "any":
        if HOLDS in verdicts and FAILS not in verdicts:
            return HOLDS
        if FAILS in verdicts and HOLDS not in verdicts:
            return FAILS
        return UNSURE
    if all(v == HOLDS for v in verdicts):
        return HOLDS
    return FAILS if FAILS in verdicts else UNSURE


def evaluate_claims(summary: dict[str, dict[str, Any]], families: dict[str, str]) -> list[ClaimResult]:
    """`summary[model][metric]` is an entry (`verdicts.estimate` / `share` / `spread`); `families[model]`
    is "gan", "vae" or "diffusion". A claim that `needs` a family not compared is left out."""
    # claims about two models that are both noise would be findings about noise (issue 21)
    unusable = no_usable_generator(summary)
    compared = set(families.values())
    results = []
    for claim in CLAIMS:
        if claim.needs is not None and claim.needs not in compared:
            continue
        searched = bool(claim.search_checks) and _has(summary, claim.search_checks)
        used = claim.search_checks if searched else claim.checks
        if claim.needs is not None:  # a check against a family that is not compared does not apply
            used = tuple(c for c in used if c.claimed is None or _other(c) in compared)
            if not used:
                continue
        checks = [(_absolute if c.subject is not None else _comparative)(c, summary, families) for c in used]
        verdict = UNSURE if unusable else _combine(claim, [c.verdict for c in checks])
        note = claim.search_note if searched else claim.note
        results.append(
            ClaimResult(
                claim.number,
                claim.text,
                verdict,
                checks,
                note,
                claim.by_construction,
                unusable or "",
                "search" if searched else "seeds",
            )
        )
    return results


def _has(summary: dict[str, dict[str, Any]], checks: tuple[Check, ...]) -> bool:
    """Whether any model has the figures of `checks` (a comparison that ran a search)."""
    return any(c.metric in s for c in checks for s in summary.values())


def as_dicts(results: list[ClaimResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
