"""Super-resolution by regression and by an adversarial network: SRResNet and SRGAN (Ledig et al. 2017,
"Photo-realistic single image super-resolution using a generative adversarial network").

Both train on high-resolution images: each batch is downsampled (antialiased bicubic, `nn/bicubic.py`) to
make its inputs, and the network's upscaling is scored against the batch itself.

- `sr-regression` (`SRRegression`) minimises a pixel loss (L1 by default; `content_loss=mse`): the
  estimate of the conditional median (mean) of the truth given the input, the least distorted output and,
  where detail is uncertain, a blurry one.
- `srgan` (`SRGAN`) adds an adversarial term: its loss is content + `adv_weight` x the non-saturating
  GAN loss of a discriminator that tells its outputs from real high-resolution images. SRGAN's content
  loss compares VGG features; no VGG weights can be fetched here, so the content term is the same pixel
  loss as the regression's (the "SRGAN-MSE" variant of the paper, with L1) and the two arms differ only by
  the adversarial term. `adv_weight=1e-3` by default, SRGAN's own weight: 1e-2 (the earlier default, on the
  view that a pixel loss is smaller than a VGG loss) drew a 4-pixel lattice over every output on
  Fashion-MNIST 4x at 200 steps (FD 90 ± 7, PSNR 16.0 dB over 3 seeds), where 1e-3 gave clean outputs with
  firmer edges than the regression's (FD 61 ± 14 against its 79 ± 10, PSNR 17.7 dB; BENCHMARKS.md).
- `pretrain`: SRGAN's own recipe trains the generator as SRResNet first and starts the adversarial game
  from it (the paper's MSE-trained network, "to avoid undesired local optima"). Here it is a share of the
  same run, so the budget stays that of the other arms: with `pretrain=0.5` the first half of the steps
  train the content loss alone and the discriminator not at all (no step, no forward pass, so its batch
  statistics stay untouched), the second half the full loss. The phase is a function of the step and of
  the run's length (`plan_training`), never of in-memory state, so a resumed run keeps it; a wall-clock
  budget alone fixes no step count and is refused with pretrain.

The generator is the same `Upscaler` in both (matched capacity); the discriminator is the DCGAN
discriminator of `models/gan.py` (a `ConvEncoder` trunk sized from the image, one logit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import torch
import torch.nn.functional as F

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.gan import Discriminator
from ganvae.models.paired import SCALES, ContentLoss, Upscaler, check_scale, content_loss, to_image
from ganvae.nn.bicubic import downsample
from ganvae.nn.conv import Norm
from ganvae.search_space import Param

if TYPE_CHECKING:  # the loop's config, read only (models sit below training)
    from ganvae.training.config import TrainConfig


@dataclass
class SRConfig:
    scale: int = 2  # high-resolution side / low-resolution side (2 or 4)
    width: int = 32
    blocks: int = 0  # residual blocks; 0 = from the low-resolution size (`nn.srnet.auto_blocks`)
    lr: float = 3e-4
    beta1: float = 0.9
    beta2: float = 0.999
    content_loss: ContentLoss = "l1"
    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 1e-3),
        "width": Param("categorical", choices=(16, 32, 64)),
        "blocks": Param("categorical", choices=(0, 2, 4, 8)),
    }

    def validate(self) -> None:
        if self.scale not in SCALES:
            raise ConfigError(f"scale must be {' or '.join(map(str, SCALES))}, not {self.scale}")
        if self.width < 1 or self.blocks < 0:
            raise ConfigError("width must be a positive integer and blocks >= 0 (0 = from the data)")
        if self.lr <= 0:
            raise ConfigError("lr must be positive")
        if self.content_loss not in ("l1", "mse"):
            raise ConfigError(f"content_loss must be l1 or mse, not {self.content_loss!r}")


@dataclass
class SRGANConfig(SRConfig):
    adv_weight: float = 1e-3  # weight of the adversarial term beside the content loss (see the docstring)
    lr_d: float = 3e-4
    d_norm: Norm = "batch"
    # share of the run's steps (from the step or epoch budget) that train the content loss alone before
    # the adversarial phase, the discriminator idle; 0 = adversarial from the first step
    pretrain: float = 0.0
    search_space: ClassVar[dict[str, Param]] = {
        **SRConfig.search_space,
        "adv_weight": Param("log", 1e-3, 1e-1),
        "lr_d": Param("log", 1e-4, 1e-3),
    }

    def check_budget(self, train: TrainConfig) -> None:
        """ConfigError when `pretrain` is on and `train` sets no step count (a wall-clock budget alone);
        what a plan checks before it writes anything."""
        if self.pretrain and train.steps is None and train.epochs is None:
            raise ConfigError(needs_steps(self.pretrain))

    def validate(self) -> None:
        super().validate()
        if self.adv_weight <= 0:
            raise ConfigError(
                "adv_weight must be positive (srgan without its adversarial term is sr-regression)"
            )
        if self.lr_d <= 0:
            raise ConfigError("lr_d must be positive")
        if not 0.0 <= self.pretrain < 1.0:
            raise ConfigError(
                f"pretrain must lie in [0, 1) (a share of the run's steps), not {self.pretrain!r}; "
                "pretrain=1 would never train the adversarial term: that is sr-regression"
            )


def needs_steps(share: float) -> str:
    return (
        f"srgan's pretrain={share:g} is a share of the run's steps, and a wall-clock budget alone "
        "(--budget) fixes no step count: add --steps or --epochs (--budget may stay as a cap) "
        "or use --set pretrain=0"
    )


class SRRegression(GenerativeModel):
    """The SR trunk trained on a pixel loss alone (SRResNet).

    >>> m = SRRegression(SRConfig(width=8), (1, 8, 8))
    >>> tuple(m.upscale(torch.rand(2, 1, 4, 4)).shape)
    (2, 1, 8, 8)
    """

    capabilities = frozenset({"upscale"})
    config_class = SRConfig
    family = "regression"

    def __init__(self, config: SRConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, 0)  # labels play no part: the input image is the condition
        self.lr_shape = check_scale(self.shape, config.scale)
        self.generator = Upscaler(self.shape, config.scale, config.width, config.blocks)

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {"g": self.adam(self.generator.parameters(), lr=c.lr, betas=(c.beta1, c.beta2))}

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        out = self.generator(downsample(x, self.config.scale))
        loss = content_loss(out, x, self.config.content_loss)
        opt.step("g", loss)
        return {"loss": loss.detach()}

    @torch.no_grad()
    def upscale(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Low-resolution images in [0, 1] -> high-resolution images in [0, 1] (deterministic)."""
        return to_image(self.generator(x.float().to(self.device)))

    def parts(self):
        return {"generator": ([self.generator], lambda b: self.generator(self._lr_batch(b)))}

    def _lr_batch(self, b: int) -> torch.Tensor:
        return torch.rand(b, *self.lr_shape, device=self.device)


class SRGAN(GenerativeModel):
    """The SR trunk trained on content + adversarial loss against a discriminator of real images.

    >>> m = SRGAN(SRGANConfig(width=8), (1, 8, 8))
    >>> tuple(m.upscale(torch.rand(2, 1, 4, 4)).shape)
    (2, 1, 8, 8)
    """

    capabilities = frozenset({"upscale"})
    config_class = SRGANConfig
    family = "gan"

    def __init__(self, config: SRGANConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, 0)
        self.lr_shape = check_scale(self.shape, config.scale)
        self.generator = Upscaler(self.shape, config.scale, config.width, config.blocks)
        self.discriminator = Discriminator(self.shape, config.width, config.d_norm, False, 0)
        self.pretrain_steps_ = 0  # steps of the content-only phase; set by `plan_training`
        self._capped = False  # a wall-clock budget may end the run before the adversarial phase
        self._total: int | None = None

    def plan_training(self, total_steps: int | None, budget_s: float | None) -> None:
        share = self.config.pretrain
        if share and total_steps is None:
            raise ConfigError(needs_steps(share))
        self.pretrain_steps_ = round(share * total_steps) if share and total_steps else 0
        self._capped = budget_s is not None
        self._total = total_steps

    def notes(self) -> list[str]:
        if not self.pretrain_steps_:
            return []
        cap = "; --budget may end the run before it starts" if self._capped else ""
        return [
            f"srgan: steps 1-{self.pretrain_steps_} of {self._total} train the content loss alone "
            f"(pretrain={self.config.pretrain:g}); the adversarial term starts at step "
            f"{self.pretrain_steps_ + 1}{cap}"
        ]

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        return {
            "d": self.adam(self.discriminator.parameters(), lr=c.lr_d, betas=betas),
            "g": self.adam(self.generator.parameters(), lr=c.lr, betas=betas),
        }

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        c = self.config
        out = self.generator(downsample(x, c.scale))
        if step < self.pretrain_steps_:  # SRResNet first: the content loss alone, the discriminator idle
            content = content_loss(out, x, c.content_loss)
            opt.step("g", content)
            return {"loss_g": content.detach(), "content": content.detach()}
        # the discriminator: real high-resolution images against the network's outputs, in [-1, 1]
        d_real = self.discriminator(x * 2.0 - 1.0)
        d_fake = self.discriminator(out.detach() * 2.0 - 1.0)
        loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        opt.step("d", loss_d)
        # the generator: content + adv_weight x non-saturating adversarial loss (no D weight gradients)
        self.discriminator.requires_grad_(False)
        adversarial = F.softplus(-self.discriminator(out * 2.0 - 1.0)).mean()
        content = content_loss(out, x, c.content_loss)
        loss_g = content + c.adv_weight * adversarial
        opt.step("g", loss_g)
        self.discriminator.requires_grad_(True)
        return {
            "loss_g": loss_g.detach(),
            "content": content.detach(),
            "adversarial": adversarial.detach(),
            "loss_d": loss_d.detach(),
        }

    @torch.no_grad()
    def upscale(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Low-resolution images in [0, 1] -> high-resolution images in [0, 1] (deterministic)."""
        return to_image(self.generator(x.float().to(self.device)))

    @torch.no_grad()
    def critic(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator logit of high-resolution images in [0, 1] (higher = looks more real)."""
        return self.discriminator(x.to(self.device) * 2.0 - 1.0)

    def parts(self):
        def lr_batch(b: int) -> torch.Tensor:
            return torch.rand(b, *self.lr_shape, device=self.device)

        return {
            "generator": ([self.generator], lambda b: self.generator(lr_batch(b))),
            "discriminator": (
                [self.discriminator],
                lambda b: self.discriminator(torch.rand(b, *self.shape, device=self.device)),
            ),
        }
