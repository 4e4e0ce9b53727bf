"""Folders of images: class sub-folders, unlabelled folders, colour, resizing and every error case."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganvae.data import load_images
from ganvae.data.images.folder import read_image_folder
from ganvae.errors import DataError


def test_subfolders_are_sorted_classes(tmp_path, make_image):
    for cls, n in (("dogs", 3), ("cats", 4)):
        for i in range(n):
            make_image(tmp_path / cls / f"{i}.png", (8, 6), seed=i)
    (tmp_path / ".hidden").mkdir()  # hidden folders are not classes
    x, y, names = read_image_folder(tmp_path)
    assert names == ["cats", "dogs"]
    assert x.shape == (7, 1, 8, 6) and x.dtype == np.float32
    assert y.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_pixels_are_exact(tmp_path):
    a = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    Image.fromarray(a).save(tmp_path / "a.png")
    x, y, names = read_image_folder(tmp_path)
    np.testing.assert_allclose(x[0, 0], a / 255.0, atol=1e-7)
    assert y is None and names is None


def test_unlabelled_folder_loads_with_seeded_split(tmp_path, make_image):
    for i in range(10):
        make_image(tmp_path / f"img{i}.png", seed=i)
    (tmp_path / "notes.txt").write_text("not an image")  # other files are ignored
    data = load_images(str(tmp_path), test_fraction=0.3, seed=1)
    assert not data.labelled and data.shape == (1, 8, 8)
    assert (len(data.x_train), len(data.x_test)) == (7, 3)
    again = load_images(str(tmp_path), test_fraction=0.3, seed=1)
    assert data.x_test.equal(again.x_test)
    assert data.source == str(tmp_path.resolve()) and data.name == tmp_path.name


def test_labelled_folder_through_load_images(tmp_path, make_image):
    for cls in ("a", "b"):
        for i in range(5):
            make_image(tmp_path / cls / f"{i}.png", seed=i)
    data = load_images(str(tmp_path))
    assert data.class_names == ["a", "b"] and data.num_classes == 2
    # Stratified: both classes on both sides.
    assert set(data.y_test.tolist()) == {0, 1}


def test_rgb_and_gray_mix_gives_three_channels(tmp_path, make_image):
    make_image(tmp_path / "gray.png", mode="L")
    make_image(tmp_path / "colour.png", mode="RGB")
    make_image(tmp_path / "alpha.png", mode="RGBA")
    x, _, _ = read_image_folder(tmp_path)
    assert x.shape == (3, 3, 8, 8)
    gray = x[2]  # sorted names: alpha, colour, gray
    assert np.array_equal(gray[0], gray[1]) and np.array_equal(gray[1], gray[2])


def test_rgba_is_composited_on_white(tmp_path):
    a = np.zeros((4, 4, 4), np.uint8)  # black, fully transparent
    Image.fromarray(a, mode="RGBA").save(tmp_path / "t.png")
    x, _, _ = read_image_folder(tmp_path)
    assert x.shape == (1, 3, 4, 4) and np.allclose(x, 1.0)


def test_sixteen_bit_gray_keeps_its_range(tmp_path):
    a = np.full((4, 4), 65535, np.uint16)
    a[0, 0] = 0
    Image.fromarray(a).save(tmp_path / "deep.png")
    x, _, _ = read_image_folder(tmp_path)
    assert x.shape == (1, 1, 4, 4) and x[0, 0, 0, 0] == 0.0 and x[0, 0, 3, 3] == pytest.approx(1.0)


def test_resize_int_and_tuple(tmp_path, make_image):
    make_image(tmp_path / "a.png", (28, 28))
    make_image(tmp_path / "b.png", (32, 20), mode="RGB")
    x, _, _ = read_image_folder(tmp_path, image_size=16)
    assert x.shape == (2, 3, 16, 16) and x.min() >= 0.0 and x.max() <= 1.0
    x, _, _ = read_image_folder(tmp_path, image_size=(12, 10))
    assert x.shape == (2, 3, 12, 10)


def test_mixed_sizes_without_image_size(tmp_path, make_image):
    make_image(tmp_path / "a.png", (28, 28))
    make_image(tmp_path / "b.png", (32, 32))
    with pytest.raises(DataError) as e:
        read_image_folder(tmp_path)
    assert str(e.value) == "images have mixed sizes (e.g. a.png is 28x28, b.png 32x32); pass --image-size"


def test_corrupt_png_names_the_file(tmp_path, make_image):
    make_image(tmp_path / "good.png")
    path = make_image(tmp_path / "bad.png", (32, 32))
    path.write_bytes(path.read_bytes()[:60])  # truncated inside the pixel data
    with pytest.raises(DataError, match=r"cannot read image bad\.png .*delete or replace it"):
        read_image_folder(tmp_path)


def test_not_an_image_with_image_suffix(tmp_path):
    (tmp_path / "fake.jpg").write_text("hello")
    with pytest.raises(DataError, match=r"fake\.jpg"):
        read_image_folder(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no images found"):
        read_image_folder(tmp_path)
    (tmp_path / "cats").mkdir()
    with pytest.raises(DataError, match="no images found"):
        read_image_folder(tmp_path)


def test_empty_class_folder(tmp_path, make_image):
    make_image(tmp_path / "cats" / "0.png")
    (tmp_path / "dogs").mkdir()
    with pytest.raises(DataError, match="class folder .*dogs has no images"):
        read_image_folder(tmp_path)


def test_mix_of_images_and_subfolders(tmp_path, make_image):
    make_image(tmp_path / "loose.png")
    make_image(tmp_path / "cats" / "0.png")
    with pytest.raises(DataError, match="mixes images and sub-folders"):
        read_image_folder(tmp_path)


def test_single_image_path_is_rejected_helpfully(tmp_path, make_image):
    path = make_image(tmp_path / "one.png")
    with pytest.raises(DataError, match="single image; give the folder"):
        load_images(str(path))


@pytest.mark.parametrize("bad", [0, -3, (4,), (4, 0), "32"])
def test_bad_image_size(tmp_path, make_image, bad):
    make_image(tmp_path / "a.png")
    with pytest.raises(DataError, match="image size must be"):
        read_image_folder(tmp_path, image_size=bad)
