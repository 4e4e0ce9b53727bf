"""`RunPlan`: what a comparison and every task share — the data, the models, the seeds and one budget.

Each (model, seed) trains on the same data with the same batch size and budget, so differences in the
results are the models' own. `CompareConfig` and the task configs extend it with their own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ganvae.config import apply_overrides
from ganvae.errors import ConfigError
from ganvae.models.base import config_keys
from ganvae.small_data import default_epochs
from ganvae.training.config import TrainConfig
from ganvae.training.tracking import TrackingConfig

DEFAULT_DIGITS_STEPS = 300


@dataclass
class RunPlan:
    data: str = "digits"
    models: tuple[str, ...] = ("vae", "dcgan")
    seeds: int = 3
    epochs: float | None = None
    steps: int | None = None
    budget_s: float | None = None
    batch_size: int = 64
    image_size: int | tuple[int, int] | None = None
    precision: str = "auto"
    augment: str = "none"  # training batches for every model alike (training/augment.py): none, flip
    jobs: int = 1  # (model, seed) runs in parallel processes; changes nothing in the results
    overrides: dict[str, str] = field(default_factory=dict)  # --set: applied to each model that has the key
    # --logger / --tracking-uri: where the runs are also logged; like `jobs`, it changes no result
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    data_kind: ClassVar[str] = "images"  # the models' `data_kind` this plan trains (recommend: interactions)
    # kinds of model a plan takes besides `data_kind`'s (translate: the two-domain translators, "domains")
    also_kinds: ClassVar[tuple[str, ...]] = ()
    default_epochs: ClassVar[float | None] = None  # the budget when none is given (None: see `budget`)
    # what every model of the plan must be able to do (`GenerativeModel.capabilities`): a comparison draws
    # samples, super-resolution upscales; a model that cannot is refused before anything is written
    needs: ClassVar[frozenset[str]] = frozenset()

    def validate(self) -> None:
        from ganvae.registry import MODELS

        if not self.models:
            raise ConfigError("--models is empty; give e.g. vae,dcgan")
        if len(set(self.models)) != len(self.models):
            raise ConfigError("--models lists a model twice")
        for name in self.models:
            kind = MODELS.get(name).factory.kind()
            if kind.name != self.data_kind and kind.name not in self.also_kinds:
                fit = [
                    e.name
                    for e in MODELS
                    if e.factory.kind().name in (self.data_kind, *self.also_kinds)
                    and self.needs <= e.factory.capabilities
                ]
                raise ConfigError(
                    f"{name} is a model of {kind.name}, not {self.data_kind}; {kind.plan_advice} "
                    f"(models of {self.data_kind}: {', '.join(fit)})"
                )
            missing = self.needs - MODELS.get(name).factory.capabilities
            if missing:
                able = [
                    e.name
                    for e in MODELS
                    if self.needs <= e.factory.capabilities and e.factory.data_kind == self.data_kind
                ]
                raise ConfigError(
                    f"{name} cannot {' or '.join(sorted(missing))}, which this needs; "
                    f"models that can: {', '.join(able)}"
                )
        if self.seeds < 1 or self.batch_size < 1:
            raise ConfigError("--seeds and --batch-size must be at least 1")
        if self.jobs < 1:
            raise ConfigError("--jobs must be at least 1")
        self.tracking.validate()
        from ganvae.training.augment import check_augment

        check_augment(self.augment, self.data_kind)
        known = set().union(*(config_keys(m) for m in self.models))
        unknown = sorted(set(self.overrides) - known)
        if unknown:
            raise ConfigError(
                f"unknown --set key {unknown[0]!r} for {', '.join(self.models)}; "
                f"valid keys: {', '.join(sorted(known))}"
            )
        # the per-run budget must be valid training config (positive epochs / steps / seconds)
        train = self.train_config(0)
        train.validate()
        for name in self.models:
            cfg = apply_overrides(
                MODELS.get(name).extra["preset"], self.overrides_for(name), where=f"{name} config"
            )
            # a setting that needs a kind of budget (srgan's pretrain: a step count) is refused here,
            # before a folder is written, rather than when its first run starts
            if callable(check := getattr(cfg, "check_budget", None)):
                check(train)

    def settings(self) -> dict[str, Any]:
        """The resolved settings as JSON values, without those that cannot change a result (`jobs`): a
        folder refuses a re-run with other settings, not one with more processes."""
        import dataclasses
        import json

        values = dataclasses.asdict(self)
        values.pop("jobs", None)
        values.pop("tracking", None)
        if values.get("augment") == "none":  # folders written before --augment existed stay valid
            values.pop("augment")
        return json.loads(json.dumps(values, default=str))

    def differences(self, saved: dict[str, Any]) -> list[str]:
        """The settings that differ from `saved` (those a folder was written with), each as
        `--option: value there, value asked` under the option's command-line name (`option_name`)."""
        return list(self.changed(saved).values())

    def changed(self, saved: dict[str, Any]) -> dict[str, str]:
        """`differences`, keyed by the (flattened) setting."""
        saved = {k: v for k, v in saved.items() if k != "jobs"}  # folders written when --jobs was saved
        before, now = _flat(saved), _flat(self.settings())
        changed = sorted(k for k in {*before, *now} if before.get(k, _ABSENT) != now.get(k, _ABSENT))
        return {k: f"{option_name(k)}: {_shown(before, k)} there, {_shown(now, k)} asked" for k in changed}

    def additions(self, saved: dict[str, Any]) -> list[str]:
        """The settings in which this plan only adds runs to `saved`: more `seeds`, or `models` that keep
        every model there. A comparison continued with them trains only the runs they add."""
        added = []
        seeds, models = saved.get("seeds"), saved.get("models")
        if isinstance(seeds, int) and self.seeds > seeds:
            added.append("seeds")
        if isinstance(models, list) and models != list(self.models) and set(models) <= set(self.models):
            added.append("models")
        return added

    def refuse_other_settings(self, saved: dict[str, Any], folder: Any, what: str) -> None:
        """ConfigError naming the settings that differ from `saved` (those `folder` was written with): a
        re-run into a folder must use the same ones, or reused runs would be judged beside new ones."""
        if changed := self.differences(saved):
            raise ConfigError(
                f"{folder} holds {what} with other settings ({differences_text(changed)}); "
                "give its options to continue it (--resume), --overwrite to replace it, or another --out"
            )

    def overrides_for(self, name: str) -> dict[str, str]:
        keys = config_keys(name)
        return {k: v for k, v in self.overrides.items() if k in keys}

    def budget(self, n_train: int | None = None) -> dict[str, float | int | None]:
        """The per-run budget; by default `default_epochs` when a plan sets it (the recommenders' and
        tabular models' own defaults), else 300 steps on digits and 5 epochs elsewhere, or on a small
        training split of `n_train` images enough epochs to show each model 100,000 images
        (`small_data.default_epochs`)."""
        given = {"epochs": self.epochs, "steps": self.steps, "budget_s": self.budget_s}
        if all(v is None for v in given.values()):
            if self.default_epochs is not None:
                given["epochs"] = self.default_epochs
            elif self.data == "digits":
                given["steps"] = DEFAULT_DIGITS_STEPS
            else:
                given["epochs"] = default_epochs(n_train, self.batch_size)
        return given

    def train_config(self, seed: int, n_train: int | None = None, **extra: Any) -> TrainConfig:
        """The training config of one run; `n_train` settles the default budget, `extra` adds TrainConfig
        fields (a comparison's checkpoint choice)."""
        return TrainConfig(
            batch_size=self.batch_size,
            seed=seed,
            precision=self.precision,
            augment=self.augment,
            **self.budget(n_train),  # type: ignore[arg-type]
            **extra,
        )

    def data_spec(self) -> dict[str, Any]:
        return {"spec": self.data, "image_size": self.image_size}


# settings whose command-line option is not `--` + the field name with dashes; nested fields without an
# option keep their dotted name
OPTION_NAMES = {
    "budget_s": "--budget",
    "overrides": "--set",
    "eval.n_samples": "--samples",
    "eval.n_recon": "--recon-images",
    "eval.inception_weights": "--inception-weights",
}


def option_name(key: str) -> str:
    """The command-line option of a (flattened) setting: `budget_s` -> `--budget`, `overrides.lr` ->
    `--set lr`, `seeds` -> `--seeds`; nested settings without an option stay dotted (`eval.n_paths`)."""
    if key in OPTION_NAMES:
        return OPTION_NAMES[key]
    head, _, rest = key.partition(".")
    if head == "overrides" and rest:
        return f"--set {rest}"
    return key if rest else "--" + key.replace("_", "-")


def differences_text(changed: list[str], at_most: int = 4) -> str:
    more = f"; and {len(changed) - at_most} more" if len(changed) > at_most else ""
    return "; ".join(changed[:at_most]) + more


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        elif not (isinstance(v, dict) and prefix == "" and k == "overrides"):  # no --set at all
            out[f"{prefix}{k}"] = v
    return out


_ABSENT = object()


def _shown(values: dict[str, Any], key: str) -> str:
    if key not in values:  # settings left out at their default (folders from before they existed)
        return "default"
    value = values[key]
    if value is None:
        return "none"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return str(value)
