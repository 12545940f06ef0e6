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


MAX_PIXELS = 40_000_000          # a 40-megapixel photo is fine; a decompression bomb is not
MAX_CAPTION_CHARS = 500          # as long as a prompt may be (t2ilab.text.parse.MAX_PROMPT_CHARS)
MAX_IMAGES = 100_000             # held in memory: 12 KB each at 32x32


def _load_image(path: Path, size: int) -> np.ndarray:
    """One image as float32 [3,size,size] in [0,1]: centre-cropped to a square, then resized."""
    try:
        with Image.open(path) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise T2ILabError(f"image {path} is {w}x{h} pixels, over the limit of {MAX_PIXELS:,} "
                                  "(a decompression bomb, or a huge scan): shrink it or delete it")
            img = ImageOps.fit(img.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    except T2ILabError:
        raise
    except Image.DecompressionBombError:
        raise T2ILabError(f"image {path} claims more than {MAX_PIXELS:,} pixels (a decompression bomb): "
                          "delete it") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, MemoryError, EOFError) as e:
        raise T2ILabError(f"cannot read image {path} ({type(e).__name__}): replace or delete it") from None
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255


def _decode(csv_path: Path) -> str:
    """The text of captions.csv; UTF-8 (with or without BOM), else a clear line naming where it is not."""
    try:
        raw = csv_path.read_bytes()
    except OSError as e:
        raise T2ILabError(f"cannot read {csv_path} ({e.strerror}): fix its permissions or delete it") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise T2ILabError(f"{csv_path} line {line}: not UTF-8 text (byte {raw[e.start]:#04x}; spreadsheets often "
                          "save Latin-1/cp1252): save it as 'CSV UTF-8' or convert it with "
                          f"`iconv -f cp1252 -t utf-8`") from None


def _rows(csv_path: Path) -> list[tuple[int, list[str]]]:
    """(line number, row) for every row of captions.csv, with quoting and field sizes checked."""
    import io

    text = _decode(csv_path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, start = [], 1
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # sizes are checked below, per caption
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            if "unexpected end of data" in str(e) or "EOF" in str(e):
                raise T2ILabError(f"{csv_path} line {start}: a quote (\") is opened but never closed: "
                                  "close it, or remove it") from None
            raise T2ILabError(f"{csv_path} line {start}: {e}; put quotes around a caption that contains a "
                              "comma or a quote, and double the quotes inside it (\"\")") from None
        rows.append((start, row))
        start = reader.line_num + 1
    return rows


def _read_captions(csv_path: Path, files: list[str]) -> list[str]:
    """Captions for `files` (paths relative to root) from csv_path, checked line by line."""
    known, found = set(files), {}
    rows = _rows(csv_path)
    header = rows[0][1] if rows else None
    if not rows or [c.strip() for c in header] != ["filename", "caption"]:
        shown = (",".join(header)[:60] if header else "an empty file")
        raise T2ILabError(f"{csv_path} line 1: the header must be 'filename,caption', found {shown!r}")
    for line, row in rows[1:]:
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise T2ILabError(f"{csv_path} line {line}: expected 2 columns (filename,caption), found "
                              f"{len(row)}; put quotes around a caption that contains a comma")
        name, text = row[0].strip().replace("\\", "/"), " ".join(row[1].split())
        if name not in known:
            raise T2ILabError(f"{csv_path} line {line}: {name[:80]!r} is not an image under the root "
                              "(give the path relative to the root, e.g. cats/001.png)")
        if not text:
            raise T2ILabError(f"{csv_path} line {line}: the caption of {name} is empty")
        if len(text) > MAX_CAPTION_CHARS:
            raise T2ILabError(f"{csv_path} line {line}: the caption of {name} is {len(text):,} characters long, "
                              f"over the limit of {MAX_CAPTION_CHARS}; shorten it")
        if name in found:
            raise T2ILabError(f"{csv_path} line {line}: {name} already has a caption on an earlier line")
        found[name] = text
    missing = [f for f in files if f not in found]
    if missing:
        raise T2ILabError(f"{csv_path} has no caption for {missing[0]}"
                          f"{f' (and {len(missing) - 1} more images)' if len(missing) > 1 else ''}: "
                          "add a line 'filename,caption' for each image")
    return [found[f] for f in files]


def _scan(root: Path) -> tuple[list[str], list[str], list[int]]:
    """(class names, image paths relative to root, class index of each) without opening any image."""
    if not root.is_dir():
        raise T2ILabError(f"image folder {root} does not exist: give a folder laid out as root/CLASS/*.png")
    try:
        classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        files, labels = [], []
        for k, name in enumerate(classes):
            for p in sorted((root / name).rglob("*")):
                if p.is_file() and p.suffix.lower() in EXTENSIONS and not p.name.startswith("."):
                    files.append(p.relative_to(root).as_posix())
                    labels.append(k)
    except OSError as e:
        raise T2ILabError(f"cannot list image folder {root} ({e.strerror}): check its permissions") from None
    if not files:
        raise T2ILabError(f"no images found in {root}: put .png or .jpg files in one subfolder per class, "
                          "e.g. root/cats/001.png")
    if len(files) > MAX_IMAGES:
        raise T2ILabError(f"{root} holds {len(files):,} images, over the limit of {MAX_IMAGES:,} held in memory: "
                          "use a smaller folder")
    used = sorted(set(labels))
    classes = [classes[k] for k in used]                        # drop class folders without images
    labels = [used.index(k) for k in labels]
    return classes, files, labels


def _register(root: Path, classes: list[str], labels: list[int], captions: list[str] | None):
    """Tell the parser this folder's prompts: class names, and each caption as its images' class."""
    from collections import Counter

    from ..schema import register_folder

    by_caption: dict[str, Counter] = {}
    for text, k in zip(captions or [], labels):
        by_caption.setdefault(text, Counter())[k] += 1
    return register_folder(str(root), classes, {t: classes[c.most_common(1)[0][0]] for t, c in by_caption.items()})


def read_vocabulary(root: str | Path):
    """The prompts of an image folder (class names and captions.csv), without decoding its images."""
    root = Path(root).expanduser().resolve()
    classes, files, labels = _scan(root)
    captions = _read_captions(root / "captions.csv", files) if (root / "captions.csv").is_file() else None
    return _register(root, classes, labels, captions)


def image_folder(root: str | Path, size: int = 32, seed: int = 0) -> CaptionedImages:
    """Every image under root/CLASS/ as size x size RGB, labelled by its folder name.

    The dataset's name is the folder's absolute path: models trained on it carry that name and
    its prompts (class names, captions), so `t2ilab generate` and the parser know them."""
    root = Path(root).expanduser()
    if isinstance(size, bool) or not isinstance(size, int) or not 4 <= size <= 256:
        raise T2ILabError(f"size must be a whole number of pixels from 4 to 256, got {size!r}: try size=32")
    root = root.resolve() if root.is_dir() else root
    classes, files, labels = _scan(root)
    captions = _read_captions(root / "captions.csv", files) if (root / "captions.csv").is_file() else None
    images = torch.from_numpy(np.stack([_load_image(root / f, size) for f in files]))
    y = torch.tensor(labels, dtype=torch.int64)[:, None]
    schema = {"label": classes}
    _register(root, classes, labels, captions)
    if captions is None:
        rng = np.random.default_rng(seed)
        captions = [TEMPLATES[rng.integers(len(TEMPLATES))].format(label=classes[k].replace("_", " "))
                    for k in labels]
    return CaptionedImages(images, y, schema, str(root), captions=captions)
