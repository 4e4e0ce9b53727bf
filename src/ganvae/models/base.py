"""`GenerativeModel`: the one interface both families implement (one level of inheritance, no deeper).

A model owns its training step (`train_step`), so the single training loop never needs to know whether it
drives an ELBO or a two-player game. Weights are saved as safetensors plus a JSON config: loading never
unpickles or executes anything from a file.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ganvae.atomic import atomic_path, write_json
from ganvae.config import apply_overrides, field_names, to_dict
from ganvae.errors import CheckpointError, ConfigError
from ganvae.nn.noise import seeded
from ganvae.run_folder import CONFIG, WEIGHTS

if TYPE_CHECKING:
    from ganvae.data.base import DataKind


class Optimizers(Protocol):
    """What the training loop hands to `train_step`: named optimizers and a precision-aware step."""

    def __getitem__(self, name: str) -> torch.optim.Optimizer: ...

    def step(self, name: str, loss: torch.Tensor) -> None:
        """zero_grad, backward (through the precision plugin), optimizer step."""


class GenerativeModel(nn.Module):
    """Base class: a model of images (C x H x W in [0, 1]) with optional class conditioning.

    Subclasses set `name`-independent behaviour; the registered name and config travel with the weights.
    """

    # what the model can do, for the apply commands (`ganvae.apply.capabilities`) and the plans that
    # need it: "sample", "encode", "decode", "reconstruct", "score", "condition", "recommend", "upscale"
    capabilities: ClassVar[frozenset[str]] = frozenset()
    config_class: ClassVar[type]
    family: ClassVar[str] = ""  # "vae", "gan" or "diffusion": what the comparison groups by
    anomaly_scores: ClassVar[tuple[str, ...]] = ()  # methods `score` knows; the first is the default
    # What one data row is: a kind registered in `ganvae.data.catalog` (`kind` gives its `DataKind`, which
    # the loop, `build_model` and the CLI ask instead of comparing names). "images": C x H x W in [0, 1]
    # (the default; the loop writes sample grids). "interactions": one user's binary item vector, shape
    # (n_items,), for the recommenders (Mult-VAE, CFGAN...): they rank items with `rank` instead of drawing
    # images, so the loop writes no grids and the image-only tests and tasks skip them. One flag rather than
    # a second base class keeps one interface. "table": one transformed table row, shape (width,), for the
    # tabular models; they need the fitted data transformer (its spans, to activate and score each column)
    # as `context`.
    data_kind: ClassVar[str] = "images"
    # Config keys that change only how samples are drawn from the trained networks, never the networks or
    # their training, so they may be changed on a trained model (`ganvae synthesize --set`, `with_sampling`)
    sampling_settings: ClassVar[frozenset[str]] = frozenset()
    # Prefixes of state a checkpoint may lack (added after it was written): loading leaves it at its
    # initial value, which the model reads as "not there" (a VAE's mixture prior, fitted after training)
    optional_state: ClassVar[tuple[str, ...]] = ()
    # True for a model whose `train_step` splits each batch by its labels (the translators, by domain): the
    # loop hands it the batch's labels on the host, so the sizes of the parts are known without waiting for
    # the GPU (a boolean mask of labels on the GPU stalls every step on a host sync)
    labels_on_host: ClassVar[bool] = False
    absent_state_: tuple[str, ...] = ()  # the optional state the loaded file lacked (`load_weights`)

    def __init__(
        self,
        config: Any,
        shape: tuple[int, ...],
        num_classes: int = 0,
        context: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.config = config
        # What a model needs from its data beyond shapes (JSON: the tabular transformer's state); saved in
        # config.json so that `load` rebuilds the model without the data
        self.context = context or {}
        self.shape = tuple(int(s) for s in shape)
        self.num_classes = int(num_classes) if getattr(config, "conditional", False) else 0
        if getattr(config, "conditional", False) and num_classes < 2:
            raise ConfigError(
                "conditional=true needs labelled data with at least 2 classes; use labelled data"
            )
        self.registered_name = ""
        self.class_names: list[str] | None = None

    # ---- the interface -------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        raise NotImplementedError

    def with_sampling(self, overrides: dict[str, Any]) -> GenerativeModel:
        """Change sampling-only settings (`sampling_settings`) of this trained model; returns self. Any
        other key would describe a different network or training, so it needs a new run."""
        name, can = self.registered_name or type(self).__name__, sorted(self.sampling_settings)
        unknown = sorted(set(overrides) - set(field_names(self.config)))
        if unknown:
            raise ConfigError(
                f"{name} has no setting {', '.join(unknown)}; settings it can change when sampling: "
                f"{', '.join(can) or 'none'}"
            )
        fixed = sorted(set(overrides) - self.sampling_settings)
        if fixed:
            raise ConfigError(
                f"{', '.join(fixed)} cannot change after training ({name} can change: "
                f"{', '.join(can) or 'nothing'}); retrain with --set to change it"
            )
        self.config = apply_overrides(self.config, overrides, where=f"{name} sampling")
        return self

    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        raise NotImplementedError

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, labels), labels=labels)

    def restore(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Corrupted images restored blindly (the denoising task): `reconstruct` by default (a VAE's encode
        and decode, a GAN's projection onto its range); a diffusion model noises them to the step matching
        their noise and runs the reverse process instead (SDEdit). `generator` seeds a random restoration."""
        return self.reconstruct(x, labels)

    def interpolate(self, za: torch.Tensor, zb: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Codes between `za` and `zb` at fractions `t` (broadcast): a straight line; a model whose codes
        are Gaussian noise of fixed norm (a diffusion model's) interpolates on the sphere instead."""
        return za * (1 - t) + zb * t

    def score(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, method: str | None = None
    ) -> torch.Tensor:
        """Per-image anomaly score (higher = more anomalous) by one of `anomaly_scores`."""
        method = method or self.anomaly_scores[0]
        if method not in self.anomaly_scores:
            raise ConfigError(
                f"{self.registered_name or type(self).__name__} has no anomaly score {method!r}; "
                f"choose one of {', '.join(self.anomaly_scores)}"
            )
        return getattr(self, "score_" + method.replace("-", "_"))(x, labels)

    def upscale(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """High-resolution images in [0, 1] from low-resolution ones (capability "upscale": the
        super-resolution models of `models/srgan.py` and `models/srvae.py`); `generator` seeds a
        stochastic model's draw. Image-to-image models train on ordinary images and draw no samples."""
        raise NotImplementedError

    def rank(self, x: torch.Tensor) -> torch.Tensor:
        """Item scores (users x items, higher = recommend first) given users' known items `x`
        (data_kind "interactions" only); the caller excludes the known items from the ranking."""
        raise NotImplementedError

    def prepare_training(self, x_train: torch.Tensor) -> None:
        """Called by the training loop before the first step with the whole training matrix (on the
        training device). A model that samples its own training rows indexes them here (CTGAN's
        training-by-sampling); it must not keep them in its state_dict (no training data in checkpoints)."""

    def plan_training(self, total_steps: int | None, budget_s: float | None) -> None:
        """Called by the training loop before `prepare_training` (on a resumed run too) with the run's
        length: `total_steps`, where the step or epoch budget ends (None when only a wall-clock budget
        limits it), and that budget in seconds (`budget_s`, or None). A model whose training has phases
        (SRGAN's content-only start) places them here, as a function of the step alone, so that a resumed
        run finds them where the uninterrupted one had them."""

    def notes(self) -> list[str]:
        """Lines the user should read before training starts: choices the model made from its config or the
        data that change what it trains (the loop prints and logs them once, on the first process)."""
        return []

    def finish_training(self, x_train: torch.Tensor) -> None:
        """Called by the training loop once, when training ends (on every process, before the final
        evaluation and save), with the training tensor. A VAE fits its ex-post mixture prior here."""

    def parts(self) -> dict[str, tuple[list[nn.Module], Any]]:
        """Named sub-networks: (their modules, a function running them on a batch of b inputs).

        Used for the matched-capacity table (parameters and forward FLOPs per sample)."""
        return {}

    # ---- helpers shared by both families -------------------------------------------------------
    @classmethod
    def kind(cls) -> DataKind:
        """The kind of data the model trains on (`data_kind`), as registered in `ganvae.data.catalog`."""
        from ganvae.data.catalog import data_kind

        return data_kind(cls.data_kind)

    @property
    def unit(self) -> str:
        """What one training sample is called in progress bars and summaries."""
        return self.kind().unit

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def adam(self, params, **options) -> torch.optim.Adam:
        """Adam for this model's device: the fused kernel (one pass over all tensors) on CPU and CUDA.

        Measured on 2 CPU threads: the per-tensor Adam took ~37 % of a mult-vae step (fused: 10x faster)
        and fused Adam with channels_last lifted vae/dcgan training 1.28-1.31x (bench/speedups.py)."""
        fused = self.device.type in ("cpu", "cuda") or None
        return torch.optim.Adam(params, fused=fused, **options)

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)

    def onehot(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """One-hot labels for a conditional model; random labels when none are given."""
        if not self.num_classes:
            return None
        if labels is None:
            labels = torch.randint(self.num_classes, (n,), device=self.device)
        labels = labels.to(self.device).long()
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ConfigError(f"labels must lie in 0..{self.num_classes - 1}")
        return nn.functional.one_hot(labels, self.num_classes).float()

    def latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n prior codes (seeded as `ganvae.nn.noise.seeded` draws)."""
        return seeded(torch.randn, (n, self.latent_dim), generator, self.device)

    # ---- persistence ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "model": self.registered_name,
            "family": self.family,
            "config": to_dict(self.config),
            "shape": list(self.shape),
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            **({"context": self.context} if self.context else {}),
        }

    def save(self, folder: str | Path) -> Path:
        """Write `model.safetensors` and `config.json` into `folder` (each atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        with atomic_path(folder / WEIGHTS) as tmp:
            save_file(tensors, str(tmp))
        write_json(folder / CONFIG, self.describe())
        return folder

    @staticmethod
    def load(folder: str | Path, map_location: str | torch.device = "cpu") -> GenerativeModel:
        """Rebuild a model from `folder` (written by `save`): JSON config + safetensors weights only."""
        folder = Path(folder)
        meta = read_config(folder)
        model = build_from_meta(meta)
        try:
            state = load_file(str(folder / WEIGHTS), device=str(map_location))
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(
                f"{folder / WEIGHTS} is missing or corrupt ({exc}); retrain or restore it"
            ) from None
        model.load_weights(state, folder / WEIGHTS)
        return model.to(map_location).eval()

    def load_weights(self, state: dict[str, torch.Tensor], where: Path) -> None:
        """Load a state dict read from `where`; only `optional_state` may be missing from it."""
        missing, unexpected = self.load_state_dict(state, strict=False)
        # which optional state the file lacked: a model tells "never fitted" from "not fitted yet"
        self.absent_state_ = tuple(p for p in self.optional_state if any(k.startswith(p) for k in missing))
        missing = [k for k in missing if not k.startswith(self.optional_state)]
        if missing or unexpected:
            raise CheckpointError(
                f"{where} does not match its config (missing {len(missing)}, unexpected "
                f"{len(unexpected)} tensors); the files come from different models"
            )


def read_config(folder: Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise CheckpointError(f"{path} not found; give a folder written by `ganvae train`")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); the run folder is damaged") from None
    if not isinstance(meta, dict) or "model" not in meta or "shape" not in meta:
        raise CheckpointError(f"{path} lacks 'model'/'shape'; the run folder is damaged")
    return meta


def build_model(
    name: str,
    shape: tuple[int, int, int],
    num_classes: int = 0,
    overrides: dict[str, Any] | None = None,
    class_names: list[str] | None = None,
    context: dict[str, Any] | None = None,
    n_train: int | None = None,
) -> GenerativeModel:
    """Create a registered model for data of `shape`, with config `overrides` (text or typed) and, for
    models of non-image data that need it, the data's `context` (e.g. a table's fitted transformer).
    `n_train`, the training split's size, settles a config's data-dependent "auto" settings (its optional
    `for_data(n_train)`, e.g. a GAN's diffaug), so the saved config says what training used.

    >>> m = build_model("vae", (1, 8, 8))
    >>> m.sample(4).shape
    torch.Size([4, 1, 8, 8])
    """
    from ganvae.registry import MODELS

    entry = MODELS.get(name)
    cls = entry.factory
    kind = cls.kind()
    if not kind.fits(tuple(shape)):  # e.g. `ganvae train mult-vae --data digits`
        raise ConfigError(
            f"{name} is a model of {kind.name}, which does not fit data of shape {tuple(shape)}; "
            + kind.use_models
        )
    cfg = apply_overrides(entry.extra["preset"], overrides or {}, where=f"{name} config")
    cfg = for_data(cfg, n_train)
    model = cls(cfg, shape, num_classes, **({"context": context} if context else {}))
    model.registered_name = name
    model.class_names = list(class_names) if class_names is not None and model.num_classes else None
    return model


def for_data(cfg: Any, n_train: int | None) -> Any:
    """`cfg` with its "auto" settings settled for a training split of `n_train` (unchanged when None or
    when the config has no `for_data`)."""
    settle = getattr(cfg, "for_data", None)
    return settle(n_train) if n_train is not None and callable(settle) else cfg


def config_keys(name: str) -> set[str]:
    """The config keys of registered model `name` (what `--set` may change)."""
    from ganvae.registry import MODELS

    return {f.name for f in dataclasses.fields(MODELS.get(name).extra["preset"])}


def build_from_meta(meta: dict[str, Any]) -> GenerativeModel:
    from ganvae.registry import MODELS

    known = config_keys(meta["model"])
    cfg = {k: v for k, v in meta.get("config", {}).items() if k in known}
    # a setting added after this config was saved: what the run trained with (a config's optional
    # `absent_means`), not today's default; e.g. a GAN saved before DiffAugment existed trained without it
    cfg = {**getattr(MODELS.get(meta["model"]).extra["preset"], "absent_means", {}), **cfg}
    return build_model(
        meta["model"],
        tuple(meta["shape"]),
        meta.get("num_classes", 0),
        cfg,
        meta.get("class_names"),
        meta.get("context"),
    )


SAMPLE_BATCH = 500  # images generated per forward pass: memory grows with this, not with n


@torch.no_grad()
def sample_in_batches(
    model: GenerativeModel,
    n: int,
    *,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    batch: int = SAMPLE_BATCH,
) -> torch.Tensor:
    """`model.sample(n, ...)` on the CPU, drawn `batch` at a time from one generator. Decoding all n at
    once held every image's activations: evaluating 8,000 Fashion-MNIST samples peaked at 2.7 GiB, in
    batches at 1.5 GiB (bench/eval_scaling.py)."""
    sizes = [min(batch, n - start) for start in range(0, n, batch)]
    chunks = labels.split(batch) if labels is not None else [None] * len(sizes)
    return torch.cat(
        [model.sample(k, labels=c, generator=generator).cpu() for k, c in zip(sizes, chunks, strict=True)]
    )
