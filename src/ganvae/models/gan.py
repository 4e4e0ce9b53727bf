"""Image GANs as config fields of one class: DCGAN (Radford et al. 2016, non-saturating BCE of
Goodfellow et al. 2014), WGAN-GP (Gulrajani et al. 2017) and SNGAN (Miyato et al. 2018: hinge loss and
spectral norm), each optionally class-conditional through a projection discriminator (Miyato & Koyama
2018) and a generator fed a one-hot label.

The stronger members of the family are config fields too: an exponential moving average of the
generator's weights draws the samples (`ema_decay`, `nn/ema.py`), the R1 penalty regularises the
discriminator (`r1_weight`, `nn/penalties.py`), the two players learn at their own rates (TTUR: `lr_g`,
`lr_d`) and DiffAugment augments what the discriminator sees (`diffaug`, `nn/diffaugment.py`), by
on small data with ADA's adaptive probability (`nn/ada.py`): only as much as the discriminator
overfits.
`GANConfig.search_space` says what a hyper-parameter search may vary.

The generator is the VAE decoder's exact architecture ending in Tanh on data scaled to [-1, 1]; the
discriminator is the VAE encoder's trunk with a one-logit head (the sigmoid lives inside the loss).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.inversion import InversionConfig, invert
from ganvae.nn.ada import AdaptiveProbability
from ganvae.nn.conv import ConvDecoder, ConvEncoder, Norm
from ganvae.nn.diffaugment import diff_augment, parse_policy
from ganvae.nn.ema import EMA
from ganvae.nn.penalties import gradient_penalty, input_gradient_sq_norm
from ganvae.search_space import Param
from ganvae.small_data import is_small

Loss = Literal["bce", "wgan-gp", "hinge"]


def _signs_at_zero(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return torch.sign(d_real)


def _signs_above_fakes(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return torch.sign(d_real - d_fake.mean())


# ADA's overfitting heuristic per loss: each real image's sign, +1 when the discriminator calls it real.
# BCE and hinge decide at logit 0 (ADA's r_t = E[sign(D(real))]). A Wasserstein critic has no fixed zero
# (its loss and penalty are unchanged by adding a constant to it), so it calls a real image real when it
# scores above the batch's mean fake score: r_t ~ 0 while it cannot tell them apart, -> 1 once it has
# memorised the training images, as for BCE
OVERFIT_SIGNS = {"bce": _signs_at_zero, "hinge": _signs_at_zero, "wgan-gp": _signs_above_fakes}


@dataclass
class GANConfig:
    latent_dim: int = 32
    width: int = 32
    loss: Loss = "bce"
    spectral_norm: bool = False
    d_norm: Norm = "batch"
    n_critic: int = 1
    gp_weight: float = 10.0
    conditional: bool = False
    # Two time-scale update rule (TTUR, Heusel et al. 2017): each player has its own Adam learning rate, so
    # the discriminator may learn faster than the generator (e.g. lr_d=4e-4, lr_g=1e-4, as SAGAN/BigGAN);
    # DCGAN's equal rates are the default. The search space varies both, hence their ratio.
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    inversion_steps: int = 100
    inversion_restarts: int = 2
    inversion_lr: float = 0.1
    anogan_weight: float = 0.1  # λ of the AnoGAN score: (1-λ) residual + λ discriminator-feature loss
    # EMA of the generator's weights (nn/ema.py), updated after every generator step; 0 turns it off.
    # ema_start: generator steps during which the average only copies the generator; ema_warmup: decay
    # min(ema_decay, (1+n)/(10+n)) n updates after the start, so a short run's average forgets the init
    ema_decay: float = 0.999
    ema_start: int = 0
    ema_warmup: bool = True
    # which generator draws (sample, decode, encode, score, the in-training evaluation): the EMA one when
    # there is one, or the raw one (a sampling-only setting: `ganvae sample --set generator=raw`)
    generator: Literal["ema", "raw"] = "ema"
    # R1 penalty weight γ (nn/penalties.py): γ/2 E||grad_x D(x_real)||^2 added to the discriminator's loss,
    # on every r1_every-th discriminator step with weight γ/2 * r1_every (lazy, Karras et al. 2020)
    r1_weight: float = 0.0
    r1_every: int = 1
    # DiffAugment (nn/diffaugment.py) of the discriminator's real and fake images: none; a comma list of
    # color, translation, cutout, applied to every image (p = 1, as the paper); ada: all three, each op
    # applied to each image with ADA's adaptive probability p (nn/ada.py), which starts at 0 and rises only
    # while the discriminator overfits; or auto: ada when the training split is small (small_data.py,
    # < 5,000 images), none otherwise -- settled once from the data when the model is built for training,
    # so config.json says what was used. A fixed policy on every image hurt short runs (digits, 300 steps:
    # dcgan FD 14 -> 24, bench/gan_ema.json); ada did not (digits, 6 seeds: 14.0 -> 14.2) and on a
    # 300-image folder at 2,000 steps lowered FD and its spread (19.2 ± 3.5 -> 16.9 ± 0.8, bench/ada.json),
    # so auto is the default
    diffaug: str = "auto"
    # ADA (diffaug=ada): every ada_interval discriminator steps, p moves by (images seen in them) /
    # (ada_kimg * 1000) towards more augmentation when r_t = E[sign(D(real))] over them exceeds
    # ada_target, towards less when below. ADA's 500 kimg suits runs of ~25M images; ours see 20k-200k,
    # so p may cross 0 -> 1 in 20k images (~300 steps of batch 64; a step of 0.0128 per 4 steps).
    # ADA's target 0.6 reads a short run's healthy discriminator as overfitting: with p = 0, r_t is
    # 0.72-0.91 on digits at 300 steps, where target 0.6 drove p to 0.2-0.44 and FD from 13.5 to 16.8;
    # a memorising one reaches ~1.0 (a 300-image folder from ~190 epochs on). 0.9 lies between
    ada_target: float = 0.9
    ada_interval: int = 4
    ada_kimg: float = 20.0

    # What a hyper-parameter search may vary (search_space.py); n_critic matters for wgan-gp only
    search_space = {
        "lr_g": Param("log", 1e-5, 1e-3),
        "lr_d": Param("log", 1e-5, 1e-3),
        "beta1": Param("categorical", choices=(0.0, 0.5)),
        "beta2": Param("categorical", choices=(0.9, 0.99, 0.999)),
        "latent_dim": Param("categorical", choices=(16, 32, 64, 128)),
        "width": Param("categorical", choices=(16, 32, 48, 64)),
        "n_critic": Param("int", 1, 5),
        "gp_weight": Param("log", 1.0, 30.0),
        "r1_weight": Param("categorical", choices=(0.0, 0.01, 0.1, 1.0, 10.0)),
        "ema_decay": Param("categorical", choices=(0.0, 0.99, 0.999, 0.9999)),
    }

    # configs saved before DiffAugment existed trained without it (a resumed old run must not start now);
    # auto is settled before a config is saved, so a saved config holds what its run used
    absent_means = {"diffaug": "none"}

    def for_data(self, n_train: int) -> GANConfig:
        """This config with diffaug=auto settled for a training split of `n_train` images."""
        if self.diffaug.strip().lower() != "auto":
            return self
        return dataclasses.replace(self, diffaug="ada" if is_small(n_train) else "none")

    @property
    def diffaug_policy(self) -> tuple[str, ...]:
        """The DiffAugment policies in use (ada: all three, at the adaptive probability); auto not yet
        settled (no training data seen) means none."""
        return () if self.diffaug.strip().lower() == "auto" else parse_policy(self.diffaug)

    @property
    def diffaug_adaptive(self) -> bool:
        """Whether the policy's probability adapts (diffaug=ada) rather than being 1."""
        return self.diffaug.strip().lower() == "ada"

    def validate(self) -> None:
        if self.latent_dim < 1 or self.width < 1:
            raise ConfigError("latent_dim and width must be positive integers")
        if not 0.0 <= self.anogan_weight <= 1.0:
            raise ConfigError("anogan_weight must lie in [0, 1]")
        if self.inversion_steps < 1 or self.inversion_restarts < 1 or self.inversion_lr <= 0:
            raise ConfigError("inversion_steps and inversion_restarts must be >= 1, inversion_lr positive")
        if self.n_critic < 1:
            raise ConfigError("n_critic must be >= 1")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ConfigError("lr_g and lr_d must be positive")
        if not 0.0 <= self.ema_decay < 1.0 or self.ema_start < 0:
            raise ConfigError("ema_decay must lie in [0, 1) (0 turns the EMA off) and ema_start be >= 0")
        if self.generator not in ("ema", "raw"):
            raise ConfigError(f"generator must be ema or raw, not {self.generator!r}")
        if self.r1_weight < 0 or self.r1_every < 1:
            raise ConfigError("r1_weight must be >= 0 (0 turns R1 off) and r1_every >= 1")
        self.diffaug_policy  # noqa: B018 -- raises a ConfigError for an unknown policy
        if not -1.0 <= self.ada_target <= 1.0 or self.ada_interval < 1 or self.ada_kimg <= 0:
            # r_t, a mean of signs, lies in [-1, 1]
            raise ConfigError("ada_target must lie in [-1, 1], ada_interval be >= 1 and ada_kimg positive")
        if self.loss == "wgan-gp" and self.d_norm == "batch":
            raise ConfigError(
                "wgan-gp needs d_norm=layer or none: batch norm breaks the per-sample gradient penalty"
            )


class Discriminator(nn.Module):
    """ConvEncoder trunk + one logit, plus the projection term <embed(y), h> when conditional."""

    def __init__(self, shape, width: int, norm: Norm, spectral_norm: bool, num_classes: int):
        super().__init__()
        self.trunk = ConvEncoder(shape, width, norm=norm, spectral_norm=spectral_norm)
        head = nn.Linear(self.trunk.out_dim, 1)
        self.head = nn.utils.parametrizations.spectral_norm(head) if spectral_norm else head
        self.embed = nn.Embedding(num_classes, self.trunk.out_dim) if num_classes else None
        if self.embed is not None and spectral_norm:
            self.embed = nn.utils.parametrizations.spectral_norm(self.embed)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.trunk(x)
        logit = self.head(h).squeeze(1)
        if self.embed is not None and labels is not None:
            logit = logit + (self.embed(labels) * h).sum(1)
        return logit


class GAN(GenerativeModel):
    """A convolutional GAN on images in [0, 1] (internally [-1, 1]).

    >>> m = GAN(GANConfig(latent_dim=8, width=8), (1, 8, 8))
    >>> m.sample(3).shape
    torch.Size([3, 1, 8, 8])
    """

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "score", "condition"})
    config_class = GANConfig
    family = "gan"
    anomaly_scores = ("anogan", "critic")
    sampling_settings = frozenset({"generator"})
    # checkpoints written before the EMA, and before ADA's probability (their p is what their config
    # says: 1 for a policy, 0 for none; ADA did not exist when they were written)
    optional_state = ("generator_ema.", "ada.")

    def __init__(self, config: GANConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        self.generator = ConvDecoder(config.latent_dim, self.shape, config.width, self.num_classes)
        self.discriminator = Discriminator(
            self.shape, config.width, config.d_norm, config.spectral_norm, self.num_classes
        )
        # a frozen copy, never trained (no gradients, in no optimizer; DDP leaves it unwrapped): memory only
        self.generator_ema = (
            EMA(self.generator, config.ema_decay, config.ema_start, config.ema_warmup)
            if config.ema_decay > 0
            else None
        )
        # the probability each DiffAugment op reaches each image: adapted from 0 (ada), 1 (a fixed policy)
        self.ada = AdaptiveProbability(0.0 if config.diffaug_adaptive or not config.diffaug_policy else 1.0)
        self.register_load_state_dict_post_hook(_start_missing_ema)

    def generate(self, z: torch.Tensor, onehot: torch.Tensor | None, net: nn.Module | None = None):
        """Output of generator `net` (the trained one by default) in [-1, 1]."""
        return torch.tanh((self.generator if net is None else net)(z, onehot))

    @property
    def drawing_generator(self) -> nn.Module:
        """The generator that draws: the EMA one, unless generator=raw, the EMA is off (ema_decay=0) or
        it never followed the generator (a checkpoint written before it existed): then the trained one."""
        ema = self.generator_ema
        if ema is not None and self.config.generator == "ema" and ema.ready:
            return ema.net
        return self.generator

    def _draw(self, z: torch.Tensor, onehot: torch.Tensor | None) -> torch.Tensor:
        return self.generate(z, onehot, self.drawing_generator)

    # ---- augmentation ----------------------------------------------------------------------------
    def prepare_training(self, x_train: torch.Tensor) -> None:
        # a model built without the data's size (build_model(..., n_train=None)) settles diffaug=auto here
        self.config = self.config.for_data(len(x_train))

    def notes(self) -> list[str]:
        c, name = self.config, self.registered_name or "gan"
        if not c.diffaug_policy:
            return []
        if not c.diffaug_adaptive:
            return [
                f"{name}: DiffAugment ({','.join(c.diffaug_policy)}) on every real and fake image the "
                "discriminator sees; diffaug=ada applies it only as much as the discriminator overfits, "
                "--set diffaug=none turns it off"
            ]
        judged = "above the mean fake score" if c.loss == "wgan-gp" else "real"
        return [
            f"{name}: adaptive DiffAugment (diffaug=ada, ADA): color, translation and cutout each reach a "
            f"share p of the discriminator's real and fake images; p (0 in a new run) moves every "
            f"{c.ada_interval} steps by up to 1 per {c.ada_kimg * 1000:,.0f} images, up while over "
            f"{c.ada_target:g} of the real images are judged {judged}, down otherwise (log: aug_p); "
            "--set diffaug=none turns it off"
        ]

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """DiffAugment of a batch the discriminator is about to see, each op with probability p (identity
        without a policy or at p = 0)."""
        policy = self.config.diffaug_policy
        return diff_augment(x, policy, p=self.ada.value) if policy else x

    def _overfitting(self, d_real: torch.Tensor, d_fake: torch.Tensor, step: int, logs: dict) -> None:
        """ADA's heuristic r_t, kept whatever diffaug is (log: ada_r, how sure D is of the training images);
        every ada_interval-th step it moves p when diffaug=ada."""
        c = self.config
        self.ada.observe(OVERFIT_SIGNS[c.loss](d_real.detach(), d_fake.detach()))
        if (step + 1) % c.ada_interval == 0:  # the loop's step: restored on resume, so intervals line up
            self.ada.update(c.ada_target, c.ada_kimg * 1000, adapt=c.diffaug_adaptive)
            logs["ada_r"] = self.ada.r.clone()  # only where an interval ends: a log record averages those

    # ---- training ------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        return {
            "d": self.adam(self.discriminator.parameters(), lr=c.lr_d, betas=betas),
            "g": self.adam(self.generator.parameters(), lr=c.lr_g, betas=betas),
        }

    def _d_loss(self, real_logit: torch.Tensor, fake_logit: torch.Tensor) -> torch.Tensor:
        loss = self.config.loss
        if loss == "bce":
            return F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
        if loss == "hinge":
            return F.relu(1.0 - real_logit).mean() + F.relu(1.0 + fake_logit).mean()
        return fake_logit.mean() - real_logit.mean()  # Wasserstein critic

    def _g_loss(self, fake_logit: torch.Tensor) -> torch.Tensor:
        if self.config.loss == "bce":
            return F.softplus(-fake_logit).mean()  # non-saturating: maximise log D(G(z))
        return -fake_logit.mean()

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        # One critic update per batch; the generator moves every n_critic-th batch, so each critic step
        # sees fresh real data (the usual WGAN-GP schedule) and the budget counts real images seen.
        c = self.config
        labels = y if self.num_classes else None
        onehot = self.onehot(labels, len(x))
        fake = self.generate(self.latent(len(x)), onehot)
        # the discriminator sees only augmented images, real and fake alike (DiffAugment)
        real_in, fake_in = self.augment(x * 2.0 - 1.0), self.augment(fake.detach())
        r1_now = c.r1_weight > 0 and step % c.r1_every == 0
        if r1_now:
            real_in = real_in.detach().requires_grad_(True)
        d_real = self.discriminator(real_in, labels)
        d_fake = self.discriminator(fake_in, labels)
        loss_d = self._d_loss(d_real, d_fake)
        logs = {"loss_d": loss_d.detach(), "d_real": d_real.mean().detach(), "d_fake": d_fake.mean().detach()}
        if c.loss == "wgan-gp":
            gp = gradient_penalty(self.discriminator, real_in.detach(), fake_in, labels)
            loss_d = loss_d + c.gp_weight * gp
            logs["gp"] = gp.detach()
        if r1_now:  # lazy R1: a larger weight on fewer steps (the same penalty per step on average)
            r1 = input_gradient_sq_norm(d_real, real_in).mean()
            loss_d = loss_d + 0.5 * c.r1_weight * c.r1_every * r1
            logs["r1"] = r1.detach()
        opt.step("d", loss_d)

        if (step + 1) % c.n_critic == 0:
            self.discriminator.requires_grad_(False)  # no weight gradients for D during the G step
            fake = self.generate(self.latent(len(x)), self.onehot(labels, len(x)))
            loss_g = self._g_loss(self.discriminator(self.augment(fake), labels))
            opt.step("g", loss_g)
            self.discriminator.requires_grad_(True)
            logs["loss_g"] = loss_g.detach()
            if self.generator_ema is not None:
                # under DDP the generator is Fabric's wrapper for this step; its `module` is the network
                self.generator_ema.update(getattr(self.generator, "module", self.generator))
        if c.diffaug_policy:
            logs["aug_p"] = torch.tensor(self.ada.value)  # the p of this step's augmentations
        # after both players' steps: one p per step, a new one from the next step on
        self._overfitting(d_real, d_fake, step, logs)
        return logs

    # ---- the interface -------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        return self.decode(self.latent(n, generator), labels=labels)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (self._draw(z.to(self.device), self.onehot(labels, len(z))) + 1.0) / 2.0

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Approximate code of `x` by latent inversion (optimise z; best of a few restarts)."""
        return self._invert(x, labels)

    @contextmanager
    def _frozen(self) -> Iterator[None]:
        """No weight gradients inside (only z is optimised); each weight's own flag back after (the EMA's
        stays off)."""
        flags = [(p, p.requires_grad) for p in self.parameters()]
        self.requires_grad_(False)
        try:
            yield
        finally:
            for p, flag in flags:
                p.requires_grad_(flag)

    def _invert(self, x: torch.Tensor, labels: torch.Tensor | None, loss=None) -> torch.Tensor:
        c = self.config
        cfg = InversionConfig(steps=c.inversion_steps, restarts=c.inversion_restarts, lr=c.inversion_lr)
        onehot = self.onehot(labels, len(x)) if self.num_classes else None
        target = x.to(self.device) * 2.0 - 1.0
        with self._frozen():
            return invert(self._draw, target, self.latent_dim, cfg, cond=onehot, loss=loss)

    def anogan_loss(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-image AnoGAN loss (Schlegl et al. 2017) on [-1, 1] images: (1-λ) mean absolute residual +
        λ mean absolute difference of discriminator features (feature matching, their improved variant)."""
        lam = self.config.anogan_weight
        residual = (generated - target).abs().flatten(1).mean(1)
        if lam == 0:
            return residual
        trunk = self.discriminator.trunk
        with torch.no_grad():
            target_feat = trunk(target)
        return (1 - lam) * residual + lam * (trunk(generated) - target_feat).abs().mean(1)

    def score_anogan(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """AnoGAN anomaly score: the AnoGAN loss at the latent code found by minimising it."""
        z = self._invert(x, labels, loss=self.anogan_loss)
        with torch.no_grad():
            onehot = self.onehot(labels, len(x)) if self.num_classes else None
            return self.anogan_loss(self._draw(z, onehot), x.to(self.device) * 2.0 - 1.0)

    @torch.no_grad()
    def score_critic(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Minus the discriminator logit: images the critic finds less real score higher."""
        return -self.critic(x, labels)

    @torch.no_grad()
    def critic(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Discriminator logit of images in [0, 1] (higher = looks more real)."""
        return self.discriminator(x.to(self.device) * 2.0 - 1.0, labels if self.num_classes else None)

    def parts(self):
        # the generator once: the EMA copy has its architecture and FLOPs, and adds memory, not capacity
        def generate(b: int):
            return self.generate(self.latent(b), self.onehot(None, b))

        def discriminate(b: int):
            labels = torch.zeros(b, dtype=torch.long, device=self.device) if self.num_classes else None
            return self.discriminator(torch.rand(b, *self.shape, device=self.device), labels)

        return {
            "generator": ([self.generator], generate),
            "discriminator": ([self.discriminator], discriminate),
        }


def _start_missing_ema(model: nn.Module, incompatible) -> None:
    """After loading a checkpoint without the EMA (written before it existed): start the average from the
    loaded generator, so a resumed run averages its own weights and never a fresh initialisation."""
    ema = getattr(model, "generator_ema", None)
    if ema is not None and any(k.startswith("generator_ema.") for k in incompatible.missing_keys):
        ema.reset(model.generator)
