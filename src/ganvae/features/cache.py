"""Fit a domain classifier once per dataset and configuration, then load it from the user cache.

The cache key is the dataset fingerprint (a hash of its pixels and labels, `ImageData.fingerprint`) plus a
hash of the classifier configuration, the default-epochs rule and the file-format version, so changing
the data or any hyper-parameter trains a new classifier, and every metric over the same data and
configuration uses exactly the same feature space.

Folder: `$GANVAE_CACHE/features/`, else `$XDG_CACHE_HOME/ganvae/features/`, else
`~/.cache/ganvae/features/`. Entries are written atomically, so parallel runs at worst both train.

>>> cache_key("0123456789abcdef", DomainClassifierConfig())[:17]
'0123456789abcdef-'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from pathlib import Path

from ganvae.data.images import ImageData
from ganvae.errors import CheckpointError
from ganvae.features.domain import (
    FORMAT_VERSION,
    MAX_EPOCHS,
    MIN_EPOCHS,
    TARGET_IMAGES_SEEN,
    DomainClassifier,
    DomainClassifierConfig,
)

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """ganvae's cache root: $GANVAE_CACHE, else $XDG_CACHE_HOME/ganvae, else ~/.cache/ganvae."""
    if os.environ.get("GANVAE_CACHE"):
        return Path(os.environ["GANVAE_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "ganvae"


def cache_key(fingerprint: str, config: DomainClassifierConfig) -> str:
    """`<data fingerprint>-<12 hex digits of the config and format version>`."""
    # The automatic-epoch rule is part of the key too: changing it changes what epochs=None trains.
    rule = {"target_images": TARGET_IMAGES_SEEN, "min_epochs": MIN_EPOCHS, "max_epochs": MAX_EPOCHS}
    blob = json.dumps(
        {"config": dataclasses.asdict(config), "version": FORMAT_VERSION, "auto_epochs": rule}, sort_keys=True
    )
    return f"{fingerprint}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def get_domain_classifier(
    data: ImageData,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    refresh: bool = False,
    **config: object,
) -> DomainClassifier:
    """The domain classifier of `data` with these options, loaded from the cache or fitted and cached.

    `cache_dir` is the cache root (default `default_cache_dir()`); entries live in `<root>/features/`.
    `refresh=True` refits and overwrites. `config` holds `DomainClassifierConfig` fields (e.g. epochs=5).
    Unlabelled data gives random features (see `ganvae.features.domain`).
    """
    cfg = DomainClassifierConfig.from_dict(config)
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    folder = root / "features" / cache_key(data.fingerprint(), cfg)
    if folder.exists() and not refresh:
        try:
            clf = DomainClassifier.load(folder)
            log.info("domain classifier for %s loaded from %s", data.name, folder)
            return clf
        except CheckpointError as e:
            # A damaged cache entry is not the user's problem: refit and replace it.
            log.warning("ignoring a damaged domain-classifier cache entry (%s); fitting again", e)
    clf = DomainClassifier(cfg).fit(data)
    try:
        clf.save(folder)
    except OSError as e:  # a read-only or full cache must not stop the evaluation
        log.warning(
            "could not cache the domain classifier in %s (%s); it will be refitted next time", folder, e
        )
    return clf
