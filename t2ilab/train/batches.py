"""Random minibatches from a dataset held in memory (every course dataset fits easily)."""
from __future__ import annotations

import torch


class Batches:
    """Draws seeded random minibatches of (images, labels) already on the training device."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, device: torch.device, seed: int = 0):
        self.images, self.labels = images.to(device), labels.to(device)
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.images), (batch,), generator=self.gen).to(self.images.device)
        return self.images[idx], self.labels[idx]
