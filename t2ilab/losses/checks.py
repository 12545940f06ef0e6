"""The input checks every loss shares: numbers as tensors, and plain numbers, with one clear line.

A loss given a string, None or a NaN weight says so by name (a `T2ILabError`), instead of a raw
TypeError from deep inside torch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from t2ilab.errors import T2ILabError


def as_float_tensor(name: str, x) -> Tensor:
    """A floating tensor from a tensor, a list or a number; anything else is an error naming `name`."""
    if not isinstance(x, Tensor):
        if x is None or isinstance(x, (str, bytes, dict, set)):
            raise T2ILabError(f"{name} must be numbers (a tensor, a list or a number), got "
                              f"{'None' if x is None else type(x).__name__}")
        try:
            x = torch.as_tensor(x, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError, OverflowError):
            raise T2ILabError(f"{name} must be numbers (a tensor, a list or a number), got {type(x).__name__}") from None
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    return x


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
