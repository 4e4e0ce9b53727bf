"""Implicit-feedback interaction data for recommendation (MovieLens and RecBole files).

Readers for RecBole `.inter` files (TSV with a typed header such as `user_id:token`), MovieLens
`u.data` (TSV, no header) and `ratings.csv` (header `userId,movieId,rating,timestamp`). Ratings are
binarised at a threshold (default rating >= 4) and users with fewer than 5 positives are dropped. Two
splits (`split=`):

* `"strong"` (default): the *strong-generalisation* protocol of Liang et al. 2018 ("Variational
  Autoencoders for Collaborative Filtering", WWW): a seeded set of users is held out entirely, and for
  each held-out user 80 % of their items are folded in (given to the model) and the other 20 % are
  ranked against the rest. Seed 0 by default.
* `"recbole"`: RecBole 1.2.1's default split reproduced exactly (`eval_args: {split: {RS: [0.8, 0.1,
  0.1]}, order: RO, group_by: user, mode: full}`, seed 2020), for side-by-side comparisons with RecBole
  (bench/recbole_multvae.py). The binarised interactions are kept in file order (RecBole's
  `val_interval: {rating: "[threshold,inf)"}`, then `user_inter_num_interval: "[min_items,inf)"`, no
  duplicate removal), shuffled by `torch.randperm` from a generator seeded like RecBole's `init_seed`,
  and each user's shuffled interactions are cut 80/10/10 with RecBole's rounding (`_calcu_split_ids`:
  valid and test rounded down, but at least one each while more than one training item is left). Every
  user is a training and a test user: the training items are the model's input (`foldin`, and the rows of
  `x_train`), the test items are ranked (`heldout`), the validation items are never ranked (`excluded`),
  as in RecBole's full-sort evaluation, which masks a user's training and validation items. Every item of
  the filtered file is a column, as in RecBole, even one seen only in validation or test.

`--data ml-100k` (registered in `ganvae.data.catalog`) reads the copy of MovieLens-100k that ships inside
the `recbole==1.2.1` wheel. The
package is located through its installed distribution metadata and never imported (recbole's import
pulls heavy dependencies; only the file is wanted). The MovieLens licence forbids redistribution, so the
file is read where it lies and never copied.

>>> data = load_interactions("ml-100k")              # doctest: +SKIP
>>> data.x_train.shape[1] == data.n_items              # doctest: +SKIP
True
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.data.base import describe
from ganvae.data.catalog import RECBOLE_INSTALL, entry_of, names_of, wheel_file, wrong_kind_message
from ganvae.errors import DataError
from ganvae.registry import DATASETS

SPLITS = {
    "strong": "held-out users, 80 % of each folded in (Liang et al. 2018)",
    "recbole": "RecBole 1.2.1's per-user random 80/10/10 split, seed 2020",
}
SPLIT_SEEDS = {"strong": 0, "recbole": 2020}  # the seed of each split when none is given
RECBOLE_RATIOS = (0.8, 0.1, 0.1)  # RecBole's default eval_args split: {RS: [0.8, 0.1, 0.1]}


@dataclass
class Ratings:
    """Raw (user, item, rating) triples as read from a file; ids stay strings as the file spells them."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    source: Path


@dataclass
class InteractionData:
    """Binary user x item matrices of a split (dense float32 tensors).

    `x_train` holds the rows the models train on; `foldin` / `heldout` are each test user's items given
    to the model and ranked. Strong split: `x_train` holds the training users' full rows and `foldin` /
    `heldout` split each held-out user's items 80 / 20. RecBole split: every user is both, `x_train` and
    `foldin` hold their training items, `heldout` their test items and `excluded` their validation items,
    which are never ranked. `known` is what evaluation masks. Column j is item `item_ids[j]`. It offers
    what the training loop reads (`x_train`, `y_train`) and what a run folder records (`shape`,
    `num_classes`, `fingerprint()`).
    """

    name: str
    x_train: torch.Tensor
    foldin: torch.Tensor
    heldout: torch.Tensor
    item_ids: list[str]
    train_users: list[str]
    test_users: list[str]
    titles: dict[str, str] = field(default_factory=dict)
    source: str = ""
    notes: list[str] = field(default_factory=list)
    val_foldin: torch.Tensor | None = None
    val_heldout: torch.Tensor | None = None
    excluded: torch.Tensor | None = None  # test users' items neither given nor ranked (RecBole: valid)
    split: str = "strong"
    y_train: None = None
    class_names: None = None
    kind: ClassVar[str] = "interactions"  # the `ganvae.data.base.Dataset` protocol
    unit: ClassVar[str] = "users"

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def shape(self) -> tuple[int]:
        """One user's row: (n_items,). Models size their networks from it."""
        return (self.n_items,)

    @property
    def num_classes(self) -> int:
        return 0

    @property
    def x_test(self) -> torch.Tensor:
        """The test users' fold-in rows (what a task folder reports as the test split)."""
        return self.foldin

    @property
    def known(self) -> torch.Tensor:
        """Items never ranked for a test user: folded in or excluded, unless held out (RecBole's full
        sort masks history = used - positive items, so an item that is also a test item stays ranked)."""
        known = self.foldin.gt(0)
        if self.excluded is not None:
            known = known | self.excluded.gt(0)
        return (known & self.heldout.eq(0)).float()

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        parts = (self.x_train, self.foldin, self.heldout)
        for t in parts if self.excluded is None else (*parts, self.excluded):
            h.update(np.ascontiguousarray(t.numpy()).tobytes())
        h.update("\n".join(self.item_ids).encode())
        return h.hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return describe(self, len(self.x_test))  # test users: their fold-in rows

    def title(self, item_id: str) -> str:
        return self.titles.get(item_id, f"item {item_id}")


# ---- locating files --------------------------------------------------------------------------------
def builtin_path(name: str) -> Path:
    """The file of a built-in interaction dataset inside an installed wheel, without importing it."""
    path = wheel_file(DATASETS.get(name).extra["file"])
    if path is None:
        raise DataError(
            f"--data {name} reads MovieLens from the recbole wheel, which is not installed; "
            f"run `{RECBOLE_INSTALL}` or give the path of a u.data / ratings.csv / .inter file"
        )
    if not path.is_file():
        raise DataError(
            f"recbole is installed but {path} is missing; reinstall with `{RECBOLE_INSTALL}` "
            "or give a ratings file"
        )
    return path


def resolve_interactions(spec: str | Path) -> Path:
    """A ratings file from a built-in name, a file path, or a folder with u.data / ratings.csv / *.inter."""
    text = str(spec)
    if entry_of(text, "interactions") is not None:
        return builtin_path(text)
    path = Path(text).expanduser()
    if path.is_dir():
        found = [path / n for n in ("u.data", "ratings.csv") if (path / n).is_file()]
        found += sorted(path.glob("*.inter"))
        if not found:
            raise DataError(f"{path} holds no u.data, ratings.csv or .inter file; give the file itself")
        return found[0]
    if not path.is_file():
        other = wrong_kind_message(text, "interactions")  # `ganvae task recommend --data wine`
        if other:
            raise DataError(other)
        known = ", ".join(names_of("interactions"))
        raise DataError(
            f"--data {text!r} is neither a built-in interaction dataset ({known}) nor a file; "
            "give a MovieLens u.data / ratings.csv or a RecBole .inter file"
        )
    return path


# ---- reading ---------------------------------------------------------------------------------------
def _bad(path: Path, lineno: int, what: str, line: str) -> DataError:
    shown = line if len(line) <= 60 else line[:57] + "..."
    return DataError(f"{path}, line {lineno}: {what} (got {shown!r}); fix or delete that line")


def read_ratings(path: str | Path) -> Ratings:
    """Read (user, item, rating) from a `.inter`, `u.data` or `ratings.csv` file.

    The format is told by the first line: a typed RecBole header (`user_id:token ...`), a MovieLens CSV
    header (`userId,movieId,rating,...`), or data already (u.data: tab- or space-separated, no header).
    A malformed line raises a DataError naming the file and the line number.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")  # the original MovieLens files are Latin-1
    except OSError as exc:
        raise DataError(f"cannot read {path} ({exc.strerror}); check the path") from None
    lines = text.splitlines()
    if not lines:
        raise DataError(f"{path} is empty; give a ratings file with one (user, item, rating) per line")
    first = lines[0]
    if ":" in first.split("\t")[0]:  # RecBole: user_id:token<TAB>item_id:token<TAB>rating:float...
        names = [c.split(":")[0] for c in first.split("\t")]
        cols = _columns(path, names, ("user_id", "item_id", "rating"))
        rows, start, sep = lines[1:], 2, "\t"
    elif first.lower().startswith("userid"):
        names = [c.strip() for c in first.split(",")]
        cols = _columns(path, names, ("userId", "movieId", "rating"))
        rows, start, sep = lines[1:], 2, ","
    else:
        cols, rows, start, sep = (0, 1, 2), lines, 1, None  # u.data: user item rating timestamp
    width = max(cols) + 1
    users, items, ratings = [], [], []
    for lineno, line in enumerate(rows, start):
        if not line.strip():
            continue
        parts = line.split(sep)
        if len(parts) < width:
            raise _bad(path, lineno, f"expected at least {width} fields", line)
        try:
            r = float(parts[cols[2]])
        except ValueError:
            raise _bad(path, lineno, "the rating is not a number", line) from None
        if not np.isfinite(r):
            raise _bad(path, lineno, "the rating is not finite", line)
        u, i = parts[cols[0]].strip(), parts[cols[1]].strip()
        if not u or not i:
            raise _bad(path, lineno, "the user or item id is empty", line)
        users.append(u)
        items.append(i)
        ratings.append(r)
    if not users:
        raise DataError(f"{path} holds a header but no ratings; give a file with ratings")
    return Ratings(np.asarray(users), np.asarray(items), np.asarray(ratings, dtype=np.float64), path)


def _columns(path: Path, names: list[str], wanted: tuple[str, str, str]) -> tuple[int, int, int]:
    missing = [w for w in wanted if w not in names]
    if missing:
        raise DataError(
            f"{path}, line 1: the header lacks column(s) {', '.join(missing)} "
            f"(has {', '.join(names)}); name the user, item and rating columns {', '.join(wanted)}"
        )
    return tuple(names.index(w) for w in wanted)  # type: ignore[return-value]


def read_titles(ratings_file: Path) -> dict[str, str]:
    """Item titles from the file beside the ratings (`.item`, `u.item` or `movies.csv`), or {}.

    Titles are a convenience for `ganvae recommend`; an unreadable titles file is ignored, not fatal."""
    try:
        if ratings_file.suffix == ".inter" and ratings_file.with_suffix(".item").is_file():
            lines = ratings_file.with_suffix(".item").read_text(encoding="utf-8").splitlines()
            names = [c.split(":")[0] for c in lines[0].split("\t")]
            i, t = names.index("item_id"), names.index("movie_title")
            year = names.index("release_year") if "release_year" in names else None
            out = {}
            for line in lines[1:]:
                p = line.split("\t")
                if len(p) > t:
                    y = f" ({p[year]})" if year is not None and len(p) > year and p[year] else ""
                    out[p[i]] = p[t] + y
            return out
        if (ratings_file.parent / "u.item").is_file():
            text = (ratings_file.parent / "u.item").read_text(encoding="latin-1")
            return {p[0]: p[1] for p in (ln.split("|") for ln in text.splitlines()) if len(p) > 1}
        if (ratings_file.parent / "movies.csv").is_file():
            with open(ratings_file.parent / "movies.csv", encoding="utf-8", newline="") as fh:
                return {r["movieId"]: r["title"] for r in csv.DictReader(fh)}
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return {}
    return {}


# ---- binarising and splitting ----------------------------------------------------------------------
def positives(r: Ratings, threshold: float) -> dict[str, list[str]]:
    """Each user's items rated >= threshold (duplicates removed, file order kept)."""
    keep = r.ratings >= threshold
    out: dict[str, dict[str, None]] = {}
    for u, i in zip(r.users[keep].tolist(), r.items[keep].tolist(), strict=True):
        out.setdefault(u, {})[i] = None
    return {u: list(items) for u, items in out.items()}


def _rows(users: list[str], pos: dict[str, list[str]], index: dict[str, int]) -> torch.Tensor:
    x = torch.zeros(len(users), len(index))
    for row, u in enumerate(users):
        cols = [index[i] for i in pos[u] if i in index]
        x[row, cols] = 1.0
    return x


def foldin_split(x: torch.Tensor, share: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per user, a seeded random `share` of the items folded in, the rest held out (at least one each)."""
    g = torch.Generator().manual_seed(seed)
    foldin, heldout = torch.zeros_like(x), torch.zeros_like(x)
    for row in range(len(x)):
        items = x[row].nonzero().flatten()
        order = items[torch.randperm(len(items), generator=g)]
        n_held = min(len(items) - 1, max(1, round((1 - share) * len(items))))
        heldout[row, order[:n_held]] = 1.0
        foldin[row, order[n_held:]] = 1.0
    return foldin, heldout


def split_seed(split: str, seed: int | None = None) -> int:
    """The seed of `split`: `seed`, or the split's own default (0 strong, 2020 RecBole's)."""
    check_split(split)
    return SPLIT_SEEDS[split] if seed is None else seed


def check_split(split: str) -> str:
    """`split` if it names a known split, else a DataError listing them."""
    if split not in SPLITS:
        known = "; ".join(f"{k} ({v})" for k, v in SPLITS.items())
        raise DataError(f"unknown split {split!r}; use one of: {known}")
    return split


def load_interactions(
    spec: str | Path,
    *,
    split: str = "strong",
    threshold: float = 4.0,
    min_items: int = 5,
    test_users: float = 0.2,
    val_users: float = 0.0,
    foldin_share: float = 0.8,
    seed: int | None = None,
) -> InteractionData:
    """Read, binarise and split a ratings file.

    `split="strong"` (strong generalisation, Liang et al. 2018): `test_users` / `val_users` are the
    shares of users held out (each in (0, 1)), `foldin_share` of each held-out user's items is folded
    in. Items are those of the training users (an item never seen in training cannot be recommended, as
    in Liang et al.'s code). `split="recbole"`: RecBole 1.2.1's default split of the same positives
    (module docstring); `test_users`, `val_users` and `foldin_share` do not apply. `seed` defaults to 0
    (strong) or 2020 (recbole, RecBole's own seed).
    """
    seed = split_seed(split, seed)
    if min_items < 2:
        raise DataError("min_items must be >= 2: a test user needs a fold-in and a held-out item")
    if split == "recbole":
        return _load_recbole_split(spec, threshold, min_items, seed)
    if not 0 < test_users < 1 or not 0 <= val_users < 1 or test_users + val_users >= 1:
        raise DataError("test_users and val_users are shares of the users: each in [0, 1), summing below 1")
    if not 0 < foldin_share < 1:
        raise DataError("foldin_share must lie strictly between 0 and 1 (Liang et al. fold in 0.8)")
    path = resolve_interactions(spec)
    raw = read_ratings(path)
    pos = positives(raw, threshold)
    n_all = len(set(raw.users.tolist()))
    kept = sorted((u for u, items in pos.items() if len(items) >= min_items), key=_id_key)
    notes = [
        f"{len(raw.users)} ratings of {n_all} users binarised at rating >= {threshold:g}: "
        f"{sum(len(v) for v in pos.values())} positives; {n_all - len(kept)} users with fewer than "
        f"{min_items} positives dropped, {len(kept)} kept"
    ]
    n_test, n_val = round(test_users * len(kept)), round(val_users * len(kept))
    if n_test < 1 or len(kept) - n_test - n_val < 2:
        raise DataError(
            f"{path}: only {len(kept)} users have >= {min_items} ratings >= {threshold:g}; "
            "need enough for training and test users (lower --threshold or give more data)"
        )
    order = torch.randperm(len(kept), generator=torch.Generator().manual_seed(seed)).tolist()
    test = [kept[i] for i in order[:n_test]]
    val = [kept[i] for i in order[n_test : n_test + n_val]]
    train = [kept[i] for i in order[n_test + n_val :]]
    item_ids = sorted({i for u in train for i in pos[u]}, key=_id_key)
    index = {i: j for j, i in enumerate(item_ids)}
    x_train = _rows(train, pos, index)
    x_test = _rows(test, pos, index)
    # a test user may lose items unseen in training; keep those with a fold-in and a held-out item left
    ok = (x_test.sum(1) >= 2).tolist()
    if not all(ok):
        notes.append(f"{ok.count(False)} test users left with < 2 known items dropped")
        test = [u for u, k in zip(test, ok, strict=True) if k]
        x_test = x_test[torch.tensor(ok)]
    foldin, heldout = foldin_split(x_test, foldin_share, seed)
    val_f = val_h = None
    if val:
        x_val = _rows(val, pos, index)
        x_val = x_val[x_val.sum(1) >= 2]
        val_f, val_h = foldin_split(x_val, foldin_share, seed + 1)
    notes.append(
        f"{len(train)} training users, {len(val)} validation users, {len(test)} test users "
        f"(fold-in {foldin_share:.0%} of each test user's items, the rest ranked); {len(item_ids)} items"
    )
    name = str(spec) if entry_of(str(spec), "interactions") is not None else path.name
    return InteractionData(
        name,
        x_train,
        foldin,
        heldout,
        item_ids,
        train,
        test,
        read_titles(path),
        str(path),
        notes,
        val_f,
        val_h,
    )


def recbole_split_counts(total: int, ratios: tuple[float, ...] = RECBOLE_RATIOS) -> list[int]:
    """Cut points of one user's `total` shuffled interactions, as RecBole 1.2.1's
    `Dataset._calcu_split_ids`: every part but the first rounded down, then each empty part that its ratio
    would give a fraction of an item gets one (last part first) while the first keeps more than one.

    >>> recbole_split_counts(10), recbole_split_counts(5), recbole_split_counts(2)
    ([8, 9], [3, 4], [1, 1])
    """
    tot_ratio = sum(ratios)
    ratios = tuple(r / tot_ratio for r in ratios)
    cnt = [int(r * total) for r in ratios]
    cnt[0] = total - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * total < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return [int(c) for c in np.cumsum(cnt)[:-1]]


def recbole_split(
    users: list[str], items: list[str], seed: int = SPLIT_SEEDS["recbole"]
) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Per user (train, valid, test) item lists of interactions given in file order, as RecBole 1.2.1's
    `build()` with order RO and split RS [0.8, 0.1, 0.1] grouped by user: `torch.randperm` of all
    interactions (the generator seeded as `init_seed(seed)` seeds torch), then each user's interactions in
    shuffled order cut by `recbole_split_counts`."""
    perm = torch.randperm(len(users), generator=torch.Generator().manual_seed(seed)).tolist()
    grouped: dict[str, list[str]] = {}
    for k in perm:
        grouped.setdefault(users[k], []).append(items[k])
    out = {}
    for user, seq in grouped.items():
        a, b = recbole_split_counts(len(seq))
        out[user] = (seq[:a], seq[a:b], seq[b:])
    return out


def _load_recbole_split(spec: str | Path, threshold: float, min_items: int, seed: int) -> InteractionData:
    path = resolve_interactions(spec)
    raw = read_ratings(path)
    keep = raw.ratings >= threshold  # RecBole: val_interval {rating: "[threshold,inf)"}
    users, items = raw.users[keep].tolist(), raw.items[keep].tolist()
    counts: dict[str, int] = {}
    for u in users:  # RecBole counts interactions (rows), duplicates included
        counts[u] = counts.get(u, 0) + 1
    rows = [k for k, u in enumerate(users) if counts[u] >= min_items]  # user_inter_num_interval
    users, items = [users[k] for k in rows], [items[k] for k in rows]
    n_all = len(set(raw.users.tolist()))
    kept = sorted(set(users), key=_id_key)
    if len(kept) < 2:
        raise DataError(
            f"{path}: only {len(kept)} users have >= {min_items} ratings >= {threshold:g}; "
            "need enough for training and test users (lower --threshold or give more data)"
        )
    parts = recbole_split(users, items, seed)
    item_ids = sorted(set(items), key=_id_key)
    index = {i: j for j, i in enumerate(item_ids)}

    def matrix(part: int, who: list[str]) -> torch.Tensor:
        return _rows(who, {u: parts[u][part] for u in who}, index)

    test = [u for u in kept if parts[u][2]]  # RecBole tests the users that have a test item
    x_train = matrix(0, kept)
    notes = [
        f"{len(raw.users)} ratings of {n_all} users: {len(users)} ratings >= {threshold:g} of the "
        f"{len(kept)} users with at least {min_items} of them kept ({n_all - len(kept)} users dropped)",
        f"RecBole 1.2.1 split (seed {seed}): each user's interactions shuffled and cut 80/10/10 into "
        f"training, validation and test; {len(test)} test users, each ranking their test items among all "
        f"{len(item_ids)} items but their training items (the model's input) and validation items",
    ]
    name = str(spec) if entry_of(str(spec), "interactions") is not None else path.name
    foldin, valid = matrix(0, test), matrix(1, test)
    return InteractionData(
        name,
        x_train,
        foldin,
        matrix(2, test),
        item_ids,
        kept,
        test,
        read_titles(path),
        str(path),
        notes,
        val_foldin=foldin,
        val_heldout=valid,
        excluded=valid,
        split="recbole",
    )


def _id_key(text: str) -> tuple[int, int | str]:
    # numeric ids sort numerically (MovieLens), others as text
    return (0, int(text)) if text.isdigit() else (1, text)
