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


def up(channels: int, size: int, widths: tuple[int, ...] = (128, 64, 32), norm: bool = True,
       upsample: bool = False) -> nn.Sequential:
    """Three stride-2 transposed convolutions: (widths[0], 4, 4) -> (channels, size, size) logits.

    `upsample=True`: each step is a nearest-neighbour enlargement then a 3×3 convolution instead
    (Odena et al. 2016, "Deconvolution and checkerboard artifacts"): a transposed convolution whose
    kernel does not divide by its stride paints some output pixels with more kernel taps than
    their neighbours, which shows as a checkerboard; an enlargement spreads every pixel evenly.
    """
    check_size(size)
    layers: list[nn.Module] = []
    kernels = [3 if size == 28 else 4, 4, 4]  # 4->7->14->28 or 4->8->16->32
    sides = [size // 4, size // 2, size]
    for i, (w_in, k) in enumerate(zip(widths, kernels)):
        w_out = widths[i + 1] if i + 1 < len(widths) else channels
        if upsample:
            layers += [nn.Upsample(size=sides[i], mode="nearest"), nn.Conv2d(w_in, w_out, 3, padding=1)]
        else:
            layers += [nn.ConvTranspose2d(w_in, w_out, k, stride=2, padding=1)]
        if i + 1 < len(widths):
            layers += [nn.BatchNorm2d(w_out)] if norm else []
            layers += [nn.ReLU()]
    return nn.Sequential(*layers)


def check_codes(labels, z, classes: list[int], latent: int) -> None:
    """What `generate` is given: attribute indices [B, A] in range (an unconditional model, with no
    classes, reads only B), and z [B, latent] if given."""
    wanted = len(classes) if classes else None
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.is_complex() \
            or labels.ndim != 2 or labels.shape[1] != (wanted if wanted is not None else labels.shape[1]):
        shown = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise T2ILabError(f"labels must be an integer tensor [B, {wanted if wanted is not None else 'A'}] of "
                          f"attribute indices, got {shown}: make them with t2ilab.text.labels_for(prompt, dataset)")
    if classes and len(labels):
        bad = ((labels < 0) | (labels >= torch.tensor(classes, device=labels.device))).any(0)
        if bad.any():
            i = int(bad.nonzero()[0])
            raise T2ILabError(f"attribute {i} of labels must be from 0 to {classes[i] - 1}, got values from "
                              f"{labels[:, i].min().item()} to {labels[:, i].max().item()}")
    if z is not None and (not isinstance(z, torch.Tensor) or tuple(z.shape) != (len(labels), latent)):
        shown = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise T2ILabError(f"z must be a tensor [{len(labels)}, {latent}] (one latent per row of labels), got {shown}")


def one_hots(labels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """Attribute indices [B, A] -> concatenated one-hots [B, Σ classes]."""
    if not classes:
        return torch.zeros(len(labels), 0, device=labels.device)
    return torch.cat([nn.functional.one_hot(labels[:, i], k).float() for i, k in enumerate(classes)], 1)
