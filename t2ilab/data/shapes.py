"""`shapes`: 32x32 pictures of one coloured shape, captioned in several phrasings.

Nine positions: the four sides, the center and the four corners ("in the bottom right corner").

Procedural and instant (NumPy masks), so every lesson can make fresh data from a seed; a fixed
list of attribute combinations is held out of training to measure compositional generalisation.
"""
from __future__ import annotations

import numpy as np
import torch

from .base import CaptionedImages, sample_labels
from ..schema import SCHEMAS

SCHEMA = SCHEMAS["shapes"]
SIZE = 32

COLORS = np.array([          # RGB per color in schema order, far apart from each other
    [0.92, 0.10, 0.10],      # red
    [1.00, 0.55, 0.00],      # orange
    [1.00, 0.95, 0.15],      # yellow
    [0.10, 0.80, 0.20],      # green
    [0.15, 0.35, 1.00],      # blue
    [0.65, 0.15, 0.90],      # purple
], dtype=np.float32)
RADIUS = np.array([4.5, 7.5], dtype=np.float32)                  # small, big (pixels)
CENTER = np.array([[9, 16], [23, 16], [16, 9], [16, 23], [16, 16],              # (x, y): sides, center
                   [9, 9], [23, 9], [9, 23], [23, 23]], dtype=np.float32)           # the four corners
JITTER = 1.0                 # +- pixels of position jitter
SIZE_JITTER = 0.08           # +- fraction of radius

# Words a caption may use for each value; every one of them names that value and no other.
CAPTION_WORDS: dict[str, dict[str, list[str]]] = {
    "shape": {v: [v] for v in SCHEMA["shape"]},
    "color": {v: [v] for v in SCHEMA["color"]},
    "size": {"small": ["small", "tiny", "little"], "big": ["big", "large"]},
    "position": {
        "left": ["on the left", "on the left side", "to the left"],
        "right": ["on the right", "on the right side", "to the right"],
        "top": ["at the top", "on top", "up top"],
        "bottom": ["at the bottom", "on the bottom", "near the bottom"],
        "center": ["in the center", "in the middle", "at the center"],
        "top left": ["in the top left corner", "in the upper left corner"],
        "top right": ["in the top right corner", "in the upper right corner"],
        "bottom left": ["in the bottom left corner", "in the lower left corner"],
        "bottom right": ["in the bottom right corner", "in the lower right corner"],
    },
}
TEMPLATES = [
    "{a} {size} {color} {shape} {where}",       # a big red circle on the left
    "{pos}: {a} {size} {color} {shape}",        # left: a large red circle
    "{a} {color} {shape}, {size}, {where}",     # a red circle, big, on the left side
    "{a} {size} {shape} in {color} {where}",    # a tiny circle in red at the top
    "there is {a} {size} {color} {shape} {where}",
]


def render(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw label rows [shape, color, size, position] as float32 images [N,3,32,32] in [0,1]."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1, 4)
    n = len(labels)
    shape, color, size, pos = labels.T
    r = RADIUS[size] * (1 + rng.uniform(-SIZE_JITTER, SIZE_JITTER, n)).astype(np.float32)
    c = CENTER[pos] + rng.uniform(-JITTER, JITTER, (n, 2)).astype(np.float32)
    grid = np.arange(SIZE, dtype=np.float32) + 0.5              # pixel centres
    dx = grid[None, None, :] - c[:, 0, None, None]               # [N,1,32]
    dy = grid[None, :, None] - c[:, 1, None, None]               # [N,32,1]
    r = r[:, None, None]
    ax, ay = np.abs(dx), np.abs(dy)
    h, w = 1.8 * r, 1.1 * r                                       # triangle height, half base
    inside = np.stack([                                           # signed distance to the edge
        r - np.sqrt(dx * dx + dy * dy),                           # circle
        0.85 * r - np.maximum(ax, ay),                            # square
        np.minimum(0.75 * r - dy, ((dy + 1.05 * r) * w - ax * h) / np.sqrt(w * w + h * h)),  # triangle
        (1.1 * r - ax - ay) * 0.7071,                             # diamond
    ])                                                            # [4,N,32,32]
    mask = np.clip(inside[shape, np.arange(n)] + 0.5, 0, 1)       # pixel coverage, anti-aliased
    return mask[:, None] * COLORS[color][:, :, None, None]


def caption(attrs: dict, rng: np.random.Generator) -> str:
    """One random phrasing of {shape, color, size, position}, e.g. "a big red circle on the left"."""
    pick = lambda words: words[rng.integers(len(words))]  # noqa: E731
    t = pick(TEMPLATES)
    words = {k: pick(CAPTION_WORDS[k][attrs[k]]) for k in SCHEMA}
    first = words["color"] if t.startswith("{a} {color}") else words["size"]
    return t.format(a="an" if first[0] in "aeiou" else "a", size=words["size"], color=words["color"],
                    shape=words["shape"], where=words["position"], pos=attrs["position"])


def shapes(n: int = 10000, split: str = "train", seed: int = 0) -> CaptionedImages:
    """n captioned shape images; split "train" (no held-out combinations), "heldout" or "all"."""
    rng = np.random.default_rng(seed)
    labels = sample_labels("shapes", n, split, rng)
    images = torch.from_numpy(render(labels, rng))
    return CaptionedImages(images, torch.from_numpy(labels), SCHEMA, "shapes", caption_fn=caption, seed=seed)
