"""Frechet distance between two Gaussians fitted to feature sets (FID, in the judge's features).

Computed in float64. The matrix square root uses symmetric eigendecompositions only:
Tr((S1 S2)^{1/2}) = Tr((S1^{1/2} S2 S1^{1/2})^{1/2}), because S1 S2 = S1^{1/2} (S1^{1/2} S2) has
the same eigenvalues as the symmetric positive semi-definite S1^{1/2} S2 S1^{1/2}.
"""

from __future__ import annotations

import torch
from torch import Tensor

from t2ilab.device import single_thread
from t2ilab.errors import T2ILabError
from t2ilab.metrics.features import as_features, as_tensor

__all__ = ["gaussian_stats", "frechet_distance", "frechet_distance_features"]


def _features(name: str, x: Tensor) -> Tensor:
    return as_features(name, x)


def _sqrtm_psd(m: Tensor) -> Tensor:
    """Square root of a symmetric positive semi-definite matrix: V diag(sqrt(lambda)) V^T."""
    eigenvalues, eigenvectors = torch.linalg.eigh(m)
    roots = eigenvalues.clamp_min(0.0).sqrt()  # tiny negative eigenvalues (rounding) -> 0
    return (eigenvectors * roots) @ eigenvectors.T


def _covariance(name: str, sigma: Tensor, dim: int) -> Tensor:
    sigma = as_tensor(name, sigma).to(torch.float64)
    if sigma.ndim == 0:
        sigma = sigma.reshape(1, 1)  # a 1-D Gaussian's variance
    if sigma.shape != (dim, dim):
        raise T2ILabError(f"{name} has shape {tuple(sigma.shape)}; expected a [{dim}, {dim}] covariance matching the mean")
    if not bool(torch.isfinite(sigma).all()):
        raise T2ILabError(f"{name} contains NaN or inf; check the features it was computed from")
    sigma = 0.5 * (sigma + sigma.T)  # symmetric part
    eigenvalues = torch.linalg.eigvalsh(sigma)
    scale = float(eigenvalues.abs().max()) if eigenvalues.numel() else 0.0
    if float(eigenvalues.min()) < -1e-6 * max(scale, 1e-12):
        raise T2ILabError(
            f"{name} is not a covariance matrix (eigenvalue {float(eigenvalues.min()):.3g} < 0); use gaussian_stats(features)"
        )
    return sigma


def gaussian_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    r"""Mean and covariance of a feature set: the Gaussian that the Frechet distance compares.

    $$ \mu = \frac{1}{N} \sum_{n=1}^{N} f_n, \qquad \Sigma = \frac{1}{N - 1} \sum_{n=1}^{N} (f_n - \mu)(f_n - \mu)^\top $$

    where $f_n$ is the feature vector of image $n$ (row $n$ of `features`, shape [N, D]) and $N$
    the number of images (at least 2). Returns float64 tensors $\mu$ [D] and $\Sigma$ [D, D].
    """
    f = _features("features", features)
    n = f.shape[0]
    if n < 2:
        raise T2ILabError(f"a covariance needs at least 2 feature vectors, got {n}; pass more images")
    mu = f.mean(dim=0)  # mu = 1/N sum_n f_n
    centered = f - mu  # f_n - mu
    sigma = centered.T @ centered / (n - 1)  # 1/(N-1) sum_n (f_n - mu)(f_n - mu)^T
    return mu, sigma


@single_thread()
def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    r"""Frechet (2-Wasserstein) distance between two Gaussians, squared.

    $$ d^2 = \|\mu_1 - \mu_2\|^2 + \mathrm{Tr}\big(\Sigma_1 + \Sigma_2 - 2\,(\Sigma_1 \Sigma_2)^{1/2}\big) $$

    where $\mu_1, \Sigma_1$ (`mu1`, `sigma1`) are the mean [D] and covariance [D, D] of the
    real images' features and $\mu_2, \Sigma_2$ (`mu2`, `sigma2`) those of the generated ones.
    For 1-D Gaussians it is $(\mu_1 - \mu_2)^2 + (\sigma_1 - \sigma_2)^2$. 0 means the two
    Gaussians are identical; computed in float64 and clamped at 0 against rounding.
    """
    mu1 = as_tensor("mu1", mu1).to(torch.float64).reshape(-1)
    mu2 = as_tensor("mu2", mu2).to(torch.float64).reshape(-1)
    if mu1.numel() == 0 or mu1.shape != mu2.shape:
        raise T2ILabError(
            f"mu1 has shape {tuple(mu1.shape)} and mu2 {tuple(mu2.shape)}; both must be means of the same non-empty feature space"
        )
    dim = mu1.shape[0]
    sigma1 = _covariance("sigma1", sigma1, dim)
    sigma2 = _covariance("sigma2", sigma2, dim)
    diff = mu1 - mu2
    mean_term = diff @ diff  # ||mu1 - mu2||^2
    root1 = _sqrtm_psd(sigma1)  # Sigma1^{1/2}
    middle = root1 @ sigma2 @ root1  # Sigma1^{1/2} Sigma2 Sigma1^{1/2}, same eigenvalues as Sigma1 Sigma2
    middle = 0.5 * (middle + middle.T)  # symmetric against rounding
    trace_covmean = torch.linalg.eigvalsh(middle).clamp_min(0.0).sqrt().sum()  # Tr((Sigma1 Sigma2)^{1/2})
    d2 = mean_term + torch.trace(sigma1) + torch.trace(sigma2) - 2.0 * trace_covmean  # the equation
    return max(float(d2), 0.0)


def frechet_distance_features(features1: Tensor, features2: Tensor) -> float:
    r"""Frechet distance between the Gaussians fitted to two feature sets (FID's recipe).

    $$ d^2 = \|\mu_1 - \mu_2\|^2 + \mathrm{Tr}\big(\Sigma_1 + \Sigma_2 - 2\,(\Sigma_1 \Sigma_2)^{1/2}\big), \qquad (\mu_k, \Sigma_k) = \mathrm{gaussian\_stats}(F_k) $$

    where $F_1$ (`features1`, [N1, D]) are the features of real images, $F_2$ (`features2`,
    [N2, D]) those of generated images, and $\mu_k, \Sigma_k$ their means and covariances.
    """
    f1 = _features("features1", features1)
    f2 = _features("features2", features2)
    if f1.shape[1] != f2.shape[1]:
        raise T2ILabError(
            f"features1 has {f1.shape[1]} dimensions but features2 has {f2.shape[1]}; use the same feature extractor for both"
        )
    mu1, sigma1 = gaussian_stats(f1)
    mu2, sigma2 = gaussian_stats(f2)
    return frechet_distance(mu1, sigma1, mu2, sigma2)
