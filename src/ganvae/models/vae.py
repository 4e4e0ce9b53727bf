"""Variational autoencoder (Kingma & Welling 2014), β-VAE (Higgins et al. 2017) and conditional VAE
(Sohn et al. 2015) as config fields of one class.

The encoder outputs a mean and a log-variance with no activation; the decoder's output fits its
likelihood: Bernoulli logits, or (the default) a Gaussian mean whose scale is the analytic optimum
σ² = MSE of the batch (the "optimal σ-VAE" of Rybkin et al. 2021). With a fixed σ, or a Bernoulli
likelihood on gray-level images, the KL term dominates small images and the posterior nearly collapses
(measured on digits: 3 nats of KL, reconstructions worse than the mean image after 300 steps); the
optimal σ balances the two terms without hand-tuning.

Two stronger family members (issue 16) change only how codes are drawn for `sample`, fitted when training
ends: the ex-post Gaussian mixture on the training codes (Ghosh et al. 2020) and the two-stage VAE's second
stage (Dai & Wipf 2019, `second_stage.py`). `kl_warmup` anneals β from 0 over the first steps (Bowman et
al. 2016), so the decoder learns to use the code before the KL term pulls the posterior to the prior.

`train_noise` > 0 is the denoising VAE of Im et al. 2017 ("Denoising criterion for variational
auto-encoding framework"): while training, the encoder sees the image plus Gaussian noise of that σ and
the likelihood scores the clean image, so the model learns to map corrupted inputs onto clean ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.second_stage import SecondStage
from ganvae.nn.conv import ConvDecoder, ConvEncoder
from ganvae.nn.noise import seeded
from ganvae.search_space import Param


@dataclass
class VAEConfig:
    latent_dim: int = 32
    width: int = 32
    likelihood: Literal["bernoulli", "gaussian", "mse"] = "gaussian"
    beta: float = 1.0
    conditional: bool = False
    lr: float = 1e-3
    weight_decay: float = 0.0
    train_noise: float = 0.0  # σ of Gaussian noise on the encoder's input while training (denoising VAE)
    # what `sample` draws codes from: the N(0, I) prior, the ex-post Gaussian mixture fitted to the
    # training codes when training ends (Ghosh et al. 2020; always fitted, a sampling-only setting), or
    # the two-stage VAE's second stage (Dai & Wipf 2019; trained when training ends only if chosen then)
    prior: Literal["normal", "mixture", "two-stage"] = "normal"
    prior_components: int = 10
    stage2_steps: int = 2000  # Adam steps of the second stage (seconds on a CPU; outside the budget)
    kl_warmup: int = 0  # steps over which β rises linearly from 0 to `beta` (KL annealing); 0 = none
    # the least σ of the Gaussian likelihood (pixels in [0, 1]): σ is each batch's RMS error, and as a
    # network memorises a small training set it shrinks, every pixel weighs 1/σ² against the KL, and the
    # KL runs away from the prior (issue 21: 111 nats on 160 images); a floor caps that weight
    sigma_floor: float = 0.0025
    # what `ganvae compare --search` varies (ganvae.search_space); `prior` is sampling-only, so the search
    # tries both priors on each trial's trained networks instead of training once per prior
    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 3e-3),
        "beta": Param("log", 0.25, 4.0),
        "latent_dim": Param("categorical", choices=(16, 32, 64)),
        "width": Param("categorical", choices=(16, 32, 64)),
        "prior": Param("categorical", choices=("normal", "mixture")),
    }

    def validate(self) -> None:
        if self.latent_dim < 1 or self.width < 1:
            raise ConfigError("latent_dim and width must be positive integers")
        if self.beta < 0:
            raise ConfigError("beta must be >= 0 (1 is the plain VAE, > 1 a β-VAE)")
        if self.lr <= 0:
            raise ConfigError("lr must be positive")
        if self.stage2_steps < 1 or self.kl_warmup < 0:
            raise ConfigError("stage2_steps must be >= 1 and kl_warmup >= 0")
        if self.prior_components < 1:
            raise ConfigError("prior_components must be at least 1")
        if not 0 < self.sigma_floor < 1:
            raise ConfigError(
                "sigma_floor must be in (0, 1): the least σ of the Gaussian likelihood, e.g. 0.05"
            )
        if self.train_noise < 0:
            raise ConfigError("train_noise must be >= 0 (0 trains a plain VAE, e.g. 0.2 a denoising VAE)")


class VAE(GenerativeModel):
    """A convolutional VAE on images in [0, 1].

    >>> m = VAE(VAEConfig(latent_dim=8, width=8), (1, 8, 8))
    >>> m.reconstruct(torch.rand(2, 1, 8, 8)).shape
    torch.Size([2, 1, 8, 8])
    """

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "score", "condition"})
    config_class = VAEConfig
    family = "vae"
    anomaly_scores = ("neg-elbo", "recon-error")
    sampling_settings = frozenset({"prior"})
    # checkpoints written before the mixture prior / the second stage existed
    optional_state = ("prior_", "stage2.")

    def __init__(self, config: VAEConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        if self.num_classes and config.prior != "normal":
            # the ex-post priors are fitted to label-free codes; a conditional VAE's codes are meant to
            # follow N(0, I) given the label, which is what it samples
            raise ConfigError(
                f"a conditional VAE samples its codes from N(0, I): add --set prior=normal "
                f"(prior={config.prior} is for unconditional VAEs)"
            )
        self.encoder = ConvEncoder(self.shape, config.width, norm="batch")
        self.head = nn.Linear(self.encoder.out_dim + self.num_classes, 2 * config.latent_dim)
        self.decoder = ConvDecoder(config.latent_dim, self.shape, config.width, self.num_classes)
        # log σ of the Gaussian likelihood: the batch optimum while training, its running average for
        # evaluation (a buffer, saved with the weights); unused with Bernoulli.
        self.register_buffer("log_sigma", torch.zeros(()))
        # the ex-post mixture prior (`fit_prior`): weights, means and Cholesky factors of the covariances;
        # all-zero weights mean "not fitted"
        k, d = config.prior_components, config.latent_dim
        self.register_buffer("prior_weights", torch.zeros(k))
        self.register_buffer("prior_means", torch.zeros(k, d))
        self.register_buffer("prior_tril", torch.eye(d).repeat(k, 1, 1))
        self.stage2 = SecondStage(d)
        # while training (`prepare_training` .. `finish_training`): the training images, never saved, and
        # the provisional mixture of the current codes, refitted when a step has changed the weights
        self._train_x: torch.Tensor | None = None
        self._provisional: tuple[int, tuple[torch.Tensor, ...]] | None = None
        self._steps_taken = 0

    # ---- networks ------------------------------------------------------------------------------
    def posterior(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        onehot = self.onehot(labels, len(x))
        if onehot is not None:
            h = torch.cat([h, onehot], dim=1)
        mu, logvar = self.head(h).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)  # clamp: exp() must not overflow early in training

    def decode_raw(self, z: torch.Tensor, onehot: torch.Tensor | None) -> torch.Tensor:
        return self.decoder(z, onehot)

    def to_image(self, raw: torch.Tensor) -> torch.Tensor:
        if self.config.likelihood == "bernoulli":
            return torch.sigmoid(raw)
        return raw.clamp(0.0, 1.0)

    # ---- objective -----------------------------------------------------------------------------
    def neg_log_likelihood(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) per sample, summed over pixels (nats; "mse" leaves out the constant 0.5 log 2π per
        pixel of its unit-variance Gaussian, as pythae does)."""
        if self.config.likelihood == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(raw, x, reduction="none")
        elif self.config.likelihood == "mse":
            nll = 0.5 * (x - raw) ** 2
        else:
            if self.training:
                # optimal σ: the RMS error of this batch (floored, so a perfect fit stays finite)
                log_sigma = (x - raw).pow(2).mean().sqrt().log().clamp(min=math.log(self.config.sigma_floor))
                with torch.no_grad():
                    self.log_sigma.lerp_(log_sigma.detach().float(), 0.1)
            else:
                log_sigma = self.log_sigma
            nll = 0.5 * ((x - raw) / log_sigma.exp()) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
        return nll.flatten(1).sum(1)

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || N(0, I)) per sample, closed form."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)

    def elbo_terms(
        self,
        x: torch.Tensor,
        labels: torch.Tensor | None = None,
        sample: bool = True,
        encoder_input: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """-log p(x|z) and KL per sample; `encoder_input` (a corrupted x) is what the encoder sees."""
        mu, logvar = self.posterior(x if encoder_input is None else encoder_input, labels)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if sample else mu
        raw = self.decode_raw(z, self.onehot(labels, len(x)))
        return self.neg_log_likelihood(raw, x), self.kl(mu, logvar)

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        stage1 = [p for name, p in self.named_parameters() if not name.startswith("stage2.")]
        return {"vae": self.adam(stage1, lr=c.lr, weight_decay=c.weight_decay)}

    def beta_at(self, step: int) -> float:
        """β of training step `step` (0-based): linear warm-up over `kl_warmup` steps, then `beta`."""
        warm = self.config.kl_warmup
        return self.config.beta * (min(1.0, (step + 1) / warm) if warm else 1.0)

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        noisy = None
        if self.config.train_noise > 0:
            # denoising criterion (Im et al. 2017): corrupt the encoder's input, score the clean target
            noisy = (x + self.config.train_noise * torch.randn_like(x)).clamp(0.0, 1.0)
        nll, kl = self.elbo_terms(x, y if self.num_classes else None, encoder_input=noisy)
        beta = self.beta_at(step)
        loss = (nll + beta * kl).mean()
        opt.step("vae", loss)
        self._steps_taken = step + 1
        logs = {"loss": loss.detach(), "nll": nll.mean().detach(), "kl": kl.mean().detach()}
        return logs | ({"beta": beta} if self.config.kl_warmup else {})

    # ---- the ex-post prior ------------------------------------------------------------------------
    def finish_training(self, x_train: torch.Tensor) -> None:
        self._train_x, self._provisional = None, None
        if not self.num_classes:  # a conditional VAE's codes are label-free by design: keep N(0, I)
            self.fit_prior(x_train)
            if self.config.prior == "two-stage":
                self.fit_second_stage(x_train)

    @torch.no_grad()
    def training_codes(self, x: torch.Tensor, max_codes: int = 20_000, draw: bool = False) -> torch.Tensor:
        """Posterior means (or, with `draw`, one posterior draw each) of up to `max_codes` training images
        (a seeded subset), in eval mode."""
        was_training = self.training
        self.eval()
        g = torch.Generator().manual_seed(0)
        pick = torch.randperm(len(x), generator=g)[:max_codes]
        parts = []
        for i in range(0, len(pick), 1024):
            mu, logvar = self.posterior(x[pick[i : i + 1024]].to(self.device))
            if draw:
                mu = mu + seeded(torch.randn, mu.shape, g, mu.device) * (0.5 * logvar).exp()
            parts.append(mu)
        self.train(was_training)
        return torch.cat(parts)

    def fit_second_stage(self, x: torch.Tensor) -> VAE:
        """Train the two-stage VAE's second stage on posterior draws of the training images (Dai & Wipf
        train it on z ~ q(z|x), which is what the aggregate posterior is made of)."""
        with torch.enable_grad():
            self.stage2.fit(self.training_codes(x, draw=True), steps=self.config.stage2_steps)
        return self

    @torch.no_grad()
    def fit_prior(self, x: torch.Tensor, max_codes: int = 20_000) -> VAE:
        """Fit the mixture prior: a full-covariance Gaussian mixture (scikit-learn) on the posterior means of
        up to `max_codes` training images (a seeded subset). The aggregate posterior of a trained VAE sits
        far from N(0, I) ("prior holes"): decoding codes drawn where the codes are fixes much of the
        blotchiness of its samples (Ghosh et al. 2020, "From variational to deterministic autoencoders")."""
        weights, means, tril = self._mixture(self.training_codes(x, max_codes))
        k = len(weights)
        self.prior_weights.zero_()[:k] = weights
        self.prior_means[:k] = means
        self.prior_tril[:k] = tril
        return self

    def _mixture(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(weights, means, Cholesky factors) of the mixture fitted to `codes`, on this model's device."""
        from sklearn.mixture import GaussianMixture
        from threadpoolctl import threadpool_limits

        k = max(1, min(self.config.prior_components, len(codes) // 10))
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=0)
        # one BLAS thread: EM's products are of 32 x 32 covariances, where OpenBLAS's threads cost more than
        # they give (a fit on 1,293 digit codes took 0.39 s with 2 threads, 0.055 s with 1, the same fit);
        # a 300-step VAE refits its provisional mixture about ten times
        with threadpool_limits(1, user_api="blas"):
            gmm.fit(codes.cpu().double().numpy())
        as_tensor = lambda a: torch.as_tensor(a).float().to(self.device)  # noqa: E731
        return (
            as_tensor(gmm.weights_),
            as_tensor(gmm.means_),
            torch.linalg.cholesky(torch.as_tensor(gmm.covariances_)).float().to(self.device),
        )

    def prepare_training(self, x_train: torch.Tensor) -> None:
        # kept (never in the state dict) so that samples drawn while training — the FD curve that the
        # search's pruner and claim 9 read, the grids — come from a provisional mixture fitted to the current
        # codes, as the final samples will, not from N(0, I): a VAE's N(0, I) FD at step 270 of 300 was ~90
        # where its mixture FD at 300 was ~11 (BENCHMARKS.md, digits search)
        self._train_x, self._provisional = x_train, None

    def _provisional_mixture(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """A mixture on 2,000 codes of the current weights (refitted when they changed); None when no
        training data was given (an untrained model)."""
        if self._train_x is None:
            return None
        if self._provisional is None or self._provisional[0] != self._steps_taken:
            codes = self.training_codes(self._train_x, max_codes=2_000)
            self._provisional = (self._steps_taken, self._mixture(codes))
        return self._provisional[1]

    @property
    def prior_fitted(self) -> bool:
        return bool(self.prior_weights.sum() > 0)

    def latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        prior = self.config.prior
        if prior != "normal" and not self.prior_fitted and "prior_" in self.absent_state_:
            raise ConfigError(
                "this VAE was saved before the ex-post priors existed; sample with prior=normal or retrain"
            )
        # the ex-post priors are fitted when training ends (the mixture always, for an unconditional VAE):
        # until then — the loop's grids and FD curve — codes come from a provisional mixture of the current
        # codes, and for an untrained model from N(0, I)
        if prior == "normal":
            return super().latent(n, generator)
        if not self.prior_fitted:
            mixture = self._provisional_mixture()
            return super().latent(n, generator) if mixture is None else self._draw(mixture, n, generator)
        if prior == "two-stage":
            if not self.stage2.fitted:
                raise ConfigError(
                    "this VAE has no second stage (trained only when a VAE trains with prior=two-stage); "
                    "sample with prior=mixture or normal, or retrain with --set prior=two-stage"
                )
            return self.stage2.sample(n, generator)
        return self._draw((self.prior_weights, self.prior_means, self.prior_tril), n, generator)

    def _draw(self, mixture, n: int, generator: torch.Generator | None) -> torch.Tensor:
        weights, means, tril = mixture
        # components drawn i.i.d. (never grouped by component, as GaussianMixture.sample returns them)
        where = generator.device if generator is not None else self.device
        comp = torch.multinomial(weights.to(where), n, replacement=True, generator=generator)
        comp = comp.to(self.device)
        eps = seeded(torch.randn, (n, self.latent_dim, 1), generator, self.device)
        return means[comp] + (tril[comp] @ eps).squeeze(-1)

    # ---- the interface -------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        z = self.latent(n, generator)
        return self.decode(z, labels=labels)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The posterior mean: the VAE's code of `x`."""
        return self.posterior(x.to(self.device), labels)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.to_image(self.decode_raw(z.to(self.device), self.onehot(labels, len(z))))

    @torch.no_grad()
    def reconstruct_samples(
        self,
        x: torch.Tensor,
        k: int,
        labels: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """k decodes of posterior draws for each input: k x N x C x H x W (the VAE's stochasticity)."""
        mu, logvar = self.posterior(x.to(self.device), labels)
        onehot = self.onehot(labels, len(x))
        std = (0.5 * logvar).exp()
        draws = [mu + seeded(torch.randn, mu.shape, generator, mu.device) * std for _ in range(k)]
        return torch.stack([self.to_image(self.decode_raw(z, onehot)) for z in draws])

    @torch.no_grad()
    def score_neg_elbo(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Negative ELBO per image (nats), decoding the posterior mean so the score is deterministic
        (An & Cho 2015 use the reconstruction probability; the ELBO is its single-sample bound)."""
        nll, kl = self.elbo_terms(x.to(self.device), labels, sample=False)
        return nll + kl

    @torch.no_grad()
    def score_recon_error(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Per-image mean squared error of the reconstruction (encoder mean, then decoder)."""
        x = x.to(self.device)
        return (self.reconstruct(x, labels) - x).pow(2).flatten(1).mean(1)

    def parts(self):
        def encode(b: int):
            labels = torch.zeros(b, dtype=torch.long, device=self.device) if self.num_classes else None
            return self.posterior(torch.rand(b, *self.shape, device=self.device), labels)

        def decode(b: int):
            return self.decode_raw(self.latent(b), self.onehot(None, b))

        return {"encoder": ([self.encoder, self.head], encode), "decoder": ([self.decoder], decode)}
