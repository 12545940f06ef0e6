"""A captioned sample grid of any dataset, saved as a PNG: the first look at the data."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from .base import CaptionedImages

MAX_PREVIEW = 256   # images in one grid


def preview_dataset(name: str, path: str | Path, n: int = 16, seed: int = 0, force: bool = False) -> Path:
    """`t2ilab preview`: a grid of `n` images of a dataset by name (shapes, scenes, fashion, a folder).

    Arguments are checked before anything is made; a folder is shown whatever its size (all of
    it when it holds fewer than `n` images). An existing file is replaced only if t2ilab wrote it,
    or with `force`."""
    from ..validate import check_count, check_output_file, check_seed
    from . import BUILTIN, load

    check_count(n, "-n (images to preview)", 1, MAX_PREVIEW, f"a grid shows at most {MAX_PREVIEW}")
    check_seed(seed, "--seed")
    check_output_file(path, (".png",), "-o", force=force)
    data = load(name, n=max(n, 64), seed=seed) if name in BUILTIN else load(name, seed=seed)
    return preview(data, path, n=n, seed=seed, force=force)


def preview(dataset: CaptionedImages, path: str | Path, n: int = 16, seed: int = 0, force: bool = False) -> Path:
    """Save a grid of n random images of `dataset`, each with its caption, to `path` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg   # imported here: `import t2ilab.data` stays light
    from matplotlib.figure import Figure

    from ..validate import MARK, check_count, check_output_file, check_seed

    check_count(n, "n (images to preview)", 1, MAX_PREVIEW, f"a grid shows at most {MAX_PREVIEW}")
    check_seed(seed)
    path = check_output_file(path, (".png",), "preview output", force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    picks = np.random.default_rng(seed).choice(len(dataset), size=min(n, len(dataset)), replace=False)
    cols = math.ceil(math.sqrt(len(picks)))
    rows = math.ceil(len(picks) / cols)
    fig = Figure(figsize=(1.7 * cols, 2.0 * rows))   # Agg canvas: works in scripts and notebooks
    FigureCanvasAgg(fig)
    for k, i in enumerate(picks.tolist()):
        image, text, _ = dataset[i]
        ax = fig.add_subplot(rows, cols, k + 1)
        img = image.permute(1, 2, 0).numpy()
        ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title("\n".join(textwrap.wrap(text, 20)), fontsize=7)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png", metadata={"Software": MARK})  # ours: the next run may replace it
    return path
