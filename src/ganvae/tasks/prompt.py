"""Prompt-to-image for labelled data: a class-conditional model generates the class a prompt names.

The prompt names a class by the rule every class-taking option follows (`ganvae.data.classes`: exact
name, index, the one name containing it or contained in it, closest spelling; else an error listing the
names). Free text beyond class names would need a text encoder this tool does not ship.
"""

from __future__ import annotations

import torch

from ganvae.data.classes import resolve_class
from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel


def generate(
    model: GenerativeModel, prompt: str, n: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, str]:
    """(n images of the class the prompt names, that class's name)."""
    if not model.num_classes:
        raise ConfigError(
            f"{model.registered_name} is not class-conditional, so it cannot follow a prompt; "
            "train cvae or cgan on labelled data"
        )
    names = model.class_names or [str(i) for i in range(model.num_classes)]
    cls = resolve_class(prompt, names, what="prompt")
    return model.sample(n, labels=torch.full((n,), cls, dtype=torch.long), generator=generator), names[cls]
