"""Precision and recall of a generative model with k-nearest-neighbour manifolds
(Kynkaanniemi et al., "Improved Precision and Recall Metric for Assessing Generative Models", 2019).

Precision: how many generated images look real (fall inside the real images' manifold).
Recall: how much of the real variety the generator covers (real images inside the generated
manifold). A manifold is the union of balls around each feature vector, each ball reaching to
that vector's k-th nearest neighbour in the same set.

Distances are computed in float64 with torch.cdist, in chunks of rows so memory stays small;
the direct (not matrix-product) mode keeps the distance between identical vectors exactly 0.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.metrics.features import as_features, as_tensor

__all__ = ["PrecisionRecall", "knn_radii", "in_manifold", "precision_recall"]

_CHUNK = 1024


def _features(name: str, x: Tensor) -> Tensor:
    return as_features(name, x)


def _distances(a: Tensor, b: Tensor) -> Tensor:
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")  # ||a_i - b_j||_2


def knn_radii(features: Tensor, k: int = 3) -> Tensor:
    r"""Radius of each feature vector's ball: the distance to its k-th nearest neighbour.

    $$ r_k(\phi) = \big\| \phi - \mathrm{NN}_k(\phi, \Phi) \big\|_2 $$

    where $\phi$ is one feature vector of the set $\Phi$ (`features`, [N, D]) and
    $\mathrm{NN}_k(\phi, \Phi)$ its k-th nearest neighbour among the other vectors of $\Phi$.
    Returns [N] (float64).
    """
    f = _features("features", features)
    k = int(k)
    if k < 1:
        raise T2ILabError(f"k must be >= 1, got {k}")
    if k >= f.shape[0]:
        raise T2ILabError(f"k={k} needs more than {k} feature vectors, got {f.shape[0]}; pass more images or lower k")
    radii = torch.empty(f.shape[0], dtype=torch.float64)
    for start in range(0, f.shape[0], _CHUNK):
        d = _distances(f[start : start + _CHUNK], f)  # [chunk, N]
        radii[start : start + _CHUNK] = d.kthvalue(k + 1, dim=1).values  # k+1: the vector itself is at 0
    return radii


def in_manifold(queries: Tensor, support: Tensor, radii: Tensor) -> Tensor:
    r"""Whether each query lies inside the manifold: inside at least one support vector's ball.

    $$ f(q, \Phi) = \begin{cases} 1 & \text{if } \|q - \phi\|_2 \le r_k(\phi) \text{ for at least one } \phi \in \Phi \\ 0 & \text{otherwise} \end{cases} $$

    where $q$ is a query feature vector (a row of `queries`, [Q, D]), $\Phi$ the support set
    (`support`, [N, D]) and $r_k(\phi)$ the radius of each support vector's ball (`radii`, [N],
    from `knn_radii`). Returns a bool tensor [Q].
    """
    q = _features("queries", queries)
    s = _features("support", support)
    radii = as_tensor("radii", radii).to(torch.float64).reshape(-1)
    if q.shape[1] != s.shape[1]:
        raise T2ILabError(f"queries have {q.shape[1]} dimensions but support has {s.shape[1]}; use the same features for both")
    if radii.shape[0] != s.shape[0]:
        raise T2ILabError(f"radii has {radii.shape[0]} values for {s.shape[0]} support vectors; use knn_radii(support)")
    inside = torch.empty(q.shape[0], dtype=torch.bool)
    for start in range(0, q.shape[0], _CHUNK):
        d = _distances(q[start : start + _CHUNK], s)  # [chunk, N]
        inside[start : start + _CHUNK] = (d <= radii.unsqueeze(0)).any(dim=1)  # ||q - phi|| <= r_k(phi) for some phi
    return inside


class PrecisionRecall(NamedTuple):
    precision: float  # share of generated images inside the real manifold
    recall: float  # share of real images inside the generated manifold


def precision_recall(real_features: Tensor, fake_features: Tensor, k: int = 3) -> PrecisionRecall:
    r"""Precision and recall of a generator, from features of real and generated images.

    $$ \mathrm{precision} = \frac{1}{M} \sum_{j=1}^{M} f\big(\phi_g^{(j)}, \Phi_r\big), \qquad \mathrm{recall} = \frac{1}{N} \sum_{i=1}^{N} f\big(\phi_r^{(i)}, \Phi_g\big) $$

    where $\Phi_r = \{\phi_r^{(i)}\}$ are the $N$ real feature vectors (`real_features`,
    [N, D]), $\Phi_g = \{\phi_g^{(j)}\}$ the $M$ generated ones (`fake_features`, [M, D]) and
    $f(q, \Phi)$ is 1 when $q$ lies within $r_k(\phi)$ of some $\phi \in \Phi$, with $r_k$ the
    distance to the k-th nearest neighbour (`k`). A generator that always makes the same good
    image has precision 1 and recall near 0.
    """
    real = _features("real_features", real_features)
    fake = _features("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise T2ILabError(
            f"real_features have {real.shape[1]} dimensions but fake_features {fake.shape[1]}; use the same feature extractor"
        )
    real_radii = knn_radii(real, k)  # r_k(phi) for phi in Phi_r
    fake_radii = knn_radii(fake, k)  # r_k(phi) for phi in Phi_g
    # One pass over the fake-to-real distances serves both directions (same as in_manifold twice).
    fake_in_real = torch.empty(fake.shape[0], dtype=torch.bool)  # f(phi_g, Phi_r) per fake
    real_in_fake = torch.zeros(real.shape[0], dtype=torch.bool)  # f(phi_r, Phi_g) per real
    for start in range(0, fake.shape[0], _CHUNK):
        d = _distances(fake[start : start + _CHUNK], real)  # [chunk of fakes, N reals]
        fake_in_real[start : start + _CHUNK] = (d <= real_radii.unsqueeze(0)).any(dim=1)  # inside a real ball
        real_in_fake |= (d <= fake_radii[start : start + _CHUNK].unsqueeze(1)).any(dim=0)  # inside a fake ball
    precision = fake_in_real.double().mean()  # 1/M sum_j f(phi_g, Phi_r)
    recall = real_in_fake.double().mean()  # 1/N sum_i f(phi_r, Phi_g)
    return PrecisionRecall(precision=float(precision), recall=float(recall))
