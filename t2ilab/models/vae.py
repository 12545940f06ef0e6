r"""A conditional convolutional VAE: encoder q_φ(z|x,c), decoder p_θ(x|z,c).

The condition c is the prompt's attributes as concatenated one-hots; with no attributes
(`classes=()`) it is the plain, unconditional VAE. The body is convolutional (three stride-2
layers each way) or, with `body="mlp"`, one hidden layer each way: on a 2-core CPU the MLP body
takes several times more steps per second, which wins the short-budget comparison with the
classic MLP VAE on Fashion-MNIST (benchmarks/bench_vae_vs_classic.py).

`prior="fitted"` samples each prompt's z from a Gaussian fitted to the codes of its real images
after training (t2ilab.models.prior, `fit_prior`) instead of from N(0, I).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import T2ILabError
from . import mixture
from . import prior as fitted
from .blocks import check_codes, down, one_hots, up

PRIORS = ("standard", "fitted", "mixture")


class ConditionalVAE(nn.Module):
    """`dataset` names the data it learns (its attributes give `classes`); `config` is every other
    constructor argument, as stored in a weights file."""

    kind = "vae"

    def __init__(self, channels: int = 3, size: int = 32, classes: tuple[int, ...] = (4, 6, 2, 9),
                 latent: int = 16, widths: tuple[int, int, int] = (32, 64, 128), norm: bool = False,
                 body: str = "conv", hidden: int = 400, prior: str = "standard", components: int = 10,
                 dataset: str | None = None):
        super().__init__()
        if body not in ("conv", "mlp"):
            raise T2ILabError(f"body must be 'conv' or 'mlp', not {body!r}")
        if prior not in PRIORS:
            raise T2ILabError(f"prior must be 'standard', 'fitted' or 'mixture', not {prior!r}")
        if prior == "mixture" and not (isinstance(components, int) and components >= 1):
            raise T2ILabError(f"components must be a whole number of at least 1, not {components!r}")
        self.config = dict(channels=channels, size=size, classes=list(classes), latent=latent,
                           widths=list(widths), norm=norm, body=body, hidden=hidden)
        if prior != "standard":  # only then: the files made before `prior` existed keep their exact header
            self.config["prior"] = prior
        if prior == "mixture":
            self.config["components"] = components
        self.dataset = dataset
        self.classes, self.latent, self.size, self.channels = list(classes), latent, size, channels
        cond, self.width, pixels = sum(classes), widths[-1], channels * size * size
        if body == "conv":   # x -> (width, 4, 4) -> flat  ...  (z, c) -> (width, 4, 4) -> logits
            features, self.code_shape = self.width * 16, (self.width, 4, 4)
            self.encoder = nn.Sequential(down(channels, tuple(widths), norm=norm), nn.Flatten())
            self.decoder = up(channels, size, tuple(reversed(widths)), norm=norm)
        else:                # x -> hidden  ...  (z, c) -> hidden -> logits
            features, self.code_shape = hidden, (hidden,)
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(hidden, pixels), nn.Unflatten(1, (channels, size, size)))
        self.to_stats = nn.Linear(features + cond, 2 * latent)                    # -> (μ, log σ²)
        self.from_z = nn.Sequential(nn.Linear(latent + cond, features), nn.ReLU())
        if prior == "fitted":  # one N(m_c, L_c L_c^T) per combination c; N(0, I) until fit_prior runs
            combos = math.prod(classes)
            self.register_buffer("prior_mean", torch.zeros(combos, latent))
            self.register_buffer("prior_tril", torch.eye(latent).repeat(combos, 1, 1))
        if prior == "mixture":  # K Gaussians per combination, weights w_{c,k}; N(0, I) until fit_prior runs
            combos = math.prod(classes)
            self.register_buffer("prior_weight", torch.full((combos, components), 1.0 / components))
            self.register_buffer("prior_mean", torch.zeros(combos, components, latent))
            self.register_buffer("prior_tril", torch.eye(latent).repeat(combos, components, 1, 1))

    @torch.no_grad()
    def init_output_bias(self, images: torch.Tensor) -> None:
        """Start the decoder at the data's mean image: bias = logit of the mean pixel (per pixel for
        the MLP body, per channel for the convolutional one), so the first steps learn shapes, not
        the background."""
        last = [m for m in self.decoder.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))][-1]
        mean = images.mean(0) if isinstance(last, nn.Linear) else images.mean((0, 2, 3))
        p = mean.flatten().clamp(1e-3, 1 - 1e-3).to(last.bias.device)
        last.bias.copy_(torch.log(p) - torch.log1p(-p))

    def condition(self, labels: torch.Tensor | None) -> torch.Tensor:
        """Attribute indices [B, A] -> concatenated one-hots [B, Σ classes]."""
        return one_hots(labels.to(self.to_stats.weight.device), self.classes)

    def encode(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_φ(z|x,c) = N(μ, diag σ²): returns μ and log σ²."""
        h = self.encoder(x * 2 - 1)
        mu, logvar = self.to_stats(torch.cat([h, c], 1)).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def decode(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """p_θ(x|z,c): Bernoulli logits of every pixel."""
        h = self.from_z(torch.cat([z, c], 1)).view(-1, *self.code_shape)
        return self.decoder(h)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, generator=None):
        """Encode, sample z by reparameterisation, decode: (logits, μ, log σ²)."""
        from ..losses import reparameterize

        c = self.condition(labels if labels is not None else torch.zeros(len(x), 0, dtype=torch.long))
        mu, logvar = self.encode(x, c)
        z = reparameterize(mu, logvar, generator=generator)
        return self.decode(z, c), mu, logvar

    @torch.no_grad()
    def fit_prior(self, images: torch.Tensor, labels: torch.Tensor, batch: int = 2000) -> None:
        r"""Fit $p(z \mid c) = \mathcal{N}(m_c, L_c L_c^\top)$ (prior='fitted', t2ilab.models.prior) or a
        mixture of K of them (prior='mixture', t2ilab.models.mixture) to the means $\mu_\phi(x, c)$ the
        encoder gives `images` [N, C, H, W] with attribute `labels` [N, A]."""
        if not hasattr(self, "prior_mean"):
            raise T2ILabError("this VAE samples from N(0, I): build it with prior='fitted' or 'mixture' to fit a prior")
        self.eval()
        dev = self.to_stats.weight.device
        codes = torch.cat([self.encode(images[i:i + batch].to(dev), self.condition(labels[i:i + batch]))[0]
                           for i in range(0, len(images), batch)]).cpu()
        if hasattr(self, "prior_weight"):
            index = fitted.combination(labels.cpu(), self.classes)
            weights, means, trils = mixture.fit_per_condition(codes, index, math.prod(self.classes),
                                                              self.prior_weight.shape[1])
            self.prior_weight.copy_(weights)
        else:
            means, trils = fitted.fit_per_condition(codes, labels.cpu(), self.classes)
        self.prior_mean.copy_(means)
        self.prior_tril.copy_(trils)

    @torch.no_grad()
    def generate(self, labels: torch.Tensor, z: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Images in [0,1] for attribute labels [B, A], from z ~ N(0, I) unless z is given (with a
        fitted prior, z is its noise ε: the code is m_c + L_c z; with a mixture, m_{c,k} + L_{c,k} ε̃)."""
        check_codes(labels, z, self.classes, self.latent)
        self.eval()
        dev = self.to_stats.weight.device
        if z is None:
            z = torch.randn(len(labels), self.latent, generator=generator).to(dev)
        index = fitted.combination(labels.to(dev), self.classes)
        if hasattr(self, "prior_weight"):
            z = mixture.sample(self.prior_weight, self.prior_mean, self.prior_tril, index, z.to(dev))
        elif hasattr(self, "prior_mean"):
            z = fitted.sample(self.prior_mean, self.prior_tril, index, z.to(dev))
        return torch.sigmoid(self.decode(z.to(dev), self.condition(labels.to(dev))))
