"""Gradient penalties on a discriminator's input gradient.

- WGAN-GP (Gulrajani et al. 2017): (||grad_x D(x)|| - 1)^2 at random mixes of real and fake images,
  pulling the critic towards 1-Lipschitz.
- R1 (Mescheder et al. 2018, "Which training methods for GANs do actually converge?"):
  ||grad_x D(x)||^2 at real images. It penalises the discriminator for leaving the data manifold steep,
  which makes the game converge locally where unregularised GANs circle; StyleGAN's default regulariser.

Both differentiate the discriminator's output with respect to its *input* (create_graph, so the penalty's
own gradient reaches the weights in the discriminator's backward).

>>> w = torch.tensor([3.0, 4.0])
>>> x = torch.ones(2, 2, requires_grad=True)
>>> input_gradient_sq_norm(x @ w, x)
tensor([25., 25.])
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Critic = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def input_gradient_sq_norm(outputs: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Per-sample ||d outputs_i / d inputs_i||^2 (outputs: one value per sample; each sample's output
    depends on its own input only, so the gradient of the sum is the per-sample gradient)."""
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


def gradient_penalty(
    critic: Critic, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """WGAN-GP's penalty, averaged over the batch, at uniform mixes of `real` and `fake`."""
    alpha = torch.rand(len(real), 1, 1, 1, device=real.device)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix, labels).sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
