"""Judge a run folder's per-seed records with the verdict code from before issue 15 (commit eb19c35), to
set the old verdicts beside the new ones on the very same runs (BENCHMARKS.md, "Verdicts by a stated rule").

Runs only against that commit's sources, never the current ones:

    git worktree add /tmp/old eb19c35
    PYTHONPATH=/tmp/old/src python bench/old_verdicts.py runs/fm
"""

import json
import sys

from ganvae.claims import evaluate_claims  # the pre-issue-15 module (removed since)

from ganvae.compare import summarise, use_case_verdicts

with open(sys.argv[1] + "/metrics.json") as f:
    m = json.load(f)
summary, extra = summarise(m["runs"])
families = m["families"]
print(
    json.dumps(
        {
            "claims": {c.number: c.verdict for c in evaluate_claims(summary, families)},
            "verdicts": {
                v["use_case"]: (v.get("winner"), v.get("clear")) for v in use_case_verdicts(summary, families)
            },
            "fd_target": extra["fd_target"],
        },
        indent=1,
    )
)
