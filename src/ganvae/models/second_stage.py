"""The second stage of the two-stage VAE (Dai & Wipf 2019, "Diagnosing and enhancing VAE models").

A trained image VAE's codes do not fill N(0, I): its aggregate posterior q(z) has holes and heavy regions,
so decoding prior draws gives blotchy images. Dai & Wipf fit a second, small VAE to the codes: its own
latent *does* match N(0, I) well (codes are low-dimensional and dense), so sampling u ~ N(0, I), decoding
it to a code z with the second stage and z to an image with the first stage samples where the first
stage's codes really are. Their second stage is an MLP VAE with a learned decoder variance; ganvae's uses
the batch-optimal σ of the first stage (Rybkin et al. 2021), which is the same optimum in closed form.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganvae.nn.noise import seeded


class SecondStage(nn.Module):
    """An MLP VAE on d-dimensional codes: code -> (mean, log-variance) of u -> code.

    Its weights live in the image VAE's state (prefix `stage2.`), trained only by `fit`, never by the
    first stage's optimizer (`requires_grad` stays off outside `fit`, so data-parallel training of the
    first stage never sees unused parameters).

    >>> s = SecondStage(4).fit(torch.randn(256, 4), steps=20)
    >>> s.sample(3).shape
    torch.Size([3, 4])
    """

    def __init__(self, dim: int, hidden: int = 128):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim)
        )
        # the codes are standardised for training (their scale varies by run); sampling undoes it
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.zeros(dim))  # all zero = not fitted
        # the decoder's σ (batch-optimal while fitting, then measured on all codes): sampling adds this
        # noise, so a second stage that ignores u still draws the codes' own Gaussian, not their mean
        self.register_buffer("log_sigma", torch.zeros(dim))
        self.requires_grad_(False)

    @property
    def fitted(self) -> bool:
        return bool(self.scale.sum() > 0)

    def squared_error(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(codes).chunk(2, dim=1)
        logvar = logvar.clamp(-30.0, 20.0)
        u = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return (codes - self.decoder(u)).pow(2), mu, logvar

    def loss(self, codes: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        """Negative ELBO per code (nats; β-weighted KL) with the batch-optimal Gaussian σ of each dim."""
        err, mu, logvar = self.squared_error(codes)
        log_sigma = err.mean(0).sqrt().log().clamp(min=-6.0)
        nll = (0.5 * err / (2 * log_sigma).exp() + log_sigma + 0.5 * math.log(2 * math.pi)).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
        return nll + beta * kl

    def fit(
        self, codes: torch.Tensor, steps: int = 2000, batch_size: int = 256, seed: int = 0
    ) -> SecondStage:
        """Train on `codes` (n x d) with Adam for `steps` steps, seeded; returns self."""
        codes = codes.detach().float()
        self.shift.copy_(codes.mean(0))
        self.scale.copy_(codes.std(0).clamp(min=1e-6))
        data = (codes - self.shift) / self.scale
        fork = [data.device] if data.device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):  # the caller's random stream is left as it was
            torch.manual_seed(seed)
            for layer in self.modules():  # initial weights from `seed` too: a fit depends on it alone
                if isinstance(layer, nn.Linear):
                    layer.reset_parameters()
            self.requires_grad_(True)
            was_training = self.training
            self.train()
            opt = torch.optim.Adam(self.parameters(), lr=2e-3)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
            try:
                for step in range(steps):
                    batch = data[torch.randint(len(data), (min(batch_size, len(data)),), device=data.device)]
                    opt.zero_grad(set_to_none=True)
                    # KL warm-up over the first half: without it the second stage often collapses onto
                    # the codes' mean and draws one Gaussian (measured on two-cluster codes)
                    self.loss(batch, beta=min(1.0, 2 * (step + 1) / steps)).mean().backward()
                    opt.step()
                    sched.step()
                with torch.no_grad():
                    self.log_sigma.copy_(self.squared_error(data)[0].mean(0).sqrt().log().clamp(min=-6.0))
            finally:
                self.requires_grad_(False)
                self.train(was_training)
        return self

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n codes: u ~ N(0, I) decoded by the second stage plus its decoder noise, in the codes' scale."""
        device, d = self.shift.device, len(self.shift)
        u = seeded(torch.randn, (n, d), generator, device)
        noise = seeded(torch.randn, (n, d), generator, device) * self.log_sigma.exp()
        return (self.decoder(u) + noise) * self.scale + self.shift
