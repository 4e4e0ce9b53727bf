"""What the two tabular models share: their data transformer (from `context`) and sampling a DataFrame,
optionally with conditions (`model.sample(n, conditions={"cut": "Ideal"})`).

Conditions are met by rejection: rows are drawn (the GAN also steers its generator with CTGAN's
conditional vector for the first condition, so few are rejected) and only those whose decoded values
match every condition are kept. That is the only way to *guarantee* the condition for the VAE, which
has no conditional input, and it makes both models answer the same question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ganvae.errors import ConfigError


def transformer_of(context: dict[str, Any], width: int):
    """The fitted `TabularTransformer` a tabular model was built for (restored from its JSON state) and
    the `SpanLayout` of its rows, checked against the model's row width."""
    from ganvae.data.tables import TabularTransformer
    from ganvae.nn.tabular import SpanLayout

    if "transformer" not in context:
        raise ConfigError("a tabular model needs its data's fitted transformer; build it from a table")
    transformer = TabularTransformer.from_dict(context["transformer"])
    if transformer.output_dim != width:
        raise ConfigError(f"the transformer gives rows of {transformer.output_dim} values, not {width}")
    return transformer, SpanLayout(transformer.spans, width)


def sample_frame(
    transformer,
    n: int,
    draw: Callable[[int, tuple[int, int] | None], torch.Tensor],
    conditions: dict[str, Any] | None = None,
    *,
    max_rounds: int = 50,
):
    """n decoded rows from `draw(batch, condition)` (a tensor of transformed rows); with `conditions`,
    only rows matching all of them, by rejection."""
    import pandas as pd

    if n < 1:
        raise ConfigError(f"-n must be at least 1 (got {n})")
    if not conditions:  # id columns get fresh ids once every row is drawn, so that they are unique
        return transformer.add_ids(transformer.inverse_transform(draw(n, None).cpu().numpy()))
    for column, value in conditions.items():  # DataError naming the known values when one is unknown
        transformer.encode_condition(column, value)
    steer = transformer.encode_condition(*next(iter(conditions.items())))
    kept, have = [], 0
    for _ in range(max_rounds):
        batch = max(2 * (n - have), 256)
        frame = transformer.inverse_transform(draw(batch, steer).cpu().numpy())
        mask = pd.Series(True, index=frame.index)
        for column, value in conditions.items():
            mask &= frame[column].astype(str) == str(value)
        kept.append(frame[mask])
        have += int(mask.sum())
        if have >= n:
            return transformer.add_ids(pd.concat(kept, ignore_index=True).iloc[:n])
    raise ConfigError(
        f"after {max_rounds} rounds only {have} of {n} rows matched {conditions}; the model rarely "
        "produces that combination: ask for fewer rows, fewer conditions, or train longer"
    )
