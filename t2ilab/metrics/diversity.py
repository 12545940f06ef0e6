"""Diversity of a set of images: the mean distance between two of them, in feature space."""

from __future__ import annotations

import torch
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.metrics.features import as_features

__all__ = ["diversity", "diversity_ratio"]

_CHUNK = 1024


def _features(name: str, x: Tensor) -> Tensor:
    return as_features(name, x, minimum=2, flatten=True)


def diversity(features: Tensor) -> float:
    r"""Mean pairwise L2 distance between the feature vectors of a set of images.

    $$ \mathrm{div}(\Phi) = \frac{1}{N(N-1)} \sum_{i=1}^{N} \sum_{j \ne i} \big\|\phi_i - \phi_j\big\|_2 $$

    where $\phi_i$ is the feature vector of image $i$ (row $i$ of `features`, [N, D]; images
    [N, C, H, W] are flattened to pixels) and $N \ge 2$ the number of images. 0 means every
    image is the same (a collapsed generator).
    """
    f = _features("features", features)
    n = f.shape[0]
    total = torch.zeros((), dtype=torch.float64)
    for start in range(0, n, _CHUNK):
        d = torch.cdist(f[start : start + _CHUNK], f, compute_mode="donot_use_mm_for_euclid_dist")  # ||phi_i - phi_j||
        total = total + d.sum()  # the i = j terms are exactly 0
    return float(total / (n * (n - 1)))  # 1/(N(N-1)) sum_{i != j}


def diversity_ratio(fake_features: Tensor, real_features: Tensor) -> float:
    r"""Diversity of generated images relative to real ones: 1 matches the data's variety.

    $$ \rho = \frac{\mathrm{div}(\Phi_g)}{\mathrm{div}(\Phi_r)} $$

    where $\Phi_g$ are the generated images' features (`fake_features`), $\Phi_r$ the real
    images' (`real_features`) and $\mathrm{div}$ the mean pairwise distance (`diversity`).
    Below 1: the generator repeats itself; 0: it has collapsed to one image.
    """
    fake = _features("fake_features", fake_features)
    real = _features("real_features", real_features)
    if fake.shape[1] != real.shape[1]:
        raise T2ILabError(
            f"fake_features have {fake.shape[1]} dimensions but real_features {real.shape[1]}; use the same features for both"
        )
    real_div = diversity(real)  # div(Phi_r)
    if real_div == 0.0:
        raise T2ILabError("the real images are all identical (diversity 0), so the ratio is undefined; pass varied real images")
    return diversity(fake) / real_div  # div(Phi_g) / div(Phi_r)
