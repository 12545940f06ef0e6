"""Prompts -> what a model is conditioned on: label indices, one-hot vectors, or learned embeddings.

A label vector holds one index per attribute in schema order (shapes: [shape, color, size,
position]). Attributes the prompt leaves open are sampled uniformly from a seeded generator,
so the same prompt and seed always give the same labels.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import device  # noqa: F401  (sets torch's threads when first imported)
from ..schema import RULES, VALID, complete, matching
from ..schema import schema as dataset_schema
from ..errors import T2ILabError
from .parse import parse

Attributes = Mapping[str, "str | None"]


def _generator(seed: int | None) -> torch.Generator:
    if seed is not None:
        from ..validate import check_seed

        check_seed(seed)  # the one seed check: a whole number from 0 to 2**63 - 1
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(seed)
    return g


def _attributes(prompt_or_attrs: str | Attributes, dataset: str) -> dict[str, str | None]:
    """A prompt is parsed; a dict of attributes is checked against the schema (canonical values only)."""
    attrs = dataset_schema(dataset)
    if isinstance(prompt_or_attrs, str):
        return parse(prompt_or_attrs, dataset)
    if not isinstance(prompt_or_attrs, Mapping):
        raise T2ILabError(f"expected a prompt (str) or a dict of attributes, got {type(prompt_or_attrs).__name__}")
    for key, value in prompt_or_attrs.items():
        if key not in attrs:
            raise T2ILabError(f"unknown attribute {key!r} for dataset {dataset!r}; use {', '.join(attrs)}")
        if value is not None and value not in attrs[key]:
            raise T2ILabError(f"{key}={value!r} is not a {dataset} {key}; use one of {', '.join(attrs[key])} "
                              f"or None to sample it")
    return complete(dataset, prompt_or_attrs)  # a left-out attribute: the dataset's default, else open


def _sample(attrs: Attributes, schema: Mapping[str, list[str]], n: int, g: torch.Generator,
            dataset: str | None = None) -> torch.Tensor:
    """[n, A] labels: the fixed attributes repeated, the open ones drawn uniformly (schema order).

    In a dataset whose values do not all go together (scenes: a second object stands right of
    the first), a row is drawn uniformly from the combinations that keep the fixed values."""
    if dataset in VALID:
        pool = torch.tensor(matching(dataset, attrs), dtype=torch.long)
        if not len(pool):
            asked = ", ".join(f"{a}={v}" for a, v in attrs.items() if v is not None)
            raise T2ILabError(f"no {dataset} image has {asked}; {RULES[dataset]}")
        return pool[torch.randint(len(pool), (n,), generator=g)]
    cols = []
    for attr, values in schema.items():
        value = attrs.get(attr)
        if value is None:
            cols.append(torch.randint(len(values), (n,), generator=g))
        else:
            cols.append(torch.full((n,), values.index(value), dtype=torch.long))
    return torch.stack(cols, dim=1)


def labels_for(prompt_or_attrs: str | Attributes, dataset: str = "shapes", n: int = 1,
               seed: int | None = None) -> torch.Tensor:
    """LongTensor [n, n_attributes] for a prompt (or attribute dict); open attributes sampled with `seed`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise T2ILabError(f"n must be a whole number of at least 1, got {n!r}")
    attrs = _attributes(prompt_or_attrs, dataset)
    return _sample(attrs, dataset_schema(dataset), n, _generator(seed), dataset)


def one_hot(labels: torch.Tensor, schema: str | Mapping[str, list[str]]) -> torch.Tensor:
    """[B, A] labels -> FloatTensor [B, sum of value counts]: the attributes' one-hots side by side."""
    schema = dataset_schema(schema) if isinstance(schema, str) else schema
    sizes = [len(v) for v in schema.values()]
    if labels.dim() != 2 or labels.shape[1] != len(sizes):
        raise T2ILabError(f"one_hot expects labels of shape [batch, {len(sizes)}] "
                          f"({', '.join(schema)}), got {list(labels.shape)}")
    for i, (attr, k) in enumerate(zip(schema, sizes)):
        if bool(((labels[:, i] < 0) | (labels[:, i] >= k)).any()):
            raise T2ILabError(f"label for {attr!r} out of range: values must be 0..{k - 1}, "
                              f"got {labels[:, i].tolist()}")
    return torch.cat([F.one_hot(labels[:, i].long(), k) for i, k in enumerate(sizes)], dim=1).float()


class TextEncoder(nn.Module):
    """One learned `dim`-vector per attribute value, looked up per attribute and combined.

    mode "concat" (default): the vectors side by side, out_dim = n_attributes * dim, so each
    attribute keeps its own slice. mode "sum": added like token embeddings, out_dim = dim.
    """

    def __init__(self, dataset: str = "shapes", dim: int = 16, mode: str = "concat") -> None:
        super().__init__()
        if mode not in ("concat", "sum"):
            raise T2ILabError(f"unknown TextEncoder mode {mode!r}; use 'concat' or 'sum'")
        self.dataset, self.dim, self.mode = dataset, dim, mode
        self.schema = dataset_schema(dataset)
        self.embeddings = nn.ModuleList(nn.Embedding(len(v), dim) for v in self.schema.values())
        self.out_dim = dim * len(self.schema) if mode == "concat" else dim

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """LongTensor [B, A] -> FloatTensor [B, out_dim]."""
        if labels.dim() != 2 or labels.shape[1] != len(self.embeddings) or labels.is_floating_point():
            raise T2ILabError(f"TextEncoder({self.dataset!r}) expects integer labels of shape "
                              f"[batch, {len(self.embeddings)}], got {labels.dtype} {list(labels.shape)}")
        vectors = [emb(labels[:, i]) for i, emb in enumerate(self.embeddings)]
        return torch.cat(vectors, dim=1) if self.mode == "concat" else torch.stack(vectors).sum(0)

    def encode(self, prompts: str | Sequence[str], seed: int | None = None) -> torch.Tensor:
        """Prompts -> FloatTensor [len(prompts), out_dim]; open attributes sampled with `seed`."""
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        if not prompts:
            raise T2ILabError("TextEncoder.encode needs at least one prompt")
        g = _generator(seed)
        labels = torch.cat([_sample(parse(p, self.dataset), self.schema, 1, g, self.dataset) for p in prompts])
        return self(labels.to(self.embeddings[0].weight.device))

    def extra_repr(self) -> str:
        return f"dataset={self.dataset!r}, dim={self.dim}, mode={self.mode!r}, out_dim={self.out_dim}"
