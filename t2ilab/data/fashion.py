"""Fashion-MNIST: 70,000 real 28x28 photographs of clothing; the prompt is the class name.

Read straight from the original IDX files, found offline first ($T2ILAB_DATA, the user cache,
the Debian package dataset-fashion-mnist), downloaded by torchvision only as a last resort.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from ..errors import T2ILabError
from .base import CaptionedImages
from ..schema import SCHEMAS

SCHEMA = SCHEMAS["fashion"]
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")   # Debian/Ubuntu: apt install dataset-fashion-mnist
HOW_TO_GET = ("run `sudo apt install dataset-fashion-mnist`, or set T2ILAB_DATA to a folder holding "
              "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
              "t10k-labels-idx1-ubyte.gz")
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# Words a caption may use for each value (the parser's own vocabulary is t2ilab.text.lexicon.SYNONYMS).
CAPTION_WORDS: dict[str, dict[str, list[str]]] = {"item": {
    "t-shirt": ["a t-shirt"], "trouser": ["a pair of trousers", "trousers"], "pullover": ["a pullover"],
    "dress": ["a dress"], "coat": ["a coat"], "sandal": ["a sandal"], "shirt": ["a shirt"],
    "sneaker": ["a sneaker"], "bag": ["a bag"], "ankle boot": ["an ankle boot"],
}}
TEMPLATES = ["{item}", "a photo of {item}", "a picture of {item}"]


def cache_dir() -> Path:
    """The user cache for Fashion-MNIST: $XDG_CACHE_HOME/t2ilab/fashion-mnist (~/.cache by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "t2ilab" / "fashion-mnist"


def _idx_file(folder: Path, name: str) -> Path | None:
    """folder/name.gz or folder/name, whichever exists."""
    for p in (folder / f"{name}.gz", folder / name):
        if p.is_file():
            return p
    return None


def _complete(folder: Path) -> bool:
    return all(_idx_file(folder, f) for pair in FILES.values() for f in pair)


def find_fashion_dir(download: bool = True) -> Path:
    """The folder holding the four Fashion-MNIST IDX files; downloads them only if none is found."""
    candidates = []
    if os.environ.get("T2ILAB_DATA"):
        data = Path(os.environ["T2ILAB_DATA"]).expanduser()
        candidates += [data, data / "fashion-mnist"]
    candidates += [cache_dir(), SYSTEM_DIR]
    for folder in candidates + [c / "FashionMNIST" / "raw" for c in candidates]:
        if _complete(folder):
            return folder
    if not download:
        raise T2ILabError(f"Fashion-MNIST not found (looked in {', '.join(map(str, candidates))}): {HOW_TO_GET}")
    try:                                     # last resort: torchvision's download, needs internet
        from torchvision.datasets import FashionMNIST

        for train in (True, False):
            FashionMNIST(str(cache_dir()), train=train, download=True)
    except Exception as e:                   # offline, proxy, disk full...: one clear line
        where = ", ".join(str(c) for c in candidates)
        raise T2ILabError(f"Fashion-MNIST not found (looked in {where}) and the download failed "
                          f"({type(e).__name__}): {HOW_TO_GET}") from None
    folder = cache_dir() / "FashionMNIST" / "raw"
    if not _complete(folder):
        raise T2ILabError(f"Fashion-MNIST download into {folder} is incomplete: {HOW_TO_GET}")
    return folder


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (gzipped or plain) into a NumPy array, checking magic number and sizes."""
    path = Path(path)
    if not path.is_file():
        raise T2ILabError(f"IDX file {path} does not exist: {HOW_TO_GET}")
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise T2ILabError(f"{path} is corrupt or truncated ({e}): delete it and get it again") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_DTYPES or not 1 <= raw[3] <= 4:
        raise T2ILabError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()}): "
                          "delete it and get it again")
    ndim, dtype = raw[3], np.dtype(IDX_DTYPES[raw[2]])
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise T2ILabError(f"{path} is truncated inside its header: delete it and get it again")
    dims = [int(d) for d in np.frombuffer(raw, ">u4", ndim, 4)]
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise T2ILabError(f"{path} is corrupt or truncated: dimensions {dims} need {expected} bytes of "
                          f"data, found {len(raw) - header}; delete it and get it again")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def caption(attrs: dict, rng: np.random.Generator) -> str:
    """One phrasing of the item, e.g. "an ankle boot" or "a photo of a t-shirt"."""
    nouns = CAPTION_WORDS["item"][attrs["item"]]
    return TEMPLATES[rng.integers(len(TEMPLATES))].format(item=nouns[rng.integers(len(nouns))])


def fashion(split: str = "train", n: int | None = None, seed: int = 0) -> CaptionedImages:
    """Fashion-MNIST as 1x28x28 images in [0,1]; `n` picks a seeded random subset."""
    if split not in FILES:
        raise T2ILabError(f"unknown Fashion-MNIST split {split!r}: choose train or test")
    folder = find_fashion_dir()
    image_file, label_file = (_idx_file(folder, f) for f in FILES[split])
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(labels) != len(images):
        raise T2ILabError(f"{image_file} and {label_file} do not hold matching 28x28 images "
                          f"and labels ({images.shape} vs {labels.shape}): get them again")
    if labels.size and labels.max() >= len(SCHEMA["item"]):
        raise T2ILabError(f"{label_file} has a label {labels.max()} outside 0-9: get it again")
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(images):
            raise T2ILabError(f"n must be a whole number from 1 to {len(images)} for the {split} split, "
                              f"got {n!r}")
        keep = np.sort(np.random.default_rng(seed).permutation(len(images))[:n])
        images, labels = images[keep], labels[keep]
    x = torch.from_numpy(images).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64)).unsqueeze(1)
    return CaptionedImages(x, y, SCHEMA, "fashion", caption_fn=caption, seed=seed)
