"""The translation folklore as checks on measured figures (`ganvae task translate`), judged by the rule of
`ganvae.experiment.intervals` through `ganvae.experiment.verdicts`, as the comparison's claims are.

Two sides: the **adversarial** arms (families "gan" and "vae-gan": CycleGAN, UNIT — outputs trained
against a discriminator) and the **VAE** arms (family "vae": the conditional VAE that encodes with the
source label and decodes with the target label). Each side is represented on each figure by its best
arm (`verdicts.representative`). A check holds when the claimed side is clearly better (the 95 % interval
over seeds of the difference excludes zero), does not hold when it is clearly worse, and is inconclusive
otherwise; a claim holds when all its checks hold and does not hold when any clearly fails.

>>> [c.key for c in CLAIMS]
['reach', 'content']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ganvae.experiment.verdicts import FAILS, HOLDS, UNSURE, compare_entries, representative
from ganvae.metrics.meta import Metric
from ganvae.metrics.meta import get as get_metric
from ganvae.metrics.translation import CONTENT_SSIM, CYCLE_PSNR, TARGET_SHARE

Side = Literal["adversarial", "vae"]
SIDES: dict[str, Side] = {"gan": "adversarial", "vae-gan": "adversarial", "vae": "vae"}
SIDE_NAMES = {"adversarial": "adversarial (CycleGAN/UNIT)", "vae": "conditional VAE"}


@dataclass(frozen=True)
class TranslationClaim:
    key: str
    text: str
    checks: tuple[tuple[str, Side], ...]  # (metric key, the side claimed better on it)
    note: str = ""


CLAIMS: tuple[TranslationClaim, ...] = (
    TranslationClaim(
        "reach",
        "adversarial translation (CycleGAN/UNIT) reaches the target domain more convincingly than the "
        "conditional VAE",
        (("target_share", "adversarial"), ("fd", "adversarial")),
        "more translations classified as the target domain, and a lower FD to real target images",
    ),
    TranslationClaim(
        "content",
        "the conditional VAE keeps more of the input's content than adversarial translation",
        (("content_ssim", "vae"), ("cycle_psnr", "vae")),
        "a higher SSIM between input and translation, and a higher cycle reconstruction PSNR",
    ),
)


def metric_of(key: str) -> Metric:
    own = {m.key: m for m in (TARGET_SHARE, CONTENT_SSIM, CYCLE_PSNR)}
    return own[key] if key in own else get_metric(key)


def sides_of(summary: dict[str, dict[str, Any]]) -> dict[str, Side]:
    """Each arm's side, by its family (baselines and unknown families take no side)."""
    return {m: SIDES[row["family"]] for m, row in summary.items() if row.get("family") in SIDES}


def evaluate_claims(summary: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The verdict of each claim on `summary` ({arm: {"family", metric key: entry}}), with its checks."""
    sides = sides_of(summary)
    out = []
    for claim in CLAIMS:
        checks = [_check(summary, sides, key, side) for key, side in claim.checks]
        verdicts = [c["verdict"] for c in checks]
        verdict = FAILS if FAILS in verdicts else HOLDS if all(v == HOLDS for v in verdicts) else UNSURE
        out.append(
            {"key": claim.key, "claim": claim.text, "note": claim.note, "verdict": verdict, "checks": checks}
        )
    return out


def _check(
    summary: dict[str, dict[str, Any]], sides: dict[str, Side], key: str, claimed: Side
) -> dict[str, Any]:
    metric = metric_of(key)
    other: Side = "vae" if claimed == "adversarial" else "adversarial"
    mine, theirs = (representative(summary, sides, s, metric) for s in (claimed, other))
    row: dict[str, Any] = {"metric": metric.label, "claimed": SIDE_NAMES[claimed]}
    if mine is None or theirs is None:
        missing = SIDE_NAMES[claimed if mine is None else other]
        return {**row, "verdict": UNSURE, "reason": f"no {missing} arm has this figure"}
    cmp = compare_entries(metric, mine.entry, theirs.entry)
    verdict = UNSURE if not cmp.clear else HOLDS if (cmp.estimate or 0.0) > 0 else FAILS
    return {
        **row,
        "verdict": verdict,
        "best_claimed": mine.model,
        "best_claimed_text": mine.text,
        "best_other": theirs.model,
        "best_other_text": theirs.text,
        "difference": cmp.text,
        "reason": cmp.reason,
    }
