"""Prompt understanding: tokens and vocabulary, parsing to canonical attributes, conditioning.

The encoder names (TextEncoder, labels_for, one_hot) import torch on first use, so that
`t2ilab parse` answers without loading it.
"""
from __future__ import annotations

from .llm import expand
from .parse import guess_dataset, parse
from .tokenize import Vocabulary, tokenize

__all__ = ["parse", "guess_dataset", "tokenize", "Vocabulary", "TextEncoder", "labels_for",
           "one_hot", "expand"]


def __getattr__(name: str):
    if name in ("TextEncoder", "labels_for", "one_hot"):
        from . import encoder

        return getattr(encoder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
