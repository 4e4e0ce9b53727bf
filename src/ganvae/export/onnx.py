"""`ganvae export --format onnx`: a trained model's networks as ONNX files plus `model.json`.

Written (into one folder, atomically: all of it or nothing):

- `decoder.onnx`: codes (and, for a class-conditional model, int64 class labels) -> images N x C x H x W
  in [0, 1], exactly what `model.decode` returns (a GAN's Tanh output is mapped from [-1, 1] to [0, 1] in
  the graph). A GAN exports the generator it samples from: the EMA copy unless generator=raw.
- `encoder.onnx` (VAEs): images in [0, 1] (and labels) -> the posterior's `mean` and `logvar`. A GAN has
  no encoder: its codes come from an optimisation (latent inversion), which stays in Python.
- `prior.onnx` (a VAE sampling from its two-stage prior only): two N(0, I) draws `u`, `eps` -> codes.
- `model.json`: every file's inputs and outputs (names, shapes with "batch" for the dynamic first axis,
  dtypes, value ranges) and `prior`, what to draw codes from to sample: `normal` (N(0, I)), `mixture`
  (the VAE's ex-post Gaussian mixture, its weights, means and lower Cholesky factors L: pick component k
  with probability weights[k], then z = means[k] + L[k] @ e with e ~ N(0, I)) or `two-stage`.

A tabular VAE (`tabular-vae`) exports its encoder and its decoder's raw output only: turning that into
rows (per-column activations, draws, the inverse of the fitted transformer) stays in Python.

The exporter is torch.onnx's (torch.export + onnxscript, `dynamo=True`): the TorchScript exporter is
deprecated since torch 2.9. Exporting runs the networks in eval mode (BatchNorm's running statistics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganvae.errors import ConfigError, OutputError
from ganvae.registry import Registry

FORMAT_VERSION = 1
OPSET = 18
MANIFEST = "model.json"


@dataclass
class Part:
    """One network to export: a module whose forward takes `inputs` (in order) and returns `outputs`."""

    name: str
    module: nn.Module
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    example: tuple[torch.Tensor, ...]
    notes: list[str] = field(default_factory=list)


def _one_hot(labels: torch.Tensor, k: int) -> torch.Tensor:
    # a comparison with arange exports to plain ONNX ops (Equal, Cast) at any batch size
    return (labels.unsqueeze(1) == torch.arange(k, device=labels.device).unsqueeze(0)).float()


class _Decode(nn.Module):
    """z (+ labels) -> image in [0, 1] by `net` and the model's output map `to_image`."""

    def __init__(self, net: nn.Module, to_image: Callable[[torch.Tensor], torch.Tensor], classes: int):
        super().__init__()
        self.net, self.to_image, self.classes = net, to_image, classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        onehot = _one_hot(labels, self.classes) if self.classes else None
        return self.to_image(self.net(z, onehot))


class _Posterior(nn.Module):
    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        onehot = _one_hot(labels, self.vae.num_classes) if self.vae.num_classes else None
        h = self.vae.encoder(x)
        if onehot is not None:
            h = torch.cat([h, onehot], dim=1)
        mu, logvar = self.vae.head(h).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)  # as VAE.posterior


class _SecondStage(nn.Module):
    """(u, eps) -> code, `SecondStage.sample` with its two N(0, I) draws given."""

    def __init__(self, stage2: nn.Module):
        super().__init__()
        self.s = stage2

    def forward(self, u: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        return (self.s.decoder(u) + eps * self.s.log_sigma.exp()) * self.s.scale + self.s.shift


def _tensor(name: str, shape: list[Any], dtype: str = "float32", **about: Any) -> dict[str, Any]:
    return {"name": name, "shape": shape, "dtype": dtype, **about}


def _code_inputs(model: Any, n: int = 2) -> tuple[list[dict[str, Any]], tuple[torch.Tensor, ...]]:
    d = model.latent_dim
    specs = [_tensor("z", ["batch", d], about="a code; see `prior` for what to draw it from")]
    example: tuple[torch.Tensor, ...] = (torch.randn(n, d),)
    if model.num_classes:
        specs.append(_labels(model))
        example += (torch.arange(n) % model.num_classes,)
    return specs, example


def _labels(model: Any) -> dict[str, Any]:
    return _tensor(
        "labels",
        ["batch"],
        "int64",
        range=[0, model.num_classes - 1],
        classes=model.class_names or [str(i) for i in range(model.num_classes)],
    )


def _image(name: str, model: Any, about: str) -> dict[str, Any]:
    return _tensor(name, ["batch", *model.shape], range=[0.0, 1.0], layout="NCHW", about=about)


def _vae_parts(model: Any) -> tuple[list[Part], dict[str, Any]]:
    code_specs, code_example = _code_inputs(model)
    out = _image("image", model, "the decoded image, as VAE.decode (the likelihood's mean)")
    parts = [
        Part(
            "decoder",
            _Decode(model.decoder, model.to_image, model.num_classes),
            code_specs,
            [out],
            code_example,
        )
    ]
    x_specs = [_image("x", model, "images in [0, 1]")] + ([_labels(model)] if model.num_classes else [])
    x_example: tuple[torch.Tensor, ...] = (torch.rand(2, *model.shape),) + code_example[1:]
    d = model.latent_dim
    posterior = [
        _tensor("mean", ["batch", d], about="posterior mean: the code `ganvae` uses for encode"),
        _tensor("logvar", ["batch", d], about="posterior log-variance"),
    ]
    parts.append(Part("encoder", _Posterior(model), x_specs, posterior, x_example))
    return parts, _vae_prior(model, parts)


def _vae_prior(model: Any, parts: list[Part]) -> dict[str, Any]:
    """What `model.sample` draws codes from, as the consumer must reproduce it."""
    prior = model.config.prior
    if prior == "normal" or not model.prior_fitted:
        # an unfitted ex-post prior (never trained) samples N(0, I) too (VAE.latent)
        return {"kind": "normal", "about": "z ~ N(0, I)"}
    if prior == "two-stage" and model.stage2.fitted:
        d = model.latent_dim
        draws = [_tensor(n, ["batch", d], about="~ N(0, I)") for n in ("u", "eps")]
        parts.append(
            Part(
                "prior",
                _SecondStage(model.stage2),
                draws,
                [_tensor("z", ["batch", d])],
                (torch.randn(2, d), torch.randn(2, d)),
            )
        )
        return {"kind": "two-stage", "file": "prior.onnx", "about": "z = prior(u, eps), u, eps ~ N(0, I)"}
    k = int((model.prior_weights > 0).sum())  # the fitted components come first (VAE.fit_prior)
    return {
        "kind": "mixture",
        "about": "pick k with probability weights[k]; z = means[k] + cholesky[k] @ e, e ~ N(0, I) "
        "(a consumer may also draw z ~ N(0, I): the prior the VAE trained with, blurrier samples)",
        "weights": model.prior_weights[:k].tolist(),
        "means": model.prior_means[:k].tolist(),
        "cholesky": model.prior_tril[:k].tolist(),
    }


def _gan_parts(model: Any) -> tuple[list[Part], dict[str, Any]]:
    code_specs, code_example = _code_inputs(model)
    net = model.drawing_generator
    which = "ema" if net is not model.generator else "raw"
    out = _image("image", model, f"the {which} generator's image, (tanh + 1) / 2 as GAN.decode")
    decoder = _Decode(net, lambda raw: (torch.tanh(raw) + 1.0) * 0.5, model.num_classes)
    part = Part("decoder", decoder, code_specs, [out], code_example, [f"generator: {which}"])
    return [part], {"kind": "normal", "about": "z ~ N(0, I)", "generator": which}


class _Raw(nn.Module):
    """z -> the tabular decoder's raw output (no activation: `TabularVAE.decode` activates it in Python)."""

    def __init__(self, decoder: nn.Module):
        super().__init__()
        self.decoder = decoder

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


class _TablePosterior(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        return self.model.posterior(x)


def _tabular_vae_parts(model: Any) -> tuple[list[Part], dict[str, Any]]:
    d, width = model.latent_dim, model.shape[0]
    raw = _tensor(
        "raw",
        ["batch", width],
        about="the decoder network's raw output for one transformed row: the column activations "
        "(tanh, softmax), the draws (sigma below) and the inverse transform to table rows stay in "
        "Python (`ganvae synthesize`)",
    )
    z = [_tensor("z", ["batch", d], about="a code; z ~ N(0, I)")]
    parts = [Part("decoder", _Raw(model.decoder), z, [raw], (torch.randn(2, d),))]
    rows = [_tensor("x", ["batch", width], about="transformed rows (the fitted transformer's output)")]
    posterior = [_tensor("mean", ["batch", d]), _tensor("logvar", ["batch", d])]
    parts.append(Part("encoder", _TablePosterior(model), rows, posterior, (torch.rand(2, width),)))
    prior = {"kind": "normal", "about": "z ~ N(0, I)", "sigma": model.sigma.detach().tolist()}
    return parts, prior


# Which models export, by model class: a function giving their parts and their prior
EXPORTERS: Registry[Callable[[Any], tuple[list[Part], dict[str, Any]]]] = Registry("ONNX exporter")
EXPORTERS.register("VAE", _vae_parts, "decoder, encoder (mean, logvar), prior")
EXPORTERS.register("GAN", _gan_parts, "generator (the one it samples from)")
EXPORTERS.register("TabularVAE", _tabular_vae_parts, "raw decoder output and encoder of transformed rows")


def exportable(model: Any) -> bool:
    return type(model).__name__ in EXPORTERS.names()


def supported_models() -> list[str]:
    """The registered models whose networks export to ONNX."""
    from ganvae.registry import MODELS

    return [e.name for e in MODELS if e.factory.__name__ in EXPORTERS.names()]


def export_onnx(model: Any, out: str | Path) -> dict[str, Any]:
    """Write `model`'s parts and `model.json` into the folder `out` (replaced as a whole, atomically);
    returns the manifest.

    >>> from ganvae.models import build_model
    >>> export_onnx(build_model("vae", (1, 8, 8)), "/tmp/vae-onnx")["files"]   # doctest: +SKIP
    ['decoder.onnx', 'encoder.onnx']
    """
    from ganvae.atomic import atomic_dir, write_json

    name = model.registered_name or type(model).__name__
    if not exportable(model):
        raise ConfigError(
            f"{name} does not export to ONNX; `ganvae export` supports {', '.join(supported_models())}"
        )
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        # the export replaces the folder as a whole: never a folder it did not write
        raise OutputError(
            f"--out {out} exists and is not an earlier ONNX export; give a new folder or remove it"
        )
    model = model.eval()
    parts, prior = EXPORTERS.get(type(model).__name__).factory(model)
    with atomic_dir(out) as tmp:
        for part in parts:
            _export_part(part, tmp / f"{part.name}.onnx")
        manifest = _manifest(model, parts, prior)
        write_json(tmp / MANIFEST, manifest)
    return manifest


def _export_part(part: Part, path: Path) -> None:
    import logging
    import warnings

    batch = torch.export.Dim("batch", min=1)
    dynamic = {spec["name"]: {0: batch} for spec in part.inputs}
    # the exporter's notes (torchvision not installed, deprecated specs) are not the user's business
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                part.module.eval(),
                part.example,
                input_names=[s["name"] for s in part.inputs],
                output_names=[s["name"] for s in part.outputs],
                dynamic_shapes=dynamic,
                opset_version=OPSET,
                dynamo=True,
                verbose=False,
            )
    finally:
        quiet.setLevel(level)
    if program is None:  # pragma: no cover -- dynamo=True always returns a program
        raise OutputError(f"torch.onnx.export wrote no program for {part.name}")
    program.save(str(path), external_data=False)


def _manifest(model: Any, parts: list[Part], prior: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "ganvae-onnx",
        "version": FORMAT_VERSION,
        "model": model.registered_name,
        "family": model.family,
        "shape": list(model.shape),
        "kind": model.data_kind,
        "latent_dim": model.latent_dim,
        "num_classes": model.num_classes,
        "class_names": model.class_names,
        "opset": OPSET,
        "files": [f"{p.name}.onnx" for p in parts],
        "parts": {
            p.name: {"file": f"{p.name}.onnx", "inputs": p.inputs, "outputs": p.outputs, "notes": p.notes}
            for p in parts
        },
        "prior": prior,
        "not_exported": _not_exported(model),
    }


def _not_exported(model: Any) -> list[str]:
    if model.data_kind == "table":
        return ["decoding the raw output to table rows (activations, draws, inverse transform)"]
    out = ["anomaly scores (`ganvae score`) stay in Python"]
    if model.family == "gan":
        out.insert(0, "encoder: a GAN's codes come from latent inversion (an optimisation), not a network")
    return out
