"""FID and KID in Inception-v3 space, for users who bring the weights (`--inception-weights FILE`).

The Inception network cannot be downloaded here, and the two libraries that hold its architecture need
torchvision (torch-fidelity, which torchmetrics' own FID uses, imports it at load time; torchvision's PyPI
wheel does not load beside a CPU build of torch). So ganvae takes the network as a serialized *program*,
not as a state dict: the TorchScript file that StyleGAN2-ADA and clean-fid publish as
`inception-2015-12-05.pt` (the TF-FID network: uint8 RGB images of any size in, 2048 features out with
`return_features=True`), or any TorchScript / `torch.export` (`.pt2`) module with that contract (an
exported program must be exported with dynamic batch, height and width). No
architecture is written here, and the scores are computed by torchmetrics
(`FrechetInceptionDistance`, `KernelInceptionDistance`) on features extracted once per image set.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from ganvae.errors import ConfigError

BATCH = 64  # Inception-v3 at 299x299 costs ~5.7 GFLOP per image; small batches keep memory modest


class _Precomputed(nn.Module):
    """Hands torchmetrics features that were already extracted (so each image set is embedded once)."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


class InceptionFeatures:
    """A user-supplied Inception network: `features(images)` for N x C x H x W float images in [0, 1]."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(
                f"--inception-weights {self.path}: no such file; pass the TorchScript Inception network "
                "(e.g. inception-2015-12-05.pt of StyleGAN2-ADA / clean-fid)"
            )
        self.net = _load_program(self.path)
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        self._kwargs = {"return_features": True} if _takes_return_features(self.net) else {}
        try:
            with torch.no_grad():
                probe = self._embed(torch.zeros(2, 3, 32, 32))
        except Exception as exc:  # a foreign program can raise anything; say what it is and stop
            raise ConfigError(
                f"--inception-weights {self.path}: the network does not map uint8 images N x 3 x H x W to "
                f"features ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
            ) from None
        if probe.ndim != 2 or probe.shape[0] != 2:
            raise ConfigError(
                f"--inception-weights {self.path}: expected N x D features, got shape {tuple(probe.shape)}"
            )
        self.num_features = int(probe.shape[1])

    @property
    def name(self) -> str:
        return f"Inception features ({self.path.name}, sha256 {self.digest})"

    def _embed(self, images: torch.Tensor) -> torch.Tensor:
        x = images if images.shape[1] == 3 else images.expand(-1, 3, -1, -1)  # grayscale -> RGB
        x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
        return self.net(x, **self._kwargs).float()

    @torch.no_grad()  # not inference_mode: TorchScript programs may reject inference tensors
    def features(self, images: torch.Tensor, batch_size: int = BATCH) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ConfigError(f"Inception features need N x 1|3 x H x W images, got {tuple(images.shape)}")
        return torch.cat([self._embed(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def _load_program(path: Path):
    errors = []
    export_log = logging.getLogger("torch.export")  # it logs a traceback for a file it cannot read
    level = export_log.level
    export_log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():  # torch.jit is deprecated in favour of torch.export, but still loads
            warnings.simplefilter("ignore")
            for load in (
                lambda: torch.jit.load(str(path), map_location="cpu").eval(),
                lambda: torch.export.load(str(path)).module(),
            ):
                try:
                    return load()
                except Exception as exc:  # noqa: BLE001 - not this format: try the next one
                    errors.append(type(exc).__name__)
    finally:
        export_log.setLevel(level)
    raise ConfigError(
        f"--inception-weights {path}: neither a TorchScript nor a torch.export file ({', '.join(errors)}); "
        "pass a serialized Inception network such as inception-2015-12-05.pt (StyleGAN2-ADA / clean-fid)"
    )


def _takes_return_features(net) -> bool:
    schema = getattr(getattr(net, "forward", None), "schema", None)
    if schema is not None:  # TorchScript
        return any(a.name == "return_features" for a in schema.arguments)
    try:
        return "return_features" in inspect.signature(net.forward).parameters
    except (TypeError, ValueError):
        return False


class InceptionScores:
    """FID and KID (torchmetrics) of generated images against a fixed real set, embedded once."""

    def __init__(self, inception: InceptionFeatures, real: torch.Tensor, kid_subsets: int = 50):
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        self.inception, self.n_real = inception, len(real)
        extractor = _Precomputed(inception.num_features)
        self.fid = FrechetInceptionDistance(feature=extractor, reset_real_features=False)
        self.kid_subsets = kid_subsets
        self._kid = lambda size: KernelInceptionDistance(
            feature=_Precomputed(inception.num_features),
            subsets=kid_subsets,
            subset_size=size,
            reset_real_features=False,
        )
        self.real_features = inception.features(real).double()
        self.fid.update(self.real_features, real=True)

    def __call__(self, generated: torch.Tensor) -> dict[str, float]:
        """{"fid", "kid"} of `generated` images (N x C x H x W in [0, 1]) against the real set."""
        feats = self.inception.features(generated).double()
        self.fid.reset()  # keeps the real features (reset_real_features=False)
        self.fid.update(feats, real=False)
        with warnings.catch_warnings():  # "will save all extracted features": bounded by --samples here
            warnings.simplefilter("ignore", UserWarning)
            kid = self._kid(min(len(feats), self.n_real, 500))
        kid.update(self.real_features, real=True)
        kid.update(feats, real=False)
        with torch.random.fork_rng(devices=[]):  # KID draws random subsets: seed them, leave the caller's RNG
            torch.manual_seed(0)
            kid_mean, _ = kid.compute()
        return {"fid": float(self.fid.compute()), "kid": float(kid_mean)}
