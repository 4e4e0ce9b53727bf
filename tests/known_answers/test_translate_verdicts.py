"""Known-answer tests of the translation task's measurement and claims: two stand-in translators with
known properties go through the real measurement (`tasks.translate.measure`: the classifier trained on
digits 0 and 1, FD, SSIM, cycle PSNR), the summary and the claims, and each gets the verdict it deserves.

- identity: returns its input. Keeps all content, never reaches the target domain.
- random target: returns random real target images (another draw per seed). Reaches the target domain,
  keeps nothing (translated back, it returns random source images)."""

from __future__ import annotations

import pytest
import torch

from ganvae.experiment.verdicts import FAILS, HOLDS, UNSURE
from ganvae.tasks.translate import DIRECTIONS, TranslateConfig, Translation, measure, summarise

SEEDS = 3


@pytest.fixture(scope="module")
def ctx():
    cfg = TranslateConfig(data="digits", source="0", target="1", images=60)
    return Translation(cfg, folder=None, progress=False).context()  # type: ignore[arg-type]


def _random_real(ctx, domain: int, n: int, seed: int) -> torch.Tensor:
    pool = ctx["data"].images("train", domain)
    return pool[torch.randint(len(pool), (n,), generator=torch.Generator().manual_seed(100 + seed))]


def records(ctx, kind: str, family: str, name: str | None = None) -> list[dict]:
    out = []
    for seed in range(SEEDS):
        for direction, (src, dst) in DIRECTIONS.items():
            x = ctx["inputs"][direction]
            if kind == "identity":
                y, back = x, x
            else:
                y, back = _random_real(ctx, dst, len(x), seed), _random_real(ctx, src, len(x), seed + 50)
            figures = measure(ctx, direction, x, y, back)
            out.append(
                {"method": name or kind, "family": family, "seed": seed, "direction": direction, **figures}
            )
    return out


def judge(ctx, *arms: tuple[str, str, str]):
    runs = [r for kind, family, name in arms for r in records(ctx, kind, family, name)]
    n = len(ctx["inputs"]["forward"])
    results = summarise(runs, n, len(ctx["inputs"]["reverse"]))
    return results, {c["key"]: c for c in results["claims"]}


def test_the_stand_ins_have_their_known_figures(ctx):
    results, _ = judge(ctx, ("identity", "vae", "identity"), ("random", "gan", "random"))
    for direction in DIRECTIONS:
        ident, rand = (results["directions"][direction][m] for m in ("identity", "random"))
        assert ident["target_share"]["mean"] <= 0.05  # the classifier knows a 0 from a 1
        assert ident["content_ssim"]["mean"] == pytest.approx(1.0) and ident["cycle_psnr"]["mean"] == 100.0
        assert rand["target_share"]["mean"] >= 0.95
        assert rand["fd"]["mean"] < 0.1 * ident["fd"]["mean"]  # real target images: near the floor
        assert rand["content_ssim"]["mean"] < 0.5 and rand["cycle_psnr"]["mean"] < 15.0
        assert rand["target_share"]["n"] == SEEDS and rand["fd"]["std"] > 0  # another draw per seed


def test_reaching_the_target_adversarially_holds_and_keeping_content_holds(ctx):
    # the adversarial side reaches the target and keeps nothing; the VAE side keeps everything
    results, claims = judge(ctx, ("random", "gan", "cyclegan"), ("identity", "vae", "cvae"))
    assert claims["reach"]["verdict"] == HOLDS
    assert claims["content"]["verdict"] == HOLDS
    assert all(
        c["best_claimed"] in {"cyclegan", "cvae"}
        for c in claims["reach"]["checks"] + claims["content"]["checks"]
    )
    row = results["verdicts"][0]
    assert row["use_case"] == "image-to-image translation"
    assert row["winner"] == "cyclegan" and row["runner_up"] == "cvae" and row["clear"]


def test_swapped_the_claims_do_not_hold(ctx):
    # unit ("vae-gan") counts on the adversarial side
    _, claims = judge(ctx, ("identity", "vae-gan", "unit"), ("random", "vae", "cvae"))
    assert claims["reach"]["verdict"] == FAILS
    assert claims["content"]["verdict"] == FAILS
    assert {c["best_claimed"] for c in claims["reach"]["checks"]} == {"unit"}


def test_no_difference_is_inconclusive(ctx):
    _, claims = judge(ctx, ("identity", "gan", "cyclegan"), ("identity", "vae", "cvae"))
    assert claims["reach"]["verdict"] == UNSURE and claims["content"]["verdict"] == UNSURE
    assert all("interval includes" in c["reason"] for c in claims["reach"]["checks"])


def test_a_missing_side_is_inconclusive(ctx):
    _, claims = judge(ctx, ("random", "gan", "cyclegan"))
    assert claims["reach"]["verdict"] == UNSURE
    assert "no conditional VAE arm" in claims["reach"]["checks"][0]["reason"]


def test_an_arm_that_ignores_its_input_is_named(ctx):
    """The report says when an arm keeps no more of the input than a random target image: it reaches the
    target without translating (what a collapsed translator does)."""
    from ganvae.report.sections.translate import _findings
    from ganvae.tasks.translate import baselines

    ident_runs = records(ctx, "identity", "vae", "cvae")
    random_runs = records(ctx, "random", "gan", "cyclegan")
    results = summarise(baselines(ctx) + ident_runs + random_runs, 60, 60)
    flagged = [f for f in _findings(results) if f.startswith("Not clearly more content kept")]
    assert len(flagged) == 1 and "cyclegan" in flagged[0] and "cvae" not in flagged[0]
