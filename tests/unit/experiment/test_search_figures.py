"""Claims 4 and 9 from a search's trials (Lucic et al. 2018): the budget curve against a brute-force
enumeration of every subset of trials, the shares and spread of hand-built searches, and the claims,
which use the trials when a search ran and stay inconclusive on weak evidence."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from ganvae.experiment.claims import FAILS, HOLDS, UNSURE, evaluate_claims
from ganvae.experiment.intervals import wilson
from ganvae.experiment.search_figures import best_text, margin_over_defaults, search_entries
from ganvae.experiment.verdicts import estimate, share, spread
from ganvae.metrics.stability import budget_curve, expected_best


def brute_force(values, k):
    """The mean of the minimum over every k-subset (values drawn without replacement)."""
    subsets = list(itertools.combinations(values, k))
    return sum(min(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_expected_best_equals_the_mean_minimum_over_every_subset(n):
    rng = random.Random(n)
    values = [round(rng.uniform(10, 200), 1) for _ in range(n)]
    values[-1] = values[0]  # a tie
    for k in range(1, n + 1):
        assert expected_best(values, k) == pytest.approx(brute_force(values, k), rel=1e-12)
    assert budget_curve(values)[-1] == min(values) and budget_curve(values)[0] == pytest.approx(
        sum(values) / n
    )


def test_a_diverged_trial_makes_the_expectation_infinite_only_while_it_can_be_drawn_alone():
    values = [30.0, math.inf, 20.0, math.inf, 50.0]  # two diverged trials of five
    curve = budget_curve(values)
    assert curve[0] == curve[1] == math.inf
    for k in (3, 4, 5):
        assert curve[k - 1] == pytest.approx(brute_force(values, k))
    assert expected_best([float("nan"), 1.0], 2) == 1.0  # NaN counts as diverged


def trial(state, value, curve, diverged=False, steps=100):
    return {"state": state, "value": value, "curve": curve, "diverged": diverged, "steps": steps}


def curve_to(*fds):
    return [[float(i), i * 10, fd] for i, fd in enumerate(fds, start=1)]


def test_search_entries_on_a_hand_built_search():
    """vae: 4 trials, all reach the target (one by its final FD only); gan: one diverged, one pruned before
    reaching it, one blew up."""
    models = {
        "vae": {
            "counts": {"complete": 4, "pruned": 0},
            "trials": [
                *(trial("complete", v, curve_to(80.0, v)) for v in (20.0, 22.0, 25.0)),
                # its curve drew from the normal prior; its final FD from the mixture reaches the target
                trial("complete", 24.0, curve_to(80.0, 45.0)),
            ],
        },
        "dcgan": {
            "counts": {"complete": 3, "pruned": 1},
            "trials": [
                trial("complete", 21.0, curve_to(90.0, 21.0)),
                trial("complete", None, curve_to(90.0), diverged=True, steps=50),
                trial("pruned", 150.0, curve_to(160.0, 150.0), steps=20),
                trial("complete", 95.0, curve_to(25.0, 95.0), diverged=True),  # blew up after the target
                trial("fail", None, curve_to(70.0), steps=40),  # a dead worker's trial: not counted
            ],
        },
    }
    entries, target = search_entries(models)
    assert target == pytest.approx(1.5 * 20.0)
    vae, gan = entries["vae"], entries["dcgan"]
    assert vae["search_diverged_share"] == share(0, 4) and vae["search_miss_share"] == share(0, 4)
    assert gan["search_diverged_share"] == share(2, 4)
    assert gan["search_miss_share"] == share(3, 4)  # the blow-up reached the target: a divergence, once
    # the spread over trials: log FD of every finished trial with a finite FD (pruned at its stop)
    assert gan["search_fd_spread"] == spread([math.log(v) for v in (21.0, 150.0, 95.0)])
    stats = models["dcgan"]["stats"]
    assert stats["values"] == [21.0, None, 150.0, 95.0] and stats["pruned"] == [False, False, True, False]
    assert stats["missed_interval"] == list(wilson(3, 4))
    assert stats["budget_curve"][:1] == [None] and stats["budget_curve"][-1] == 21.0
    assert stats["full_trials"] == pytest.approx((100 + 50 + 20 + 100 + 40) / 100)


def test_a_wall_clock_search_costs_its_seconds_not_its_steps():
    """Under a wall-clock budget trials run very different numbers of steps (9,838 and 1,240 in the same
    5 minutes on Fashion-MNIST): the cost counts each trial's seconds against the budget."""

    def timed(state, steps, train_s, diverged=False):
        return {**trial(state, 30.0, curve_to(30.0), diverged, steps), "train_s": train_s}

    trials = [
        timed("complete", 9838, 300.0),
        timed("complete", 1240, 300.1),
        timed("pruned", 2803, 90.0),  # more steps than the slow complete trial, a third of the time
        timed("complete", 50, 30.0, diverged=True),  # stopped by NaN after 30 s
    ]
    models = {"vae": {"counts": {"complete": 3, "pruned": 1}, "trials": trials}}
    search_entries(models, {"epochs": None, "steps": None, "budget_s": 300.0})
    assert models["vae"]["stats"]["full_trials"] == pytest.approx(1 + 1 + 0.3 + 0.1)
    search_entries(models)  # without the budget: steps, as before (each over the longest complete trial)
    assert models["vae"]["stats"]["full_trials"] == pytest.approx((9838 + 1240 + 2803 + 50) / 9838)
    # both limits: a trial's share is the larger, the limit it came closer to
    search_entries(models, {"epochs": None, "steps": 9838, "budget_s": 100.0})
    assert models["vae"]["stats"]["full_trials"] == pytest.approx(1 + 1 + 0.9 + 0.3)


def test_a_margin_within_the_objectives_own_noise_is_called_so():
    """The Fashion-MNIST search chose a VAE trial 2.2 FD better than the defaults, whose own curve wobbled by
    1.9 over its last four evaluations: within noise. The spread is the sample std of those evaluations."""
    import numpy as np

    own = {**trial("complete", 22.9, curve_to(34.4, 19.1, 20.7, 18.7, 22.9)), "defaults": True, "number": 0}
    rec = {"trials": [own, trial("complete", 20.7, curve_to(20.7))], "best": {"number": 1, "value": 20.7}}
    m = margin_over_defaults(rec)
    assert m["wobble"] == pytest.approx(np.std([19.1, 20.7, 18.7, 22.9], ddof=1))
    assert m["margin"] == pytest.approx(2.2) and m["within_noise"] is True and not m["best_is_defaults"]
    rec["best"] = {"number": 1, "value": 12.0}  # far beyond twice the wobble
    assert margin_over_defaults(rec)["within_noise"] is False
    rec["best"] = {"number": 0, "value": 22.9}
    assert margin_over_defaults(rec)["best_is_defaults"] and margin_over_defaults(rec)["margin"] == 0
    # a higher-is-better objective (a table's quality): a positive margin is still "better"
    up = {**own, "value": 0.80, "curve": curve_to(0.70, 0.79, 0.80, 0.81, 0.80)}
    rec = {"trials": [up], "best": {"number": 3, "value": 0.84}, "direction": "maximize"}
    assert margin_over_defaults(rec)["margin"] == pytest.approx(0.04)
    assert margin_over_defaults(rec)["within_noise"] is False  # the wobble is 0.008
    assert margin_over_defaults({"trials": [trial("pruned", 30.0, [])], "best": None}) is None


def test_best_text_names_the_best_configuration():
    rec = {
        "counts": {"complete": 6, "pruned": 2},
        "best": {"number": 3, "value": 23.14, "params": {"lr": 0.00123, "width": 32}},
    }
    assert (
        best_text(rec)
        == "searched: 8 trials (2 pruned), best lr=0.00123, width=32 (validation FD 23.1, trial 3)"
    )
    assert "defaults train" in best_text({"counts": {"complete": 2, "pruned": 0}, "best": None})
    # with the margin over the defaults (`search_entries` adds it), the line says whether it is noise
    margin = {"defaults_value": 25.0, "best_is_defaults": False, "within_noise": True}
    said = best_text({**rec, "stats": {"margin": margin}})
    assert said.endswith("(validation FD 23.1, trial 3; within the noise of trial 0's 25)"), said
    margin["within_noise"] = False
    assert "beyond the noise of trial 0's 25)" in best_text({**rec, "stats": {"margin": margin}})


FAMILIES = {"vae": "vae", "dcgan": "gan"}


def by_number(summary, number):
    return next(c for c in evaluate_claims(summary, FAMILIES) if c.number == number)


def searched(vae_diverged, gan_diverged, n, vae_logs, gan_logs, vae_missed=None, gan_missed=None):
    seed_figures = {"fd_spread": spread([3.0, 3.1, 3.05]), "diverged_share": share(0, 3)}

    def figures(diverged, logs, missed):
        return {
            **seed_figures,
            "search_fd_spread": spread(logs),
            "search_diverged_share": share(diverged, n),
            "search_miss_share": share(diverged if missed is None else missed, n),
        }

    return {
        "vae": figures(vae_diverged, vae_logs, vae_missed),
        "dcgan": figures(gan_diverged, gan_logs, gan_missed),
    }


def test_claims_4_and_9_hold_on_strong_search_evidence():
    """16 trials each: the GAN diverges in 10 and its FD varies over two orders of magnitude; the VAE's
    trials all converge within a factor 1.3."""
    summary = searched(
        0, 10, 16, [3.0 + 0.02 * i for i in range(16)], [3.0 + 0.3 * i for i in range(16)], 0, 12
    )
    c4, c9 = by_number(summary, 4), by_number(summary, 9)
    assert c4.evidence == c9.evidence == "search"
    assert [c.metric for c in c4.checks] == ["search_fd_spread", "search_diverged_share"]
    assert c4.verdict == HOLDS and c9.verdict == HOLDS


def test_weak_search_evidence_stays_inconclusive():
    """4 trials each, 1 against 2 diverged and spreads a factor 2 apart: nothing is clear."""
    summary = searched(1, 2, 4, [3.0, 3.1, 3.2, 3.3], [3.0, 3.15, 3.3, 3.45])
    assert by_number(summary, 4).verdict == UNSURE and by_number(summary, 9).verdict == UNSURE


def test_the_claim_fails_when_the_search_shows_the_other_way():
    summary = searched(9, 0, 12, [3.0 + 0.3 * i for i in range(12)], [3.0 + 0.01 * i for i in range(12)])
    assert by_number(summary, 4).verdict == FAILS and by_number(summary, 9).verdict == FAILS


def test_without_a_search_claims_4_and_9_keep_the_seed_evidence():
    summary = {
        m: {"fd_spread": spread([3.0, 3.2, 3.1]), "reach_share": share(3, 3), "fd": estimate([1.0, 2.0])}
        for m in FAMILIES
    }
    c4, c9 = by_number(summary, 4), by_number(summary, 9)
    assert c4.evidence == c9.evidence == "seeds"
    assert [c.metric for c in c4.checks] == ["fd_spread", "diverged_share"]
    assert [c.metric for c in c9.checks] == ["reach_share", "time_to_target_s"]
