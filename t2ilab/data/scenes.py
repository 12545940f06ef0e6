"""`scenes`: the source articles' "a grassland under a blue sky with a tree in the middle".

32x32 landscapes: a sky (blue, sunset, night) over a ground (grass, sand, snow) with one object
(tree, house, sun) on the left, in the middle or on the right, or two objects at two of those
places ("a house on the left and a tree on the right"); procedural and instant.
"""
from __future__ import annotations

import numpy as np
import torch

from .base import CaptionedImages, sample_labels
from ..schema import SCHEMAS

SCHEMA = SCHEMAS["scenes"]
SIZE = 32
HORIZON = 20                 # first ground row (jittered by +-1)
OBJECT_X = np.array([7.0, 16.0, 25.0], dtype=np.float32)   # left, middle, right
N_STARS = 6

SKY_TOP = np.array([[0.20, 0.45, 0.95], [0.85, 0.35, 0.60], [0.02, 0.03, 0.12]], dtype=np.float32)
SKY_LOW = np.array([[0.60, 0.80, 1.00], [1.00, 0.60, 0.20], [0.08, 0.10, 0.25]], dtype=np.float32)
GROUND = np.array([[0.25, 0.70, 0.20], [0.90, 0.80, 0.50], [0.95, 0.96, 1.00]], dtype=np.float32)
STAR = np.array([1.0, 1.0, 0.85], dtype=np.float32)
TRUNK = np.array([0.45, 0.27, 0.10], dtype=np.float32)
CROWN = np.array([0.05, 0.40, 0.08], dtype=np.float32)
WALL = np.array([0.80, 0.30, 0.20], dtype=np.float32)
ROOF = np.array([0.30, 0.28, 0.35], dtype=np.float32)
DOOR = np.array([0.30, 0.15, 0.05], dtype=np.float32)
SUN = np.array([1.00, 0.95, 0.30], dtype=np.float32)

# Words a caption may use for each value; every one of them names that value and no other.
CAPTION_WORDS: dict[str, dict[str, list[str]]] = {
    "sky": {"blue": ["under a blue sky", "under a clear blue sky"],
            "sunset": ["at sunset", "under a sunset sky", "at dusk"],
            "night": ["at night", "under a starry night sky", "under a night sky"]},
    "ground": {"grass": ["a grassland", "a meadow", "a grassy field"],
               "sand": ["a desert", "a sandy plain", "sand dunes"],
               "snow": ["a snowy field", "a snowfield", "a snow-covered plain"]},
    "object": {"tree": ["a tree"], "house": ["a house", "a cottage"], "sun": ["the sun"]},
    "position": {"left": ["on the left", "on the left side"],
                 "middle": ["in the middle", "in the center"],
                 "right": ["on the right", "on the right side"]},
}
POSITION_OF = {"left": "on the left of", "middle": "in the middle of", "right": "on the right of"}
SKY_OVER = {"blue": "a blue sky", "sunset": "a sunset sky", "night": "a starry night sky"}
TEMPLATES = [
    "{ground} {sky} with {object} {position}",    # a grassland under a blue sky with a tree in the middle
    "{object} {position_of} {ground} {sky}",      # a house on the left of a snowy field at night
    "{sky_over} over {ground}, {object} {position}",
]
TWO = [                                           # {first}, {second}: "a house on the left", either order
    "{ground} {sky} with {first} and {second}",   # a desert at sunset with a house on the left and the sun on the right
    "{first} and {second}, {ground} {sky}",
    "{sky_over} over {ground}, {first} and {second}",
]


def render(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw label rows [sky, ground, object, position, object2, position2] as float32 images
    [N,3,32,32] in [0,1]."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1, 6)
    n = len(labels)
    sky, ground, obj, pos, obj2, pos2 = labels.T
    grid = np.arange(SIZE, dtype=np.float32)
    horizon = HORIZON + rng.integers(-1, 2, n)
    # background: vertical sky gradient above the horizon, flat ground below
    t = np.clip(grid[None, :] / horizon[:, None], 0, 1).astype(np.float32)[:, None, :, None]  # [N,1,32,1]
    sky_img = SKY_TOP[sky][:, :, None, None] * (1 - t) + SKY_LOW[sky][:, :, None, None] * t
    is_ground = (grid[None, :] >= horizon[:, None])[:, None, :, None]               # [N,1,32,1]
    img = np.where(is_ground, GROUND[ground][:, :, None, None], sky_img)
    img = np.ascontiguousarray(np.broadcast_to(img, (n, 3, SIZE, SIZE)))
    # a few stars in night skies
    night = np.flatnonzero(sky == 2)
    sy = rng.integers(0, horizon[night, None] - 3, (len(night), N_STARS))
    sx = rng.integers(0, SIZE, (len(night), N_STARS))
    img[night[:, None, None], np.arange(3)[None, :, None], sy[:, None, :], sx[:, None, :]] = STAR[None, :, None]
    _place(img, np.arange(n), obj, pos, horizon, rng)                            # the first object
    two = np.flatnonzero(obj2 > 0)                                                # a second one, to its right
    _place(img, two, obj2[two] - 1, pos2[two], horizon[two], rng)
    return img


def _place(img: np.ndarray, rows: np.ndarray, obj: np.ndarray, pos: np.ndarray, horizon: np.ndarray,
           rng: np.random.Generator) -> None:
    """Draw object obj[i] (0 tree, 1 house, 2 sun) at place pos[i] into img[rows[i]], jittered in
    place and size."""
    n = len(rows)
    cx = OBJECT_X[pos] + rng.uniform(-1, 1, n).astype(np.float32)
    base = horizon + 3 + rng.uniform(-0.5, 0.5, n).astype(np.float32)            # where it stands
    scale = rng.uniform(0.9, 1.1, n).astype(np.float32)
    x = np.arange(SIZE, dtype=np.float32) + 0.5
    for k, draw in enumerate([_tree, _house, _sun]):
        idx = np.flatnonzero(obj == k)
        dx = x[None, None, :] - cx[idx, None, None]                                # [M,1,32]
        dy = x[None, :, None] - base[idx, None, None]                              # [M,32,1], <0 above base
        sub = img[rows[idx]]
        for mask, color in draw(dx, dy, scale[idx, None, None], rng):
            sub = np.where(mask[:, None], color[None, :, None, None], sub)
        img[rows[idx]] = sub


def _tree(dx, dy, s, rng):
    """A brown trunk under a round dark-green crown."""
    trunk = (np.abs(dx) <= 1.0 * s) & (dy <= 0) & (dy >= -8 * s)
    crown = dx * dx + (dy + 10 * s) ** 2 <= (4.8 * s) ** 2
    return [(trunk, TRUNK), (crown, CROWN)]


def _house(dx, dy, s, rng):
    """A brick body with a dark door under a grey triangular roof."""
    body = (np.abs(dx) <= 4.5 * s) & (dy <= 0) & (dy >= -7 * s)
    roof = (dy < -7 * s) & (np.abs(dx) <= (dy + 12.5 * s) * (6 / 5.5))
    door = (np.abs(dx) <= 1.0) & (dy <= 0) & (dy >= -3.5 * s)
    return [(body, WALL), (roof, ROOF), (door, DOOR)]


def _sun(dx, dy, s, rng):
    """A yellow disc high in the sky."""
    cy = -18 + rng.uniform(-1, 1, (len(dx), 1, 1)).astype(np.float32)
    return [(dx * dx + (dy - cy) ** 2 <= (4.2 * s) ** 2, SUN)]


def caption(attrs: dict, rng: np.random.Generator) -> str:
    """One random phrasing, e.g. "a grassland under a blue sky with a tree in the middle"."""
    pick = lambda words: words[rng.integers(len(words))]  # noqa: E731
    words = {k: pick(CAPTION_WORDS[k][attrs[k]]) for k in ("sky", "ground", "object", "position")}
    if attrs.get("object2", "none") != "none":  # the two objects in either order
        second = f"{pick(CAPTION_WORDS['object'][attrs['object2']])} {pick(CAPTION_WORDS['position'][attrs['position2']])}"
        pair = [f"{words['object']} {words['position']}", second][::1 if rng.integers(2) else -1]
        text = pick(TWO).format(sky_over=SKY_OVER[attrs["sky"]], sky=words["sky"], ground=words["ground"],
                                first=pair[0], second=pair[1])
        return text[0].lower() + text[1:]
    where = POSITION_OF[attrs["position"]]
    if attrs["object"] == "sun":            # the sun hangs above the ground, not in it
        where = f"{words['position']} above"
    text = pick(TEMPLATES).format(sky_over=SKY_OVER[attrs["sky"]], position_of=where, **words)
    return text[0].lower() + text[1:]


def scenes(n: int = 10000, split: str = "train", seed: int = 0) -> CaptionedImages:
    """n captioned landscapes; split "train" (no held-out combinations), "heldout" or "all"."""
    rng = np.random.default_rng(seed)
    labels = sample_labels("scenes", n, split, rng)
    images = torch.from_numpy(render(labels, rng))
    return CaptionedImages(images, torch.from_numpy(labels), SCHEMA, "scenes", caption_fn=caption, seed=seed)
