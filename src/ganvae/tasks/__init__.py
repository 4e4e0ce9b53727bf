"""Use cases run end to end with both families on the same data (`ganvae task NAME`)."""

from ganvae.registry import TASKS
from ganvae.tasks.anomaly import AnomalyConfig, run_anomaly
from ganvae.tasks.augment import AugmentConfig, run_augment
from ganvae.tasks.denoise import DenoiseConfig, run_denoise
from ganvae.tasks.interpolate import InterpolateConfig, run_interpolate
from ganvae.tasks.recommend import RecommendConfig, run_recommend
from ganvae.tasks.superres import SuperresConfig, run_superres
from ganvae.tasks.synthesize import SynthesizeConfig, run_synthesize
from ganvae.tasks.translate import TranslateConfig, run_translate

TASKS.register(
    "anomaly",
    run_anomaly,
    "one-class anomaly detection: AUROC/AUPRC of each model's scores",
    config=AnomalyConfig,
)

TASKS.register(
    "augment",
    run_augment,
    "augment K labelled images per class with conditional samples: classifier accuracy against K",
    config=AugmentConfig,
)

TASKS.register(
    "denoise",
    run_denoise,
    "restore corrupted test images (noise, impulses, masks): PSNR/SSIM against the clean images",
    config=DenoiseConfig,
)

TASKS.register(
    "interpolate",
    run_interpolate,
    "morphs between real images: path smoothness, endpoint fidelity, strips and GIFs",
    config=InterpolateConfig,
)

TASKS.register(
    "recommend",
    run_recommend,
    "recommendation from implicit feedback (held-out users): Recall@20/50, NDCG@100, coverage, novelty",
    config=RecommendConfig,
)

TASKS.register(
    "superres",
    run_superres,
    "super-resolution (2x/4x): PSNR/SSIM, FD, sharpness, consistency; SRGAN vs conditional VAE vs L1",
    config=SuperresConfig,
)

TASKS.register(
    "synthesize",
    run_synthesize,
    "tabular synthetic data (also `ganvae compare --data table.csv`): fidelity, utility, privacy",
    config=SynthesizeConfig,
)

TASKS.register(
    "translate",
    run_translate,
    "unpaired translation between two domains (folders or class groups): target share, FD, content kept",
    config=TranslateConfig,
)

__all__ = [
    "AnomalyConfig",
    "AugmentConfig",
    "DenoiseConfig",
    "InterpolateConfig",
    "RecommendConfig",
    "SuperresConfig",
    "SynthesizeConfig",
    "TranslateConfig",
    "run_anomaly",
    "run_augment",
    "run_denoise",
    "run_interpolate",
    "run_recommend",
    "run_superres",
    "run_synthesize",
    "run_translate",
]
