"""The one dataset contract: an image tensor in [0, 1], a caption string, attribute labels.

Every t2ilab dataset (procedural, Fashion-MNIST, an image folder) is a `CaptionedImages`, so
models, judges and lessons never care where the pictures came from.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .. import device  # noqa: F401  (sets torch's threads when first imported)

CaptionFn = Callable[[dict, np.random.Generator], str]


class LazyCaptions(Sequence):
    """Captions made on demand from labels; caption i always uses an RNG seeded by (seed, i)."""

    def __init__(self, labels: torch.Tensor, schema: dict[str, list[str]], fn: CaptionFn, seed: int):
        self.labels, self.schema, self.fn, self.seed = labels, schema, fn, seed

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i) + (len(self) if int(i) < 0 else 0)
        if not 0 <= i < len(self):
            raise IndexError(f"caption index out of range for {len(self)} captions")
        attrs = {a: vals[k] for (a, vals), k in zip(self.schema.items(), self.labels[i].tolist())}
        return self.fn(attrs, np.random.default_rng([self.seed, i]))


class CaptionedImages(Dataset):
    """Images [N,C,H,W] float32 in [0,1], int64 labels [N, n_attributes], a caption per image."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, schema: dict[str, list[str]],
                 name: str, captions: Sequence[str] | None = None,
                 caption_fn: CaptionFn | None = None, seed: int = 0):
        # the contract a dataset module must keep (a programming error, not a user's): checked, never asserted
        if images.ndim != 4 or images.dtype != torch.float32:
            raise ValueError(f"images must be float32 [N, C, H, W], not {images.dtype} {tuple(images.shape)}")
        if labels.shape != (len(images), len(schema)) or labels.dtype != torch.int64:
            raise ValueError(f"labels must be int64 [N={len(images)}, attributes={len(schema)}], "
                             f"not {labels.dtype} {tuple(labels.shape)}")
        self.images, self.labels, self.schema, self.name = images, labels, schema, name
        if captions is None:
            if caption_fn is None:
                raise ValueError("give captions or a caption_fn")
            captions = LazyCaptions(labels, schema, caption_fn, seed)
        if len(captions) != len(images):
            raise ValueError(f"one caption per image: {len(captions)} captions for {len(images)} images")
        self.captions = captions

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, str, torch.Tensor]:
        return self.images[i], self.captions[i], self.labels[i]

    def attributes(self, i: int) -> dict[str, str]:
        """The labels of image i as {attribute: value}."""
        return {a: vals[k] for (a, vals), k in zip(self.schema.items(), self.labels[i].tolist())}

    def subset(self, indices: Sequence[int] | torch.Tensor) -> CaptionedImages:
        """A new dataset of the given items; each keeps its own caption."""
        idx = torch.as_tensor(indices, dtype=torch.int64)
        return CaptionedImages(self.images[idx], self.labels[idx], self.schema, self.name,
                               captions=[self.captions[i] for i in idx.tolist()])

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        return f"CaptionedImages({self.name!r}, {n} images {c}x{h}x{w}, attributes {list(self.schema)})"


SPLITS = ("train", "heldout", "all")


def sample_labels(dataset: str, n: int, split: str, rng: np.random.Generator) -> np.ndarray:
    """n label tuples drawn uniformly from the split's attribute combinations, int64 [n, k].

    "train" excludes the held-out combinations, "heldout" is only them, "all" is everything.
    """
    from ..errors import T2ILabError
    from ..schema import HELDOUT, combinations

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise T2ILabError(f"n must be a positive whole number of images, got {n!r}: try n=10000")
    if split not in SPLITS:
        raise T2ILabError(f"unknown split {split!r} for {dataset}: choose one of {', '.join(SPLITS)}")
    combos = np.array(combinations(dataset), dtype=np.int64)   # the ones that go together
    held = {tuple(c) for c in HELDOUT[dataset]}
    is_held = np.array([tuple(c) in held for c in combos.tolist()])
    pool = {"train": combos[~is_held], "heldout": combos[is_held], "all": combos}[split]
    return pool[rng.integers(0, len(pool), size=int(n))]
