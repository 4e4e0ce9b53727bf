"""Imports flow one way (DESIGN.md): cli -> tasks / apply -> experiment -> evaluate -> metrics -> training
-> models -> nn, and the report reads results. A report module that imported a task (or the command line,
or the training machinery), even inside a function, would tie the page to the code that produced the
results and risk an import cycle: what a section needs arrives as arguments or in the results."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ganvae

REPORT = Path(ganvae.__file__).parent / "report"
ABOVE = ("ganvae.tasks", "ganvae.cli", "ganvae.compare", "ganvae.apply", "ganvae.serve", "ganvae.training")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_report_module_imports_a_task_the_cli_or_training_anywhere():
    modules = sorted(REPORT.rglob("*.py"))
    assert len(modules) >= 12  # the report's modules and one section per task
    bad = {str(p.relative_to(REPORT)): sorted(m for m in _imports(p) if m.startswith(ABOVE)) for p in modules}
    assert {k: v for k, v in bad.items() if v} == {}


def test_importing_every_report_section_loads_no_task():
    sections = sorted(p.stem for p in (REPORT / "sections").glob("*.py") if p.stem != "__init__")
    assert {"anomaly", "augment", "denoise", "generation", "interpolate", "recommend", "synthesize"} <= set(
        sections
    )
    code = (
        "import importlib, sys\n"
        f"for name in {sections!r}:\n"
        "    importlib.import_module('ganvae.report.sections.' + name)\n"
        "import ganvae.report.html, ganvae.report.markdown, ganvae.report.section\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ganvae.tasks', 'ganvae.cli'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
