"""`load_interactions(split="recbole")`: RecBole 1.2.1's default split of MovieLens-100k reproduced exactly.

recbole is never imported here. The reference figures below were recorded from RecBole itself, in its own
virtual environment, with `bench/recbole_driver.py split` (RecBole 1.2.1, torch 2.13.0, the benchmark's
configuration: ratings >= 4, users with >= 5 of them, eval_args RS [0.8, 0.1, 0.1] / RO / user / full,
seed 2020): a SHA-256 of every user's sorted train|valid|test item ids, the totals, and a few users'
sets written out in full."""

from __future__ import annotations

import hashlib

import pytest
import torch
from test_interactions import needs_ml100k  # noqa: I001 - the sibling test module (pytest puts its folder on sys.path)

from ganvae.data.interactions import (
    load_interactions,
    recbole_split,
    recbole_split_counts,
)
from ganvae.errors import DataError

# recorded from RecBole 1.2.1's data_preparation (see the module docstring)
RECBOLE_SHA256 = "a22f0a0303c9f69407d426a004dfc9648b93d0511e991b7ed48de77f7ec280c1"
RECBOLE_TOTALS = {"users": 938, "items": 1447, "train": 45057, "valid": 5152, "test": 5152}
RECBOLE_USERS = {
    "42": {
        "valid": ["1", "54", "99", "121", "173", "185", "230", "234", "468", "781", "785"],
        "test": ["66", "143", "196", "204", "239", "294", "385", "566", "756", "939", "1051"],
        "n_train": 93,
    },
    "578": {"train": ["222", "300", "313"], "valid": ["298"], "test": ["1016"]},
    "27": {
        "train": ["100", "121", "123", "298", "370", "515", "1017"],
        "valid": ["246"],
        "test": ["9"],
    },
    "646": {"valid": ["272"], "test": ["1022"], "n_train": 3},
}


def _items(data, matrix, user: str) -> list[str]:
    row = data.test_users.index(user)
    return sorted((data.item_ids[j] for j in matrix[row].nonzero().flatten().tolist()), key=int)


def test_split_counts_round_like_recbole():
    # RecBole's _calcu_split_ids: valid and test rounded down, then an empty part whose ratio gives a
    # fraction of an item gets one (test first), while more than one training item is left
    assert recbole_split_counts(10) == [8, 9]  # 8 / 1 / 1
    assert recbole_split_counts(20) == [16, 18]  # 16 / 2 / 2
    assert recbole_split_counts(19) == [17, 18]  # int(1.9) = 1: 17 / 1 / 1
    assert recbole_split_counts(5) == [3, 4]  # 0 / 0 rounded, both bumped: 3 / 1 / 1
    assert recbole_split_counts(3) == [1, 2]  # 1 / 1 / 1
    assert recbole_split_counts(2) == [1, 1]  # test bumped, then one training item left: 1 / 0 / 1
    assert recbole_split_counts(1) == [1, 1]  # 1 / 0 / 0


def test_recbole_split_shuffles_all_interactions_then_cuts_per_user():
    users = ["a"] * 10 + ["b"] * 5
    items = [f"i{k}" for k in range(15)]
    parts = recbole_split(users, items, seed=2020)
    perm = torch.randperm(15, generator=torch.Generator().manual_seed(2020)).tolist()
    a_order = [items[k] for k in perm if users[k] == "a"]  # a's items in shuffled order
    assert parts["a"] == (a_order[:8], a_order[8:9], a_order[9:])
    assert [len(p) for p in parts["b"]] == [3, 1, 1]
    assert sorted(sum(parts["b"], [])) == sorted(items[10:])


def _synthetic(tmp_path):
    g = torch.Generator().manual_seed(0)
    lines = []
    for u in range(30):
        k = 3 if u < 3 else 6 + u % 7  # users 0..2 have too few positives and are dropped
        for i in torch.randperm(40, generator=g)[:k].tolist():
            lines.append(f"u{u}\ti{i}\t5\t0\n")
        lines.append(f"u{u}\ti{(u + 7) % 40}\t1\t0\n")  # a negative per user (rating 1 < 4)
    path = tmp_path / "u.data"
    path.write_text("".join(lines))
    return path


def test_every_user_trains_and_is_tested(tmp_path):
    data = load_interactions(_synthetic(tmp_path), split="recbole")
    assert data.split == "recbole" and "RecBole 1.2.1 split (seed 2020)" in data.notes[1]
    assert data.train_users == data.test_users and len(data.test_users) == 27
    assert torch.equal(data.x_train, data.foldin)  # train items: what the model trains on and is given
    whole = data.foldin + data.excluded + data.heldout
    assert whole.max() == 1  # the three parts are disjoint ...
    sizes = whole.sum(1)
    assert ((sizes >= 6) & (sizes <= 12)).all()  # ... and together every positive of the user
    assert (data.heldout.sum(1) >= 1).all() and (data.excluded.sum(1) >= 1).all()
    assert torch.equal(data.known, data.foldin + data.excluded)  # masked in evaluation
    assert torch.equal(data.val_foldin, data.foldin) and torch.equal(data.val_heldout, data.excluded)
    again = load_interactions(_synthetic(tmp_path), split="recbole", seed=2020)
    assert again.fingerprint() == data.fingerprint()  # 2020 is the default
    other = load_interactions(_synthetic(tmp_path), split="recbole", seed=1)
    assert other.fingerprint() != data.fingerprint()
    strong = load_interactions(_synthetic(tmp_path))
    assert strong.split == "strong" and strong.excluded is None
    assert torch.equal(strong.known, strong.foldin)


def test_known_keeps_an_item_that_is_also_a_test_item(tmp_path):
    # RecBole keeps duplicate rows; its full sort masks history = (train + valid) - test items, so an
    # item both trained on and tested stays ranked
    path = tmp_path / "u.data"
    rows = [("1", "1")] * 10 + [("2", str(i)) for i in range(2, 7)]  # user 1 rated item 1 ten times
    path.write_text("".join(f"{u}\t{i}\t5\t0\n" for u, i in rows))
    data = load_interactions(path, split="recbole")
    assert data.n_items == 6 and data.foldin[0, 0] == 1 and data.heldout[0, 0] == 1
    assert data.known[0, 0] == 0


def test_unknown_split_is_one_clear_line(tmp_path):
    with pytest.raises(DataError) as e:
        load_interactions(_synthetic(tmp_path), split="random")
    msg = str(e.value)
    assert "unknown split 'random'" in msg and "strong" in msg and "recbole" in msg and "\n" not in msg


@needs_ml100k
def test_ml100k_split_is_recboles_exactly():
    data = load_interactions("ml-100k", split="recbole")
    assert len(data.test_users) == RECBOLE_TOTALS["users"] and data.n_items == RECBOLE_TOTALS["items"]
    assert int(data.foldin.sum()) == RECBOLE_TOTALS["train"]
    assert int(data.excluded.sum()) == RECBOLE_TOTALS["valid"]
    assert int(data.heldout.sum()) == RECBOLE_TOTALS["test"]
    for user, parts in RECBOLE_USERS.items():
        for name, matrix in (("train", data.foldin), ("valid", data.excluded), ("test", data.heldout)):
            if name in parts:
                assert _items(data, matrix, user) == parts[name], (user, name)
        if "n_train" in parts:
            assert len(_items(data, data.foldin, user)) == parts["n_train"]
    parts = (data.foldin, data.excluded, data.heldout)
    lines = [
        user + "|" + "|".join(",".join(_items(data, m, user)) for m in parts)
        for user in sorted(data.test_users, key=int)
    ]
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == RECBOLE_SHA256
