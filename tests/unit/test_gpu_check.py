"""The CI dry run of bench/gpu_check.py (issue 22): the device check runs on the CPU at tiny sizes, as a real
process, so that it cannot rot between the rare GPU loans. Every registered model (every family and data
kind) trains, samples, saves, loads and resumes to exactly the uninterrupted run's weights; compare, the
throughput against the matmul peak and the one-process DDP path run; a failed check is reported, the others
still run, and the exit status says so."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from ganvae.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu_check.py"
TINY_RUN = [
    "--device", "cpu", "--steps", "3", "--tiny", "--batch", "16", "--throughput-steps", "2",
    "--matmul-size", "256", "--samples", "100", "--ddp-models", "dcgan",
]  # fmt: skip


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }


def _module():
    """The script imported (its dataclasses need their module in sys.modules)."""
    if "gpu_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules["gpu_check"] = module
        spec.loader.exec_module(module)
    return sys.modules["gpu_check"]


def test_cpu_dry_run_passes_every_check(tmp_path):
    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *TINY_RUN, "--out", str(out)],
        capture_output=True, text=True, timeout=600, env=_env(), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert json.loads(out.read_text()) == report  # the same JSON on stdout and in --out
    assert report["ok"] is True and report["failed"] == [] and report["device"] == "cpu"
    assert {"cpu", "cuda"} <= set(report["resume_tolerance"])
    checks = {c["name"]: c for c in report["checks"]}
    for c in report["checks"]:
        assert set(c) == {"name", "ok", "seconds", "details"} and c["ok"] and c["seconds"] >= 0, c
    # every registered model, hence every family and data kind
    assert {f"model:{e.name}" for e in MODELS} <= set(checks)
    for e in MODELS:
        details = checks[f"model:{e.name}"]["details"]
        assert details["load_rel_diff"] <= 1e-5
        if e.factory.family == "baseline":
            continue
        assert details["steps"] == 3 and details["precision"] == "32-true" and details["logged_values"] > 0
        resume = details["resume"]
        assert resume["stopped_at"] == 1 and resume["resumed_to"] == 3
        assert resume["tolerance"] == 0.0 and resume["max_rel_weight_diff"] == 0.0, e.name  # CPU: exact
    assert checks["compare:digits"]["details"]["run_devices"] == ["cpu"]
    assert checks["matmul_peak"]["details"]["tflops"]["fp32"] > 0
    for name in ("vae", "dcgan"):
        speed = checks[f"throughput:{name}"]["details"]
        assert speed["images_per_s"] > 0 and speed["fraction_of_peak"]["fp32"] > 0
        assert speed["peak_memory_mb"] is None  # CUDA only
    ddp = checks["ddp1:dcgan"]["details"]
    assert ddp["strategy"] == "ddp" and ddp["processes"] == 1 and ddp["step"] == 3


def test_a_failed_check_is_reported_and_the_others_still_run(tmp_path, capsys):
    gpu_check = _module()
    out = tmp_path / "r.json"
    argv = ["--device", "cpu", "--steps", "2", "--tiny", "--checks", "models", "--models", "nosuch,cfgan"]
    assert gpu_check.main([*argv, "--out", str(out)]) == 1
    report = json.loads(out.read_text())
    assert report["ok"] is False and report["failed"] == ["model:nosuch"]
    bad, good = report["checks"]
    assert not bad["ok"] and "unknown model 'nosuch'" in bad["error"] and "details" not in bad
    assert good["name"] == "model:cfgan" and good["ok"]


def test_a_resume_that_differs_fails_its_check(tmp_path, monkeypatch):
    """The resume comparison can fail: when the interrupted run starts from other weights than the
    uninterrupted one, its resumed weights differ and the check says so."""
    gpu_check = _module()
    real = gpu_check._build
    calls = []

    def build(name, data, sets):
        calls.append(name)
        model = real(name, data, sets)
        if len(calls) == 2:  # the interrupted run's model (1: the uninterrupted run's, 3: the resumed one)
            next(model.parameters()).data.add_(0.5)
        return model

    monkeypatch.setattr(gpu_check, "_build", build)
    out = tmp_path / "r.json"
    argv = ["--device", "cpu", "--steps", "2", "--tiny", "--checks", "models", "--models", "mult-dae"]
    assert gpu_check.main([*argv, "--out", str(out)]) == 1
    (record,) = json.loads(out.read_text())["checks"]
    assert "resumed weights differ" in record["error"]


def test_bad_arguments_are_one_line_exit_2(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--device", "cpu", "--checks", "nope"],
        capture_output=True, text=True, timeout=120, env=_env(),
    )  # fmt: skip
    assert done.returncode == 2 and "unknown --checks nope" in done.stderr
