"""The tabular models (every registered model of data_kind "table"): they train through the one loop on a
real table's transformed rows, sample DataFrames shaped like the table, honour conditions, and round-trip
save/load from their own folder (the transformer travels in config.json). Their building blocks are
checked against direct computations: span activations, TVAE's loss, CTGAN's training-by-sampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from ganvae.data.tables import load_table
from ganvae.data.tables.table_data import prepare_table
from ganvae.errors import ConfigError, DataError
from ganvae.models import GenerativeModel, build_model
from ganvae.models.tabular_gan import Conditions
from ganvae.nn.tabular import Dropout, SpanLayout
from ganvae.registry import MODELS
from ganvae.training import TrainConfig, Trainer

NAMES = [e.name for e in MODELS if e.factory.data_kind == "table"]
SMALL = {
    "tabular-vae": {"width": 32, "latent_dim": 8},
    "tabular-gan": {"width_g": 32, "width_d": 32, "latent_dim": 8},
}


@pytest.fixture(scope="module")
def wine():
    """scikit-learn's wine table (178 rows, 13 numbers and a 3-class target), transformer fitted."""
    return prepare_table(load_table("wine"), seed=0)


@pytest.fixture(scope="module")
def mixed():
    """A table with categorical columns of several widths (2, 3, 3, 5) and continuous ones."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], n),
            "b": rng.choice(["p", "q", "r"], n),
            "c": rng.choice(["u", "v", "w"], n),
            "d": rng.choice(list("klmno"), n),
            "e": rng.normal(size=n),
            "f": np.concatenate([rng.normal(-3, 0.3, n // 2), rng.normal(4, 1.0, n - n // 2)]),
        }
    )
    return prepare_table(load_table(frame, target="a", name="mixed"), seed=0)


@pytest.fixture(params=["wine", "mixed"])
def table(request):
    return request.getfixturevalue(request.param)


def _model(name, data):
    torch.manual_seed(0)
    return build_model(name, data.shape, 0, SMALL[name], context=data.context)


def test_both_families_are_registered():
    assert {MODELS.get(n).factory.family for n in NAMES} == {"vae", "gan"}


@pytest.mark.parametrize("name", NAMES)
def test_trains_samples_a_table_and_round_trips(name, wine, tmp_path):
    model = _model(name, wine)
    trainer = Trainer(TrainConfig(steps=8, batch_size=50, log_every=4), progress=False).fit(model, wine)
    assert trainer.state_.step == 8
    frame = model.sample(40, generator=torch.Generator().manual_seed(1))
    train = wine.table.train
    assert list(frame.columns) == list(train.columns) and len(frame) == 40
    assert dict(frame.dtypes) == dict(train.dtypes)
    assert set(frame["target"]) <= set(train["target"])
    model.save(tmp_path / "m")
    back = GenerativeModel.load(tmp_path / "m")
    again = back.sample(40, generator=torch.Generator().manual_seed(1))
    pd.testing.assert_frame_equal(model.sample(40, generator=torch.Generator().manual_seed(1)), again)


@pytest.mark.parametrize("name", NAMES)
def test_conditions_are_met_and_bad_ones_refused(name, wine):
    model = _model(name, wine)
    Trainer(TrainConfig(steps=4, batch_size=50), progress=False).fit(model, wine)
    value = wine.table.train["target"].iloc[0]
    frame = model.sample(30, conditions={"target": str(value)}, generator=torch.Generator().manual_seed(0))
    assert len(frame) == 30 and (frame["target"] == value).all()
    with pytest.raises(DataError):
        model.sample(5, conditions={"target": "no such class"})
    with pytest.raises(DataError):
        model.sample(5, conditions={"not a column": 1})
    with pytest.raises(ConfigError):
        model.sample(0)


def test_image_data_is_refused_by_a_tabular_model(wine):
    with pytest.raises(ConfigError, match="table"):
        build_model("tabular-vae", (1, 8, 8))


def test_span_activations_are_tanh_and_per_span_softmax(table):
    spans = table.transformer.spans
    layout = SpanLayout(spans, table.shape[0])
    raw = torch.randn(5, table.shape[0])
    out = layout.activate(raw)
    for s in spans:
        seg = slice(s.start, s.start + s.width)
        expect = torch.tanh(raw[:, seg]) if s.activation == "tanh" else torch.softmax(raw[:, seg], 1)
        torch.testing.assert_close(out[:, seg], expect)


def test_tvae_loss_equals_a_per_span_loop(table):
    spans = table.transformer.spans
    layout = SpanLayout(spans, table.shape[0])
    x = table.x_train[:16]
    raw = torch.randn_like(x)
    sigma = torch.rand(len(layout.tanh)) + 0.1
    expect, k = 0.0, 0
    for s in spans:
        seg = slice(s.start, s.start + s.width)
        if s.activation == "tanh":
            d = x[:, s.start] - torch.tanh(raw[:, s.start])
            expect += (d**2 / (2 * sigma[k] ** 2)).sum() + len(x) * torch.log(sigma[k])
            k += 1
        else:
            expect += F.cross_entropy(raw[:, seg], x[:, seg].argmax(1), reduction="sum")
    torch.testing.assert_close(layout.reconstruction_loss(raw, x, sigma), expect / len(x))


def test_training_by_sampling_draws_matching_rows_at_log_frequencies(wine):
    spans = wine.transformer.condition_spans
    cond = Conditions(spans, log_frequency=True)
    x = wine.x_train
    cond.index(x)
    torch.manual_seed(0)
    span, gid, onehot = cond.draw(20000, x.device)
    rows = cond.real_rows(gid)
    for i, s in enumerate(spans):
        pick = span == i
        cat = gid[pick] - int(cond.offsets[i])
        # each drawn real row has the drawn category
        assert torch.equal(x[rows[pick], s.start : s.start + s.width].argmax(1), cat)
        counts = np.bincount(x[:, s.start : s.start + s.width].argmax(1).numpy(), minlength=s.width)
        expect = np.log1p(counts) / np.log1p(counts).sum()
        seen = np.bincount(cat.numpy(), minlength=s.width) / int(pick.sum())
        np.testing.assert_allclose(seen, expect, atol=0.02)
    assert torch.equal(onehot.argmax(1), gid)


def test_condition_loss_equals_a_per_span_cross_entropy(mixed):
    spans = mixed.transformer.condition_spans
    assert sorted({s.width for s in spans}) == [2, 3, 5]
    cond = Conditions(spans, log_frequency=True)
    cond.index(mixed.x_train)
    torch.manual_seed(0)
    span, gid, _ = cond.draw(64, "cpu")
    raw = torch.randn(64, mixed.shape[0])
    expect = torch.stack(
        [
            F.cross_entropy(
                raw[r, spans[i].start : spans[i].start + spans[i].width][None],
                (gid[r] - cond.offsets[i])[None],
            )
            for r, i in enumerate(span.tolist())
        ]
    ).mean()
    torch.testing.assert_close(cond.loss(raw, span, gid), expect)


def test_gumbel_activation_is_seeded_and_a_distribution_per_span(mixed):
    layout = SpanLayout(mixed.transformer.spans, mixed.shape[0])
    raw = torch.randn(8, mixed.shape[0])
    a = layout.activate(raw, 0.2, torch.Generator().manual_seed(3))
    b = layout.activate(raw, 0.2, torch.Generator().manual_seed(3))
    other = layout.activate(raw, 0.2, torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, other)  # the noise comes from the generator
    for s in mixed.transformer.spans:
        seg = a[:, s.start : s.start + s.width]
        if s.activation != "tanh":
            torch.testing.assert_close(seg.sum(1), torch.ones(8))


def test_likelihood_draws_follow_the_decoder_distributions(mixed):
    """`draw` samples the likelihood the VAE is trained on: each one-hot from softmax(logits) (chi-square
    against those probabilities) and each alpha from N(tanh(raw), σ²) (Kolmogorov-Smirnov)."""
    layout = SpanLayout(mixed.transformer.spans, mixed.shape[0])
    n = 20000
    raw = torch.randn(1, mixed.shape[0]).expand(n, -1)
    sigma = torch.rand(len(layout.tanh)) * 0.3 + 0.05
    rows = layout.draw(raw, sigma, torch.Generator().manual_seed(0))
    k = 0
    for s in mixed.transformer.spans:
        seg = rows[:, s.start : s.start + s.width]
        if s.activation == "tanh":
            mean = torch.tanh(raw[0, s.start]).item()
            assert stats.kstest(seg[:, 0].numpy(), "norm", args=(mean, sigma[k].item())).pvalue > 1e-3
            k += 1
        else:
            assert torch.equal(seg.sum(1), torch.ones(n))  # one-hot rows
            expect = torch.softmax(raw[0, s.start : s.start + s.width].double(), 0).numpy()
            seen = seg.sum(0).double().numpy()
            assert stats.chisquare(seen, expect * n).pvalue > 1e-3
    again = layout.draw(raw[:5], sigma, torch.Generator().manual_seed(0))
    torch.testing.assert_close(again, layout.draw(raw[:5], sigma, torch.Generator().manual_seed(0)))
    # argmax (TVAE's decoding): every one-hot at its span's largest logit
    top = layout.draw(raw[:5], sigma, torch.Generator().manual_seed(0), argmax=True)
    for s in mixed.transformer.spans:
        if s.activation != "tanh":
            seg = slice(s.start, s.start + s.width)
            assert torch.equal(top[:, seg].argmax(1), raw[:5, seg].argmax(1))
            assert torch.equal(top[:, seg].sum(1), torch.ones(5))


def test_tabular_vae_categorical_setting_is_checked(wine):
    with pytest.raises(ConfigError, match="categorical"):
        build_model("tabular-vae", wine.shape, overrides={"categorical": "mode"}, context=wine.context)


def test_cpu_dropout_keeps_each_value_with_probability_1_minus_p_and_rescales():
    """The critic's dropout (a uniform draw on CPU, for speed) is inverted dropout: each value kept with
    probability 1 - p (binomial test) and scaled by 1 / (1 - p); the identity in eval mode."""
    torch.manual_seed(0)
    drop = Dropout(0.3)
    x = torch.rand(200, 500) + 0.5
    y = drop(x)
    kept = y != 0
    assert stats.binomtest(int(kept.sum()), x.numel(), 0.7).pvalue > 1e-3
    torch.testing.assert_close(y[kept], x[kept] / 0.7)
    assert torch.equal(drop.eval()(x), x)
