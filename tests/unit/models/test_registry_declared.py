"""The model registry declares each entry's family and data kind beside its name so that `ganvae list`
imports no model (nor PyTorch): the declarations must say what the classes and presets say."""

from __future__ import annotations

import pytest

from ganvae.models import data_of, family_of
from ganvae.registry import MODELS, Lazy


@pytest.mark.parametrize("name", MODELS.names())
def test_declared_family_and_data_match_the_class(name):
    entry = MODELS.get(name)
    assert {"family", "data"} <= set(entry.extra), f"{name} declares its family and data kind"
    cls = entry.factory  # imports the model's module
    non_variational = getattr(entry.extra["preset"], "variational", True) is False
    assert family_of(name) == ("ae" if non_variational else cls.family)
    assert data_of(name) == cls.data_kind


def test_entries_resolve_on_first_use_only(monkeypatch):
    from ganvae.registry import Entry, lazy, made

    entry = Entry("toy", lazy("fractions:Fraction"), "a toy", {"preset": made("fractions:Fraction", 2, 4)})
    assert isinstance(entry._factory, Lazy)  # declared, not imported
    from fractions import Fraction

    assert entry.factory is Fraction and entry.extra["preset"] == Fraction(1, 2)
    assert entry.extra["preset"] is entry.extra["preset"]  # made once
