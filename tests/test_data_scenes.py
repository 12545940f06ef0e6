"""scenes: the source articles' landscapes; every attribute is plainly readable from the pixels."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from t2ilab.data import HELDOUT, SCHEMAS, scenes
from t2ilab.data.scenes import CROWN, GROUND, OBJECT_X, SKY_TOP, SUN, CAPTION_WORDS, TRUNK, WALL, ROOF, DOOR, caption
from t2ilab.errors import T2ILabError

SCHEMA = SCHEMAS["scenes"]


def test_tensors_shapes_dtypes_and_range():
    ds = scenes(300, seed=1)
    assert ds.images.shape == (300, 3, 32, 32) and ds.images.dtype == torch.float32
    assert ds.labels.shape == (300, 6) and ds.labels.dtype == torch.int64
    assert 0 <= ds.images.min() and ds.images.max() <= 1
    assert ds.name == "scenes" and ds.schema == SCHEMA and len(ds) == 300


def test_same_seed_same_data_other_seed_differs():
    a, b, c = scenes(200, seed=3), scenes(200, seed=3), scenes(200, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert list(a.captions) == list(b.captions)
    assert not torch.equal(a.images, c.images) and list(a.captions) != list(c.captions)


def test_heldout_never_in_train_and_only_in_heldout():
    held = set(HELDOUT["scenes"])
    assert held and (0, 0, 0, 1, 0, 0) not in held            # the source prompt stays in training
    train = {tuple(r) for r in scenes(4000, "train").labels.tolist()}
    assert not train & held and len(train) == 297 - len(held)
    assert {tuple(r) for r in scenes(300, "heldout").labels.tolist()} == held


def test_only_combinations_that_go_together():
    # 3 skies x 3 grounds x (9 single objects + 24 pairs: 3 pairs of places x 9 pairs of objects, less two suns)
    labels = scenes(4000, "all", seed=2).labels
    _, _, first, where, second, where2 = labels.T
    assert ((second == 0) == (where2 == 0)).all() and (where2[second > 0] > where[second > 0]).all()
    assert not ((first == 2) & (second == 3)).any() and 0.6 < (second > 0).float().mean() < 0.9


def test_captions_name_exactly_the_right_values():
    words = {a: {v: [re.sub(r"^(a|an|the|under a|at|on the|in the|under a clear) ", "", w) for w in ws]
                 for v, ws in syn.items()} for a, syn in CAPTION_WORDS.items()}
    words["ground"]["snow"] += ["snow"]
    words["ground"]["sand"] += ["sand"]
    ds = scenes(1500, "all", seed=5)
    for i in range(len(ds)):
        text, truth = ds.captions[i], ds.attributes(i)
        for a, syn in words.items():
            found = {v for v, ws in syn.items() if any(re.search(rf"\b{re.escape(w)}\b", text) for w in ws)}
            if a == "sky":                                    # "a blue sky over ..." / "a sunset sky over ..."
                found |= {v for v in ("blue", "sunset", "night") if re.search(rf"\b{v}\b", text)}
            second = {"object": truth["object2"], "position": truth["position2"]}.get(a, "none")
            assert found == {truth[a]} | ({second} - {"none"}), (text, truth, a, found)


def test_source_prompts_are_among_the_phrasings():
    def seen(**attrs):
        return {caption(attrs, np.random.default_rng(s)) for s in range(400)}
    assert "a grassland under a blue sky with a tree in the middle" in seen(
        sky="blue", ground="grass", object="tree", position="middle")
    assert "a house on the left of a snowy field at night" in seen(
        sky="night", ground="snow", object="house", position="left")


def read_scene(img: np.ndarray) -> tuple[int, ...]:
    """Read the six labels back from one image with plain rules, no learning: the sky's and the
    ground's colours, and at each of the three places the colours of a tree, a house or the sun."""
    sky = np.abs(SKY_TOP - np.median(img[:, :2].reshape(3, -1), 1)).sum(1).argmin()
    ground = np.abs(GROUND - np.median(img[:, -1], 1)).sum(1).argmin()
    near = lambda color: np.abs(img - color[:, None, None]).sum(0) < 0.05  # noqa: E731
    kinds = [near(CROWN) | near(TRUNK), near(WALL) | near(ROOF) | near(DOOR), near(SUN)]
    placed = []
    for place, x in enumerate(OBJECT_X):
        band = slice(int(x - 1.5), int(x + 1.5) + 1)       # columns only the object at this place reaches
        counts = [k[:, band].sum() for k in kinds]
        if max(counts) >= 3:
            placed.append((int(np.argmax(counts)), place))
    (obj, where), *rest = placed
    obj2, where2 = (rest[0][0] + 1, rest[0][1]) if rest else (0, 0)
    return int(sky), int(ground), obj, where, obj2, where2


def test_night_skies_have_stars_and_others_do_not():
    ds = scenes(300, "all", seed=2)
    sky_rows = ds.images[:, :, :12]                                  # above every object but the sun
    starry = ((sky_rows - torch.tensor([1.0, 1.0, 0.85])[:, None, None]).abs().sum(1) < 1e-4).flatten(1).sum(1)
    night = ds.labels[:, 0] == 2
    assert (starry[night] >= 1).all() and (starry[~night] == 0).all()


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(n="many"), dict(n=5, split="validation")])
def test_bad_arguments_raise_one_clear_line(kwargs):
    with pytest.raises(T2ILabError) as e:
        scenes(**kwargs)
    assert "\n" not in str(e.value) and ("split" in str(e.value) or "n must be" in str(e.value))
