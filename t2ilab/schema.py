"""Canonical attributes of each dataset: the words `t2ilab parse` prints and judges read.

Every dataset is described by an ordered mapping attribute -> list of values. Labels are
indices into these lists, so a label vector for `shapes` is [shape, color, size, position].
A scene holds one or two objects: `object2` and `position2` are the second one ("none" when there
is none), always right of the first, so that every picture has exactly one label vector.
"""
from __future__ import annotations

import functools
import itertools
import operator

SCHEMAS: dict[str, dict[str, list[str]]] = {
    "shapes": {
        "shape": ["circle", "square", "triangle", "diamond"],
        "color": ["red", "orange", "yellow", "green", "blue", "purple"],
        "size": ["small", "big"],
        "position": ["left", "right", "top", "bottom", "center", "top left", "top right", "bottom left", "bottom right"],
    },
    "scenes": {
        "sky": ["blue", "sunset", "night"],
        "ground": ["grass", "sand", "snow"],
        "object": ["tree", "house", "sun"],
        "position": ["left", "middle", "right"],
        "object2": ["none", "tree", "house", "sun"],
        "position2": ["none", "middle", "right"],   # right of `position`: left is never second
    },
    "fashion": {
        "item": ["t-shirt", "trouser", "pullover", "dress", "coat",
                 "sandal", "shirt", "sneaker", "bag", "ankle boot"],
    },
}


class FolderVocabulary:
    """What the prompts of an image folder can say: its class names (the values of `label`) and
    its captions, each caption standing for the class of the images it describes."""

    def __init__(self, name: str, labels: list[str], captions: dict[str, str] | None = None):
        self.name, self.labels, self.captions = name, list(labels), dict(captions or {})
        self.schema = {"label": self.labels}
        self.table = None  # the parser's phrase table, built on first use

    def to_json(self) -> dict:
        return {"labels": self.labels, "captions": self.captions}


FOLDERS: dict[str, FolderVocabulary] = {}   # canonical folder name -> vocabulary, filled as folders are read


def canonical(dataset: str) -> str:
    """A built-in dataset's name, or an image folder's absolute path (the name its models carry)."""
    from pathlib import Path

    if dataset in SCHEMAS or not isinstance(dataset, str):
        return dataset
    return str(Path(dataset).expanduser().resolve()) if dataset else dataset


def register_folder(name: str, labels: list[str], captions: dict[str, str] | None = None) -> FolderVocabulary:
    """Make an image folder's prompts known to the parser (done by loading the folder or a model of it)."""
    vocab = FolderVocabulary(canonical(name), labels, captions)
    old = FOLDERS.get(vocab.name)
    if old is not None and old.labels == vocab.labels and old.captions == vocab.captions:
        return old
    FOLDERS[vocab.name] = vocab
    return vocab


def folder_vocabulary(dataset: str) -> FolderVocabulary | None:
    """The vocabulary of an image folder: registered, or read from the folder (names and captions.csv only)."""
    from pathlib import Path

    if not isinstance(dataset, str) or dataset in SCHEMAS or not dataset:
        return None
    name = canonical(dataset)
    if name in FOLDERS:
        return FOLDERS[name]
    if Path(name).is_dir():
        from .data.folder import read_vocabulary

        return read_vocabulary(name)
    return None


def schema(dataset: str) -> dict[str, list[str]]:
    """The attribute schema of a built-in dataset or of an image folder ({"label": class names})."""
    from .errors import T2ILabError

    if dataset in SCHEMAS:
        return SCHEMAS[dataset]
    vocab = folder_vocabulary(dataset)
    if vocab is None:
        raise T2ILabError(f"unknown dataset {dataset!r}: choose one of {', '.join(SCHEMAS)}, or an image folder "
                          "(load it, or a model trained on it, first)")
    return vocab.schema


def _one_scene(combo: tuple[int, ...]) -> bool:
    """A scene's labels go together: a second object has a position, right of the first one's
    (position2's values middle and right have the indices of position's middle and right), and
    there is one sun in the sky."""
    _sky, _ground, first, position, second, position2 = combo
    one_sun = not (first == 2 and second == 3)
    return (second == 0) == (position2 == 0) and (position2 == 0 or position2 > position) and one_sun


# Datasets whose attribute values do not all go together: a test of one label tuple, and the rule in words.
VALID = {"scenes": _one_scene}
RULES = {"scenes": "a second object (object2) has its own place (position2) right of the first object's, both are "
                   "none without one, and the sky has one sun"}
# Attributes no word names by itself: the parser fills them (a scene's second object, from the
# object and position words: t2ilab.text.objects).
SECOND: dict[str, tuple[str, ...]] = {"scenes": ("object2", "position2")}
# What an attribute dict that leaves an attribute out means (None, written out, leaves it open).
DEFAULTS: dict[str, dict[str, str]] = {"scenes": {"object2": "none", "position2": "none"}}


@functools.cache
def combinations(dataset: str) -> tuple[tuple[int, ...], ...]:
    """Every label tuple a built-in dataset can show, in itertools.product order."""
    sizes = [len(v) for v in SCHEMAS[dataset].values()]
    valid = VALID.get(dataset, lambda c: True)
    return tuple(c for c in itertools.product(*[range(n) for n in sizes]) if valid(c))


def matching(dataset: str, attrs) -> list[tuple[int, ...]]:
    """The label tuples of a built-in dataset that keep every value `attrs` fixes (None: open)."""
    fixed = [(i, values.index(attrs[a])) for i, (a, values) in enumerate(SCHEMAS[dataset].items())
             if attrs.get(a) is not None]
    return [c for c in combinations(dataset) if all(c[i] == k for i, k in fixed)]


def complete(dataset: str, attrs) -> dict:
    """Attributes in schema order; one left out takes the dataset's default (else None: open)."""
    defaults = DEFAULTS.get(dataset, {})
    return {a: attrs[a] if a in attrs else defaults.get(a) for a in schema(dataset)}


def _heldout(dataset: str, modulus: int) -> list[tuple[int, ...]]:
    """Combinations whose weighted index sum is 0 mod `modulus`.

    A weighted sum over *all* attributes keeps every single value and every pair of values in
    the training split, so held-out combinations are new only as combinations.
    """
    return [c for c in combinations(dataset) if sum((i + 1) * k for i, k in enumerate(c)) % modulus == 0]


# Fixed held-out combinations (label tuples), never in a training split. Listed in the dataset cards.
HELDOUT: dict[str, list[tuple[int, ...]]] = {
    "shapes": _heldout("shapes", 10),   # 43 of 432 combinations
    "scenes": [c for c in _heldout("scenes", 9) if c != (0, 0, 0, 1, 0, 0)],  # keeps the source prompt seen
    "fashion": [],
}


def describe(dataset: str, labels: tuple[int, ...]) -> dict[str, str]:
    """Label indices -> {attribute: value}."""
    from .errors import T2ILabError

    attrs = schema(dataset)
    sizes = [len(v) for v in attrs.values()]
    try:
        indices = [operator.index(i) for i in labels]
    except TypeError:
        indices = None
    if indices is None or len(indices) != len(sizes) or not all(0 <= i < k for i, k in zip(indices, sizes)):
        raise T2ILabError(f"labels for {dataset} must be {len(sizes)} whole numbers, one per attribute "
                          f"({', '.join(f'{a} 0-{k - 1}' for a, k in zip(attrs, sizes))}), got {str(labels)[:80]}")
    return {a: vals[i] for (a, vals), i in zip(attrs.items(), indices)}
