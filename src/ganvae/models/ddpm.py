"""A small denoising diffusion model: DDPM training (Ho et al. 2020), DDIM sampling and inversion (Song et al.
2021), optionally class-conditional with classifier-free guidance (Ho & Salimans 2021). The third family
("diffusion") beside the GANs and VAEs, at the same budget and through the same loop.

The parts a well-kept library does well come from Hugging Face diffusers: the denoiser is its `UNet2DModel`
built from a config sized from the data (`nn/unet.py`), the forward process is `DDPMScheduler.add_noise`,
sampling is `DDIMScheduler` and encoding is `DDIMInverseScheduler`. Nothing is downloaded.

- Training: x0 in [-1, 1], t ~ U{0..T-1}, eps ~ N(0, I), x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps; the
  UNet predicts eps under a mean squared error (the "simple" objective of Ho et al.). An EMA of the UNet's
  weights (`nn/ema.py`, as the GANs' generator) draws the samples, as in every DDPM since Ho et al.
- Sampling: DDIM with `sample_steps` steps (a sampling-only setting, 50 by default), "trailing" timesteps
  (Lin et al. 2024): the first step starts from pure noise at t = T-1, so even 1 step draws from the prior.
  With eta = 0 the map from the initial noise to the image is deterministic; a seeded generator fixes it.
- Codes: the initial noise x_T (C x H x W, flattened) is the code. `encode` runs DDIM backwards (DDIM
  inversion, `DDIMInverseScheduler`): approximately the noise that `decode` maps back to the image (the
  inversion evaluates the net at the step it leaves, so it is close, not exact, and closer with more
  steps). Interpolation between codes is spherical (`interpolate`): a straight line between two Gaussian
  noises passes through noise of too small a norm, which the model never saw.
- Restoring and scoring (`models/sdedit.py`): a noisy image is noised to the sampler step whose noise
  matches its own and denoised from there (SDEdit, Meng et al. 2022): `restore`, which the denoising
  task uses. The anomaly score "partial-recon" is the squared error of an image noised to `anomaly_t` of
  the forward process and denoised (AnoDDPM, Wyatt et al. 2022).
- Cost: a GAN or VAE pays one network pass per sample; this model pays `sample_steps` UNet passes (twice
  that with guidance). `ganvae compare` reports sampling time and FLOPs per sample beside training cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.sdedit import check_fraction, noise_sigma, noised_to, partial_step_for, start_steps
from ganvae.nn.ema import EMA
from ganvae.nn.noise import seeded
from ganvae.nn.unet import UNetPlan, build_unet, require_diffusers
from ganvae.search_space import Param

# ganvae's names for diffusers' beta schedules: linear (Ho et al. 2020) and cosine (Nichol & Dhariwal 2021)
SCHEDULES = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


@dataclass
class DDPMConfig:
    # channels of the UNet's first level (doubling per level). 16 matches the parameters of the GAN and VAE at
    # their default width 32: on 8 x 8 digits 164k (vae 165k, dcgan 100k), on 28 x 28 636k (vae 931k, dcgan
    # 536k); one UNet pass costs 7.7 MFLOPs per 8 x 8 image (dcgan: generator 1.2 + discriminator 1.1)
    width: int = 16
    layers_per_block: int = 1
    timesteps: int = 1000  # T of the forward process
    schedule: Literal["linear", "cosine"] = "linear"
    # Ho et al. train 800k steps at 2e-4; at the budgets compared here (hundreds to thousands of steps) a
    # higher rate: on digits at 300 steps, validation FD 40.6 at 2e-3 against 70.6 at 5e-4 (seed 0, chosen
    # on the validation split, BENCHMARKS.md)
    lr: float = 2e-3
    # EMA of the UNet's weights (nn/ema.py); 0 turns it off. Warm-up as the GANs': a short run's average
    # must forget the initialisation
    ema_decay: float = 0.999
    ema_warmup: bool = True
    conditional: bool = False
    p_uncond: float = 0.1  # share of training labels dropped (classifier-free guidance's unconditional net)
    # sampling-only settings (`ganvae sample --set`): DDIM steps, its eta (0: deterministic given the
    # initial noise; 1: DDPM-like), the guidance weight w of a conditional model (eps_u + w (eps_c - eps_u);
    # 1: no guidance) and which weights draw (the EMA ones, or the trained ones)
    sample_steps: int = 50
    eta: float = 0.0
    guidance: float = 2.0
    weights: Literal["ema", "raw"] = "ema"
    # restoring (`restore`, SDEdit): the Gaussian noise std (pixels in [0, 1]) an input is taken to carry,
    # which sets the step the reverse process starts from; auto estimates it per image (models/sdedit.py)
    restore_noise: str = "auto"
    # the anomaly score partial-recon: how far an image is noised (a fraction of the forward process;
    # AnoDDPM's t = 250 of 1000) before it is denoised and compared with itself
    anomaly_t: float = 0.25

    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 5e-3),
        "width": Param("categorical", choices=(16, 32, 64)),
        "schedule": Param("categorical", choices=("linear", "cosine")),
        "ema_decay": Param("categorical", choices=(0.0, 0.99, 0.999)),
    }

    def validate(self) -> None:
        require_diffusers()
        if self.width < 1 or self.layers_per_block < 1:
            raise ConfigError("width and layers_per_block must be positive integers")
        if self.timesteps < 2:
            raise ConfigError("timesteps must be at least 2")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        if self.lr <= 0:
            raise ConfigError("lr must be positive")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError("ema_decay must lie in [0, 1) (0 turns the EMA off)")
        if not 0.0 <= self.p_uncond < 1.0:
            raise ConfigError("p_uncond must lie in [0, 1)")
        if not 1 <= self.sample_steps <= self.timesteps:
            raise ConfigError(f"sample_steps must lie in 1..timesteps ({self.timesteps})")
        if self.eta < 0:
            raise ConfigError("eta must be >= 0 (0: deterministic DDIM)")
        if self.guidance < 0:
            raise ConfigError("guidance must be >= 0 (1: no guidance)")
        if self.weights not in ("ema", "raw"):
            raise ConfigError(f"weights must be ema or raw, not {self.weights!r}")
        self.restore_sigma()
        check_fraction(self.anomaly_t, "anomaly_t")

    def restore_sigma(self) -> float | None:
        """`restore_noise` as a number (None: auto, estimated per image)."""
        text = str(self.restore_noise).strip().lower()
        if text == "auto":
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise ConfigError(
                "restore_noise must be auto or a noise std in [0, 1] (pixels in [0, 1]), "
                f"not {self.restore_noise!r}"
            )
        return value


class DDPM(GenerativeModel):
    """A UNet denoiser on images in [0, 1] (internally [-1, 1]).

    >>> m = DDPM(DDPMConfig(width=8, sample_steps=2), (1, 8, 8))
    >>> m.sample(3, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([3, 1, 8, 8])
    """

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "score", "condition"})
    config_class = DDPMConfig
    family = "diffusion"
    anomaly_scores = ("partial-recon",)
    sampling_settings = frozenset(
        {"sample_steps", "eta", "guidance", "weights", "restore_noise", "anomaly_t"}
    )

    def __init__(self, config: DDPMConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        self.plan = UNetPlan.for_shape(self.shape, config.width)
        # one class embedding more than classes: the "no label" of classifier-free guidance
        self.unet = build_unet(
            self.plan, config.layers_per_block, self.num_classes + 1 if self.num_classes else 0
        )
        self.unet_ema = (
            EMA(self.unet, config.ema_decay, warmup=config.ema_warmup) if config.ema_decay else None
        )
        from diffusers import DDPMScheduler

        self.noise_schedule = DDPMScheduler(
            num_train_timesteps=config.timesteps, beta_schedule=SCHEDULES[config.schedule]
        )

    @property
    def latent_dim(self) -> int:
        """A code is the initial noise on the UNet's grid, flattened."""
        return self.shape[0] * self.plan.grid[0] * self.plan.grid[1]

    def _scheduler(self, cls_name: str, **options: Any):
        """A fresh DDIM (or inverse DDIM) scheduler on this model's forward process (fresh: `set_timesteps`
        mutates it, and a model may sample from several threads or with several step counts)."""
        import diffusers

        cls = getattr(diffusers, cls_name)
        c = self.config
        return cls(
            num_train_timesteps=c.timesteps,
            beta_schedule=SCHEDULES[c.schedule],
            timestep_spacing="trailing",
            set_alpha_to_one=True,
            **options,
        )

    # ---- training ------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"unet": self.adam(self.unet.parameters(), lr=self.config.lr)}

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        x0 = self.plan.pad(x * 2.0 - 1.0)
        noise = torch.randn_like(x0)
        t = torch.randint(0, self.config.timesteps, (len(x0),), device=x0.device)
        noisy = self.noise_schedule.add_noise(x0, noise, t)
        labels = None
        if self.num_classes:
            # classifier-free guidance: the same net learns p(x | y) and, on dropped labels, p(x)
            drop = torch.rand(len(x0), device=x0.device) < self.config.p_uncond
            labels = torch.where(drop, torch.full_like(y, self.num_classes), y.long())
        pred = self.unet(noisy, t, class_labels=labels).sample
        loss = F.mse_loss(pred.float(), noise.float())
        opt.step("unet", loss)
        if self.unet_ema is not None:
            # under DDP `self.unet` is Fabric's wrapper for this step; its `module` is the network
            self.unet_ema.update(getattr(self.unet, "module", self.unet))
        return {"loss": loss.detach()}

    # ---- the reverse process --------------------------------------------------------------------
    @property
    def drawing_net(self) -> torch.nn.Module:
        """The EMA UNet unless weights=raw, the EMA is off or it never followed the UNet."""
        ema = self.unet_ema
        if ema is not None and self.config.weights == "ema" and ema.ready:
            return ema.net
        return self.unet

    def _eps(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The noise prediction at step t, guided when the model is conditional and guidance != 1."""
        net, t = self.drawing_net, t.to(x.device)
        if labels is None:
            return net(x, t).sample
        w = self.config.guidance
        if w == 1.0:
            return net(x, t, class_labels=labels).sample
        null = torch.full_like(labels, self.num_classes)
        cond, uncond = net(torch.cat([x, x]), t, class_labels=torch.cat([labels, null])).sample.chunk(2)
        return uncond + w * (cond - uncond)

    def _labels(self, labels: torch.Tensor | None, n: int, generator=None) -> torch.Tensor | None:
        if not self.num_classes:
            return None
        if labels is None:
            labels = seeded(
                lambda s, **k: torch.randint(self.num_classes, s, **k), (n,), generator, self.device
            )
        labels = labels.to(self.device).long()
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ConfigError(f"labels must lie in 0..{self.num_classes - 1}")
        return labels

    def _ddim(self):
        sched = self._scheduler("DDIMScheduler", clip_sample=True)
        sched.set_timesteps(self.config.sample_steps)
        return sched

    def _denoise(self, xt: torch.Tensor, labels, eta: float, generator=None, start: int = 0) -> torch.Tensor:
        """DDIM from x_T (on the UNet's grid), or from the sampler's step `start` (x_t at that step), to an
        image in [0, 1] of the data's shape."""
        sched = self._ddim()
        x = xt
        for t in sched.timesteps[start:]:
            x = sched.step(self._eps(x, t, labels), t, x, eta=eta, generator=generator).prev_sample
        return ((self.plan.crop(x) + 1.0) / 2.0).clamp(0.0, 1.0)

    def _noise(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return seeded(torch.randn, (n, self.shape[0], *self.plan.grid), generator, self.device)

    # ---- the interface -------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        labels = self._labels(labels, n, generator)
        # with eta > 0, diffusers draws DDIM's per-step noise from `generator` too (on its device)
        return self._denoise(self._noise(n, generator), labels, self.config.eta, generator)

    def latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self._noise(n, generator).flatten(1)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Deterministic DDIM (eta = 0) from codes `z` (flattened initial noise)."""
        xt = z.to(self.device).view(len(z), self.shape[0], *self.plan.grid)
        return self._denoise(xt, self._labels(labels, len(z)), eta=0.0)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """DDIM inversion: the initial noise that deterministic DDIM maps (approximately) back to `x`."""
        sched = self._scheduler("DDIMInverseScheduler", clip_sample=False)
        sched.set_timesteps(self.config.sample_steps)
        lab = self._labels(labels, len(x)) if labels is not None else None
        xt = self.plan.pad(x.to(self.device) * 2.0 - 1.0)
        for t in sched.timesteps:
            xt = sched.step(self._eps(xt, t, lab), t, xt).prev_sample
        return xt.flatten(1)

    def _given(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The labels to restore or score with: those given, or for a conditional model without them the
        "no label" of classifier-free guidance (the unconditional prediction), never a random class."""
        if labels is not None or not self.num_classes:
            return self._labels(labels, n)
        return torch.full((n,), self.num_classes, dtype=torch.long, device=self.device)

    @torch.no_grad()
    def restore(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """SDEdit (`models/sdedit.py`): each image noised to the sampler step matching its noise (estimated
        per image unless `restore_noise` is set) and denoised from there."""
        sched = self._ddim()
        x = x.to(self.device).float()
        sigma = self.config.restore_sigma()
        sigmas = noise_sigma(x) if sigma is None else torch.full((len(x),), sigma, device=self.device)
        noise = 2.0 * sigmas.cpu()  # on the model's [-1, 1] scale
        starts = start_steps(sched.timesteps, sched.alphas_cumprod, noise)
        labels = self._given(labels, len(x))
        scaled = self.plan.pad(x * 2.0 - 1.0)
        out = torch.empty_like(x)
        for k in starts.unique().tolist():  # images that start at the same step denoise together
            idx = (starts == k).nonzero().flatten()
            abar = sched.alphas_cumprod[sched.timesteps[k]].expand(len(idx))
            xt = noised_to(scaled[idx.to(self.device)], noise[idx], abar, generator)
            lab = labels[idx.to(self.device)] if labels is not None else None
            out[idx.to(self.device)] = self._denoise(xt, lab, self.config.eta, generator, start=k)
        return out

    @torch.no_grad()
    def score_partial_recon(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Mean squared error of each image noised to `anomaly_t` of the forward process and denoised
        (deterministic DDIM; the noise is seeded, so an image scores the same every time)."""
        sched = self._ddim()
        k = partial_step_for(self.config.anomaly_t, sched.timesteps, self.config.timesteps)
        x = x.to(self.device).float()
        abar = sched.alphas_cumprod[sched.timesteps[k]].expand(len(x))
        xt = noised_to(
            self.plan.pad(x * 2.0 - 1.0), torch.zeros(len(x)), abar, torch.Generator().manual_seed(0)
        )
        rec = self._denoise(xt, self._given(labels, len(x)), 0.0, start=k)
        return (rec - x).pow(2).flatten(1).mean(dim=1)

    def interpolate(self, za: torch.Tensor, zb: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Spherical interpolation (Shoemake 1985; as DDIM's paper interpolates its noises)."""
        return slerp(za, zb, t)

    def parts(self):
        def denoise(b: int):
            x = torch.randn(b, self.shape[0], *self.plan.grid, device=self.device)
            t = torch.full((b,), self.config.timesteps // 2, device=self.device)
            labels = torch.zeros(b, dtype=torch.long, device=self.device) if self.num_classes else None
            return self.unet(x, t, class_labels=labels).sample

        # one UNet pass: what a training step costs per image (forward); sampling takes sample_steps
        return {"denoiser": ([self.unet], denoise)}


def slerp(za: torch.Tensor, zb: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of `za` and `zb` at fractions `t` (broadcast); a straight line
    where the two are (nearly) parallel.

    >>> a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    >>> slerp(a, b, torch.tensor(0.5)).round(decimals=4)
    tensor([[0.7071, 0.7071]])
    """
    na, nb = za.norm(dim=-1, keepdim=True), zb.norm(dim=-1, keepdim=True)
    cos = ((za * zb).sum(-1, keepdim=True) / (na * nb).clamp_min(1e-12)).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    straight = so.abs() < 1e-6
    safe = torch.where(straight, torch.ones_like(so), so)
    wa = torch.where(straight, 1 - t, torch.sin((1 - t) * omega) / safe)
    wb = torch.where(straight, t, torch.sin(t * omega) / safe)
    return wa * za + wb * zb
