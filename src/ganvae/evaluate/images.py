"""Evaluate one trained image model the same way as every other: fidelity, diversity, mode coverage,
sharpness, memorisation, reconstruction, latent structure and stochasticity, all in one feature space.

The feature space is the dataset's domain classifier (`ganvae.features`), so Fréchet distance is reported
as "FD (domain features)", never as FID. GANs have no encoder: their codes, reconstructions and latent
interpolations go through latent inversion, which is approximate (and said so in the report).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganvae import metrics as M
from ganvae.data.images import ImageData
from ganvae.grid import save_grid
from ganvae.metrics.usability import gap_closed, independent_pixels
from ganvae.models.base import GenerativeModel, sample_in_batches
from ganvae.nn.flops import capacity_table, sampling_flops

SAMPLE_SEED = 2024
# how each family gets its codes, as the evaluation's progress line says
INVERTED = {"gan": "inverted (a GAN has no encoder)", "diffusion": "DDIM-inverted"}


@dataclass
class EvalConfig:
    n_samples: int = 1000  # generated images for FD / KID / PRDC / classes / sharpness / memorisation
    n_recon: int = 128  # test images reconstructed (GANs: by inversion), also the codes for the probe
    n_paths: int = 12  # interpolation paths between pairs of test codes
    path_steps: int = 9
    n_draws: int = 8  # posterior draws per input for the stochasticity figure
    curve_samples: int = 256  # samples per point of the FD-vs-time curve
    inception_weights: str | None = None  # a TorchScript Inception network: adds FID and KID


class Reference:
    """Real-data features computed once per comparison and shared by every model's evaluation."""

    def __init__(self, data: ImageData, classifier: Any, cfg: EvalConfig, seed: int = 0):
        self.data, self.classifier, self.cfg = data, classifier, cfg
        g = torch.Generator().manual_seed(seed)
        n_test = min(len(data.x_test), cfg.n_samples)
        self.test_idx = torch.randperm(len(data.x_test), generator=g)[:n_test]
        self.x_test = data.x_test[self.test_idx]
        # Memorisation searches the *whole* training split: a copy of an image outside a subsample would
        # go unseen (5,000 of Fashion-MNIST's 60,000 saw 8 %). The blocked search is cheap at 60k x 1k.
        self.x_train = data.x_train
        self.test_feat = classifier.features(self.x_test)
        self.train_feat = classifier.features(self.x_train)
        self.recon_idx = self.test_idx[: min(cfg.n_recon, len(self.test_idx))]
        self.mu, self.sigma = M.gaussian_stats(self.test_feat)
        self.fd_floor, self.fd_baseline = self._anchors(n_test, seed)
        self.inception = None
        if cfg.inception_weights:
            from ganvae.features.inception import InceptionFeatures, InceptionScores

            self.inception = InceptionScores(InceptionFeatures(cfg.inception_weights), self.x_test)

    def _anchors(self, n: int, seed: int, repeats: int = 3) -> tuple[float, float]:
        """The real-vs-real floor (mean FD of `repeats` draws of n training images) and the FD of
        independent-pixel images, both at the N of every model's samples (`metrics.usability`)."""
        g = torch.Generator().manual_seed(seed + 1)
        n_train = min(n, len(self.x_train))
        floor = [
            self.fd(self.train_feat[torch.randperm(len(self.x_train), generator=g)[:n_train]])
            for _ in range(repeats)
        ]
        pixels = independent_pixels(self.x_train, n, g)
        return sum(floor) / repeats, self.fd(self.classifier.features(pixels))

    def fd(self, features: torch.Tensor) -> float:
        """FD (domain features) of a feature set against the test reference."""
        mu, sigma = M.gaussian_stats(features)
        return M.frechet_from_stats(mu, sigma, self.mu, self.sigma)

    def curve_evaluator(self):
        """A cheap FD for the training loop's metric-vs-time curve (fixed noise, fewer samples)."""
        n = self.cfg.curve_samples

        def evaluate(model: GenerativeModel) -> dict[str, float]:
            samples = model.sample(
                n, generator=torch.Generator().manual_seed(SAMPLE_SEED), labels=_labels(model, n)
            )
            return {"fd": self.fd(self.classifier.features(samples.cpu()))}

        return evaluate


def _labels(model: GenerativeModel, n: int) -> torch.Tensor | None:
    return torch.arange(n) % model.num_classes if model.num_classes else None


def _finite(value: float) -> float | None:
    return value if isinstance(value, float) and math.isfinite(value) else None


@torch.no_grad()
def evaluate_model(
    model: GenerativeModel,
    ref: Reference,
    figures: Path | None = None,
    tag: str = "",
    say: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (metrics, artefacts): scalar figures, and small arrays for the report (latent map...).
    `say` (optional) gets a line as each stage starts and one at the end."""
    t0 = time.perf_counter()
    say = say or (lambda text: None)
    model = model.eval().cpu()
    cfg, data, clf = ref.cfg, ref.data, ref.classifier
    out: dict[str, Any] = {}
    art: dict[str, Any] = {}

    # ---- fidelity, diversity, mode coverage, sharpness, memorisation -----------------------------
    n = len(ref.x_test)
    say(f"evaluating 1/3: {n:,} samples (FD, KID, precision/recall, classes, sharpness, memorisation)")
    t_sample = time.perf_counter()
    samples = sample_in_batches(
        model, n, labels=_labels(model, n), generator=torch.Generator().manual_seed(SAMPLE_SEED)
    )
    # what drawing costs, apart from training: one network pass for a GAN or VAE, `sample_steps` UNet passes
    # for a diffusion model (which pays at sampling time what a GAN pays in training)
    out["sample_s_per_image"] = (time.perf_counter() - t_sample) / n
    feat = clf.features(samples)
    out["fd"] = ref.fd(feat)
    out["fd_gap_closed"] = gap_closed(out["fd"], ref.fd_floor, ref.fd_baseline)
    kid_mean, kid_std = M.kernel_inception_distance(
        feat, ref.test_feat, subsets=50, subset_size=min(500, n), generator=torch.Generator().manual_seed(0)
    )
    out["kid"] = kid_mean
    out.update(M.prdc(ref.test_feat, feat, k=5))
    if ref.inception is not None:
        inception = ref.inception(samples)
        out["fid"], out["kid_inception"] = inception["fid"], inception["kid"]
    out["sharpness_ratio"] = M.sharpness_ratio(samples, ref.x_test)
    mem = M.memorisation(feat, ref.train_feat, ref.test_feat)
    out["memorisation_ratio"], out["copy_share"] = mem["nn_ratio_median"], mem["copy_share"]
    if data.labelled:
        cls = M.class_metrics(clf.predict(samples), data.y_test[ref.test_idx], data.num_classes)
        out["classes_covered"], out["class_kl"] = cls["covered"], cls["kl"]
        art["class_hist"] = {"generated": cls["gen_hist"], "real": cls["real_hist"]}

    # ---- reconstruction and codes (GANs by inversion) ---------------------------------------------
    how = INVERTED.get(model.family, "encoded")
    say(f"evaluating 2/3: {len(ref.recon_idx):,} test images {how} and reconstructed")
    x = data.x_test[ref.recon_idx]
    y = data.y_test[ref.recon_idx] if data.labelled else None
    cond = y if model.num_classes else None
    t_enc = time.perf_counter()
    codes = model.encode(x, cond)
    out["encode_s_per_image"] = (time.perf_counter() - t_enc) / len(x)
    recon = model.decode(codes, labels=cond).cpu()
    rec = M.reconstruction_metrics(x, recon)
    out["recon_mse"], out["recon_psnr"], out["recon_ssim"] = rec["mse"], rec["psnr"], rec["ssim"]
    out["recon_sharpness_ratio"] = M.sharpness_ratio(recon, x)
    if data.labelled and len(codes) >= 20:
        half = len(codes) // 2
        out["probe_accuracy"] = M.linear_probe_accuracy(codes[:half], y[:half], codes[half:], y[half:])
    art["codes_2d"], art["codes_label"] = _pca2(codes), (y.tolist() if y is not None else None)

    # ---- interpolation smoothness along straight lines between codes of test images --------------
    p = min(cfg.n_paths, len(codes) // 2)
    say(f"evaluating 3/3: {p} interpolation paths and {cfg.n_draws} decodes per input")
    t = torch.linspace(0, 1, cfg.path_steps).view(1, -1, 1)
    za, zb = codes[:p].unsqueeze(1), codes[p : 2 * p].unsqueeze(1)
    path_z = model.interpolate(za, zb, t).reshape(p * cfg.path_steps, -1)  # spherical for noise codes
    path_labels = cond[:p].repeat_interleave(cfg.path_steps) if cond is not None else None
    path_img = model.decode(path_z, labels=path_labels).cpu()
    smooth = M.interpolation_smoothness(clf.features(path_img).view(p, cfg.path_steps, -1))
    out["path_length_ratio"], out["max_step_ratio"] = smooth["path_length_ratio"], smooth["max_step_ratio"]

    # ---- stochasticity: several decodes of one input -----------------------------------------------
    k = min(16, len(x))
    if hasattr(model, "reconstruct_samples"):
        draws = model.reconstruct_samples(
            x[:k],
            cfg.n_draws,
            cond[:k] if cond is not None else None,
            generator=torch.Generator().manual_seed(SAMPLE_SEED),
        ).cpu()
    else:  # a GAN (or deterministic DDIM) maps its code to one image: every decode gives that image
        once = model.decode(codes[:k], labels=cond[:k] if cond is not None else None).cpu()
        draws = torch.stack([once] * cfg.n_draws)
    out["decode_variance"] = M.decode_variance(draws)

    # ---- cost -----------------------------------------------------------------------------------------
    for row in capacity_table(model):
        out[f"params_{row['part']}"] = row["parameters"]
        out[f"mflops_{row['part']}"] = row["flops"] / 1e6
    out["sample_mflops_per_image"] = sampling_flops(model) / 1e6
    out["eval_s"] = time.perf_counter() - t0

    if figures is not None:
        say("drawing the report's figures")
        _figures(figures, tag, model, samples, ref, feat, x, recon, path_img, p, cfg.path_steps, draws)
    say(f"evaluated in {time.perf_counter() - t0:.1f} s (FD {out['fd']:.3g})")
    return {k: (_finite(v) if isinstance(v, float) else v) for k, v in out.items()}, art


def _pca2(codes: torch.Tensor) -> list[list[float]]:
    c = codes.double() - codes.double().mean(0)
    if len(c) < 3:
        return c[:, :2].tolist()
    _, _, v = torch.linalg.svd(c, full_matrices=False)
    return (c @ v[:2].T).round(decimals=4).tolist()


def _figures(folder: Path, tag, model, samples, ref, feat, x, recon, path_img, p, steps, draws) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nrow = model.num_classes if model.num_classes and model.num_classes <= 16 else 8
    save_grid(samples[:64], folder / f"samples-{tag}.png", nrow=nrow)
    # nearest training neighbours (feature space) of the first 8 samples: sample row over neighbour row
    idx = M.nearest_neighbours(feat[:8], ref.train_feat)[1]
    save_grid(torch.cat([samples[:8], ref.x_train[idx]]), folder / f"neighbours-{tag}.png", nrow=8)
    save_grid(torch.cat([x[:8], recon[:8]]), folder / f"recon-{tag}.png", nrow=8)
    save_grid(path_img[: min(p, 4) * steps], folder / f"interp-{tag}.png", nrow=steps)
    save_grid(
        torch.cat([x[:4].unsqueeze(0), draws[:, :4]]).transpose(0, 1).reshape(-1, *x.shape[1:]),
        folder / f"draws-{tag}.png",
        nrow=len(draws) + 1,
    )
