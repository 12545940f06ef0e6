"""Checking what the metrics are handed: any tensor, and feature sets (Fréchet, precision/recall, diversity)."""
from __future__ import annotations

import torch
from torch import Tensor

from ..errors import T2ILabError


def as_tensor(name: str, x) -> Tensor:
    """A detached tensor from a tensor or a (nested) list of numbers; anything else is one line naming `name`."""
    if isinstance(x, Tensor):
        return x.detach()
    if x is not None and not isinstance(x, (str, bytes, dict, set)):
        try:
            return torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError, OverflowError):
            pass
    raise T2ILabError(f"{name} must be a tensor (or a list of numbers), got {'None' if x is None else type(x).__name__}")


def as_features(name: str, x: Tensor, minimum: int = 1, flatten: bool = False) -> Tensor:
    """A feature set as a float64 [N, D] tensor with at least `minimum` rows; images flattened if asked."""
    x = as_tensor(name, x)
    if x.ndim == 1:
        x = x.unsqueeze(1)  # N numbers: N one-dimensional features
    if flatten and x.ndim > 2:
        x = x.reshape(x.shape[0], -1)  # images: flatten each one
    if x.ndim != 2:
        raise T2ILabError(f"{name} must be features of shape [N, D], got {tuple(x.shape)}; flatten with .reshape(N, -1)")
    if x.shape[0] < minimum or x.shape[1] == 0:
        raise T2ILabError(f"{name} needs at least {minimum} feature vector{'s' if minimum > 1 else ''} [N, D], "
                          f"got shape {tuple(x.shape)}")
    return x.to(torch.float64)
