"""Running again into a folder (`experiment.rerun`, issue 18 item 5): train's --resume / --overwrite rule for
comparisons and tasks, each refusal naming the settings that differ and a command that works."""

from __future__ import annotations

import json

import pytest

from ganvae.compare import CompareConfig
from ganvae.errors import ConfigError
from ganvae.experiment.rerun import Rerun
from ganvae.tasks.base import TaskFolder
from ganvae.tasks.denoise import DenoiseConfig


def _comparison(folder, cfg: CompareConfig) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"compare": cfg.settings()}))
    (folder / "models").mkdir()
    (folder / "models" / "kept.txt").write_text("a finished run")


def _enter(folder, cfg, **flags) -> bool:
    return Rerun(folder, "a comparison", **flags).enter(lambda c: c.get("compare"), cfg)


def test_each_state_of_the_folder_against_each_flag(tmp_path):
    cfg = CompareConfig(seeds=2, steps=50)
    new = tmp_path / "new"
    assert _enter(new, cfg) is False and _enter(new, cfg, overwrite=True) is False
    with pytest.raises(ConfigError, match=r"nothing to resume in .*new.*; run without --resume"):
        _enter(new, cfg, resume=True)

    same = tmp_path / "same"
    _comparison(same, cfg)
    with pytest.raises(ConfigError, match="already holds this comparison; pass --resume to continue it"):
        _enter(same, cfg)
    assert _enter(same, cfg, resume=True) is True
    assert _enter(same, cfg, overwrite=True) is False
    with pytest.raises(ConfigError, match="give one of them"):
        _enter(same, cfg, resume=True, overwrite=True)


def test_other_settings_are_named_by_their_options(tmp_path):
    folder = tmp_path / "c"
    _comparison(folder, CompareConfig(seeds=2, steps=50, overrides={"width": "8"}))
    asked = CompareConfig(seeds=3, budget_s=60.0, overrides={"width": "16"})
    asked.eval.n_samples = 500
    for flags in ({}, {"resume": True}):
        with pytest.raises(ConfigError) as err:
            _enter(folder, asked, **flags)
        text = str(err.value)
        assert "holds a comparison with other settings (" in text
        for piece in (
            "--budget: none there, 60.0 asked",
            "--samples: 1000 there, 500 asked",
            "--seeds: 2 there, 3 asked",
            "--set width: 8 there, 16 asked",
            "and 1 more",  # --steps: 50 there, none asked
        ):
            assert piece in text, piece
        assert "--overwrite to replace it" in text
    # the option --jobs changes no result: not a difference
    assert _enter(folder, CompareConfig(seeds=2, steps=50, overrides={"width": "8"}, jobs=2), resume=True)


def test_resume_adds_seeds_and_models_to_a_comparison_and_nothing_else(tmp_path):
    folder = tmp_path / "c"
    _comparison(folder, CompareConfig(models=("vae", "dcgan"), seeds=2, steps=50))

    def enter(growable=True, **asked):
        cfg = CompareConfig(**{"models": ("vae", "dcgan"), "seeds": 2, "steps": 50, **asked})
        return Rerun(folder, "a comparison", resume=True, growable=growable).enter(
            lambda c: c.get("compare"), cfg
        )

    assert enter(seeds=3) is True
    assert enter(models=("vae", "dcgan", "wgan-gp")) is True
    assert enter(models=("wgan-gp", "vae", "dcgan"), seeds=4) is True
    for asked, named in (
        ({"seeds": 1}, "--seeds: 2 there, 1 asked"),  # fewer seeds would leave runs out
        ({"models": ("vae", "wgan-gp")}, "--models: vae,dcgan there, vae,wgan-gp asked"),  # dcgan dropped
        ({"seeds": 3, "steps": 60}, "--steps: 50 there, 60 asked"),  # a grown plan with another budget
    ):
        with pytest.raises(ConfigError, match="with other settings .*can be added with --resume") as err:
            enter(**asked)
        assert named in str(err.value)
    with pytest.raises(ConfigError, match="with other settings"):  # a task's folder does not grow
        enter(growable=False, seeds=3)
    with pytest.raises(ConfigError, match=r"fewer runs \(--seeds: 2 there, 3 asked\); pass --resume to add"):
        Rerun(folder, "a comparison", growable=True).enter(
            lambda c: c.get("compare"), CompareConfig(models=("vae", "dcgan"), seeds=3, steps=50)
        )


def test_overwrite_replaces_only_a_ganvae_folder_and_only_when_asked_to_clear(tmp_path):
    cfg = CompareConfig(steps=50)
    task = tmp_path / "task"
    TaskFolder(task, "denoise", DenoiseConfig(steps=50)).start()
    with pytest.raises(ConfigError, match="holds a `denoise` task, not a comparison; give another --out, or"):
        _enter(task, cfg)
    rerun = Rerun(task, "a comparison", overwrite=True)
    assert rerun.enter(lambda c: c.get("compare"), cfg) is False
    assert (task / "config.json").is_file()  # nothing is removed until the new run has checked everything
    rerun.clear()
    assert list(task.iterdir()) == []

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(
        ConfigError, match="holds files that ganvae did not write, not a comparison; give another"
    ):
        _enter(mine, cfg, overwrite=True)
    Rerun(mine, "a comparison", overwrite=True).clear()
    assert (mine / "thesis.tex").is_file()


def test_a_task_folder_refuses_a_rerun_without_resume_and_empties_on_overwrite(tmp_path):
    out = tmp_path / "t"
    TaskFolder(out, "denoise", DenoiseConfig(steps=50)).start()
    (out / "models").mkdir()
    with pytest.raises(ConfigError, match="already holds this `denoise` task; pass --resume"):
        TaskFolder(out, "denoise", DenoiseConfig(steps=50))
    TaskFolder(out, "denoise", DenoiseConfig(steps=50), resume=True)
    folder = TaskFolder(out, "denoise", DenoiseConfig(steps=60), overwrite=True)
    assert (out / "models").is_dir()
    folder.start()
    assert not (out / "models").exists()
    assert json.loads((out / "config.json").read_text())["config"]["steps"] == 60
