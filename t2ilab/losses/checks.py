"""The one input check every loss shares, so that the equations stay the visible part.

A loss given a string, None, an empty batch, mismatched shapes or a NaN weight says so by name
in one line (a `T2ILabError`), instead of a raw error from deep inside torch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from t2ilab.errors import T2ILabError


def values(name: str, x) -> Tensor:
    """A non-empty floating tensor from a tensor, a list or a number; anything else is an error naming `name`."""
    if not isinstance(x, Tensor):
        numbers = None
        if x is not None and not isinstance(x, (str, bytes, dict, set)):
            try:
                numbers = torch.as_tensor(x, dtype=torch.get_default_dtype())
            except (TypeError, ValueError, RuntimeError, OverflowError):
                pass
        if numbers is None:
            raise T2ILabError(f"{name} must be numbers (a tensor, a list or a number), got "
                              f"{'None' if x is None else type(x).__name__}")
        x = numbers
    if x.numel() == 0:
        raise T2ILabError(f"{name} is empty (shape {tuple(x.shape)}); pass at least one value")
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


def batch(name: str, x) -> Tensor:
    """`values` with a batch dimension first: [B, ...]."""
    x = values(name, x)
    if x.ndim == 0:
        raise T2ILabError(f"{name} is a scalar; pass a batch of shape [B, ...] (use .reshape(1, -1) for one sample)")
    return x


def like(name: str, x, ref_name: str, ref: Tensor) -> Tensor:
    """`values` on `ref`'s device and dtype, of `ref`'s shape: one value for each of `ref`'s."""
    x = values(name, x).to(device=ref.device, dtype=ref.dtype)
    if x.shape != ref.shape:
        raise T2ILabError(f"{name} has shape {tuple(x.shape)} but {ref_name} has {tuple(ref.shape)}; "
                          "they must match element for element")
    return x


def class_indices(name: str, x, classes: int | None = None) -> Tensor:
    """Integer class indices (torch.long), each in [0, classes) when `classes` is given."""
    if not isinstance(x, Tensor) and x is not None and not isinstance(x, (str, bytes)):
        try:
            x = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError):
            pass
    if not isinstance(x, Tensor) or x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        got = x.dtype if isinstance(x, Tensor) else "None" if x is None else type(x).__name__
        raise T2ILabError(f"{name} must be integer class indices (a torch.long tensor), got {got}; use .long()")
    if classes is not None and x.numel() and (bool((x < 0).any()) or bool((x >= classes).any())):
        raise T2ILabError(f"{name} must be class indices in [0, {classes}); got values from {int(x.min())} to {int(x.max())}")
    return x.long()


def as_number(name: str, x) -> float:
    """A finite plain number (a Python number or a one-element tensor)."""
    if isinstance(x, Tensor) and x.numel() == 1:
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise T2ILabError(f"{name} must be a number, got {'None' if x is None else type(x).__name__} {x!r}"[:200])
    x = float(x)
    if not math.isfinite(x):
        raise T2ILabError(f"{name} must be a finite number, got {x}")
    return x


def as_whole(name: str, x) -> int:
    """A whole number >= 0 (a step count)."""
    if isinstance(x, Tensor) and x.numel() == 1 and not x.is_floating_point():
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, int):
        raise T2ILabError(f"{name} must be a whole number, got {'None' if x is None else type(x).__name__} {x!r}"[:200])
    if x < 0:
        raise T2ILabError(f"{name} must be >= 0, got {x}")
    return x
