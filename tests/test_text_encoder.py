"""Conditioning: labels with seeded sampling of open attributes, one-hots, learned embeddings."""
from __future__ import annotations

import pytest
import torch

from t2ilab.schema import SCHEMAS
from t2ilab.errors import T2ILabError
from t2ilab.text import TextEncoder, labels_for, one_hot


def test_labels_of_a_full_prompt():
    labels = labels_for("a big red circle on the left", "shapes", n=3)
    assert labels.dtype == torch.long and labels.shape == (3, 4)
    assert labels.tolist() == [[0, 0, 1, 0]] * 3   # circle, red, big, left in schema order


def test_source_prompt_labels():
    assert labels_for("我想要一个蓝天下的大草原，中间有一棵树", "scenes").tolist() == [[0, 0, 0, 1, 0, 0]]


def test_fixed_attributes_stay_open_ones_vary():
    labels = labels_for("a red circle", "shapes", n=500, seed=0)
    assert (labels[:, 0] == 0).all() and (labels[:, 1] == 0).all()
    assert set(labels[:, 2].tolist()) == {0, 1}
    assert set(labels[:, 3].tolist()) == set(range(9))
    share = torch.bincount(labels[:, 3], minlength=9).float() / 500
    assert (share - 1 / 9).abs().max() < 0.05   # uniform (one draw's spread: 0.014)


def test_same_seed_same_labels_different_seeds_differ():
    a = labels_for("a circle", "shapes", n=64, seed=7)
    assert torch.equal(a, labels_for("a circle", "shapes", n=64, seed=7))
    others = [labels_for("a circle", "shapes", n=64, seed=s) for s in range(8, 18)]
    assert all(not torch.equal(a, b) for b in others)
    assert len({tuple(b.flatten().tolist()) for b in others}) == 10


def test_attribute_dict():
    labels = labels_for({"color": "blue", "position": None}, "shapes", n=100, seed=1)
    assert (labels[:, 1] == 4).all()
    assert len(set(labels[:, 0].tolist())) == 4
    assert labels_for({"item": "ankle boot"}, "fashion").tolist() == [[9]]


@pytest.mark.parametrize("args, words", [
    (({"colour": "red"}, "shapes"), ["'colour'", "color"]),
    (({"color": "pink"}, "shapes"), ["'pink'", "red, orange"]),
    (("a red cirlce", "shapes"), ["did you mean 'circle'"]),
    (("a red circle", "cats"), ["'cats'"]),
    ((3, "shapes"), ["int"]),
])
def test_labels_for_errors(args, words):
    with pytest.raises(T2ILabError) as info:
        labels_for(*args)
    assert all(w in str(info.value) for w in words)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_n(n):
    with pytest.raises(T2ILabError, match="n must be"):
        labels_for("a circle", n=n)


def test_one_hot():
    labels = torch.tensor([[0, 0, 1, 0], [3, 5, 0, 4]])
    out = one_hot(labels, "shapes")
    assert out.dtype == torch.float32 and out.shape == (2, 4 + 6 + 2 + 9)
    assert out.sum(1).tolist() == [4.0, 4.0]
    assert out[1].nonzero().flatten().tolist() == [3, 4 + 5, 4 + 6 + 0, 4 + 6 + 2 + 4]
    assert torch.equal(one_hot(labels, SCHEMAS["shapes"]), out)


def test_one_hot_errors():
    with pytest.raises(T2ILabError, match=r"shape \[batch, 4\]"):
        one_hot(torch.zeros(2, 3, dtype=torch.long), "shapes")
    with pytest.raises(T2ILabError, match="'color' out of range"):
        one_hot(torch.tensor([[0, 6, 0, 0]]), "shapes")


@pytest.mark.parametrize("dataset", list(SCHEMAS))
@pytest.mark.parametrize("mode, width", [("concat", lambda a, d: a * d), ("sum", lambda a, d: d)])
def test_encoder_shapes(dataset, mode, width):
    enc = TextEncoder(dataset, dim=8, mode=mode)
    a = len(SCHEMAS[dataset])
    assert enc.out_dim == width(a, 8)
    out = enc(labels_for({}, dataset, n=5, seed=0))
    assert out.dtype == torch.float32 and out.shape == (5, enc.out_dim)


def test_concat_keeps_each_attribute_in_its_slice():
    enc = TextEncoder("shapes", dim=4)
    out = enc(torch.tensor([[2, 1, 0, 3]]))
    assert torch.equal(out[0, 4:8], enc.embeddings[1].weight[1])
    summed = TextEncoder("shapes", dim=4, mode="sum")
    expected = sum(e.weight[i] for e, i in zip(summed.embeddings, [2, 1, 0, 3]))
    assert torch.allclose(summed(torch.tensor([[2, 1, 0, 3]]))[0], expected)


def test_gradient_reaches_the_embeddings_used():
    torch.manual_seed(0)
    enc = TextEncoder("shapes", dim=8)
    enc(torch.tensor([[0, 2, 1, 4]])).pow(2).sum().backward()
    color = enc.embeddings[1].weight.grad
    assert color[2].abs().sum() > 0
    assert color[[0, 1, 3, 4, 5]].abs().sum() == 0       # only the looked-up row learns


def test_encode_prompts():
    enc = TextEncoder("scenes", dim=6)
    out = enc.encode(["a tree in the middle", "我想要一个蓝天下的大草原，中间有一棵树"], seed=3)
    assert out.shape == (2, 36)                               # 6 attributes x 6
    assert torch.equal(out, enc.encode(["a tree in the middle", "我想要一个蓝天下的大草原，中间有一棵树"], seed=3))
    assert torch.equal(enc.encode("a grassland under a blue sky with a tree in the middle")[0], out[1])


def test_encoder_errors():
    with pytest.raises(T2ILabError, match="mode"):
        TextEncoder("shapes", mode="mean")
    with pytest.raises(T2ILabError, match=r"\[batch, 4\]"):
        TextEncoder("shapes")(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(T2ILabError, match="integer labels"):
        TextEncoder("shapes")(torch.zeros(2, 4))
    with pytest.raises(T2ILabError, match="at least one prompt"):
        TextEncoder("shapes").encode([])
