"""Small, readable generative models and judges; `build(kind, config, dataset)` rebuilds any of them.

Each model class names its `kind` (the word a weights header stores) and takes the `dataset` it
is trained on as a constructor argument; `config` holds its other constructor arguments.
"""
from __future__ import annotations

import torch

from .. import device  # noqa: F401  (sets torch's threads when first imported)
from ..errors import T2ILabError
from .gan import ConditionalGAN
from .judge import Judge
from .vae import ConditionalVAE

KINDS: dict[str, type[torch.nn.Module]] = {model.kind: model for model in (ConditionalGAN, ConditionalVAE, Judge)}


def build(kind: str, config: dict, dataset: str | None = None) -> torch.nn.Module:
    """Construct a model of `kind` from its constructor config (as stored in weights files)."""
    if kind not in KINDS:
        raise T2ILabError(f"unknown model kind {kind!r}: known kinds are {', '.join(sorted(KINDS))}")
    return KINDS[kind](**config, dataset=dataset)
