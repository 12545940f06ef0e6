"""Your own pictures: an image folder (torchvision ImageFolder layout, root/CLASS/*.png|jpg).

Folder names are the labels and the prompts; a `captions.csv` (filename,caption) in the root
gives each image its own caption instead.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import T2ILabError
from .base import CaptionedImages

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
TEMPLATES = ["{label}", "a photo of {label}", "a picture of {label}"]


def _load_image(path: Path, size: int) -> np.ndarray:
    """One image as float32 [3,size,size] in [0,1]: centre-cropped to a square, then resized."""
    try:
        with Image.open(path) as img:
            img = ImageOps.fit(img.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError, ValueError) as e:
        raise T2ILabError(f"cannot read image {path} ({type(e).__name__}): replace or delete it") from None
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255


def _read_captions(csv_path: Path, files: list[str]) -> list[str]:
    """Captions for `files` (paths relative to root) from csv_path, checked line by line."""
    known, found = set(files), {}
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ["filename", "caption"]:
        raise T2ILabError(f"{csv_path} line 1: the header must be 'filename,caption', "
                          f"found {','.join(rows[0]) if rows else 'an empty file'!r}")
    for line, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise T2ILabError(f"{csv_path} line {line}: expected 2 columns (filename,caption), found "
                              f"{len(row)}; put quotes around a caption that contains a comma")
        name, text = row[0].strip().replace("\\", "/"), row[1].strip()
        if name not in known:
            raise T2ILabError(f"{csv_path} line {line}: {name!r} is not an image under the root "
                              "(give the path relative to the root, e.g. cats/001.png)")
        if not text:
            raise T2ILabError(f"{csv_path} line {line}: the caption of {name} is empty")
        if name in found:
            raise T2ILabError(f"{csv_path} line {line}: {name} already has a caption on an earlier line")
        found[name] = text
    missing = [f for f in files if f not in found]
    if missing:
        raise T2ILabError(f"{csv_path} has no caption for {missing[0]}"
                          f"{f' (and {len(missing) - 1} more images)' if len(missing) > 1 else ''}: "
                          "add a line 'filename,caption' for each image")
    return [found[f] for f in files]


def image_folder(root: str | Path, size: int = 32, seed: int = 0) -> CaptionedImages:
    """Every image under root/CLASS/ as size x size RGB, labelled by its folder name."""
    root = Path(root).expanduser()
    if isinstance(size, bool) or not isinstance(size, int) or size < 4:
        raise T2ILabError(f"size must be a whole number of pixels, at least 4, got {size!r}: try size=32")
    if not root.is_dir():
        raise T2ILabError(f"image folder {root} does not exist: give a folder laid out as root/CLASS/*.png")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files, labels = [], []
    for k, name in enumerate(classes):
        for p in sorted((root / name).rglob("*")):
            if p.is_file() and p.suffix.lower() in EXTENSIONS and not p.name.startswith("."):
                files.append(p.relative_to(root).as_posix())
                labels.append(k)
    if not files:
        raise T2ILabError(f"no images found in {root}: put .png or .jpg files in one subfolder per class, "
                          "e.g. root/cats/001.png")
    used = sorted(set(labels))
    classes = [classes[k] for k in used]                        # drop class folders without images
    labels = [used.index(k) for k in labels]
    images = torch.from_numpy(np.stack([_load_image(root / f, size) for f in files]))
    y = torch.tensor(labels, dtype=torch.int64)[:, None]
    schema = {"label": classes}
    if (root / "captions.csv").is_file():
        captions = _read_captions(root / "captions.csv", files)
    else:
        rng = np.random.default_rng(seed)
        captions = [TEMPLATES[rng.integers(len(TEMPLATES))].format(label=classes[k].replace("_", " "))
                    for k in labels]
    return CaptionedImages(images, y, schema, "folder", captions=captions)
