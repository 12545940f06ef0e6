r"""A prior fitted after training: one Gaussian per prompt condition over the codes of real images.

A VAE is trained with the prior $\mathcal{N}(0, I)$, but with a small β the codes the encoder gives
real images do not fill it: where a prompt's images sit in $z$-space is a smaller, shifted,
tilted cloud, and a $z$ drawn from $\mathcal{N}(0, I)$ often lands where the decoder has seen no
image of that prompt. Fitting a Gaussian to each condition's codes after training and sampling
from it ("ex-post density estimation", Ghosh et al. 2020, "From variational to deterministic
autoencoders") keeps samples where the decoder has learned to draw. The noise stays
$\varepsilon \sim \mathcal{N}(0, I)$: a seed gives the same $\varepsilon$ under either prior.
"""
from __future__ import annotations

import math

import torch


def combination(labels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    r"""Attribute indices [B, A] -> one index per row, the condition's place among all
    $\prod_a K_a$ combinations (mixed radix: $i = (\dots(y_1 K_2 + y_2) K_3 + \dots) + y_A$)."""
    index = torch.zeros(len(labels), dtype=torch.long, device=labels.device)
    for a, k in enumerate(classes):
        index = index * k + labels[:, a]
    return index


def gaussian_fit(codes: torch.Tensor, jitter: float = 1e-4) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The mean and the Cholesky factor of the covariance of codes [N, d]:

    $$ m = \frac{1}{N} \sum_n \mu_n, \qquad \Sigma = \frac{1}{N-1} \sum_n (\mu_n - m)(\mu_n - m)^\top
       = L L^\top $$

    `jitter` is added to the diagonal so that $L$ exists when a direction of $z$ is unused."""
    mean = codes.mean(0)
    cov = torch.cov(codes.T.double()).reshape(codes.shape[1], codes.shape[1])
    tril = torch.linalg.cholesky(cov + jitter * torch.eye(len(cov), dtype=cov.dtype))
    return mean, tril.to(codes.dtype)


def fit_per_condition(codes: torch.Tensor, labels: torch.Tensor, classes: list[int],
                      least: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""$p(z \mid c) = \mathcal{N}(m_c, L_c L_c^\top)$ for every combination $c$ of the attributes:
    means [C, d] and Cholesky factors [C, d, d], $C = \prod_a K_a$.

    A combination with fewer than `least` codes (default 2d; held-out combinations have none)
    gets the fit of all the codes together."""
    d = codes.shape[1]
    least = 2 * d if least is None else least
    every_mean, every_tril = gaussian_fit(codes)
    count = math.prod(classes)
    means, trils = every_mean.repeat(count, 1), every_tril.repeat(count, 1, 1)
    index = combination(labels, classes)
    for c in index.unique().tolist():
        mine = codes[index == c]
        if len(mine) >= least:
            means[c], trils[c] = gaussian_fit(mine)
    return means, trils


def sample(means: torch.Tensor, trils: torch.Tensor, index: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    r"""$z = m_c + L_c\, \varepsilon$, $\varepsilon \sim \mathcal{N}(0, I)$: a draw from $\mathcal{N}(m_c, L_c L_c^\top)$."""
    return means[index] + (trils[index] @ eps.unsqueeze(-1)).squeeze(-1)
