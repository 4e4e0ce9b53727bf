"""The models `ganvae serve` holds: every model folder under the RUN folders given, loaded once, read-only,
each under a name a request gives (never a path): its folder's name (`vae-seed1`), and its model's name
(`vae`) for the lowest seed, as the apply commands choose."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganvae.errors import ConfigError


@dataclass
class Served:
    name: str
    folder: Path
    model: Any
    uses: list[str]
    calibration: dict[str, list[float]] = field(default_factory=dict)  # held-out normal scores by method
    data: dict[str, Any] = field(default_factory=dict)  # config.json's "data": what it was trained on

    @property
    def data_key(self) -> str | None:
        """The data the model was trained on, as its run names it (built-in name or path, and the image
        size), or None when config.json does not say (a model saved outside a run)."""
        spec = self.data.get("spec")
        if not isinstance(spec, str) or not spec:
            return None
        size = self.data.get("image_size")
        return spec if not size else f"{spec} @ {size}"

    def describe(self) -> dict[str, Any]:
        m = self.model
        image = m.data_kind == "images"
        return {
            "name": self.name,
            "model": m.registered_name,
            "family": m.family,
            "kind": m.data_kind,
            "shape": list(m.shape),
            "latent_dim": m.latent_dim if image and "decode" in m.capabilities else None,
            "num_classes": m.num_classes,
            "class_names": m.class_names,
            "uses": self.uses,
            "anomaly_scores": list(m.anomaly_scores),
            "calibrated": sorted(self.calibration),
            "data": self.data_key if image else None,
        }


def model_folders(run: str | Path) -> list[Path]:
    """The model folders `run` means: itself (a model folder), those under its models/, or an unfinished
    `ganvae train` run's checkpoint."""
    from ganvae.run_folder import RunFolder, is_model_folder, resolve_model_folder

    path = Path(run)
    if is_model_folder(path):
        return [path]
    found = RunFolder(path).model_folders()
    return found or [resolve_model_folder(path)]


def load_catalog(runs: list[str | Path]) -> dict[str, Served]:
    """name -> Served for every model of `runs`; a folder name met twice is prefixed by its run's name."""
    import json

    from ganvae.apply.capabilities import uses
    from ganvae.models.base import GenerativeModel, read_config
    from ganvae.tasks.anomaly import CALIBRATION

    if not runs:
        raise ConfigError("give at least one run, comparison or task folder to serve")
    served: dict[str, Served] = {}
    for run in runs:
        for folder in model_folders(run):
            model = GenerativeModel.load(folder)
            name = folder.name if folder.name not in served else f"{Path(run).name}/{folder.name}"
            calib = {}
            if (folder / CALIBRATION).is_file():
                try:
                    calib = json.loads((folder / CALIBRATION).read_text(encoding="utf-8"))
                except ValueError:
                    calib = {}  # a damaged calibration: scores are served without a threshold
            data = read_config(folder).get("data")
            data = data if isinstance(data, dict) else {}
            served[name] = Served(name, folder, model, uses(model), calib, data)
    aliases: dict[str, Served] = {}
    for s in sorted(served.values(), key=lambda s: s.name):
        aliases.setdefault(s.model.registered_name, s)  # sorted: seed0 before seed1
    return served | {k: v for k, v in aliases.items() if k not in served}


def pick(catalog: dict[str, Served], name: Any, command: str, endpoint: str) -> Served:
    """The model a request to `endpoint` names, or the only one that serves the apply `command` it needs;
    else a 4xx line naming the models that can."""
    from ganvae.serve.limits import RequestError

    able = sorted({s.name for s in catalog.values() if command in s.uses})
    if name is None or name == "":
        if len(able) == 1:
            return catalog[able[0]]
        listed = ", ".join(able) or "none of the served models"
        raise RequestError(422, f"give model: one of {listed}")
    if not isinstance(name, str) or name not in catalog:
        raise RequestError(
            404, f"no served model {str(name)[:80]!r}; /api/models lists them ({', '.join(able)})"
        )
    entry = catalog[name]
    if command not in entry.uses:
        raise RequestError(
            422,
            f"{name} cannot serve {endpoint}; models that can: {', '.join(able) or 'none of those served'}",
        )
    return entry
