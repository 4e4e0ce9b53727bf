"""Class names: the one rule by which a user names a class of labelled data.

Used wherever a command takes a class: `ganvae sample --labels`, `ganvae generate --prompt`,
`ganvae morph --label`, `ganvae task anomaly --normal-class`. In order, ignoring case and repeated spaces:

1. the exact class name;
2. a whole number: the class index, 0..K-1 (out of range is an error, never a guess);
3. the one class name that contains the text, or that the text contains ("boot" -> "Ankle boot",
   "sneakers" -> "Sneaker"); two or more such names are not a match;
4. the closest spelling (difflib's ratio at least `CUTOFF`: "trouzer" -> "Trouser");

else a ConfigError that lists the class names. An exact name wins over an index, so the digits' class "3"
is class 3 either way.

>>> resolve_class("ankle boot", ["T-shirt/top", "Trouser", "Ankle boot"])
2
>>> resolve_class("1", ["cat", "dog"])
1
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ganvae.errors import ConfigError

# difflib ratio of the closest spelling: 0.75 takes a typo or two in a word ("trouzer" 0.86, "sandle" 0.83
# for Sandal) but no unrelated word ("shoe" scores 0.44 against "shirt"). It is the cutoff the prompt
# matcher used before this rule was shared.
CUTOFF = 0.75


def resolve_class(name_or_index: str | int, class_names: Sequence[str], *, what: str = "class") -> int:
    """The index of the class `name_or_index` names (the rule in the module docstring). `what` is how the
    error message calls the input (e.g. "prompt", "--normal-class")."""
    names = list(class_names)
    lowered = [_norm(n) for n in names]
    text = _norm(str(name_or_index))
    listed = f"known classes: {', '.join(names)}" if names else "the data has no classes"
    if text and text in lowered:
        return lowered.index(text)
    if text.isdigit():
        if int(text) < len(names):
            return int(text)
        raise ConfigError(
            f"{what} {name_or_index!r}: class index {int(text)} is out of range 0..{len(names) - 1}; {listed}"
        )
    contained = [i for i, n in enumerate(lowered) if text and (n in text or text in n)]
    if len(contained) == 1:
        return contained[0]
    close = difflib.get_close_matches(text, lowered, n=1, cutoff=CUTOFF)
    if close:
        return lowered.index(close[0])
    raise ConfigError(f"no class matches the {what} {name_or_index!r}; {listed}")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())
