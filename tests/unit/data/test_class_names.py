"""The one rule by which a class is named (sample --labels, generate --prompt, morph --label,
task anomaly --normal-class): each step of the rule, its order, and the error that lists the names."""

from __future__ import annotations

import pytest

from ganvae.data.classes import resolve_class
from ganvae.errors import ConfigError

FASHION = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGITS = [str(i) for i in range(10)]


def test_exact_name_ignores_case_and_spacing():
    assert resolve_class("Ankle Boot", FASHION) == 9
    assert resolve_class("  ankle   boot ", FASHION) == 9
    assert resolve_class("shirt", FASHION) == 6  # exact beats the substring of "T-shirt/top"


def test_a_whole_number_is_an_index_and_an_exact_name_wins():
    assert resolve_class("3", FASHION) == 3
    assert resolve_class(3, FASHION) == 3
    assert resolve_class("7", DIGITS) == 7
    # a class literally named "1" is class 1 even where index 1 is another class
    assert resolve_class("1", ["0", "b", "1"]) == 2
    with pytest.raises(ConfigError, match=r"out of range 0\.\.9; known classes: 0, 1, 2"):
        resolve_class("12", DIGITS)


def test_the_one_name_containing_or_contained():
    assert resolve_class("boot", FASHION) == 9  # contained in exactly one name
    assert resolve_class("sneakers", FASHION) == 7  # contains exactly one name
    assert resolve_class("digit 7", [f"Digit {i}" for i in range(10)]) == 7
    # a text inside several names is not a match (Trouser, Pullover, Sneaker)
    with pytest.raises(ConfigError, match="no class matches"):
        resolve_class("er", FASHION)


def test_closest_spelling_within_the_cutoff():
    assert resolve_class("trouzer", FASHION) == 1
    assert resolve_class("sandle", FASHION) == 5
    with pytest.raises(ConfigError):
        resolve_class("shoe", FASHION)


def test_anything_else_is_an_error_listing_the_names():
    with pytest.raises(ConfigError, match="prompt 'giraffe'; known classes: T-shirt/top, Trouser, Pullover"):
        resolve_class("giraffe", FASHION, what="prompt")
    with pytest.raises(ConfigError, match="the data has no classes"):
        resolve_class("cat", [])
    with pytest.raises(ConfigError):
        resolve_class("", FASHION)
