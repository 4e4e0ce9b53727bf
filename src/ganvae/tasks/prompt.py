"""Prompt-to-image for labelled data: a class-conditional model generates the class a prompt names.

The prompt is matched to the model's class names case-insensitively: an exact name, else the one name
the prompt contains or is contained in, else the closest spelling (difflib). Anything else is an error
that lists the known names. (Free text beyond class names would need a text encoder this tool does not
ship.)
"""

from __future__ import annotations

import difflib

import torch

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel


def match_class(prompt: str, names: list[str]) -> int:
    """Index of the class `prompt` names (see the module docstring); ConfigError listing names otherwise."""
    text = " ".join(prompt.lower().split())
    lowered = [n.lower() for n in names]
    if text in lowered:
        return lowered.index(text)
    contained = [i for i, n in enumerate(lowered) if text and (n in text or text in n)]
    if len(contained) == 1:
        return contained[0]
    close = difflib.get_close_matches(text, lowered, n=1, cutoff=0.75)
    if close:
        return lowered.index(close[0])
    raise ConfigError(f"no class matches the prompt {prompt!r}; known classes: {', '.join(names)}")


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
    cls = match_class(prompt, names)
    return model.sample(n, labels=torch.full((n,), cls, dtype=torch.long), generator=generator), names[cls]
