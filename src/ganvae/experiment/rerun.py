"""Running again into a folder: one `--resume` / `--overwrite` rule for `ganvae train`, `compare` and every
task, so that each refusal names a command that works.

=========================  ===========================  ==============================================
the folder                 no flag                      --resume / --overwrite
=========================  ===========================  ==============================================
missing or empty           start                        nothing to resume (refused) / start
holds this, same settings  refused: "pass --resume..."  continue: finished runs reused, unfinished ones
                                                        resumed from their checkpoints / start again
holds this, other          refused, naming each         refused, naming each / start again
settings                   setting that differs         setting that differs
holds this, fewer seeds    refused: "pass --resume..."  (a comparison) add the new (model, seed) runs,
or models                                               keep the finished ones / start again
holds another ganvae run   refused                      refused / start again
holds files ganvae did     refused                      refused (--overwrite never deletes what ganvae
not write                                               did not write)
=========================  ===========================  ==============================================

"Start again" empties the folder only once every option and the data have been checked (`clear`), under
the folder's lock, so a refused command changes nothing.

>>> Rerun("runs/c", "a comparison").check(None, [])     # doctest: +SKIP
False
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganvae.errors import ConfigError
from ganvae.plan import RunPlan, differences_text
from ganvae.run_folder import CONFIG, LOCK

FOREIGN = "files that ganvae did not write"


@dataclass
class Rerun:
    """How a command enters its folder `out` (which holds `what`, e.g. "a comparison", "an anomaly task")."""

    out: Path
    what: str
    resume: bool = False
    overwrite: bool = False
    # whether --resume may add runs (more seeds, more models) to what the folder holds: a comparison's
    # runs are independent, so adding some leaves the others as they were
    growable: bool = False

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.resume and self.overwrite:
            raise ConfigError(
                "--resume continues the run in --out and --overwrite replaces it; give one of them"
            )

    def found(self) -> str | None:
        """What `out` holds besides a lock: None (nothing), or a description when it is not a ganvae run."""
        if not self.out.is_dir() or not any(p.name != LOCK for p in self.out.iterdir()):
            return None
        return "" if (self.out / CONFIG).is_file() else FOREIGN

    def enter(self, settings_in: Callable[[dict[str, Any]], dict[str, Any] | None], plan: RunPlan) -> bool:
        """`check` for a folder whose config.json holds `what` when `settings_in(config)` returns its
        settings (None: it holds something else), against `plan`'s settings."""
        path = self.out / CONFIG
        if self.found() != "":
            return self.check(None, [])
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = None
        if not isinstance(config, dict):
            return self.check(f"a damaged {CONFIG}", [])
        settings = settings_in(config)
        if settings is None:
            return self.check(held(config), [])
        changed = plan.changed(settings)
        added = [k for k in plan.additions(settings) if k in changed] if self.growable else []
        if added and len(added) == len(changed) and not self.overwrite:
            if self.resume:
                return True
            raise ConfigError(
                f"{self.out} holds {self.what} with fewer runs ({differences_text(list(changed.values()))}); "
                "pass --resume to add the new runs to it (its finished runs are kept), --overwrite to start "
                "it again, or another --out"
            )
        return self.check(None, list(changed.values()))

    def check(self, other: str | None, differences: list[str]) -> bool:
        """Whether the run continues what `out` holds (True) or starts afresh (False); ConfigError when
        neither is asked for. `other`: what `out` holds when it is not `what` (None: it is, or nothing is
        there); `differences`: the settings that differ from those it was written with."""
        found = self.found()
        if found is None:
            if self.resume:
                raise ConfigError(
                    f"nothing to resume in {self.out} (no {self._bare()} there); run without --resume"
                )
            return False
        if found == FOREIGN or other:
            holds = found or other
            hint = (
                "give another --out"
                if found == FOREIGN
                else "give another --out, or --overwrite to replace it"
            )
            if self.overwrite and found != FOREIGN:
                return False
            raise ConfigError(f"{self.out} holds {holds}, not {self.what}; {hint}")
        if self.overwrite:
            return False
        if differences:
            more = " (more --seeds or --models can be added with --resume)" if self.growable else ""
            raise ConfigError(
                f"{self.out} holds {self.what} with other settings ({differences_text(differences)}); "
                f"give the same options to continue it (with --resume){more}, --overwrite to replace it, "
                "or another --out"
            )
        if not self.resume:
            raise ConfigError(
                f"{self.out} already holds this {self._bare()}; pass --resume to continue it (finished "
                "runs are kept), --overwrite to start it again, or another --out"
            )
        return True

    def clear(self) -> None:
        """With --overwrite, empty `out` (keeping its lock), once the options and the data are checked."""
        from ganvae.folder_lock import clear_folder

        if self.overwrite and self.found() == "":
            clear_folder(self.out)

    def _bare(self) -> str:
        return self.what.split(" ", 1)[1] if self.what.startswith(("a ", "an ")) else self.what


def held(config: dict[str, Any]) -> str:
    """What a run folder holds, from its config.json: "a comparison", "a `denoise` task", "a vae run"."""
    if "compare" in config:
        return "a comparison"
    if "task" in config:
        return task_what(str(config["task"]))
    if "model" in config:
        return f"a {config['model']} run (`ganvae train`)"
    return "another ganvae run"


def task_what(task: str) -> str:
    """ "an `anomaly` task", "a `denoise` task"."""
    return f"{'an' if task[:1] in 'aeiou' else 'a'} `{task}` task"
