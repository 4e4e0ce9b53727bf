"""`ganvae.compare(plan, out)`: one entry point that compares the models of a plan on any kind of data.

The plan's type says what it compares: `CompareConfig` (images: every figure of the image evaluation,
the claims and the use-case verdicts), `SynthesizeConfig` (tables: fidelity, utility, privacy) or
`RecommendConfig` (user-item interactions: ranking figures). Each kind's comparison is registered here by
the plan's `data_kind`, so the command line only parses options into a plan and calls this.

>>> import ganvae
>>> from ganvae.compare import CompareConfig
>>> result = ganvae.compare(CompareConfig(seeds=2, steps=50), "runs/demo")       # doctest: +SKIP
>>> [c["verdict"] for c in result["claims"]]                                     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ganvae.errors import ConfigError
from ganvae.plan import RunPlan

# data kind -> "module:function" running that kind's comparison (imported only when used)
COMPARISONS = {
    "images": "ganvae.compare:compare",
    "table": "ganvae.tasks.synthesize:run_synthesize",
    "interactions": "ganvae.tasks.recommend:run_recommend",
}


def compare(
    plan: RunPlan,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train every (model, seed) of `plan`, evaluate them alike and write `out` (metrics.json, report.html);
    returns the metrics. `resume` continues a comparison `out` holds, `overwrite` replaces it
    (`ganvae.experiment.rerun`)."""
    target = COMPARISONS.get(plan.data_kind)
    if target is None:
        raise ConfigError(f"no comparison for {plan.data_kind} data; known: {', '.join(COMPARISONS)}")
    module, name = target.split(":")
    run = getattr(importlib.import_module(module), name)
    return run(plan, out, progress=progress, command=command, resume=resume, overwrite=overwrite)
