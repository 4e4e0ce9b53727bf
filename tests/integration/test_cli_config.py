"""`--config FILE` and `--print-config` (issue 18): a comparison run from a TOML file writes the same
config.json as the same options given as flags; the printed config is valid TOML / YAML (read back with
tomllib and PyYAML) that reproduces itself; flags override the file; bad files are one line, exit 2."""

from __future__ import annotations

import json
import tomllib

import pytest
import yaml

from .helpers import run

# the cheapest real comparison: one VAE, one seed, 4 steps, a one-component prior, the last weights
TINY_FLAGS = [
    "--data", "digits", "--models", "vae", "--seeds", "1", "--steps", "4", "--samples", "64",
    "--recon-images", "8", "--checkpoint", "last",
    "--set", "prior=normal", "--set", "prior_components=1", "--set", "width=8", "-q",
]  # fmt: skip
TINY_TOML = """\
# the same comparison as TINY_FLAGS, written by hand
data = "digits"
models = "vae"
seeds = 1
steps = 4
samples = 64
recon-images = 8
checkpoint = "last"
quiet = true

[set]
prior = "normal"
prior_components = 1
width = 8
"""


def test_compare_from_a_config_file_writes_the_config_json_of_the_flag_version(tmp_path, capsys):
    code, _, err = run(["compare", *TINY_FLAGS, "--out", tmp_path / "flags"], capsys)
    assert code == 0, err
    (tmp_path / "run.toml").write_text(TINY_TOML)
    code, _, err = run(["compare", "--config", tmp_path / "run.toml", "--out", tmp_path / "file"], capsys)
    assert code == 0, err
    flags, file = (json.loads((tmp_path / d / "config.json").read_text()) for d in ("flags", "file"))
    # everything but the command line (sys.argv: here pytest's), which records how a run was asked for
    flags.pop("command"), file.pop("command")
    assert file == flags
    assert flags["compare"]["overrides"] == {"prior": "normal", "prior_components": "1", "width": "8"}
    assert flags["budget"]["steps"] == 4 and flags["compare"]["eval"]["n_samples"] == 64


def _printed(argv, capsys) -> str:
    code, out, err = run([*argv, "--print-config"], capsys)
    assert code == 0 and err == "", err
    return out


@pytest.mark.parametrize("suffix", ["toml", "yaml"])
def test_print_config_is_the_resolved_options_and_reproduces_itself(suffix, tmp_path, capsys):
    loads = tomllib.loads if suffix == "toml" else yaml.safe_load
    toml = _printed(["compare", *TINY_FLAGS, "--set", "lr=1e-4", "--set", "ema=true"], capsys)
    values = tomllib.loads(toml)
    # every option as resolved: the flags given, the defaults of the rest, unset ones left out
    assert values["models"] == "vae" and values["steps"] == 4 and values["recon-images"] == 8
    assert values["jobs"] == 1 and values["precision"] == "auto" and values["quiet"] is True
    assert "epochs" not in values and "budget" not in values
    # --set as a table; a value is a number only when it reads back as the very text given
    assert values["set"] == {"prior": "normal", "prior_components": 1, "width": 8, "lr": "1e-4", "ema": True}
    path = tmp_path / f"run.{suffix}"
    if suffix == "toml":
        path.write_text(toml)
    else:  # the same options, hand-written in YAML; printing them again keeps the file's format
        path.write_text(yaml.safe_dump(values))
    again = _printed(["compare", "--config", path], capsys)
    assert loads(again) == values
    if suffix == "toml":
        assert again == toml
    else:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomllib.loads(again)


def test_flags_override_the_file_and_add_to_its_set_table(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text("model: vae\nout: runs/a\nsteps: 3\nseed: 4\nset: {width: 8, prior: normal}\n")
    values = yaml.safe_load(_printed(["train", "--config", path, "--seed", "1", "--set", "width=4"], capsys))
    assert values["model"] == "vae" and values["out"] == "runs/a"  # the argument and a required option
    assert values["steps"] == 3 and values["seed"] == 1  # the flag wins
    assert values["set"] == {"width": 4, "prior": "normal"}
    values = yaml.safe_load(_printed(["train", "dcgan", "--config", path], capsys))
    assert values["model"] == "dcgan"


def test_train_runs_from_a_config_file(tmp_path, capsys):
    path = tmp_path / "train.toml"
    path.write_text(f'model = "vae"\nout = "{tmp_path / "v"}"\nsteps = 3\nquiet = true\n[set]\nwidth = 8\n')
    code, out, err = run(["train", "--config", path], capsys)
    assert code == 0, err
    meta = json.loads((tmp_path / "v" / "config.json").read_text())
    assert meta["model"] == "vae" and meta["result"]["step"] == 3 and meta["config"]["width"] == 8


def test_every_task_takes_a_config_file(tmp_path, capsys):
    path = tmp_path / "task.toml"
    path.write_text("seeds = 2\nsteps = 5\n")
    tasks = ("anomaly", "augment", "denoise", "interpolate", "recommend", "superres", "synthesize", "translate")
    for task in tasks:
        values = tomllib.loads(_printed(["task", task, "--config", path], capsys))
        assert values["seeds"] == 2 and values["steps"] == 5, task
    anomaly = tomllib.loads(_printed(["task", "anomaly", "--normal-class", "3"], capsys))
    assert anomaly["normal-class"] == "3" and anomaly["score-images"] == 1000


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("a.toml", 'seeds = "three"\n', ['seeds = "three" is not an integer', "seeds = 3"]),
        ("a.toml", "steps = 2.5\n", ["steps = 2.5 is not an integer"]),
        ("a.toml", "quiet = 1\n", ["quiet = 1 is not true or false"]),
        ("a.toml", "sedds = 3\n", ["unknown key 'sedds'", "did you mean 'seeds'", "valid keys: data,"]),
        ("a.toml", "seeds = 3\nseeds = 4\n", ["is not valid TOML", "line 2", "--print-config"]),
        ("a.yaml", "seeds: [1\n", ["is not valid YAML", "line 2"]),
        ("a.yaml", "- 1\n- 2\n", ["holds a list, not KEY: VALUE pairs"]),
        ("a.toml", "[set]\nx = [1]\n", ["set must be a table of settings"]),
        ("a.json", "{}", ["give a .toml, .yaml or .yml file"]),
        ("a.toml", b"\xff\xfe", ["is not UTF-8 text"]),
        ("missing.toml", None, ["missing.toml: cannot read it (No such file or directory)"]),
    ],
)
def test_a_bad_config_file_is_one_line_exit_2_naming_it(name, text, words, tmp_path, capsys):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    code, out, err = run(["compare", "--config", path, "--out", tmp_path / "run"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: --config {path}") and all(w in err for w in words), err
    assert not (tmp_path / "run").exists()
