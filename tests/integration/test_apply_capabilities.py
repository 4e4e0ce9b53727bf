"""Every apply command (sample, generate, morph, score, upscale, recommend, synthesize) given a model that
cannot serve it: exit code 2, one line that names what the model lacks and the command to use instead, no
traceback. Registry-driven: each registered apply command against one model of every kind (untrained
models, saved as `ganvae train` saves them: the refusal happens before any drawing)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ganvae.apply.capabilities import APPLY_COMMANDS, require, uses
from ganvae.errors import ConfigError
from ganvae.models import build_model
from ganvae.registry import MODELS as MODEL_REGISTRY

from .helpers import run

# one model of every kind: unconditional and conditional images, super-resolution, recommenders, a
# tabular model
MODELS = ["vae", "cgan", "srgan", "cfgan", "popularity", "mult-vae", "tabular-vae"]


def _args(command: str, tmp) -> list:
    """What each command needs besides the model folder (its input files exist, so only the model is
    wrong)."""
    return {
        "sample": ["-o", tmp / "s.png"],
        "generate": ["--prompt", "1", "-o", tmp / "g.png"],
        "morph": [tmp / "a.png", tmp / "a.png", "-o", tmp / "m.gif"],
        "score": ["--data", tmp / "a.png", "--threshold", "1", "-o", tmp / "s.csv"],
        "upscale": [tmp / "a.png", "-o", tmp / "u.png"],
        "recommend": ["--items", "1"],
        "synthesize": ["-n", "5", "-o", tmp / "t.csv"],
        "translate": [tmp / "a.png", "-o", tmp / "t.png"],
        "export": ["-o", tmp / "x-onnx"],
    }[command]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """name -> a saved (untrained) model folder, plus an 8x8 PNG at `a.png` beside them."""
    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    tmp = tmp_path_factory.mktemp("apply")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp / "a.png")
    frame = pd.DataFrame({"a": np.random.default_rng(0).normal(size=40), "b": ["x", "y"] * 20})
    table = prepare_table(load_table(frame, name="toy"), seed=0)
    small = {"width": 8, "latent_dim": 4}
    built = {
        "vae": build_model("vae", (1, 8, 8), 0, small),
        "cgan": build_model("cgan", (1, 8, 8), CLASSES["cgan"], small, class_names=["a", "b", "c"]),
        "srgan": build_model("srgan", (1, 8, 8), 0, {"width": 8}),
        "cfgan": build_model("cfgan", (30,)),
        "popularity": build_model("popularity", (30,)),
        "mult-vae": build_model("mult-vae", (30,)),
        "tabular-vae": build_model("tabular-vae", table.shape, 0, small, context=table.context),
    }
    return tmp, {name: m.save(tmp / name) for name, m in built.items()}


CLASSES = {"cgan": 3}  # trained class-conditional: what `generate` needs beyond the class's capabilities


def _serves(command: str, model: str) -> bool:
    cls = MODEL_REGISTRY.get(model).factory
    return all(need.holds(cls, CLASSES.get(model, 0)) for need in APPLY_COMMANDS.get(command).factory)


CASES = [(c, m) for c in APPLY_COMMANDS.names() for m in MODELS if not _serves(c, m)]


@pytest.mark.parametrize(("command", "model"), CASES, ids=[f"{c}-{m}" for c, m in CASES])
def test_a_command_the_model_cannot_serve_is_one_line_exit_2(command, model, folders, capsys):
    tmp, saved = folders
    can = uses(saved[model])
    code, _, err = run([command, saved[model], *_args(command, tmp)], capsys)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot be used by `ganvae {command}`" in err
    assert all(f"`ganvae {c}`" in err for c in can)  # what to do instead
    written = ("s.png", "g.png", "m.gif", "s.csv", "t.csv", "u.png", "t.png", "x-onnx")
    assert not any((tmp / f).exists() for f in written)


def test_every_model_kind_serves_some_command(folders):
    _, saved = folders
    assert {m: uses(f) for m, f in saved.items()} == {
        "vae": ["sample", "morph", "score", "export"],
        "cgan": ["sample", "generate", "morph", "score", "export"],
        "srgan": ["upscale"],
        "cfgan": ["recommend"],
        "popularity": ["recommend"],
        "mult-vae": ["recommend"],
        "tabular-vae": ["synthesize", "export"],
    }


def test_require_names_the_missing_part(folders):
    _, saved = folders
    with pytest.raises(
        ConfigError, match="not class-conditional.*use `ganvae sample`, `ganvae morph`, `ganvae score` or"
    ):
        require(saved["vae"], "generate")
    with pytest.raises(
        ConfigError, match="models table rows, not images; use `ganvae synthesize` or `ganvae export` instead"
    ):
        require(saved["tabular-vae"], "sample")
    require(saved["cgan"], "generate")


def test_sample_on_a_recommender_in_a_fresh_process(folders):
    """The reported case, as a user meets it: no NotImplementedError traceback on stderr."""
    tmp, saved = folders
    out = subprocess.run(
        [sys.executable, "-m", "ganvae", "sample", str(saved["cfgan"]), "-o", str(tmp / "x.png")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: cfgan cannot be used by `ganvae sample`: it models user-item interactions "
        "(a recommender), not images; use `ganvae recommend` instead"
    ]
    assert not (tmp / "x.png").exists()


def test_a_folder_of_several_models(folders, capsys):
    """An apply command on a comparison-shaped folder: one line naming its models, then --model picks;
    without --model, a command that only one of them can serve picks it."""
    import shutil

    tmp, saved = folders
    models = tmp / "cmp" / "models"
    for name in ("vae", "cgan"):
        shutil.copytree(saved[name], models / f"{name}-seed0")
    code, _, err = run(["sample", tmp / "cmp", "-o", tmp / "c.png"], capsys)
    assert code == 2 and err.count("\n") == 1 and "several models (cgan, vae); pick one with --model" in err
    code, out, _ = run(
        ["sample", tmp / "cmp", "--model", "cgan", "--labels", "B", "-n", "4", "-o", tmp / "c.png"], capsys
    )
    assert code == 0 and "wrote 4 samples of cgan" in out and (tmp / "c.png").is_file()
    (tmp / "c.png").unlink()
    # with no --model, only the models that can serve the command are candidates
    code, out, _ = run(["generate", tmp / "cmp", "--prompt", "c", "-n", "2", "-o", tmp / "c.png"], capsys)
    assert code == 0 and "class 'c' from cgan" in out
    (tmp / "c.png").unlink()
    code, _, err = run(["recommend", tmp / "cmp", "--items", "1"], capsys)
    assert code == 2 and "holds no model that `ganvae recommend` can use (it holds cgan, vae)" in err
