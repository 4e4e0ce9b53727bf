"""Tiny trained digits models for the page's endpoints and the browser test, trained once per session."""

from __future__ import annotations

import json

import pytest
import torch

HELD = 100  # training images kept out of training: the vae's calibration scores them
STEPS = 40  # enough for digit-like decodes; the tests check the served values, not the models' quality


class _Optimizers(dict):
    """What the training loop hands `train_step` (`models.base.Optimizers`), at full precision."""

    def step(self, name, loss):
        self[name].zero_grad()
        loss.backward()
        self[name].step()


def _trained(name, data, overrides, folder):
    """`name` trained STEPS batches of 64 on digits through its own `train_step`, saved with the `data`
    section `ganvae train` writes (which the latent map reads). The training loop itself (Fabric, grids,
    checkpoints) costs seconds per model here and is tested elsewhere."""
    from ganvae.models import build_model

    torch.manual_seed(0)
    model = build_model(name, data.shape, 0, overrides)
    opts = _Optimizers(model.configure_optimizers())
    g = torch.Generator().manual_seed(0)
    model.train()
    x = data.x_train[:-HELD]
    for step in range(STEPS):
        model.train_step(x[torch.randint(len(x), (64,), generator=g)], None, opts, step)
    model.eval()
    model.save(folder)
    meta = json.loads((folder / "config.json").read_text())
    meta["data"] = {"spec": "digits", "image_size": None, "fingerprint": data.fingerprint()}
    (folder / "config.json").write_text(json.dumps(meta))
    return model


@pytest.fixture(scope="session")
def digits_runs(tmp_path_factory):
    """cmp/: a comparison-shaped folder of a vae (with `ganvae score`'s calibration: scores of held-out
    training images, as the anomaly task's) and a dcgan, trained briefly on digits; cond/cvae-seed0: an
    untrained class-conditional cvae on digits."""
    from ganvae.data import load_images
    from ganvae.models import build_model
    from ganvae.tasks.anomaly import scores_of

    tmp = tmp_path_factory.mktemp("digits-serve")
    data = load_images("digits")
    small = {"width": 16, "latent_dim": 8}
    vae = _trained("vae", data, small | {"prior": "normal"}, tmp / "cmp" / "models" / "vae-seed0")
    _trained("dcgan", data, small | {"inversion_steps": 10}, tmp / "cmp" / "models" / "dcgan-seed0")
    with torch.no_grad():
        calib = {m: s.tolist() for m, s in scores_of(vae, data.x_train[-HELD:]).items()}
    (tmp / "cmp" / "models" / "vae-seed0" / "calibration.json").write_text(json.dumps(calib))
    torch.manual_seed(0)
    cvae = build_model("cvae", data.shape, data.num_classes, small)
    folder = cvae.save(tmp / "cond" / "cvae-seed0")
    meta = json.loads((folder / "config.json").read_text())
    meta["data"] = {"spec": "digits", "image_size": None, "fingerprint": data.fingerprint()}
    (folder / "config.json").write_text(json.dumps(meta))
    return tmp
