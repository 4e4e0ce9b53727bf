"""`--metadata`: declared column kinds override the inferred ones; id columns are left out of training and
come back as fresh, unique ids in synthetic rows; datetimes train as numbers and come back as dates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ganvae.data.tables import load_table
from ganvae.data.tables.metadata import parse_metadata, read_metadata
from ganvae.data.tables.table_data import prepare_table
from ganvae.errors import DataError

N = 60


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "row": np.arange(1000, 1000 + N),  # an integer id
            "grade": rng.integers(1, 25, N),  # 24 integer codes: inferred continuous
            "code": rng.integers(0, 3, N),  # 3 integer values: inferred categorical
            "customer": [f"C{k:03d}" for k in range(N)],  # a text id
            "when": [
                str(d.date())
                for d in pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, N), "D")
            ],
            "amount": rng.normal(50, 10, N),
        }
    )


META = {
    "columns": {
        "row": {"sdtype": "id"},
        "grade": {"sdtype": "categorical"},
        "code": {"sdtype": "numerical"},
        "customer": {"sdtype": "id"},
        "when": {"sdtype": "datetime"},
    },
    "primary_key": "row",  # SDV's other keys are ignored
}


def _table():
    return load_table(_frame(), metadata=parse_metadata(META, "meta.json"))


def test_declared_kinds_override_the_inferred_ones_and_ids_are_left_out():
    plain = load_table(_frame().drop(columns=["customer"]))
    assert plain.kinds["grade"] == "continuous" and plain.kinds["code"] == "categorical"
    table = _table()
    assert table.kinds == {
        "grade": "categorical",
        "code": "continuous",
        "when": "datetime",
        "amount": "continuous",
    }
    assert list(table.frame.columns) == ["grade", "code", "when", "amount"]  # no id is trained on
    assert pd.api.types.is_datetime64_any_dtype(table.frame["when"])
    assert table.meta["ids"] == [
        {"name": "row", "position": 0, "numeric": True, "start": 1000 + N},
        {"name": "customer", "position": 3, "numeric": False, "start": 0},
    ]


def test_synthetic_rows_get_fresh_unique_ids_in_place_and_dates_back(tmp_path):
    import torch

    from ganvae.models import build_model
    from ganvae.models.base import GenerativeModel

    data = prepare_table(_table(), seed=0)
    t = data.transformer
    back = t.add_ids(t.inverse_transform(t.transform(data.table.train)))
    assert list(back.columns) == list(_frame().columns)  # the file's order, ids included
    assert back["row"].tolist() == list(range(1000 + N, 1000 + N + len(back)))  # above every real id
    assert back["customer"].is_unique and not set(back["customer"]) & set(_frame()["customer"])
    assert pd.api.types.is_datetime64_any_dtype(back["when"])  # trained as numbers, restored as dates
    assert back["when"].tolist() == data.table.train["when"].tolist()
    assert back["grade"].tolist() == data.table.train["grade"].tolist()  # categories round-trip exactly

    torch.manual_seed(0)
    model = build_model("tabular-vae", data.shape, 0, {"width": 16, "latent_dim": 4}, context=data.context)
    for rows in (
        model.sample(25),
        model.sample(25, conditions={"grade": int(data.table.train["grade"].iloc[0])}),
    ):
        assert list(rows.columns) == list(_frame().columns) and len(rows) == 25
        assert rows["row"].is_unique and rows["customer"].is_unique
    model.save(tmp_path)
    again = GenerativeModel.load(tmp_path).sample(5)  # `ganvae synthesize` on the saved model: ids still made
    assert again["row"].tolist() == list(range(1000 + N, 1005 + N))


@pytest.mark.parametrize(
    "meta, needle",
    [
        (
            {"columns": {"nope": {"sdtype": "id"}}},
            "names column(s) 'nope' that table does not have; its columns",
        ),
        ({"columns": {"row": {"sdtype": "email"}}}, "has sdtype 'email'; use one of numerical, categorical"),
        ({"tables": {"a": {"columns": {}}, "b": {"columns": {}}}}, "describes 2 tables"),
        ({"col": 1}, 'has no "columns" object'),
        (
            {"columns": {"customer": {"sdtype": "numerical"}}},
            "'customer' of table is declared numerical but holds",
        ),
        (
            {"columns": {"amount": {"sdtype": "datetime"}}},
            "'amount' of table is declared datetime but not every",
        ),
    ],
)
def test_bad_metadata_is_refused_naming_what_is_wrong(meta, needle):
    with pytest.raises(DataError) as err:
        load_table(_frame(), metadata=parse_metadata(meta, "meta.json"))
    assert needle in str(err.value)


def test_a_target_cannot_be_an_id_and_a_file_must_be_json(tmp_path):
    with pytest.raises(DataError, match="the target 'row' is declared an id"):
        load_table(_frame(), target="row", metadata=parse_metadata(META, "meta.json"))
    bad = tmp_path / "meta.json"
    bad.write_text("{columns: ")
    with pytest.raises(DataError, match=r"meta.json is not valid JSON \(.*line 1\)"):
        read_metadata(bad)
    with pytest.raises(DataError, match="cannot read the metadata file"):
        read_metadata(tmp_path / "missing.json")
    bad.write_text(json.dumps({"tables": {"only": META}}))  # SDV's multi-table form with one table
    assert read_metadata(bad).id_names == ["row", "customer"]
