r"""A conditional DCGAN: generator G(z, c) and discriminator D(x, c) for 32×32 or 28×28 images.

The discriminator gives a real/fake logit and, as options a lesson can switch on:
a projection term (Miyato & Koyama 2018: logit += ⟨embed(c), φ(x)⟩), an auxiliary classifier
that reads the attributes (AC-GAN, Odena et al. 2017), and spectral normalisation. The generator
enlarges with transposed convolutions, or with `upsample=True` nearest-neighbour enlargements and
convolutions (no checkerboard).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm as sn

from .blocks import check_codes, down, one_hots, up


class Generator(nn.Module):
    def __init__(self, channels: int, size: int, classes: list[int], latent: int, width: int = 128,
                 upsample: bool = False):
        super().__init__()
        self.classes, self.width = classes, width
        self.project = nn.Sequential(nn.Linear(latent + sum(classes), width * 16), nn.BatchNorm1d(width * 16), nn.ReLU())
        self.body = up(channels, size, (width, 64, 32), upsample=upsample)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1]."""
        h = self.project(torch.cat([z, one_hots(labels, self.classes)], 1)).view(-1, self.width, 4, 4)
        return torch.tanh(self.body(h))


class Discriminator(nn.Module):
    def __init__(self, channels: int, classes: list[int], projection: bool, auxiliary: bool,
                 spectral: bool, hidden: int = 256):
        super().__init__()
        wrap = sn if spectral else (lambda m: m)
        convs = down(channels, norm=False)
        for i, m in enumerate(convs):
            if isinstance(m, nn.Conv2d):
                convs[i] = wrap(m)
        self.features = nn.Sequential(convs, nn.Flatten(), wrap(nn.Linear(128 * 16, hidden)), nn.LeakyReLU(0.2))
        self.real = wrap(nn.Linear(hidden, 1))
        self.embed = nn.ModuleList(wrap(nn.Embedding(k, hidden)) for k in classes) if projection else None
        self.aux = nn.ModuleList(nn.Linear(hidden, k) for k in classes) if auxiliary else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(real/fake logit [B], attribute logits per attribute or [])."""
        h = self.features(x)
        logit = self.real(h).squeeze(1)
        if self.embed is not None:  # projection: ⟨embed(y), φ(x)⟩ for each attribute
            logit = logit + sum((e(labels[:, a]) * h).sum(1) for a, e in enumerate(self.embed))
        return logit, [head(h) for head in self.aux] if self.aux is not None else []


class ConditionalGAN(nn.Module):
    """Generator and discriminator in one module, so one weights file holds a whole training state.

    `dataset` names the data it learns (its attributes give `classes`); `config` is every other
    constructor argument, as stored in a weights file."""

    kind = "gan"

    def __init__(self, channels: int = 3, size: int = 32, classes: tuple[int, ...] = (4, 6, 2, 9),
                 latent: int = 32, projection: bool = False, auxiliary: bool = True, spectral: bool = False,
                 upsample: bool = False, dataset: str | None = None):
        super().__init__()
        self.config = dict(channels=channels, size=size, classes=list(classes), latent=latent,
                           projection=projection, auxiliary=auxiliary, spectral=spectral)
        if upsample:  # only when set: the files written before the option existed keep their header
            self.config["upsample"] = True
        self.dataset = dataset
        self.latent, self.classes = latent, list(classes)
        self.generator = Generator(channels, size, self.classes, latent, upsample=upsample)
        self.discriminator = Discriminator(channels, self.classes, projection, auxiliary, spectral)

    @torch.no_grad()
    def generate(self, labels: torch.Tensor, z: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Images in [0,1] for attribute labels [B, A], from z ~ N(0, I) unless z is given."""
        check_codes(labels, z, self.classes, self.latent)
        self.generator.eval()
        dev = next(self.generator.parameters()).device
        if z is None:
            z = torch.randn(len(labels), self.latent, generator=generator)
        return self.generator(z.to(dev), labels.to(dev)) * 0.5 + 0.5
