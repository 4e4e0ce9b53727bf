"""Every kind of data implements the `Dataset` protocol alike: its kind is the data_kind of the models that
train on it, and `describe()` gives the run record's summary (what task folders write to metrics.json)."""

from __future__ import annotations

import numpy as np
import pytest

from ganvae.data.base import Dataset
from ganvae.data.catalog import KINDS
from ganvae.registry import MODELS


def _ratings(tmp_path):
    """A MovieLens u.data file: 40 users, each rating 8 of 30 items 5 stars (all positives)."""
    rng = np.random.default_rng(0)
    lines = [
        f"{u}\t{i}\t5\t0" for u in range(1, 41) for i in rng.choice(np.arange(1, 31), size=8, replace=False)
    ]
    path = tmp_path / "u.data"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def one_of_each(tmp_path):
    from ganvae.data import load_images
    from ganvae.data.images.domains import load_domains
    from ganvae.data.interactions import load_interactions
    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    return {
        "images": load_images("digits"),
        "table": prepare_table(load_table("wine"), seed=0),
        "interactions": load_interactions(_ratings(tmp_path)),
        "domains": load_domains("0", "1", data="digits"),
    }


def test_every_kind_is_a_dataset_described_alike(one_of_each):
    assert set(one_of_each) == set(KINDS)
    model_kinds = {e.factory.data_kind for e in MODELS}
    for kind, data in one_of_each.items():
        assert isinstance(data, Dataset) and data.kind == kind and kind in model_kinds
        d = data.describe()
        assert set(d) == {"name", "kind", "unit", "split", "shape", "n_train", "n_test", "class_names"}
        assert d["kind"] == kind and d["shape"] == list(data.shape) and d["n_train"] == len(data.x_train)
        assert len(data.fingerprint()) == 16
    units = {k: d.unit for k, d in one_of_each.items()}
    assert units == {"images": "images", "table": "rows", "interactions": "users", "domains": "images"}
    splits = {k: d.split for k, d in one_of_each.items()}
    assert splits == {"images": "seeded", "table": "seeded", "interactions": "strong", "domains": "seeded"}
    assert one_of_each["table"].describe()["n_test"] == len(one_of_each["table"].table.test)
    assert one_of_each["images"].describe()["class_names"] == [str(i) for i in range(10)]
    assert one_of_each["domains"].describe()["class_names"] == ["0", "1"]  # source, target
