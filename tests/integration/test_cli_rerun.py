"""Hints that lead to a command that works (issue 18, item 5): `compare` and the tasks take train's
`--resume` / `--overwrite`; a refusal names each setting that differs; a damaged checkpoint's hint is a
command that then succeeds."""

from __future__ import annotations

import json

import pytest

from ganvae.compare import CompareConfig
from ganvae.errors import CheckpointError
from ganvae.training import TrainConfig
from ganvae.training.run import train_or_reuse

from .helpers import run

FAST = ["--set", "width=8", "--set", "latent_dim=8", "-q"]


def _one_line(code: int, err: str) -> str:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture
def comparison(tmp_path):
    """A comparison folder as `compare --seeds 2 --steps 50` leaves it (no training needed to refuse)."""
    out = tmp_path / "cmp"
    (out / "models" / "vae-seed0").mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"compare": CompareConfig(seeds=2, steps=50).settings()}))
    return out


@pytest.mark.parametrize("command", [["compare"], ["task", "anomaly"], ["task", "synthesize"]])
def test_compare_and_tasks_take_resume_and_overwrite(command, capsys):
    code, out, _ = run([*command, "--help"], capsys)
    assert code == 0 and "--resume" in out and "--overwrite" in out


def test_compare_again_without_resume_names_the_flags_that_work(comparison, capsys):
    before = _snapshot(comparison)
    err = _one_line(*run(["compare", "--out", comparison, "--seeds", "2", "--steps", "50"], capsys)[::2])
    assert "already holds this comparison; pass --resume to continue it" in err and "--overwrite" in err
    err = _one_line(
        *run(["compare", "--out", comparison, "--seeds", "2", "--steps", "60", "--resume"], capsys)[::2]
    )
    assert "holds a comparison with other settings (--steps: 50 there, 60 asked)" in err
    # more seeds alone are added with --resume: the refusal without it says so
    err = _one_line(*run(["compare", "--out", comparison, "--seeds", "3", "--steps", "50"], capsys)[::2])
    assert "holds a comparison with fewer runs (--seeds: 2 there, 3 asked); pass --resume to add" in err
    assert _snapshot(comparison) == before


def test_overwrite_removes_nothing_when_the_new_run_is_refused(comparison, capsys):
    before = _snapshot(comparison)
    err = _one_line(*run(["compare", "--out", comparison, "--overwrite", "--data", "/no/such"], capsys)[::2])
    assert "does not exist" in err
    assert _snapshot(comparison) == before
    err = _one_line(*run(["compare", "--out", comparison, "--overwrite", "--resume"], capsys)[::2])
    assert "give one of them" in err


def test_resume_into_nothing_is_refused(tmp_path, capsys):
    err = _one_line(*run(["task", "denoise", "--out", tmp_path / "none", "--resume"], capsys)[::2])
    assert "nothing to resume in" in err and "run without --resume" in err
    assert not (tmp_path / "none").exists()


def _damage(folder):
    (folder / "checkpoints" / "last" / "model.safetensors").write_bytes(b"not a safetensors file")


def test_a_damaged_checkpoints_hint_is_a_train_command_that_works(tmp_path, capsys):
    out = tmp_path / "r"
    assert run(["train", "vae", "--out", out, "--steps", "2", *FAST], capsys)[0] == 0
    _damage(out)
    err = _one_line(*run(["train", "vae", "--out", out, "--steps", "4", "--resume", *FAST], capsys)[::2])
    assert "is damaged" in err and "start it again with --overwrite in place of --resume" in err
    code, _, err = run(["train", "vae", "--out", out, "--steps", "4", "--overwrite", *FAST], capsys)
    assert code == 0, err


def test_a_damaged_checkpoint_in_a_comparison_says_which_run_to_delete(tiny_digits, tmp_path):
    """A comparison or task resumes each unfinished (model, seed) folder: a damaged one names the folder
    whose deletion lets the same command (with --resume) retrain that run alone."""
    folder = tmp_path / "cmp" / "models" / "vae-seed0"
    cfg = TrainConfig(steps=2, batch_size=32)
    small = {"width": "8", "latent_dim": "8"}
    train_or_reuse("vae", tiny_digits, folder, cfg, small, progress=False)
    for name in ("model.safetensors", "config.json"):  # as if killed before it finished
        (folder / name).unlink()
    _damage(folder)
    with pytest.raises(CheckpointError, match=f"delete {folder} and run the same command again"):
        train_or_reuse("vae", tiny_digits, folder, cfg, small, progress=False)
    import shutil

    shutil.rmtree(folder)
    assert train_or_reuse("vae", tiny_digits, folder, cfg, small, progress=False) is not None


def test_overwrite_never_empties_a_folder_ganvae_did_not_write(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    err = _one_line(*run(["train", "vae", "--out", mine, "--steps", "2", "--overwrite", *FAST], capsys)[::2])
    assert "did not write" in err and (mine / "notes.txt").is_file()
