"""Datasets: captioned images for every lesson, behind one contract (`CaptionedImages`).

`load("shapes")`, `load("scenes")`, `load("fashion")` or `load("path/to/images")`.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import T2ILabError
from ..validate import check_seed
from .base import CaptionedImages
from .fashion import fashion
from .folder import image_folder
from .preview import preview
from .scenes import scenes
from ..schema import HELDOUT, SCHEMAS, describe
from .shapes import shapes

__all__ = ["load", "shapes", "scenes", "fashion", "image_folder", "preview", "CaptionedImages",
           "SCHEMAS", "HELDOUT", "describe"]
BUILTIN = ("shapes", "scenes", "fashion")


def load(name: str, split: str = "train", n: int | None = None, seed: int = 0) -> CaptionedImages:
    """A dataset by name ("shapes", "scenes", "fashion") or by image-folder path.

    n defaults to 10,000 procedural images, all of Fashion-MNIST's split, all of a folder.
    """
    check_seed(seed)
    if name in ("shapes", "scenes"):
        return (shapes if name == "shapes" else scenes)(10000 if n is None else n, split, seed)
    if name == "fashion":
        return fashion(split, n, seed)
    path = Path(str(name)).expanduser()
    if path.is_dir() or any(c in str(name) for c in "/\\.~"):
        if split not in ("train", "all"):
            raise T2ILabError(f"an image folder has no {split!r} split: use split='train' (all its images)")
        ds = image_folder(path, seed=seed)
        if n is None:
            return ds
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(ds):
            raise T2ILabError(f"n must be a whole number from 1 to {len(ds)} for {path}, got {n!r}")
        import torch

        keep = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed))[:n].sort().values
        return ds.subset(keep)
    raise T2ILabError(f"unknown dataset {name!r}: choose {', '.join(BUILTIN)}, "
                      "or give the path of an image folder (root/CLASS/*.png)")
