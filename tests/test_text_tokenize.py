"""Tokenizer and vocabulary: what lesson 01 shows students."""
from __future__ import annotations

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.text import Vocabulary, tokenize


@pytest.mark.parametrize("text, tokens", [
    ("A big RED circle, on the left!", ["a", "big", "red", "circle", "on", "the", "left"]),
    ("a T-shirt", ["a", "t", "shirt"]),                       # hyphens split
    ("I'd like  a ball...", ["i'd", "like", "a", "ball"]),     # apostrophes stay inside a word
    ("I\u2019d like it", ["i'd", "like", "it"]),                # typographic apostrophe
    ("3 circles", ["3", "circles"]),
    ("我想要一个蓝天下的大草原，中间有一棵树",
     ["我想要", "一个", "蓝天", "下", "的", "大草原", "中间", "有", "一棵", "树"]),
    ("红色的大圆在左边", ["红色", "的", "大", "圆", "在", "左边"]),
    ("红色的猫", ["红色", "的", "猫"]),                           # unknown character: a token of its own
    ("T恤", ["t", "恤"]),
    ("a red 圆", ["a", "red", "圆"]),                           # mixed scripts
    ("ＲＥＤ　ｃｉｒｃｌｅ", ["red", "circle"]),                   # full-width letters and space
    ("", []),
    ("?! ，。", []),
])
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_vocabulary_from_tokens():
    vocab = Vocabulary(["red", "circle", "red"])
    assert len(vocab) == 4
    assert vocab.itos[:2] == ["<pad>", "<unk>"]
    assert vocab.encode("a red circle") == [vocab.unk_id, 2, 3]
    assert vocab.encode("red", length=3) == [2, vocab.pad_id, vocab.pad_id]
    assert vocab.encode("red red red circle", length=2) == [2, 2]
    assert vocab.decode([2, 3, 0, 0]) == "red circle"
    assert vocab.decode(torch.tensor([1, 3])) == "<unk> circle"
    assert "red" in vocab and "blue" not in vocab


@pytest.mark.parametrize("dataset, prompt", [
    ("shapes", "a tiny crimson ball up top"),
    ("shapes", "红色的大圆在左边"),
    ("scenes", "我想要一个蓝天下的大草原，中间有一棵树"),
    ("scenes", "a grassland under a blue sky with a tree in the middle"),
    ("fashion", "an ankle boot"),
])
def test_dataset_vocabulary_knows_its_prompts(dataset, prompt):
    vocab = Vocabulary.for_dataset(dataset)
    ids = vocab.encode(prompt)
    assert vocab.unk_id not in ids
    assert vocab.decode(ids).split() == tokenize(prompt)


def test_dataset_vocabularies_are_stable_and_distinct():
    shapes = Vocabulary.for_dataset("shapes")
    assert shapes.itos == Vocabulary.for_dataset("shapes").itos
    assert "circle" in shapes and "tree" not in shapes
    assert "tree" in Vocabulary.for_dataset("scenes")
    assert 50 < len(shapes) < 1000


def test_unknown_dataset_vocabulary():
    with pytest.raises(T2ILabError, match="unknown dataset 'cats'"):
        Vocabulary.for_dataset("cats")
