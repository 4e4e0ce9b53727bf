"""The run-folder layout and the one model-folder resolver: a model folder, an unfinished train run, a
comparison folder, a task folder (with per-class models, and beside a comparison), and folders holding no
model, each resolved by the documented rule; every refusal names the models the folder holds."""

from __future__ import annotations

import json

import pytest

from ganvae.errors import CheckpointError, ConfigError
from ganvae.run_folder import RunFolder, is_model_folder, model_folder_name, resolve_model_folder


def _model(folder, name):
    """A stand-in model folder: the resolver reads config.json's model name and checks the weights exist."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": name, "shape": [1, 8, 8]}))
    (folder / "model.safetensors").write_bytes(b"")
    return folder


@pytest.fixture
def comparison(tmp_path):
    run = RunFolder(tmp_path / "cmp")
    for name, seed in [("vae", 2), ("vae", 10), ("dcgan", 0), ("tabular-vae", 0)]:
        _model(run.model(name, seed), name)
    return run.root


def test_layout_names():
    run = RunFolder("runs/x")
    assert run.model("vae", 3).as_posix() == "runs/x/models/vae-seed3"
    assert run.model("tabular-vae", 0, "class2-").name == "tabular-vae-class2-seed0"
    assert model_folder_name("cgan", 1, "k10-") == "cgan-k10-seed1"
    assert run.checkpoint.as_posix() == "runs/x/checkpoints/last"
    assert (run.config.name, run.metrics.name, run.log.name) == ("config.json", "metrics.json", "log.jsonl")


def test_a_model_folder_is_itself(tmp_path):
    folder = _model(tmp_path / "r", "vae")
    assert is_model_folder(folder)
    assert resolve_model_folder(folder) == folder
    assert resolve_model_folder(folder, "vae") == folder
    with pytest.raises(ConfigError, match="holds vae, not dcgan"):
        resolve_model_folder(folder, "dcgan")


def test_an_unfinished_train_run_gives_its_checkpoint(tmp_path):
    ckpt = _model(RunFolder(tmp_path / "r").checkpoint, "vae")
    assert resolve_model_folder(tmp_path / "r") == ckpt


def test_a_comparison_folder_by_name_folder_name_or_default(comparison):
    models = comparison / "models"
    assert resolve_model_folder(comparison, "vae") == models / "vae-seed2"  # lowest seed, not "seed10"
    assert resolve_model_folder(comparison, "vae-seed10") == models / "vae-seed10"
    assert resolve_model_folder(comparison, "tabular-vae") == models / "tabular-vae-seed0"
    assert resolve_model_folder(comparison, default="dcgan") == models / "dcgan-seed0"
    with pytest.raises(ConfigError, match=r"several models \(dcgan, tabular-vae, vae\); pick one"):
        resolve_model_folder(comparison)
    with pytest.raises(CheckpointError, match="no trained cgan; it holds dcgan, tabular-vae, vae"):
        resolve_model_folder(comparison, "cgan")


def test_the_only_model_needs_no_name(tmp_path):
    _model(RunFolder(tmp_path / "t").model("mult-vae", 1), "mult-vae")
    _model(RunFolder(tmp_path / "t").model("mult-vae", 0), "mult-vae")
    assert resolve_model_folder(tmp_path / "t", default="cfgan").name == "mult-vae-seed0"


def test_a_task_folder_with_models_per_class_wants_one_of_them(tmp_path):
    task = RunFolder(tmp_path / "anomaly")
    for cls in (0, 1):
        _model(task.model("vae", 0, f"class{cls}-"), "vae")
    with pytest.raises(ConfigError, match=r"several vae models \(vae-class0-seed0, vae-class1-seed0\)"):
        resolve_model_folder(task.root)
    assert resolve_model_folder(task.root, "vae-class1-seed0") == task.model("vae", 0, "class1-")
    single = RunFolder(tmp_path / "one")
    _model(single.model("dcgan", 0, "class3-"), "dcgan")
    assert resolve_model_folder(single.root) == single.model("dcgan", 0, "class3-")


def test_a_task_beside_a_comparison_offers_the_comparison_models(comparison):
    task = comparison / "tasks" / "denoise"
    task.mkdir(parents=True)
    (task / "config.json").write_text("{}")
    assert resolve_model_folder(task, "dcgan") == comparison / "models" / "dcgan-seed0"


def test_folders_without_models_say_so(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_model_folder(tmp_path / "nope")
    (tmp_path / "empty" / "models").mkdir(parents=True)
    with pytest.raises(CheckpointError, match="no trained model; give a folder written by `ganvae task"):
        resolve_model_folder(tmp_path / "empty", written_by="`ganvae task recommend`")
    broken = tmp_path / "broken" / "models" / "vae-seed0"
    broken.mkdir(parents=True)
    (broken / "model.safetensors").write_bytes(b"")
    (broken / "config.json").write_text("not json")
    with pytest.raises(CheckpointError, match="holds no trained model"):
        resolve_model_folder(tmp_path / "broken")


def test_usable_narrows_the_candidates_when_no_model_is_named(comparison):
    models = comparison / "models"
    tabular = lambda f: "tabular" in f.name  # noqa: E731  (stands for "can serve the command")
    assert resolve_model_folder(comparison, usable=tabular) == models / "tabular-vae-seed0"
    assert resolve_model_folder(comparison, "vae", usable=tabular) == models / "vae-seed2"  # named: as asked
    with pytest.raises(
        ConfigError, match=r"no model that `ganvae x` can use \(it holds dcgan, tabular-vae, vae\)"
    ):
        resolve_model_folder(comparison, usable=lambda f: False, purpose="`ganvae x`")
