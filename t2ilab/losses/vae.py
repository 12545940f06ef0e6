"""VAE losses (lesson 03_vae): reparameterisation, the Gaussian KL and the beta-ELBO.

Shapes: a batch of B samples; the encoder returns `mu` and `logvar` of shape [B, ...latent];
images `x` are [B, ...]. Per-sample quantities sum over every non-batch dimension and come
back as [B]; `beta_elbo` averages them over the batch.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.losses.checks import as_number, as_whole, batch, like

__all__ = [
    "ELBO",
    "reparameterize",
    "gaussian_kl",
    "bernoulli_log_likelihood",
    "gaussian_log_likelihood",
    "beta_elbo",
    "beta_schedule",
]

LOG_2PI = math.log(2.0 * math.pi)


def _per_sample_sum(t: Tensor) -> Tensor:
    """Sum over every dimension except the first (batch): [B, ...] -> [B]."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""Draw z ~ N(mu, sigma^2) as a differentiable function of mu and log sigma^2.

    $$ z = \mu + \sigma \odot \varepsilon, \qquad \sigma = \exp\big(\tfrac{1}{2}\log\sigma^2\big), \qquad \varepsilon \sim \mathcal{N}(0, I) $$

    where $\mu$ (`mu`) and $\log\sigma^2$ (`logvar`) come from the encoder, $\varepsilon$ is
    noise drawn independently of them (from `generator` when given, for reproducibility) and
    $\odot$ is the element-wise product. The randomness sits in $\varepsilon$, so gradients flow
    to $\mu$ and $\log\sigma^2$.
    """
    mu = batch("mu", mu)
    logvar = like("logvar", logvar, "mu", mu)
    sigma = torch.exp(0.5 * logvar)  # sigma = exp(log sigma^2 / 2)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)  # eps ~ N(0, I)
    return mu + sigma * eps  # z = mu + sigma (.) eps


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""KL divergence from the encoder's Gaussian to the standard normal prior, per sample.

    $$ \mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, I)\big) = -\frac{1}{2} \sum_{j=1}^{J} \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big) $$

    where $\mu_j$ (`mu`) and $\log\sigma_j^2$ (`logvar`) are the mean and log-variance of
    latent dimension $j$ and $J$ the number of latent dimensions. Returns shape [B]; it is 0
    exactly when $\mu = 0$ and $\sigma = 1$.
    """
    mu = batch("mu", mu)
    logvar = like("logvar", logvar, "mu", mu)
    terms = 1.0 + logvar - mu.pow(2) - logvar.exp()  # 1 + log sigma^2 - mu^2 - sigma^2
    return -0.5 * _per_sample_sum(terms)  # -1/2 sum_j (...)


def bernoulli_log_likelihood(x: Tensor, logits: Tensor) -> Tensor:
    r"""Log-likelihood of pixels x in [0, 1] under independent Bernoullis, per sample.

    $$ \log p(x \mid z) = \sum_{i} \big[x_i \log \sigma(\ell_i) + (1 - x_i) \log\big(1 - \sigma(\ell_i)\big)\big] $$

    where $x_i$ is pixel $i$ of the image (`x`, values in [0, 1]) and $\ell_i$ the decoder's
    logit for it (`logits`), so $\sigma(\ell_i)$ is the predicted pixel value. Returns [B]
    (nats per image); it equals minus the summed binary cross-entropy.
    """
    x = batch("x", x)
    logits = like("logits", logits, "x", x)
    if bool((x < 0).any()) or bool((x > 1).any()):
        raise T2ILabError("x must hold pixel values in [0, 1] for a Bernoulli likelihood; rescale the images or use likelihood='gaussian'")
    log_p = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # x log s(l) + (1-x) log(1-s(l))
    return _per_sample_sum(log_p)  # sum over pixels i


def gaussian_log_likelihood(
    x: Tensor,
    mean: Tensor,
    log_sigma2: Tensor | float | None = None,
    sigma: float | None = None,
) -> Tensor:
    r"""Log-likelihood of x under independent Gaussians around the decoder's mean, per sample.

    $$ \log p(x \mid z) = \sum_{i} \Big[-\frac{1}{2}\log(2\pi) - \frac{1}{2}\log\sigma_i^2 - \frac{(x_i - m_i)^2}{2\sigma_i^2}\Big] $$

    where $x_i$ is pixel $i$ (`x`), $m_i$ the decoder's mean for it (`mean`) and $\sigma_i^2$
    its variance: learned (`log_sigma2`, a tensor or a number) or fixed (`sigma`, the standard
    deviation; default 1). Returns [B]. With a fixed $\sigma$ it is
    $-\|x - m\|^2 / (2\sigma^2)$ plus a constant: the MSE loss.
    """
    x = batch("x", x)
    mean = like("mean", mean, "x", x)
    if log_sigma2 is not None and sigma is not None:
        raise T2ILabError("pass either log_sigma2 (a learned log-variance) or sigma (a fixed standard deviation), not both")
    if log_sigma2 is None:
        sigma = 1.0 if sigma is None else as_number("sigma", sigma)
        if not sigma > 0:
            raise T2ILabError(f"sigma must be a standard deviation > 0, got {sigma}")
        log_sigma2 = torch.full_like(x, 2.0 * math.log(sigma))  # log sigma^2
    else:
        log_sigma2 = torch.as_tensor(log_sigma2, dtype=x.dtype, device=x.device)
        try:
            log_sigma2 = log_sigma2.expand_as(x)
        except RuntimeError:
            raise T2ILabError(
                f"log_sigma2 has shape {tuple(log_sigma2.shape)}, which does not broadcast to x's {tuple(x.shape)}"
            ) from None
    squared_error = (x - mean).pow(2)  # (x_i - m_i)^2
    log_p = -0.5 * LOG_2PI - 0.5 * log_sigma2 - squared_error / (2.0 * log_sigma2.exp())  # per pixel
    return _per_sample_sum(log_p)  # sum over pixels i


class ELBO(NamedTuple):
    """The beta-ELBO and its parts, each a batch mean (nats per sample)."""

    elbo: Tensor  # E_q[log p(x|z)] - beta KL: to maximise
    reconstruction: Tensor  # E_q[log p(x|z)] (one-sample estimate)
    kl: Tensor  # KL(q(z|x) || p(z))
    loss: Tensor  # -elbo: to minimise


def beta_elbo(
    x: Tensor,
    recon: Tensor,
    mu: Tensor,
    logvar: Tensor,
    beta: float = 1.0,
    likelihood: str = "bernoulli",
    sigma: float = 1.0,
) -> ELBO:
    r"""The beta-VAE evidence lower bound on a batch; minimise `.loss`.

    $$ \mathcal{L}_\beta(x) = \mathbb{E}_{q_\phi(z \mid x)}\big[\log p_\theta(x \mid z)\big] - \beta\, \mathrm{KL}\big(q_\phi(z \mid x) \,\|\, p(z)\big) $$

    where $q_\phi(z \mid x) = \mathcal{N}(\mu, \sigma^2)$ is the encoder (`mu`, `logvar`),
    $p_\theta(x \mid z)$ the decoder, given by `recon` (logits for `likelihood="bernoulli"`,
    means for `"gaussian"` with fixed standard deviation `sigma`) decoded from one
    reparameterised sample $z$, $p(z) = \mathcal{N}(0, I)$ the prior and $\beta \ge 0$ the
    weight of the KL term (`beta`; $\beta = 1$ is the plain ELBO $\le \log p_\theta(x)$).
    """
    beta = as_number("beta", beta)
    if not beta >= 0:
        raise T2ILabError(f"beta must be >= 0 (it weighs the KL term), got {beta}")
    x, recon = batch("x", x), batch("recon", recon)
    if likelihood == "bernoulli":
        log_px = bernoulli_log_likelihood(x, recon)  # log p(x|z), [B]
    elif likelihood == "gaussian":
        log_px = gaussian_log_likelihood(x, recon, sigma=sigma)  # log p(x|z), [B]
    else:
        raise T2ILabError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
    kl = gaussian_kl(mu, logvar)  # KL(q(z|x) || N(0, I)), [B]
    if kl.shape[0] != log_px.shape[0]:
        raise T2ILabError(f"x has a batch of {log_px.shape[0]} but mu has {kl.shape[0]}; pass the same batch to both")
    reconstruction = log_px.mean()  # E_q[log p(x|z)], batch mean
    kl_mean = kl.mean()
    elbo = reconstruction - beta * kl_mean  # L_beta = E_q[log p(x|z)] - beta KL
    return ELBO(elbo=elbo, reconstruction=reconstruction, kl=kl_mean, loss=-elbo)


def beta_schedule(step: int, warmup_steps: int, beta_max: float = 1.0) -> float:
    r"""KL annealing: beta grows linearly from 0 to beta_max, then stays.

    $$ \beta(t) = \beta_\max \cdot \min\Big(1, \frac{t}{T_\mathrm{warmup}}\Big) $$

    where $t$ is the training step (`step`), $T_\mathrm{warmup}$ the number of steps to reach
    the full weight (`warmup_steps`; 0 means no warm-up) and $\beta_\max$ the final weight
    (`beta_max`). Starting at 0 lets the decoder learn to reconstruct before the prior pulls.
    """
    step, warmup_steps = as_whole("step", step), as_whole("warmup_steps", warmup_steps)
    beta_max = as_number("beta_max", beta_max)
    if not beta_max >= 0:
        raise T2ILabError(f"beta_max must be >= 0, got {beta_max}")
    if warmup_steps == 0:
        return float(beta_max)
    return float(beta_max) * min(1.0, step / warmup_steps)  # beta_max * min(1, t / T)
