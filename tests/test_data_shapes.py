"""shapes: images, labels, held-out split and captions say the same thing."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from t2ilab.data import HELDOUT, SCHEMAS, shapes
from t2ilab.data.shapes import COLORS, CAPTION_WORDS, caption, render
from t2ilab.errors import T2ILabError

SCHEMA = SCHEMAS["shapes"]


def labels_for(n, **fixed):
    """n label rows, every attribute random except the fixed ones (given as value names)."""
    rng = np.random.default_rng(0)
    rows = np.stack([rng.integers(0, len(v), n) for v in SCHEMA.values()], 1)
    for k, (a, vals) in enumerate(SCHEMA.items()):
        if a in fixed:
            rows[:, k] = vals.index(fixed[a])
    return rows


def test_tensors_shapes_dtypes_and_range():
    ds = shapes(300, seed=1)
    assert ds.images.shape == (300, 3, 32, 32) and ds.images.dtype == torch.float32
    assert ds.labels.shape == (300, 4) and ds.labels.dtype == torch.int64
    assert ds.images.min() == 0 and ds.images.max() <= 1
    for k, vals in enumerate(SCHEMA.values()):
        assert 0 <= ds.labels[:, k].min() and ds.labels[:, k].max() < len(vals)
    image, text, labels = ds[7]
    assert image.shape == (3, 32, 32) and isinstance(text, str) and labels.tolist() == ds.labels[7].tolist()
    assert len(ds) == 300 and ds.name == "shapes" and ds.schema == SCHEMA


def test_same_seed_same_data_other_seed_differs():
    a, b, c = shapes(200, seed=3), shapes(200, seed=3), shapes(200, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert list(a.captions) == list(b.captions)
    assert not torch.equal(a.labels, c.labels) and not torch.equal(a.images, c.images)
    assert list(a.captions) != list(c.captions)


def test_heldout_never_in_train_and_only_in_heldout():
    held = set(HELDOUT["shapes"])
    assert len(held) == 43
    train = {tuple(r) for r in shapes(8000, "train").labels.tolist()}
    assert not train & held and len(train) == 432 - 43          # every other combination shows up
    heldout = {tuple(r) for r in shapes(800, "heldout").labels.tolist()}
    assert heldout == held
    everything = {tuple(r) for r in shapes(8000, "all").labels.tolist()}
    assert len(everything) == 432


def words_found(text: str) -> dict[str, set[str]]:
    """For each attribute, the values whose words occur in `text`."""
    return {a: {v for v, words in syn.items() if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)}
            for a, syn in CAPTION_WORDS.items()}


def test_captions_name_exactly_the_right_values():
    ds = shapes(2000, "all", seed=5)
    for i in range(len(ds)):
        text = ds.captions[i]
        truth = ds.attributes(i)
        found = words_found(text)
        # a position may also be named by its bare word ("left: a large red circle")
        found["position"] |= {v for v in SCHEMA["position"] if re.match(rf"{v}:", text)}
        assert all(found[a] == {truth[a]} for a in SCHEMA), (text, truth, found)
        assert not re.search(r"\ba [aeiou]", text), text                # "an orange", never "a orange"


def test_caption_phrasings():
    attrs = {"shape": "circle", "color": "red", "size": "big", "position": "left"}
    seen = {caption(attrs, np.random.default_rng(s)) for s in range(300)}
    for want in ["a big red circle on the left", "left: a large red circle", "a red circle, big, on the left side"]:
        assert want in seen
    assert len(seen) >= 15
    assert "up top" in " ".join(caption({**attrs, "position": "top"}, np.random.default_rng(s)) for s in range(200))


def test_center_pixel_has_the_color_of_the_label():
    rows = labels_for(600)
    images = render(rows, np.random.default_rng(0))
    mass = images.sum(1)                                             # [N,32,32]
    yy, xx = np.mgrid[0:32, 0:32]
    for img, m, (_, color, _, _) in zip(images, mass, rows):
        cy, cx = int((m * yy).sum() / m.sum()), int((m * xx).sum() / m.sum())
        pixel = img[:, cy, cx]
        assert np.abs(COLORS - pixel).sum(1).argmin() == color
        assert np.allclose(pixel, COLORS[color], atol=1e-5)         # fully covered, not an edge pixel


def centroids(images):
    m = images.sum(1)
    yy, xx = np.mgrid[0:32, 0:32]
    return (m * xx).sum((1, 2)) / m.sum((1, 2)), (m * yy).sum((1, 2)) / m.sum((1, 2))


def test_position_moves_the_centroid():
    rng = np.random.default_rng(0)
    cx, cy = {}, {}
    for p in SCHEMA["position"]:
        x, y = centroids(render(labels_for(200, position=p), rng))
        cx[p], cy[p] = x, y
    assert cx["left"].max() < cx["center"].min() - 3 and cx["center"].max() < cx["right"].min() - 3
    assert cy["top"].max() < cy["center"].min() - 3 and cy["center"].max() < cy["bottom"].min() - 3
    assert abs(cy["left"].mean() - 16) < 1 and abs(cx["top"].mean() - 16) < 1
    for corner in ("top left", "top right", "bottom left", "bottom right"):   # a corner: both sides at once
        vertical, horizontal = corner.split()
        assert abs(cx[corner].mean() - cx[horizontal].mean()) < 1 and abs(cy[corner].mean() - cy[vertical].mean()) < 1


def test_size_changes_the_area():
    rng = np.random.default_rng(0)
    for s in SCHEMA["shape"]:
        small = render(labels_for(100, shape=s, size="small", color="blue"), rng).max(1).sum((1, 2))
        big = render(labels_for(100, shape=s, size="big", color="blue"), rng).max(1).sum((1, 2))
        assert big.min() > 1.8 * small.max(), s                  # no overlap: size is always readable
        assert 2.2 < big.mean() / small.mean() < 3.3, s


def test_ten_thousand_images_render():
    """How fast: benchmarks/bench_data.py (a speed target is no unit test on a shared machine)."""
    ds = shapes(10000, seed=4)
    assert ds.images.shape == (10000, 3, 32, 32) and 0 <= float(ds.images.min()) and float(ds.images.max()) <= 1
    assert torch.equal(ds.images[-5:], shapes(10000, seed=4).images[-5:])


@pytest.mark.parametrize("kwargs, word", [
    (dict(n=0), "n must be"), (dict(n=-5), "n must be"), (dict(n=2.5), "n must be"),
    (dict(n=10, split="test"), "split"),
])
def test_bad_arguments_raise_one_clear_line(kwargs, word):
    with pytest.raises(T2ILabError) as e:
        shapes(**kwargs)
    assert word in str(e.value) and "\n" not in str(e.value)
