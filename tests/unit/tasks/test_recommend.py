"""The recommenders (mult-vae, mult-dae, cfgan, popularity) train through the one loop on interaction rows,
rank, round-trip save/load; the recommend task runs end to end on a small slice of real MovieLens data,
and `recommend_for` answers a known user, a new user, and refuses an unknown user."""

from __future__ import annotations

import json

import pytest
import torch

from ganvae.data.interactions import InteractionData, builtin_path
from ganvae.errors import ConfigError, DataError
from ganvae.models import GenerativeModel, build_model
from ganvae.plan import RunPlan
from ganvae.registry import MODELS
from ganvae.tasks.recommend import RecommendConfig, recommend_for, run_recommend
from ganvae.training import TrainConfig, Trainer

RECOMMENDERS = ["mult-vae", "mult-dae", "cfgan"]
SMALL = {
    "mult-vae": {"hidden": 16, "latent_dim": 4},
    "mult-dae": {"latent_dim": 4},
    "cfgan": {"width_g": 16, "width_d": 16},
}


def _toy(n_users=24, n_items=30) -> InteractionData:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(n_users, n_items, generator=g) < 0.3).float()
    x[:, :2] = 1.0
    return InteractionData("toy", x, x[:4].clone(), x[4:8].clone(), [str(i) for i in range(n_items)], [], [])


def _ml100k_missing() -> bool:
    try:
        builtin_path("ml-100k")
    except DataError:
        return True
    return False


def test_recommenders_are_registered_as_interaction_models():
    for name in [*RECOMMENDERS, "popularity"]:
        assert MODELS.get(name).factory.data_kind == "interactions"
    assert MODELS.get("vae").factory.data_kind == "images"


@pytest.mark.parametrize("name", RECOMMENDERS)
def test_trains_through_the_one_loop_and_round_trips(name, tmp_path):
    data = _toy()
    torch.manual_seed(0)
    model = build_model(name, data.shape, 0, SMALL[name])
    trainer = Trainer(TrainConfig(steps=6, batch_size=8, log_every=2), tmp_path, progress=False)
    trainer.fit(model, data)
    assert trainer.state_.step == 6 and not (tmp_path / "samples").exists()  # no image grids
    for record in trainer.history_:
        assert all(torch.isfinite(torch.tensor(v)) for v in record.values() if isinstance(v, float))
    scores = model.rank(data.foldin)
    assert scores.shape == (4, 30) and torch.isfinite(scores).all()
    loaded = GenerativeModel.load(tmp_path)
    assert loaded.registered_name == name
    torch.testing.assert_close(loaded.rank(data.foldin), scores)


def test_mult_vae_beta_anneals_to_the_cap_and_dae_has_none():
    vae = build_model("mult-vae", (30,), 0, {"total_anneal_steps": 100})
    assert [vae.beta(s) for s in (0, 10, 20, 500)] == [0.0, 0.1, 0.2, 0.2]
    assert build_model("mult-dae", (30,)).beta(500) == 0.0
    with pytest.raises(ConfigError, match="dropout"):
        build_model("mult-vae", (30,), 0, {"dropout": 1.5})


def test_mult_vae_loss_is_the_multinomial_log_likelihood():
    model = build_model("mult-vae", (5,), 0, {"hidden": 0, "latent_dim": 2, "dropout": 0.0}).eval()
    x = torch.tensor([[1.0, 0, 1, 0, 0]])
    logits, _ = model(x)
    expected = -(torch.distributions.Categorical(logits=logits[0]).log_prob(torch.tensor([0, 2]))).sum()
    torch.testing.assert_close(-(torch.log_softmax(logits, 1) * x).sum(), expected)


def test_cfgan_negatives_are_unpurchased_items_only():
    model = build_model("cfgan", (200,), 0, {"width_g": 8, "width_d": 8})
    x = (torch.rand(50, 200) < 0.3).float()
    neg = model._negatives(x, 0.7)
    assert (neg * x).sum() == 0
    share = neg.sum() / (x == 0).sum()
    assert 0.6 < float(share) < 0.8


def test_popularity_ranks_by_training_counts():
    data = _toy()
    model = build_model("popularity", data.shape).fit_counts(data.x_train)
    torch.testing.assert_close(model.rank(torch.zeros(2, 30))[0], data.x_train.sum(0))


def test_plans_refuse_models_of_the_other_kind():
    with pytest.raises(ConfigError, match="mult-vae is a model of interactions.*ganvae task recommend"):
        RunPlan(models=("mult-vae",)).validate()
    with pytest.raises(ConfigError, match="vae is a model of images"):
        RecommendConfig(models=("vae",)).validate()
    with pytest.raises(ConfigError, match="test-users"):
        RecommendConfig(test_users=1.0).validate()


def test_split_and_its_default_seed():
    assert RecommendConfig().split == "strong" and RecommendConfig().resolved_split_seed == 0
    rb = RecommendConfig(split="recbole")
    assert rb.resolved_split_seed == 2020  # RecBole's own seed
    assert rb.data_spec()["split"] == "recbole" and rb.data_spec()["split_seed"] == 2020
    assert RecommendConfig(split="recbole", split_seed=7).resolved_split_seed == 7
    with pytest.raises(DataError, match="unknown split 'loo'"):
        RecommendConfig(split="loo").validate()


@pytest.mark.skipif(_ml100k_missing(), reason="needs `pip install recbole==1.2.1 --no-deps`")
def test_task_on_a_real_slice_and_recommend_for(tmp_path):
    src = builtin_path("ml-100k")
    lines = src.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "data" / "small.inter"
    small.parent.mkdir()
    small.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if int(ln.split("\t")[0]) <= 80]) + "\n")
    small.with_suffix(".item").write_text(src.with_suffix(".item").read_text(encoding="utf-8"))
    cfg = RecommendConfig(data=str(small), models=("mult-vae", "cfgan"), seeds=2, steps=4, batch_size=16)
    out = tmp_path / "run"
    m = run_recommend(cfg, out, progress=False)
    table = m["results"]["models"]
    assert list(table) == ["popularity", "mult-vae", "cfgan"]
    for row in table.values():
        assert 0 <= row["ndcg@100"]["mean"] <= 1 and 0 < row["coverage@10"]["mean"] <= 1
    assert table["mult-vae"]["seeds"] == 2 and table["popularity"]["seeds"] == 1
    verdict = m["verdicts"][0]
    assert verdict["use_case"] == "recommendation" and verdict["winner"] in ("mult-vae", "cfgan")
    assert any("popularity baseline on NDCG@100" in f for f in m["section"]["findings"])
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["task"] == "recommend" and (out / "report.html").is_file()

    top = recommend_for(out, user="42", k=5)
    assert len(top["items"]) == 5 and all(r["title"] for r in top["items"])
    assert not {r["item"] for r in top["items"]} & set(top["known"])  # known items never come back
    new = recommend_for(out, items=["50", "181"], k=3, model="cfgan")
    assert new["model"] == "cfgan" and not {"50", "181"} & {r["item"] for r in new["items"]}
    with pytest.raises(DataError, match="user 4242 is not in"):
        recommend_for(out, user="4242")
    with pytest.raises(DataError, match="item id.*99999 unknown"):
        recommend_for(out, items=["50", "99999"])
    with pytest.raises(ConfigError, match="one of them"):
        recommend_for(out)
