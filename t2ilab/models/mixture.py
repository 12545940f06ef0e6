r"""A mixture prior fitted after training: K Gaussians per prompt condition over the codes of real images.

One Gaussian per condition (t2ilab.models.prior) covers a garment's codes with one ellipsoid, and
puts mass wherever the ellipsoid reaches, whether real codes are there or not. A mixture
$p(z \mid c) = \sum_k w_{c,k}\, \mathcal{N}(m_{c,k}, L_{c,k} L_{c,k}^\top)$ fitted by EM follows the
codes more closely (Ghosh et al. 2020 fit a 10-component mixture this way). On fashion-vae ten
components took judge accuracy from 0.84 to 0.88 and FID from 65 to 57 (`t2ilab evaluate`).

The noise stays one $\varepsilon \sim \mathcal{N}(0, I)$ per image, so a seed still gives one image
and a policy over $\varepsilon$ (lesson 04's adapter) still works: its first coordinate picks the
component and is then made fresh again (`sample`).
"""
from __future__ import annotations

import math

import torch

from .prior import gaussian_fit


def em_fit(codes: torch.Tensor, k: int, iterations: int = 100, jitter: float = 1e-4,
           seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Weights [K], means [K, d] and Cholesky factors [K, d, d] of a K-Gaussian mixture fitted to
    codes [N, d] by expectation-maximisation, started at K codes drawn at random:

    $$ r_{nk} = \frac{w_k \mathcal{N}(\mu_n; m_k, \Sigma_k)}{\sum_j w_j \mathcal{N}(\mu_n; m_j, \Sigma_j)}, \quad
       w_k = \frac{N_k}{N}, \quad m_k = \frac{1}{N_k}\sum_n r_{nk}\,\mu_n, \quad
       \Sigma_k = \frac{1}{N_k}\sum_n r_{nk} (\mu_n - m_k)(\mu_n - m_k)^\top + \text{jitter}\, I $$

    with $N_k = \sum_n r_{nk}$."""
    x = codes.double()
    n, d = x.shape
    eye = torch.eye(d, dtype=x.dtype)
    means = x[torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]].clone()
    covs = torch.cov(x.T).reshape(d, d).expand(k, d, d).clone()
    log_w = torch.full((k,), -math.log(k), dtype=x.dtype)
    for _ in range(iterations):
        tril = torch.linalg.cholesky(covs + jitter * eye)
        white = torch.linalg.solve_triangular(tril, (x[:, None, :] - means).unsqueeze(-1), upper=False).squeeze(-1)
        log_p = -0.5 * (white ** 2).sum(-1) - tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) - 0.5 * d * math.log(2 * math.pi)
        r = (log_w + log_p).softmax(1)                                  # E-step: responsibilities [N, K]
        n_k = r.sum(0) + 1e-10                                          # M-step
        log_w, means = (n_k / n).log(), (r.T @ x) / n_k[:, None]
        centred = x[:, None, :] - means
        covs = torch.einsum("nk,nki,nkj->kij", r, centred, centred) / n_k[:, None, None]
    return log_w.exp().to(codes.dtype), means.to(codes.dtype), torch.linalg.cholesky(covs + jitter * eye).to(codes.dtype)


def fit_per_condition(codes: torch.Tensor, index: torch.Tensor, count: int, k: int,
                      least: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weights [C, K], means [C, K, d], Cholesky factors [C, K, d, d] for `count` conditions, the
    codes of condition c being `codes[index == c]`. A condition with fewer than K·`least` codes
    (default 2d each) gets one Gaussian (its own, or all codes' when it has fewer than `least`)
    repeated K times with equal weights: the single-Gaussian prior."""
    d = codes.shape[1]
    least = 2 * d if least is None else least
    every = gaussian_fit(codes)
    weights = torch.full((count, k), 1.0 / k)
    means, trils = every[0].repeat(count, k, 1), every[1].repeat(count, k, 1, 1)
    for c in index.unique().tolist():
        mine = codes[index == c]
        if len(mine) >= k * least:
            weights[c], means[c], trils[c] = em_fit(mine, k)
        elif len(mine) >= least:
            mean, tril = gaussian_fit(mine)
            means[c], trils[c] = mean.expand(k, d), tril.expand(k, d, d)
    return weights, means, trils


def sample(weights: torch.Tensor, means: torch.Tensor, trils: torch.Tensor, index: torch.Tensor,
           eps: torch.Tensor) -> torch.Tensor:
    r"""A draw from condition `index`'s mixture for each noise row $\varepsilon \sim \mathcal{N}(0, I)$:

    $$ u = \Phi(\varepsilon_1), \quad k = \min\{k : u < W_k\}, \quad
       \tilde\varepsilon_1 = \Phi^{-1}\!\Big(\frac{u - W_{k-1}}{w_k}\Big), \quad
       z = m_{c,k} + L_{c,k}\, \tilde\varepsilon $$

    with $W_k = w_1 + \dots + w_k$: $u$ is uniform, so $k$ comes up with probability $w_k$, and
    where $u$ falls inside its interval is uniform again, so $\tilde\varepsilon$ is a fresh
    $\mathcal{N}(0, I)$ draw. The same $\varepsilon$ always gives the same $z$."""
    normal = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    w = weights[index].double()                                         # [B, K]
    upper = w.cumsum(1)
    u = normal.cdf(eps[:, 0].double()).clamp(1e-12, 1 - 1e-12) * upper[:, -1]
    k = (u[:, None] >= upper).sum(1).clamp(max=w.shape[1] - 1)          # the interval u falls in
    rows = torch.arange(len(index), device=index.device)
    inside = (u - (upper[rows, k] - w[rows, k])) / w[rows, k]
    fresh = eps.clone()
    fresh[:, 0] = normal.icdf(inside.clamp(1e-12, 1 - 1e-12)).to(eps.dtype)
    return means[index, k] + (trils[index, k] @ fresh.unsqueeze(-1)).squeeze(-1)
