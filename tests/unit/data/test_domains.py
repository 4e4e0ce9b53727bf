"""Two image domains (`ganvae.data.images.domains`): class groups keep the dataset's own split and count,
folders get their own split, and every way of naming no real pair of domains is one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganvae.data.images.domains import SOURCE, TARGET, load_domains, parse_group
from ganvae.errors import ConfigError, DataError


def test_class_groups_hold_exactly_the_named_classes(digits):
    d = load_domains("0,1,2", "7", data="digits")
    assert d.kind == "domains" and d.class_names == ["0+1+2", "7"] and d.num_classes == 2
    for split in ("train", "test"):
        y = getattr(digits, f"y_{split}")
        assert len(d.images(split, SOURCE)) == int(torch.isin(y, torch.tensor([0, 1, 2])).sum())
        assert len(d.images(split, TARGET)) == int((y == 7).sum())
    # the target domain's training images are the dataset's class-7 training images, in order
    torch.testing.assert_close(d.images("train", TARGET), digits.x_train[digits.y_train == 7])


def test_classes_are_named_by_the_class_rule():
    names = ["T-shirt/top", "Trouser", "Sneaker", "Ankle boot"]
    assert parse_group("sneakers", names, "--source") == [2]
    assert parse_group("ankle boot, 1", names, "--target") == [3, 1]
    with pytest.raises(ConfigError, match="no class matches the --source 'hat'.*known classes"):
        parse_group("hat", names, "--source")


@pytest.mark.parametrize(
    ("source", "target", "needle"),
    [
        ("0", "0", "name the same classes"),
        ("1,0", "0,1", "name the same classes"),
        ("0,1", "1,2", "class '1' is in both"),
        ("12", "1", "out of range"),
        ("zero", "1", "no class matches"),
        ("", "1", "give both --source and --target"),
        ("./some/folder", "1", "leave out --data"),
    ],
)
def test_bad_class_groups_are_refused(source, target, needle):
    with pytest.raises((ConfigError, DataError), match=needle):
        load_domains(source, target, data="digits")


def _folder(root, name, images, mode="L", size=8):
    folder = root / name
    folder.mkdir()
    for i, a in enumerate(images):
        img = Image.fromarray((a * 255).astype(np.uint8)).resize((size, size))
        img.convert(mode).save(folder / f"{i}.png")
    return folder


def test_two_folders_each_split_and_a_gray_domain_beside_a_colour_one(tmp_path, digits):
    zeros = digits.x_train[digits.y_train == 0][:20, 0].numpy()
    ones = digits.x_train[digits.y_train == 1][:15, 0].numpy()
    a = _folder(tmp_path, "zeros", zeros)
    b = _folder(tmp_path, "ones", ones, mode="RGB")
    d = load_domains(str(a), str(b))
    assert d.class_names == ["zeros", "ones"] and d.shape == (3, 8, 8)
    assert len(d.images("train", SOURCE)) + len(d.images("test", SOURCE)) == 20
    assert len(d.images("train", TARGET)) + len(d.images("test", TARGET)) == 15
    gray = d.images("train", SOURCE)
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])


def test_bad_folders_are_refused(tmp_path, digits):
    zeros = digits.x_train[digits.y_train == 0][:10, 0].numpy()
    a = _folder(tmp_path, "a", zeros)
    big = _folder(tmp_path, "big", zeros, size=16)
    (tmp_path / "empty").mkdir()
    cases = [
        (str(tmp_path / "nowhere"), str(a), "--source .* does not exist"),
        (str(a), str(a), "the same folder"),
        (str(a), str(tmp_path / "empty"), "--target: no images found"),
        (str(a), str(big), "pass --image-size"),
        (str(tmp_path), str(a), "inside the other"),
    ]
    for source, target, needle in cases:
        with pytest.raises((ConfigError, DataError), match=needle):
            load_domains(source, target)
    # --image-size gives both one size
    assert load_domains(str(a), str(big), image_size=8).shape == (1, 8, 8)
