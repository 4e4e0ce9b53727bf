"""The memory a dataset would take after `--image-size` is estimated before allocating and refused when it
exceeds what the machine has available."""

from __future__ import annotations

import os

import pytest

from ganvae import host_memory
from ganvae.data import load_images
from ganvae.errors import DataError


def test_available_memory_is_positive_and_below_physical_memory():
    free = host_memory.available_bytes()
    if free is None:
        pytest.skip("neither psutil nor /proc/meminfo here")
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < free <= physical


def test_digits_at_2048_is_refused_with_the_estimate_and_what_is_available(monkeypatch):
    monkeypatch.setattr(host_memory, "available_bytes", lambda: 16e9)
    with pytest.raises(DataError) as err:
        load_images("digits", image_size=2048)
    need = f"{1797 * 2048 * 2048 * 4 / 1e9:.1f} GB"  # 1,797 images x 1 channel x 2048 x 2048 x 4 bytes
    assert f"needs about {need} of memory, more than the 16.0 GB available here" in str(err.value)
    assert "--image-size 2048x2048 on digits (1,797 images x 1 x 2048 x 2048 float32)" in str(err.value)


def test_a_size_that_fits_is_loaded(monkeypatch):
    monkeypatch.setattr(host_memory, "available_bytes", lambda: 1797 * 16 * 16 * 4 + 1)
    assert load_images("digits", image_size=16).shape == (1, 16, 16)
    monkeypatch.setattr(host_memory, "available_bytes", lambda: 1797 * 16 * 16 * 4 - 1)
    with pytest.raises(DataError, match="use a smaller --image-size"):
        load_images("digits", image_size=16)


def test_a_folder_is_refused_before_its_images_are_decoded(tmp_path, monkeypatch):
    from PIL import Image

    for i in range(3):
        Image.new("L", (8, 8)).save(tmp_path / f"{i}.png")
    decoded = []
    monkeypatch.setattr("ganvae.data.images.folder.decode_image", lambda *a: decoded.append(a))
    monkeypatch.setattr(host_memory, "available_bytes", lambda: 3 * 64 * 64 * 4 - 1)
    with pytest.raises(DataError, match=r"\(3 images x 1 x 64 x 64 float32\) needs about"):
        load_images(tmp_path, image_size=64)
    assert not decoded
