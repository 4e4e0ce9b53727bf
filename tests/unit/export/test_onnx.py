"""`ganvae.export.onnx`: every image family `compare` uses exports, and onnxruntime's outputs equal
PyTorch's (the model's own decode / posterior / sample path) within 1e-4 at batch sizes 1 and 7."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from ganvae.errors import ConfigError, OutputError  # noqa: E402
from ganvae.export.onnx import MANIFEST, export_onnx, supported_models  # noqa: E402
from ganvae.models import build_model  # noqa: E402

IMAGE_MODELS = ["vae", "beta-vae", "dvae", "cvae", "dcgan", "wgan-gp", "sngan", "cgan"]
SHAPE = (1, 8, 8)
SMALL = {"latent_dim": 4, "width": 8}


def _built(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    classes = 3 if name in ("cvae", "cgan") else 0
    model = build_model(name, SHAPE, classes, SMALL)
    model.class_names = ["a", "b", "c"] if classes else None
    # running statistics away from their 0 / 1 start, so eval-mode BatchNorm is really exercised
    model.train()
    with torch.no_grad():
        if model.family == "gan":
            model.generate(torch.randn(32, 4), model.onehot(None, 32))
        else:
            model.posterior(torch.rand(32, *SHAPE), torch.randint(3, (32,)) if classes else None)
            model.decode_raw(torch.randn(32, 4), model.onehot(None, 32))
    model.eval()
    if model.family == "gan" and model.generator_ema is not None:
        # an EMA that differs from the trained generator: the export must be the EMA one
        with torch.no_grad():
            model.generator_ema.update(model.generator)
            for p in model.generator_ema.net.parameters():
                p.add_(0.05 * torch.randn_like(p))
    if model.family == "vae" and not model.num_classes:
        model.fit_prior(torch.rand(64, *SHAPE))
    return model


def _session(folder, part):
    return ort.InferenceSession(str(folder / f"{part}.onnx"), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    return {
        name: (_built(name), root / name, export_onnx(_built(name), root / name)) for name in IMAGE_MODELS
    }


def test_every_compare_image_model_is_supported():
    assert set(IMAGE_MODELS) <= set(supported_models())


@pytest.mark.parametrize("name", IMAGE_MODELS)
@pytest.mark.parametrize("batch", [1, 7])
def test_onnxruntime_equals_pytorch(exported, name, batch):
    model, folder, manifest = exported[name]
    g = torch.Generator().manual_seed(batch)
    z = torch.randn(batch, 4, generator=g)
    labels = torch.randint(3, (batch,), generator=g) if model.num_classes else None
    feed = {"z": z.numpy()} | ({"labels": labels.numpy()} if labels is not None else {})
    (image,) = _session(folder, "decoder").run(None, feed)
    want = model.decode(z, labels=labels).numpy()
    assert image.shape == (batch, *SHAPE) and np.abs(image - want).max() < 1e-4
    assert image.min() >= 0.0 and image.max() <= 1.0
    if model.family == "vae":
        x = torch.rand(batch, *SHAPE, generator=g)
        mean, logvar = _session(folder, "encoder").run(
            None, {"x": x.numpy()} | ({"labels": labels.numpy()} if labels is not None else {})
        )
        mu, lv = model.posterior(x, labels)
        assert np.abs(mean - mu.detach().numpy()).max() < 1e-4
        assert np.abs(logvar - lv.detach().numpy()).max() < 1e-4
        assert np.allclose(mu.detach().numpy(), model.encode(x, labels).numpy())
    else:
        assert manifest["files"] == ["decoder.onnx"] and "encoder" not in manifest["parts"]


@pytest.mark.parametrize("name", ["dcgan", "cgan"])
def test_the_gan_exports_the_ema_generator_it_samples_from(exported, name):
    model, folder, manifest = exported[name]
    assert manifest["prior"]["generator"] == "ema"
    z = torch.randn(5, 4)
    labels = torch.arange(5) % 3 if model.num_classes else None
    feed = {"z": z.numpy()} | ({"labels": labels.numpy()} if labels is not None else {})
    (image,) = _session(folder, "decoder").run(None, feed)
    raw = ((model.generate(z, model.onehot(labels, 5)) + 1) / 2).detach().numpy()
    assert np.abs(image - raw).max() > 1e-2  # not the raw generator
    # the same draws as `ganvae sample`: codes from N(0, I) seeded as the model seeds them
    g = torch.Generator().manual_seed(3)
    want = model.sample(5, labels=labels, generator=g).numpy()
    codes = model.latent(5, torch.Generator().manual_seed(3)).numpy()
    (got,) = _session(folder, "decoder").run(None, {"z": codes} | {k: v for k, v in feed.items() if k != "z"})
    assert np.abs(got - want).max() < 1e-4


def test_the_mixture_prior_is_in_the_manifest_and_reproduces_sampling(exported):
    model, folder, manifest = exported["vae"]
    prior = manifest["prior"]
    assert prior["kind"] == "mixture"
    on_disk = json.loads((folder / MANIFEST).read_text())
    assert on_disk["prior"]["weights"] == prior["weights"] and abs(sum(prior["weights"]) - 1) < 1e-5
    # VAE._draw with the manifest's numbers, and the ONNX decoder, give `model.sample` of the same seed
    g = torch.Generator().manual_seed(11)
    want = model.sample(6, generator=g).numpy()
    g = torch.Generator().manual_seed(11)
    w = torch.tensor(prior["weights"])
    comp = torch.multinomial(w, 6, replacement=True, generator=g)
    eps = torch.randn(6, 4, 1, generator=g)
    z = torch.tensor(prior["means"])[comp] + (torch.tensor(prior["cholesky"])[comp] @ eps).squeeze(-1)
    (got,) = _session(folder, "decoder").run(None, {"z": z.numpy()})
    assert np.abs(got - want).max() < 1e-4


def test_manifest_describes_inputs_and_outputs(exported):
    _, _, manifest = exported["cvae"]
    dec, enc = manifest["parts"]["decoder"], manifest["parts"]["encoder"]
    assert [i["name"] for i in dec["inputs"]] == ["z", "labels"]
    assert dec["inputs"][1]["dtype"] == "int64"
    assert dec["inputs"][1]["classes"] == ["a", "b", "c"]
    assert dec["outputs"][0]["shape"] == ["batch", 1, 8, 8] and dec["outputs"][0]["range"] == [0.0, 1.0]
    assert [o["name"] for o in enc["outputs"]] == ["mean", "logvar"]
    assert manifest["prior"]["kind"] == "normal" and manifest["latent_dim"] == 4
    sess = _session(exported["cvae"][1], "decoder")
    assert [i.shape[0] for i in sess.get_inputs()] == ["batch", "batch"]  # a dynamic batch axis


def test_unsupported_model_and_foreign_folder_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not export to ONNX.*supports vae, .*tabular-vae"):
        export_onnx(build_model("mult-vae", (30,)), tmp_path / "x")
    assert not (tmp_path / "x").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="not an earlier ONNX export"):
        export_onnx(build_model("vae", SHAPE, 0, SMALL), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_tabular_vae_exports_raw_decoder_and_encoder(tmp_path):
    """The decoder's raw output (activated and decoded to rows in Python) and the posterior."""
    import pandas as pd

    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    frame = pd.DataFrame({"a": np.random.default_rng(0).normal(size=40), "b": ["x", "y"] * 20})
    table = prepare_table(load_table(frame, name="toy"), seed=0)
    torch.manual_seed(0)
    model = build_model("tabular-vae", table.shape, 0, {"latent_dim": 4, "width": 8}, context=table.context)
    manifest = export_onnx(model.eval(), tmp_path / "t")
    assert manifest["kind"] == "table" and len(manifest["prior"]["sigma"]) == len(model.sigma)
    for b in (1, 7):
        z, x = torch.randn(b, 4), torch.rand(b, table.shape[0])
        (raw,) = _session(tmp_path / "t", "decoder").run(None, {"z": z.numpy()})
        assert np.abs(raw - model.decoder(z).detach().numpy()).max() < 1e-4
        assert np.allclose(model.layout.activate(torch.from_numpy(raw)), model.decode(z), atol=1e-4)
        mean, logvar = _session(tmp_path / "t", "encoder").run(None, {"x": x.numpy()})
        assert np.abs(mean - model.encode(x).numpy()).max() < 1e-4
