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
    assert ds.labels.shape == (300, 4) and ds.labels.dtype == torch.int64
    assert 0 <= ds.images.min() and ds.images.max() <= 1
    assert ds.name == "scenes" and ds.schema == SCHEMA and len(ds) == 300


def test_same_seed_same_data_other_seed_differs():
    a, b, c = scenes(200, seed=3), scenes(200, seed=3), scenes(200, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert list(a.captions) == list(b.captions)
    assert not torch.equal(a.images, c.images) and list(a.captions) != list(c.captions)


def test_heldout_never_in_train_and_only_in_heldout():
    held = set(HELDOUT["scenes"])
    assert held and (0, 0, 0, 1) not in held                  # the source prompt stays in training
    train = {tuple(r) for r in scenes(3000, "train").labels.tolist()}
    assert not train & held and len(train) == 81 - len(held)
    assert {tuple(r) for r in scenes(300, "heldout").labels.tolist()} == held


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
            assert found == {truth[a]}, (text, truth, a, found)


def test_source_prompts_are_among_the_phrasings():
    def seen(**attrs):
        return {caption(attrs, np.random.default_rng(s)) for s in range(400)}
    assert "a grassland under a blue sky with a tree in the middle" in seen(
        sky="blue", ground="grass", object="tree", position="middle")
    assert "a house on the left of a snowy field at night" in seen(
        sky="night", ground="snow", object="house", position="left")


def read_scene(img: np.ndarray) -> tuple[int, int, int, int]:
    """Read sky, ground, object, position back from one image with plain rules, no learning."""
    sky = np.abs(SKY_TOP - np.median(img[:, :2].reshape(3, -1), 1)).sum(1).argmin()
    ground = np.abs(GROUND - np.median(img[:, -1], 1)).sum(1).argmin()
    near = lambda color: np.abs(img - color[:, None, None]).sum(0) < 0.05  # noqa: E731
    counts = [near(CROWN).sum(), near(WALL).sum(), near(SUN).sum()]
    obj = int(np.argmax(counts))
    mask = near(TRUNK) | near(CROWN) | near(WALL) | near(ROOF) | near(DOOR) | near(SUN)
    cx = np.nonzero(mask)[1].mean() + 0.5
    return int(sky), int(ground), obj, int(np.abs(OBJECT_X - cx).argmin())


def test_every_attribute_is_readable_from_the_pixels():
    ds = scenes(600, "all", seed=7)
    read = np.array([read_scene(img) for img in ds.images.numpy()])
    accuracy = (read == ds.labels.numpy()).mean(0)
    assert (accuracy >= 0.99).all(), dict(zip(SCHEMA, accuracy))


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
