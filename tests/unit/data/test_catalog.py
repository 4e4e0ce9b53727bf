"""The one registry of built-in datasets (every kind): each entry is complete, each kind's loader finds its
built-ins there and nowhere else, and a built-in given to the loader of another kind says which commands
take it."""

from __future__ import annotations

import pytest

from ganvae.data import load_images
from ganvae.data.catalog import KINDS, entry_of, names_of, wrong_kind_message
from ganvae.data.interactions import resolve_interactions
from ganvae.data.tables import builtin_tables, is_table, load_table
from ganvae.errors import DataError
from ganvae.registry import DATASETS

LOADERS = {"images": load_images, "table": load_table, "interactions": resolve_interactions}


def test_every_entry_has_a_kind_a_description_and_a_way_to_get_it():
    # two image domains have no built-in: `ganvae task translate` makes them from folders or class groups
    assert {e.extra["kind"] for e in DATASETS} == set(KINDS) - {"domains"}
    for e in DATASETS:
        assert e.extra["kind"] in KINDS and e.summary and "\n" not in e.summary, e.name
        where = e.extra["where"]()
        assert where is None or isinstance(where, str)
        assert e.extra["available"]() == (where is not None)
        assert e.extra["how"], e.name
    assert names_of("images") == ["digits", "fashion-mnist", "mnist"]
    assert names_of("table") == ["wine", "breast-cancer", "diamonds", "credit-data"]
    assert names_of("interactions") == ["ml-100k"]


def test_the_loaders_read_the_one_registry():
    assert builtin_tables() == names_of("table")
    assert all(is_table(name) for name in names_of("table"))
    assert not any(is_table(name) for name in names_of("images") + names_of("interactions"))
    assert entry_of("wine", "table") is DATASETS.get("wine")
    assert entry_of("wine", "images") is None and entry_of("nope", "table") is None
    assert load_table("wine").target == DATASETS.get("wine").extra["target"]


@pytest.mark.parametrize("name", [e.name for e in DATASETS])
def test_a_builtin_of_another_kind_names_the_commands_that_take_it(name):
    kind = DATASETS.get(name).extra["kind"]
    for other, loader in LOADERS.items():
        if other == kind:
            continue
        message = wrong_kind_message(name, other)
        assert message and message.startswith(f"{name} is a built-in ") and "use it with `ganvae" in message
        with pytest.raises(DataError) as err:
            loader(name)
        assert str(err.value) == message
    assert wrong_kind_message(name, kind) is None


def test_ml_100k_is_read_from_the_wheel_when_installed():
    e = DATASETS.get("ml-100k")
    if not e.extra["available"]():
        pytest.skip("recbole not installed")
    assert str(resolve_interactions("ml-100k")) == e.extra["where"]()
    assert str(e.factory()).endswith(e.extra["file"].split("/", 1)[1])
