"""Feature extractors for the metrics.

The default is a domain classifier trained (and cached) on the dataset's train split; for unlabelled data
it falls back to random convolutional features. Name metrics after `DomainClassifier.feature_name`.
"""

from ganvae.features.cache import cache_key, default_cache_dir, get_domain_classifier
from ganvae.features.domain import DomainClassifier, DomainClassifierConfig
from ganvae.features.network import FeatureNet

__all__ = [
    "DomainClassifier",
    "DomainClassifierConfig",
    "FeatureNet",
    "cache_key",
    "default_cache_dir",
    "get_domain_classifier",
]
