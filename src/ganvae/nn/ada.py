"""ADA's adaptive augmentation probability (Karras et al. 2020, "Training Generative Adversarial Networks
with Limited Data", section 3).

A discriminator that memorises a small training set grows sure of every training image: the share of
real images it calls real rises towards 1. ADA measures that with the overfitting heuristic
r_t = E[sign(D(real))] over the discriminator's last few steps and steers the probability p with which
each augmentation is applied: every `interval` discriminator steps,

    p <- clamp(p + sign(r_t - target) * images / images_to_one, 0, P_MAX)

where `images` is what the discriminator saw in those steps (batch x interval) and `images_to_one` the
images it takes p to go from 0 to 1 (ADA: 500k, with target 0.6). p rises while the discriminator is
more sure than the target and falls back when it is not, so on data it cannot memorise p stays near 0
and nothing is augmented.

The state (p, the running sums of the current interval, the last r_t) is buffers, so a checkpoint
resumes exactly and a saved model says the p it reached. In a data-parallel run the sums are added
over processes before each update, so every process holds the same p (ADA's global batch statistic).

>>> ada = AdaptiveProbability()
>>> ada.observe(torch.tensor([2.0, -1.0, 3.0, 0.5]))      # 3 of 4 logits positive: signs sum to 2
>>> ada.update(target=0.6, images_to_one=400)            # r = 2/4 = 0.5 < 0.6: p stays at 0
>>> ada.value, float(ada.r)
(0.0, 0.5)
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

# p stays below 1 so that some images always pass each augmentation untouched: with p < 1 the augmented
# distribution still determines the original one, so the generator is not led to reproduce the
# augmentations (ADA section 2.2, "non-leaking" augmentations)
P_MAX = 0.99


def adjusted(p: float, r: float, target: float, images: int, images_to_one: float) -> float:
    """ADA's update of p after an interval in which the discriminator saw `images` images and had the
    overfitting heuristic `r`: a step of images / images_to_one up when r > target, down when r < target,
    none when equal; clamped to [0, P_MAX]."""
    step = images / images_to_one
    direction = (r > target) - (r < target)
    return min(max(p + direction * step, 0.0), P_MAX)


class AdaptiveProbability(nn.Module):
    """The augmentation probability p and the sums of the current interval of the heuristic r_t.

    `observe` adds one discriminator step's signs (each real image's: +1 judged real, -1 judged fake, 0
    on the boundary); `update` turns the interval's sums into r_t, moves p and starts the next interval.
    `value` is p as a Python float (read every step without waiting on the device)."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.register_buffer("p", torch.tensor(float(p)))
        self.register_buffer("r", torch.zeros(()))  # r_t of the last finished interval
        # this interval's sum of signs and images (integers: exact, whatever the model's float precision)
        self.register_buffer("signs", torch.zeros((), dtype=torch.long))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))
        self.value = float(p)
        # a loaded checkpoint's p is the one to apply (and is 0 when the file predates ADA: see the GAN)
        self.register_load_state_dict_post_hook(lambda module, _: module.refresh())

    def refresh(self) -> None:
        self.value = float(self.p)

    @torch.no_grad()
    def observe(self, signs: torch.Tensor) -> None:
        """Add one step's per-image signs (a tensor of -1, 0, +1 values, or logits: their sign is taken)."""
        s = torch.sign(signs.detach().float())
        self.signs += s.sum().round().long()
        self.seen += s.numel()

    @torch.no_grad()
    def update(self, target: float, images_to_one: float, adapt: bool = True) -> None:
        """End the interval: r_t = signs / images (summed over processes) and, when `adapt`, p moved by
        `adjusted` (without it, r_t is only measured: a fixed policy or none)."""
        sums = torch.stack([self.signs, self.seen])
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(sums)  # every process the same r_t, hence the same p
        signs, seen = (int(v) for v in sums.tolist())  # one host sync per interval, not per step
        if seen:
            r = signs / seen
            self.r.fill_(r)
            if adapt:
                self.p.fill_(adjusted(self.value, r, target, seen, images_to_one))
        self.signs.zero_()
        self.seen.zero_()
        self.refresh()
