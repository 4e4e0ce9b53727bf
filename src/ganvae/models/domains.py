"""What the two-domain translators share (`cyclegan`, `unit`; data kind "domains"), and `translate`, the one
way any model translates an image from one domain to the other.

A translator trains on `DomainData` (`ganvae.data.images.domains`): images labelled 0 (source) and 1
(target) in mixed batches; its `train_step` splits each batch by domain. Its discriminators use the
least-squares GAN loss (Mao et al. 2017), as both CycleGAN and UNIT do.

Besides the translators, a class-conditional model with an encoder (a conditional VAE trained on the two
domains: "encode with the source label, decode with the target label") translates through `translate` too.
"""

from __future__ import annotations

import torch

from ganvae.errors import ConfigError

SOURCE, TARGET = 0, 1
DOMAINS = 2


def check_two_domains(name: str, num_classes: int) -> None:
    """A translator is built for exactly two domains (the task's source and target)."""
    if num_classes != DOMAINS:
        raise ConfigError(
            f"{name} translates between two image domains, not data with {num_classes} classes; "
            "train it with `ganvae task translate --source ... --target ...`"
        )


def split_domains(x: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(source images, target images) of a mixed batch labelled by domain, each in batch order.

    The parts' sizes depend on the labels, so they are read on the host: labels already there (the loop
    keeps a translator's labels on the host: `labels_on_host`) cost no wait for the GPU, where a boolean
    mask of labels on the GPU (`x[y == 0]`) stalls every training step on a host sync."""
    if y is None:
        raise ConfigError("a translator trains on images labelled by domain; use `ganvae task translate`")
    host = y.cpu()  # a no-op for the loop's labels; one sync for labels given on the GPU
    source, target = (x.index_select(0, domain_rows(host, d, x.device)) for d in (SOURCE, TARGET))
    return source, target


def domain_rows(labels: torch.Tensor, domain: int, device: torch.device) -> torch.Tensor:
    """The positions of `domain` among host `labels`, copied to `device` without waiting for the GPU (a
    host-to-device copy need not wait for queued work); their count is known on the host."""
    return (labels == domain).nonzero().flatten().to(device, non_blocking=True)


def lsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least-squares discriminator loss: real logits pulled to 1, fake to 0 (halved, as CycleGAN's)."""
    return 0.5 * ((real - 1.0).pow(2).mean() + fake.pow(2).mean())


def lsgan_g(fake: torch.Tensor) -> torch.Tensor:
    """Least-squares generator loss: the discriminator's output on translations pulled to 1."""
    return (fake - 1.0).pow(2).mean()


class LastBatch:
    """The latest training batch of each domain (kept off the state dict: no training data in weights),
    so that the training loop's sample grids show translations of real images while training."""

    def __init__(self) -> None:
        self.images: tuple[torch.Tensor, torch.Tensor] | None = None

    def keep(self, a: torch.Tensor, b: torch.Tensor) -> None:
        self.images = (a.detach(), b.detach())

    def inputs_for(
        self, name: str, labels: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """For each wanted output domain in `labels`, a random kept image of the other domain."""
        if self.images is None:
            raise ConfigError(
                f"{name} translates images and cannot draw from nothing; use `ganvae translate RUN image.png`"
            )
        out = []
        for to in labels.tolist():
            pool = self.images[1 - int(to)]
            i = int(torch.randint(len(pool), (1,), generator=generator)) if len(pool) else None
            out.append(pool[i] if i is not None else torch.zeros_like(self.images[int(to)][0]))
        return torch.stack(out), labels


def domain_labels(labels: torch.Tensor | None, n: int, generator: torch.Generator | None) -> torch.Tensor:
    """The wanted domain of each of n outputs (random when not given), checked to be 0 or 1."""
    if labels is None:
        return torch.randint(DOMAINS, (n,), generator=generator)
    labels = labels.long().cpu()
    if labels.numel() and (labels.min() < 0 or labels.max() >= DOMAINS):
        raise ConfigError("a domain label is 0 (source) or 1 (target)")
    return labels


@torch.no_grad()
def translate(model, x: torch.Tensor, to: int, batch: int = 500) -> torch.Tensor:
    """Images `x` (in [0, 1], all of the other domain) translated into domain `to` (0 or 1) by `model`:
    a translator's own mapping, or a class-conditional model's "encode with the source label, decode with
    the target label". Runs in batches on the model's device; returns CPU images in [0, 1]."""
    if to not in (SOURCE, TARGET):
        raise ConfigError("translate into domain 0 (source) or 1 (target)")
    own = "translate" in getattr(model, "capabilities", ())
    encodes = {"encode", "decode"} <= set(getattr(model, "capabilities", ()))
    if not own and not (getattr(model, "num_classes", 0) == DOMAINS and encodes):
        raise ConfigError(
            f"{getattr(model, 'registered_name', '') or type(model).__name__} does not translate between two "
            "domains; train it with `ganvae task translate`"
        )
    outs = []
    for chunk in x.split(batch):
        if own:
            out = model.translate(chunk, to)
        else:
            src = torch.full((len(chunk),), 1 - to, dtype=torch.long)
            z = model.encode(chunk, src)  # a GAN's encoder inverts its generator (gradients inside)
            out = model.decode(z.detach(), labels=torch.full((len(chunk),), to, dtype=torch.long))
        outs.append(out.detach().float().cpu().clamp(0.0, 1.0))
    return torch.cat(outs) if outs else x.new_empty((0, *x.shape[1:]))
