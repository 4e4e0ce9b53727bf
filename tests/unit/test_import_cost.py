"""Commands that draw nothing do not pay for the plotting stack: loading the model and task registries
(as `ganvae list` does) must not import matplotlib. Before the tasks imported their plots lazily it did,
and `ganvae list` took 5.6 s against 4.85 s after (medians of 5, BENCHMARKS.md)."""

from __future__ import annotations

import subprocess
import sys


def test_listing_models_and_tasks_leaves_matplotlib_and_jinja_unimported():
    """The tasks import their report sections (and with them the page templates' Jinja) only when they
    write a page: before the sections moved to `ganvae.report.sections`, every task module imported
    `ganvae.report.env`, and so jinja2, when the task registry loaded."""
    code = (
        "import sys\n"
        "from ganvae.registry import MODELS, TASKS\n"
        "names = [e.name for e in MODELS] + [e.name for e in TASKS]\n"
        "assert 'vae' in names and 'anomaly' in names, names\n"
        "print('matplotlib' in sys.modules, 'jinja2' in sys.modules, 'scipy.stats' in sys.modules,"
        " 'diffusers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # scipy.stats (about 1.4 s of `ganvae list`'s imports, profiled with -X importtime) is imported only
    # when a verdict's interval is computed (`experiment.intervals`); diffusers only when a ddpm builds
    # its UNet
    assert out.stdout.strip() == "False False False False"


def test_ganvae_list_and_help_leave_torch_unimported():
    """`ganvae list` and `ganvae --help` import neither PyTorch, Lightning Fabric nor torchmetrics: the
    registries declare their entries with `lazy` references and the metadata `list` shows. When the
    registries imported the model modules (and the command wrapper the training loop), `ganvae list` took
    about 3 s here, 0.4 s after (BENCHMARKS.md, "Start-up time of the command line")."""
    code = (
        "import contextlib, io, sys\n"
        "from ganvae.cli import main\n"
        "for argv in (['list'], ['--help']):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "    assert 'ml-100k' in out.getvalue() or argv == ['--help'], out.getvalue()\n"
        "heavy = ('torch', 'lightning_fabric', 'torchmetrics', 'ganvae.models.vae')\n"
        "print(*(m in sys.modules for m in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False False False"
