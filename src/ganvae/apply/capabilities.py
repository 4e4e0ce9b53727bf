"""Which apply commands a trained model can serve, and one clear refusal when it cannot.

A model declares what it can do (`GenerativeModel.capabilities`, its `data_kind`, its `anomaly_scores`,
whether it was trained class-conditional); each apply command declares here, once, what it needs. A
command given a model that lacks something gets a ConfigError naming what is missing and the commands that
model can serve instead (`ganvae sample` on cfgan: "use `ganvae recommend` instead"), rather than reaching
a method the model does not implement: that ended in a NotImplementedError traceback (cfgan, popularity)
or in the image-grid writer failing on item vectors or a DataFrame (mult-vae, tabular models).

>>> from ganvae.models import build_model
>>> uses(build_model("cfgan", (50,)))
['recommend']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganvae.errors import ConfigError
from ganvae.registry import Registry


@dataclass(frozen=True)
class Need:
    """One thing a command needs: a test on (model class, trained number of classes) and, when the test
    fails, what the model lacks in words."""

    holds: Callable[[type, int], bool]
    missing: Callable[[type], str]


def _kind(kind: str) -> Need:
    """A model of the data kind `kind`; what a model of another kind models is its kind's words."""

    def missing(cls: type) -> str:
        from ganvae.data.catalog import data_kind

        return f"it models {cls.kind().modelled}, not {data_kind(kind).modelled}"

    return Need(lambda cls, _: cls.data_kind == kind, missing)


def _capable(capability: str, missing: str) -> Need:
    return Need(lambda cls, _: capability in cls.capabilities, lambda _: missing)


IMAGES = _kind("images")
TABLE = _kind("table")
SAMPLES = _capable("sample", "it cannot draw samples")
RANKS = _capable("recommend", "it does not rank items")
UPSCALES = _capable("upscale", "it does not upscale images (srgan, sr-vae, sr-regression do)")
# encode and decode: a morph walks between two images' codes
LATENT = Need(
    lambda cls, _: {"encode", "decode"} <= cls.capabilities, lambda _: "it has no encoder and decoder"
)
SCORES = Need(lambda cls, _: bool(cls.anomaly_scores), lambda _: "it has no anomaly score")
# A capability of the class ("condition") is not enough: the trained model must have been conditional
CONDITIONAL = Need(
    lambda _, num_classes: num_classes > 0,
    lambda _: "it is not class-conditional (train cvae or cgan on labelled data)",
)

# translate: a translator (cyclegan, unit), or a class-conditional model with an encoder trained on two
# classes (the translate task's cvae: encode with one label, decode with the other)
TRANSLATES = Need(
    lambda cls, num_classes: (
        "translate" in cls.capabilities or ({"encode", "decode"} <= cls.capabilities and num_classes == 2)
    ),
    lambda _: "it does not translate between two domains (train one with `ganvae task translate`)",
)

APPLY_COMMANDS: Registry[tuple[Need, ...]] = Registry("apply command")
APPLY_COMMANDS.register("sample", (IMAGES, SAMPLES), "a grid of drawn images")
APPLY_COMMANDS.register("generate", (IMAGES, SAMPLES, CONDITIONAL), "images of the class a prompt names")
APPLY_COMMANDS.register("morph", (IMAGES, LATENT), "a morph between two images")
APPLY_COMMANDS.register("score", (IMAGES, SCORES), "anomaly scores of new images")
APPLY_COMMANDS.register("upscale", (IMAGES, UPSCALES), "a super-resolved image")
APPLY_COMMANDS.register("recommend", (RANKS,), "top-k items for a user")
APPLY_COMMANDS.register("synthesize", (TABLE, SAMPLES), "synthetic table rows")
APPLY_COMMANDS.register("translate", (TRANSLATES,), "an image translated into the other domain")


def _exports(cls: type, _: int) -> bool:
    from ganvae.export.onnx import EXPORTERS  # the classes it knows (torch is loaded with any model)

    return cls.__name__ in EXPORTERS


def _exporters(_: type) -> str:
    from ganvae.export.onnx import supported_models

    return f"its networks do not export to ONNX (supported: {', '.join(supported_models())})"


EXPORTS = Need(_exports, _exporters)
APPLY_COMMANDS.register("export", (EXPORTS, SAMPLES), "ONNX files of the decoder / generator and encoder")


def _describe(model: Any) -> tuple[str, type, int]:
    """(name, class, trained number of classes) of a loaded model, or of the model folder `model` (read
    from its config.json, without loading the weights)."""
    if isinstance(model, str | Path):
        from ganvae.models.base import read_config
        from ganvae.registry import MODELS

        meta = read_config(Path(model))
        return meta["model"], MODELS.get(meta["model"]).factory, int(meta.get("num_classes") or 0)
    return model.registered_name or type(model).__name__, type(model), int(model.num_classes)


def uses(model: Any) -> list[str]:
    """The apply commands `model` (a loaded model or its folder) can serve, in registry order."""
    _, cls, k = _describe(model)
    return [e.name for e in APPLY_COMMANDS if all(n.holds(cls, k) for n in e.factory)]


def require(model: Any, command: str) -> None:
    """Refuse, in one line, a `command` that `model` (a loaded model or its folder) cannot serve: what it
    lacks, and the commands it can serve instead."""
    name, cls, k = _describe(model)
    lacking = [n.missing(cls) for n in APPLY_COMMANDS.get(command).factory if not n.holds(cls, k)]
    if not lacking:
        return
    raise ConfigError(f"{name} cannot be used by `ganvae {command}`: {lacking[0]}; {_instead(uses(model))}")


def model_folder_for(
    command: str,
    path: str | Path,
    model: str | None = None,
    *,
    default: str | None = None,
    written_by: str = "",
) -> Path:
    """The model folder `path` means for `command`: `ganvae.run_folder.resolve_model_folder`'s rule,
    choosing (when `model` is not given) only among the models that can serve `command`; refused in one
    line (`require`) when the model given cannot."""
    from ganvae.run_folder import resolve_model_folder

    folder = resolve_model_folder(
        path,
        model,
        default=default,
        written_by=written_by,
        usable=lambda f: command in uses(f),
        purpose=f"`ganvae {command}`",
    )
    require(folder, command)
    return folder


def _instead(commands: list[str]) -> str:
    names = [f"`ganvae {c}`" for c in commands]
    if not names:
        return "it serves no apply command (see `ganvae info`)"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"use {listed} instead"
