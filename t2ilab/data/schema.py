"""Canonical attributes of each dataset: the words `t2ilab parse` prints and judges read.

Every dataset is described by an ordered mapping attribute -> list of values. Labels are
indices into these lists, so a label vector for `shapes` is [shape, color, size, position].
"""
from __future__ import annotations

import itertools

SCHEMAS: dict[str, dict[str, list[str]]] = {
    "shapes": {
        "shape": ["circle", "square", "triangle", "diamond"],
        "color": ["red", "orange", "yellow", "green", "blue", "purple"],
        "size": ["small", "big"],
        "position": ["left", "right", "top", "bottom", "center"],
    },
    "scenes": {
        "sky": ["blue", "sunset", "night"],
        "ground": ["grass", "sand", "snow"],
        "object": ["tree", "house", "sun"],
        "position": ["left", "middle", "right"],
    },
    "fashion": {
        "item": ["t-shirt", "trouser", "pullover", "dress", "coat",
                 "sandal", "shirt", "sneaker", "bag", "ankle boot"],
    },
}


def schema(dataset: str) -> dict[str, list[str]]:
    """The attribute schema of a built-in dataset."""
    from ..errors import T2ILabError

    if dataset not in SCHEMAS:
        raise T2ILabError(f"unknown dataset {dataset!r}: choose one of {', '.join(SCHEMAS)}")
    return SCHEMAS[dataset]


def _heldout(dataset: str, modulus: int) -> list[tuple[int, ...]]:
    """Combinations whose weighted index sum is 0 mod `modulus`.

    A weighted sum over *all* attributes keeps every single value and every pair of values in
    the training split, so held-out combinations are new only as combinations.
    """
    sizes = [len(v) for v in SCHEMAS[dataset].values()]
    combos = itertools.product(*[range(n) for n in sizes])
    return [c for c in combos if sum((i + 1) * k for i, k in enumerate(c)) % modulus == 0]


# Fixed held-out combinations (label tuples), never in a training split. Listed in the dataset cards.
HELDOUT: dict[str, list[tuple[int, ...]]] = {
    "shapes": _heldout("shapes", 10),   # 24 of 240 combinations
    "scenes": [c for c in _heldout("scenes", 9) if c != (0, 0, 0, 1)],  # keeps the source prompt seen
    "fashion": [],
}


def describe(dataset: str, labels: tuple[int, ...]) -> dict[str, str]:
    """Label indices -> {attribute: value}."""
    return {a: vals[i] for (a, vals), i in zip(schema(dataset).items(), labels)}
