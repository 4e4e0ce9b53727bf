"""`ganvae compare` with three families on digits at a tiny budget: the diffusion model gets every figure the
GAN and VAE get (its codes by DDIM inversion), its sampling cost apart from its training cost, and the
GAN-vs-VAE claims and verdicts neither count it as a GAN or VAE nor break on it."""

from __future__ import annotations

import importlib.util
import json

import pytest

from .helpers import run

TINY = [
    "--models", "vae,dcgan,ddpm", "--steps", "10", "--seeds", "1", "--samples", "100", "--recon-images",
    "24", "--batch-size", "32", "--set", "width=8", "--set", "inversion_steps=10", "--set",
    "sample_steps=5", "-q",
]  # fmt: skip


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("three") / "run"
    with pytest.raises(SystemExit) as e:
        main(["compare", "--out", str(out), *TINY])
    assert e.value.code == 0
    return out


def test_the_diffusion_column_has_every_figure(three):
    m = json.loads((three / "metrics.json").read_text())
    assert m["families"] == {"vae": "vae", "dcgan": "gan", "ddpm": "diffusion"}
    s = m["summary"]
    for key in ("fd", "coverage", "sharpness_ratio", "memorisation_ratio", "classes_covered", "recon_psnr"):
        assert s["ddpm"][key]["n"] == 1, key
    for key in ("probe_accuracy", "path_length_ratio", "decode_variance", "encode_s_per_image"):
        assert s["ddpm"][key]["n"] == 1, key
    assert s["ddpm"]["decode_variance"]["mean"] == 0  # deterministic DDIM: one image per code
    # sampling cost apart from training: 5 DDIM steps = 5 UNet passes per image, a GAN's one generator pass
    for model in ("vae", "dcgan", "ddpm"):
        assert s[model]["sample_s_per_image"]["mean"] > 0
    unet = s["ddpm"]["mflops_denoiser"]["mean"]
    assert s["ddpm"]["sample_mflops_per_image"]["mean"] == pytest.approx(5 * unet, rel=1e-6)
    gen = s["dcgan"]["mflops_generator"]["mean"]
    assert s["dcgan"]["sample_mflops_per_image"]["mean"] == pytest.approx(gen, rel=1e-6)


def test_claims_and_verdicts_stay_gan_against_vae(three):
    m = json.loads((three / "metrics.json").read_text())
    for claim in m["claims"]:
        for check in claim["checks"]:
            for side in ("gan", "vae"):
                assert (check.get(side) or {}).get("model") != "ddpm", claim["text"]
    # the diffusion claims (10-12) set ddpm against the GAN and the VAE; one seed: inconclusive
    diffusion = {c["number"]: c for c in m["claims"] if c["number"] >= 10}
    assert sorted(diffusion) == [10, 11, 12]
    for c in diffusion.values():
        assert c["verdict"] == "inconclusive"
        assert all(ch["diffusion"]["model"] == "ddpm" and "one seed" in ch["reason"] for ch in c["checks"])
    assert diffusion[12]["checks"][0]["gan"]["model"] == "dcgan"
    assert diffusion[12]["checks"][1]["vae"]["model"] == "vae"
    assert all(v.get("winner") != "ddpm" and v.get("runner_up") != "ddpm" for v in m["verdicts"])
    html = (three / "report.html").read_text()
    assert "ddpm" in html and "sampling s per image" in html
    assert "<th>diffusion</th>" in html and "Diffusion sampling is much slower" in html
    assert (three / "figures" / "samples-ddpm.png").is_file()
    assert (three / "figures" / "interp-ddpm.png").is_file()


def test_without_diffusers_ddpm_is_one_line(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "diffusers" else real(n, *a))
    code, _, err = run(["compare", "--models", "vae,ddpm", "--steps", "2", "--out", tmp_path / "c"], capsys)
    assert code == 2 and "pip install 'ganvae[diffusion]'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_markdown_shows_the_diffusion_side_of_its_claims(three, capsys):
    code, out, _ = run(["report", three, "--markdown"], capsys)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("| 12 |"))
    # GAN · VAE · diffusion for each check, the rule, and why one seed leaves it open
    assert "(dcgan) · — · " in line and "(ddpm) · diffusion at least 10x the GAN's: inconclusive" in line
