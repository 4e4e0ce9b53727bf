"""The super-resolution claim, "GAN super-resolution looks sharper and more realistic but is less faithful
pixel by pixel than a regression or VAE model", as checks on per-seed figures.

The GAN arm (the best model of family "gan" on each figure, `verdicts.representative`) is compared with
the best of each rival family present, "regression" and "vae", three ways:

- more realistic: lower FD (domain features) than the rival;
- sharper: a sharpness ratio closer to the truth's (1) than the rival's — closeness, as claim 1 of the
  generation claims judges it, so that noise (a ratio far above 1) never counts as "sharper";
- less faithful: a lower PSNR against the truth than the rival.

Each check is judged by `verdicts.compare_entries` (Welch's 95 % interval over seeds, at least 2 seeds a
side): it holds when the claimed side is clearly ahead, does not hold when it is clearly behind, and is
inconclusive otherwise. The claim holds when every check holds, does not hold when any check clearly
fails, and is inconclusive otherwise (including when the GAN arm or both rivals are missing). A
deterministic baseline (bicubic) is a reference, not a rival: it has no spread over seeds.

>>> from ganvae.experiment.verdicts import estimate
>>> row = lambda fam, fd, sharp, psnr: {"family": fam, "fd": estimate(fd),
...     "sr_sharpness_ratio": estimate(sharp), "sr_psnr": estimate(psnr)}
>>> judge({"g": row("gan", [5, 6, 5.5], [0.9, 0.95, 0.92], [20, 20.5, 20.2]),
...        "r": row("regression", [20, 21, 22], [0.4, 0.45, 0.42], [25, 25.4, 25.2])})["verdict"]
'holds'
"""

from __future__ import annotations

from typing import Any

from ganvae.experiment.verdicts import FAILS, HOLDS, UNSURE, compare_entries, representative
from ganvae.metrics.meta import get as get_metric

CLAIM = (
    "GAN super-resolution looks sharper and more realistic but is less faithful pixel by pixel than a "
    "regression or VAE model"
)
RIVALS = ("regression", "vae")
# (aspect, figure, whether the GAN is claimed better on it: False = the rival is claimed better)
ASPECTS = (
    ("more realistic", "fd", True),
    ("sharper", "sr_sharpness_ratio", True),
    ("less faithful", "sr_psnr", False),
)


def judge(methods: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The claim's verdict and its checks from `methods` (arm -> {"family": ..., figure: entry})."""
    families = {m: row.get("family", "") for m, row in methods.items()}
    out: dict[str, Any] = {"claim": CLAIM, "verdict": UNSURE, "checks": [], "reason": ""}
    rivals = [f for f in RIVALS if f in families.values()]
    if "gan" not in families.values() or not rivals:
        missing = "GAN arm" if "gan" not in families.values() else "regression or VAE arm"
        out["reason"] = f"no {missing} was run"
        return out
    for family in rivals:
        for aspect, key, gan_claimed_better in ASPECTS:
            meta = get_metric(key)
            gan = representative(methods, families, "gan", meta)
            rival = representative(methods, families, family, meta)
            check = {"aspect": aspect, "against": family, "metric": meta.label, "verdict": UNSURE}
            if gan is None or rival is None:
                out["checks"].append({**check, "reason": "a figure is missing"})
                continue
            favoured, other = (gan, rival) if gan_claimed_better else (rival, gan)
            cmp = compare_entries(meta, favoured.entry, other.entry)
            if cmp.clear:
                check["verdict"] = HOLDS if (cmp.estimate or 0) > 0 else FAILS
            out["checks"].append(
                {
                    **check,
                    "gan": f"{gan.model} {gan.text}",
                    "rival": f"{rival.model} {rival.text}",
                    "difference": cmp.text,
                    "reason": cmp.reason,
                }
            )
    verdicts = [c["verdict"] for c in out["checks"]]
    if all(v == HOLDS for v in verdicts):
        out["verdict"] = HOLDS
    elif FAILS in verdicts:
        out["verdict"] = FAILS
        failed = [f"{c['aspect']} than {c['against']}" for c in out["checks"] if c["verdict"] == FAILS]
        out["reason"] = "clearly not " + "; not ".join(failed)
    else:
        unsure = [f"{c['aspect']} than {c['against']}" for c in out["checks"] if c["verdict"] == UNSURE]
        out["reason"] = "not clear: " + "; ".join(unsure)
    return out
