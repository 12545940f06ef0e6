"""How good is a generated image? Pixel errors, judge accuracy, Frechet distance, precision/recall, diversity.

- `pixel`: MSE and MAE (tensors; also usable as losses).
- `accuracy`: prompt accuracy and per-attribute accuracy read by the judge.
- `frechet`: the Frechet distance between Gaussians fitted to feature sets (FID recipe).
- `manifold`: precision and recall with k-nearest-neighbour manifolds.
- `diversity`: mean pairwise distance and its ratio to the real data's.
"""

from __future__ import annotations

from t2ilab.metrics.accuracy import OPEN, attribute_accuracy, prompt_accuracy
from t2ilab.metrics.diversity import diversity, diversity_ratio
from t2ilab.metrics.frechet import frechet_distance, frechet_distance_features, gaussian_stats
from t2ilab.metrics.manifold import PrecisionRecall, in_manifold, knn_radii, precision_recall
from t2ilab.metrics.pixel import mae, mse

__all__ = [
    "mse",
    "mae",
    "OPEN",
    "prompt_accuracy",
    "attribute_accuracy",
    "gaussian_stats",
    "frechet_distance",
    "frechet_distance_features",
    "PrecisionRecall",
    "knn_radii",
    "in_manifold",
    "precision_recall",
    "diversity",
    "diversity_ratio",
]
