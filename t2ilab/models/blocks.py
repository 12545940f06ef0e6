"""Convolutional stacks shared by the judge, the VAE and the GAN: 32×32 or 28×28 ⇄ 4×4."""
from __future__ import annotations

import torch
from torch import nn

from ..errors import T2ILabError

SIZES = (28, 32)  # Fashion-MNIST's 28×28; shapes, scenes and image folders are 32×32


def check_size(size: int) -> int:
    """The image sizes the stacks are built for (three stride-2 steps to 4×4 and back)."""
    if size not in SIZES:
        raise T2ILabError(f"image size must be 28 or 32, not {size!r}: the models are built for 32×32 images "
                          "(28×28 for Fashion-MNIST)")
    return size


def down(channels: int, widths: tuple[int, ...] = (32, 64, 128), norm: bool = True) -> nn.Sequential:
    """Three stride-2 3×3 convolutions: (C, 32|28, 32|28) -> (widths[-1], 4, 4)."""
    layers: list[nn.Module] = []
    for w in widths:
        layers += [nn.Conv2d(channels, w, 3, stride=2, padding=1)]
        layers += [nn.BatchNorm2d(w)] if norm else []
        layers += [nn.LeakyReLU(0.2)]
        channels = w
    return nn.Sequential(*layers)


def up(channels: int, size: int, widths: tuple[int, ...] = (128, 64, 32), norm: bool = True) -> nn.Sequential:
    """Three stride-2 transposed convolutions: (widths[0], 4, 4) -> (channels, size, size) logits."""
    check_size(size)
    layers: list[nn.Module] = []
    kernels = [3 if size == 28 else 4, 4, 4]  # 4->7->14->28 or 4->8->16->32
    for i, (w_in, k) in enumerate(zip(widths, kernels)):
        w_out = widths[i + 1] if i + 1 < len(widths) else channels
        layers += [nn.ConvTranspose2d(w_in, w_out, k, stride=2, padding=1)]
        if i + 1 < len(widths):
            layers += [nn.BatchNorm2d(w_out)] if norm else []
            layers += [nn.ReLU()]
    return nn.Sequential(*layers)


def one_hots(labels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """Attribute indices [B, A] -> concatenated one-hots [B, Σ classes]."""
    if not classes:
        return torch.zeros(len(labels), 0, device=labels.device)
    return torch.cat([nn.functional.one_hot(labels[:, i], k).float() for i, k in enumerate(classes)], 1)
