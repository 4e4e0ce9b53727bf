"""The small-data rule (issue 21): the default budget in epochs, and settings that keep old folders valid."""

from __future__ import annotations

import pytest

from ganvae.compare import CompareConfig
from ganvae.plan import RunPlan
from ganvae.small_data import MIN_IMAGES_SEEN, default_epochs, is_small


@pytest.mark.parametrize("n", [10, 64, 65, 270, 300, 1_293, 4_999])
@pytest.mark.parametrize("batch", [32, 64, 128])
def test_the_default_budget_shows_each_model_the_fewest_whole_epochs_past_100k_images(n, batch):
    epochs = default_epochs(n, batch)
    per_epoch = max(n // batch, 1) * min(batch, n)  # the loop's epoch: whole batches only
    assert epochs == int(epochs) and epochs >= 5
    assert epochs * per_epoch >= MIN_IMAGES_SEEN
    assert epochs == 5 or (epochs - 1) * per_epoch < MIN_IMAGES_SEEN


def test_large_splits_and_digits_keep_their_budgets():
    assert not is_small(5_000) and default_epochs(60_000) == 5.0
    folder = RunPlan(data="./scans")
    assert folder.budget() == {"epochs": 5.0, "steps": None, "budget_s": None}  # size not known yet
    assert folder.budget(270)["epochs"] == 391.0 and folder.budget(48_000)["epochs"] == 5.0
    assert RunPlan().budget(1_293) == {"epochs": None, "steps": 300, "budget_s": None}  # digits: 300 steps
    given = RunPlan(data="./scans", steps=600)
    assert given.budget(270) == {"epochs": None, "steps": 600, "budget_s": None}  # a given budget stays
    assert folder.train_config(0, 270, select="val_fd").select == "val_fd"


def test_defaults_leave_the_saved_settings_of_older_folders_valid():
    plain = CompareConfig().settings()
    assert "augment" not in plain and "checkpoint" not in plain
    changed = CompareConfig(augment="flip", checkpoint="last").settings()
    assert changed["augment"] == "flip" and changed["checkpoint"] == "last"


def test_which_runs_choose_their_weights():
    assert CompareConfig().selects(1_437) and not CompareConfig().selects(48_000)
    assert CompareConfig(checkpoint="best").selects(48_000)
    assert not CompareConfig(checkpoint="last").selects(300)


def test_augment_is_for_images_only():
    from ganvae.errors import ConfigError
    from ganvae.tasks.synthesize import SynthesizeConfig

    with pytest.raises(ConfigError, match="--augment flip mirrors images; table data has nothing to mirror"):
        SynthesizeConfig(data="credit-data", models=("tabular-vae",), augment="flip").validate()
