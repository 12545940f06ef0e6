"""The judge: a small classifier that reads every attribute of an image.

It answers "does the image show what the prompt asked for?" (prompt accuracy), and its hidden
layer is the feature space for the Fréchet distance, precision/recall and diversity.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_size, down


class Judge(nn.Module):
    """Reads every attribute of `dataset`'s images; `config` is every other constructor argument."""

    kind = "judge"

    def __init__(self, channels: int = 3, size: int = 32, classes: tuple[int, ...] = (4, 6, 2, 9),
                 hidden: int = 256, dataset: str | None = None):
        super().__init__()
        self.config = dict(channels=channels, size=check_size(size), classes=list(classes), hidden=hidden)
        self.dataset = dataset
        self.body = nn.Sequential(down(channels), nn.Flatten(), nn.Linear(128 * 4 * 4, hidden), nn.ReLU())
        self.heads = nn.ModuleList(nn.Linear(hidden, k) for k in classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The hidden layer: a `hidden`-d description of each image, used by the distribution metrics."""
        return self.body(x * 2 - 1)  # images in [0,1] -> [-1,1]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """One logit vector per attribute."""
        h = self.features(x)
        return [head(h) for head in self.heads]

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch: int = 512) -> torch.Tensor:
        """Attribute indices [N, A] read off the images."""
        self.eval()
        out = [torch.stack([l.argmax(1) for l in self(x[i:i + batch])], 1) for i in range(0, len(x), batch)]
        return torch.cat(out)

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch: int = 512) -> torch.Tensor:
        """Features [N, hidden] of many images, in batches."""
        self.eval()
        return torch.cat([self.features(x[i:i + batch]) for i in range(0, len(x), batch)])
