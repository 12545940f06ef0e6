"""Small, readable generative models and judges; `build(kind, config)` rebuilds any of them."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import T2ILabError

_REGISTRY: dict[str, Callable[..., torch.nn.Module]] = {}


def register(kind: str):
    """Class decorator: make `build(kind, config)` able to construct this model."""
    def wrap(cls):
        _REGISTRY[kind] = cls
        return cls
    return wrap


def build(kind: str, config: dict) -> torch.nn.Module:
    """Construct a model of `kind` from its constructor config (as stored in weights files)."""
    _import_all()
    if kind not in _REGISTRY:
        raise T2ILabError(f"unknown model kind {kind!r}: known kinds are {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[kind](**config)


def _import_all() -> None:
    from . import gan, judge, vae  # noqa: F401  (registration side effects)
