"""Use cases run end to end with both families on the same data (`ganvae task NAME`).

Each task is declared here with its summary and without importing its module (and PyTorch with it): its
run function and config class are `lazy` references, resolved when the task runs, so `ganvae list` stays
cheap. The `run_<task>` functions and `<Task>Config` classes of this package load on first use too.
"""

from typing import Any

from ganvae.registry import TASKS, lazy

TASKS.register(
    "anomaly",
    lazy("ganvae.tasks.anomaly:run_anomaly"),
    "one-class anomaly detection: AUROC/AUPRC of each model's scores",
    config=lazy("ganvae.tasks.anomaly:AnomalyConfig"),
)

TASKS.register(
    "augment",
    lazy("ganvae.tasks.augment:run_augment"),
    "augment K labelled images per class with conditional samples: classifier accuracy against K",
    config=lazy("ganvae.tasks.augment:AugmentConfig"),
)

TASKS.register(
    "denoise",
    lazy("ganvae.tasks.denoise:run_denoise"),
    "restore corrupted test images (noise, impulses, masks): PSNR/SSIM against the clean images",
    config=lazy("ganvae.tasks.denoise:DenoiseConfig"),
)

TASKS.register(
    "interpolate",
    lazy("ganvae.tasks.interpolate:run_interpolate"),
    "morphs between real images: path smoothness, endpoint fidelity, strips and GIFs",
    config=lazy("ganvae.tasks.interpolate:InterpolateConfig"),
)

TASKS.register(
    "recommend",
    lazy("ganvae.tasks.recommend:run_recommend"),
    "recommendation from implicit feedback (held-out users): Recall@20/50, NDCG@100, coverage, novelty",
    config=lazy("ganvae.tasks.recommend:RecommendConfig"),
)

TASKS.register(
    "superres",
    lazy("ganvae.tasks.superres:run_superres"),
    "super-resolution (2x/4x): PSNR/SSIM, FD, sharpness, consistency; SRGAN vs conditional VAE vs L1",
    config=lazy("ganvae.tasks.superres:SuperresConfig"),
)

TASKS.register(
    "synthesize",
    lazy("ganvae.tasks.synthesize:run_synthesize"),
    "tabular synthetic data (also `ganvae compare --data table.csv`): fidelity, utility, privacy",
    config=lazy("ganvae.tasks.synthesize:SynthesizeConfig"),
)

TASKS.register(
    "translate",
    lazy("ganvae.tasks.translate:run_translate"),
    "unpaired translation between two domains (folders or class groups): target share, FD, content kept",
    config=lazy("ganvae.tasks.translate:TranslateConfig"),
)

# public name -> its task module, imported on first use (PEP 562)
_EXPORTS = {
    name: f"ganvae.tasks.{module}"
    for name, module in (
        ("AnomalyConfig", "anomaly"),
        ("run_anomaly", "anomaly"),
        ("AugmentConfig", "augment"),
        ("run_augment", "augment"),
        ("DenoiseConfig", "denoise"),
        ("run_denoise", "denoise"),
        ("InterpolateConfig", "interpolate"),
        ("run_interpolate", "interpolate"),
        ("RecommendConfig", "recommend"),
        ("run_recommend", "recommend"),
        ("SuperresConfig", "superres"),
        ("run_superres", "superres"),
        ("SynthesizeConfig", "synthesize"),
        ("run_synthesize", "synthesize"),
        ("TranslateConfig", "translate"),
        ("run_translate", "translate"),
    )
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ganvae.tasks' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
