"""Prompt parsing: English, Chinese and fashion prompts -> canonical attributes; every error case."""
from __future__ import annotations

import pytest

from t2ilab.schema import SCHEMAS
from t2ilab.errors import T2ILabError
from t2ilab.text import guess_dataset, parse
from t2ilab.text.lexicon import NEUTRAL, STOP_WORDS, SYNONYMS, phrases
from t2ilab.text.parse import MAX_PROMPT_CHARS


def shapes(shape=None, color=None, size=None, position=None):
    return {"shape": shape, "color": color, "size": size, "position": position}


def scenes(sky=None, ground=None, object=None, position=None, object2="none", position2="none"):
    return {"sky": sky, "ground": ground, "object": object, "position": position,
            "object2": object2, "position2": position2}


SOURCE = scenes("blue", "grass", "tree", "middle")

SHAPES = [
    ("a big red circle on the left", shapes("circle", "red", "big", "left")),
    ("a tiny crimson ball up top", shapes("circle", "red", "small", "top")),
    ("A Scarlet DISC at the top", shapes("circle", "red", None, "top")),
    ("something round above", shapes("circle", None, None, "top")),
    ("a little box", shapes("square", None, "small")),
    ("a large violet rhombus in the centre", shapes("diamond", "purple", "big", "center")),
    ("a huge green triangle in the middle", shapes("triangle", "green", "big", "center")),
    ("an orange square at the bottom", shapes("square", "orange", None, "bottom")),
    ("a yellow diamond to the right", shapes("diamond", "yellow", None, "right")),
    ("blue", shapes(color="blue")),
    ("small red circles", shapes("circle", "red", "small")),
    ("big blue boxes", shapes("square", "blue", "big")),
    ("i want a picture of a red shape, please", shapes(color="red")),
    ("Draw a BLUE triangle.", shapes("triangle", "blue")),
    ("a crimson scarlet red disc", shapes("circle", "red")),  # synonyms of one value agree
    ("1 red circle", shapes("circle", "red")),
    ("a sky blue ball", shapes("circle", "blue")),
]

CORNERS = [   # one phrase, or one of top/bottom with one of left/right
    ("a red circle in the bottom right corner", shapes("circle", "red", None, "bottom right")),
    ("a small blue square in the upper left corner", shapes("square", "blue", "small", "top left")),
    ("a circle top-left", shapes("circle", position="top left")),
    ("a red circle at the top on the left", shapes("circle", "red", None, "top left")),
    ("a circle at the bottom, on the right", shapes("circle", position="bottom right")),
    ("on the right, at the bottom: a tiny diamond", shapes("diamond", None, "small", "bottom right")),
    ("bottom left", shapes(position="bottom left")),
    ("红色的圆在右下角", shapes("circle", "red", None, "bottom right")),
    ("绿色正方形在左上方", shapes("square", "green", None, "top left")),
    ("在下面的右边有一个圆", shapes("circle", position="bottom right")),
    ("a red circle in the corner", shapes("circle", "red")),     # which corner is left open: no guess
]


@pytest.mark.parametrize("prompt, expected", CORNERS)
def test_corners(prompt, expected):
    assert parse(prompt, "shapes") == expected


CHINESE = [
    ("红色的大圆在左边", "shapes", shapes("circle", "red", "big", "left")),
    ("一个小的蓝色三角形在顶部", "shapes", shapes("triangle", "blue", "small", "top")),
    ("我想要一个紫色的菱形，在右边", "shapes", shapes("diamond", "purple", None, "right")),
    ("绿色正方形在下面", "shapes", shapes("square", "green", None, "bottom")),
    ("中间有一个黄色的圆形", "shapes", shapes("circle", "yellow", None, "center")),
    ("红圆", "shapes", shapes("circle", "red")),
    ("大", "shapes", shapes(size="big")),
    ("我想要一个蓝天下的大草原，中间有一棵树", "scenes", SOURCE),
    ("夜晚的雪地，左边有一座房子", "scenes", scenes("night", "snow", "house", "left")),
    ("日落沙漠，右边有太阳", "scenes", scenes("sunset", "sand", "sun", "right")),
    ("日落时的沙滩", "scenes", scenes("sunset", "sand")),
    ("草地上的大树", "scenes", scenes(ground="grass", object="tree")),
    ("一双运动鞋", "fashion", {"item": "sneaker"}),
    ("T恤", "fashion", {"item": "t-shirt"}),
    ("一条连衣裙", "fashion", {"item": "dress"}),
    ("靴子", "fashion", {"item": "ankle boot"}),
]

SCENES = [
    ("a grassland under a blue sky with a tree in the middle", SOURCE),
    ("A tree in the middle of a grassland, under a blue sky.", SOURCE),
    ("a house on the beach at sunset, on the left", scenes("sunset", "sand", "house", "left")),
    ("a cabin in the snow under a starry sky", scenes("night", "snow", "house")),
    ("a big tree in the centre", scenes(object="tree", position="middle")),
    ("desert at dusk", scenes("sunset", "sand")),
    ("trees on a meadow", scenes(ground="grass", object="tree")),
    ("a landscape", scenes()),
]

FASHION = [
    ("an ankle boot", "ankle boot"), ("Ankle boots", "ankle boot"), ("a boot", "ankle boot"),
    ("a t-shirt", "t-shirt"), ("a T-Shirt", "t-shirt"), ("a tee", "t-shirt"), ("a top", "t-shirt"),
    ("a shirt", "shirt"), ("trousers", "trouser"), ("a pair of pants", "trouser"), ("jeans", "trouser"),
    ("sneakers", "sneaker"), ("running shoes", "sneaker"), ("a handbag", "bag"), ("a purse", "bag"),
    ("a dress", "dress"), ("dresses", "dress"), ("a coat", "coat"), ("a jacket", "coat"),
    ("a sandal", "sandal"), ("a sweater", "pullover"), ("a pullover", "pullover"),
]


@pytest.mark.parametrize("prompt, expected", SHAPES)
def test_english_shapes(prompt, expected):
    assert parse(prompt, "shapes") == expected


@pytest.mark.parametrize("prompt, dataset, expected", CHINESE)
def test_chinese(prompt, dataset, expected):
    assert parse(prompt, dataset) == expected


@pytest.mark.parametrize("prompt, expected", SCENES)
def test_english_scenes(prompt, expected):
    assert parse(prompt, "scenes") == expected


@pytest.mark.parametrize("prompt, item", FASHION)
def test_fashion(prompt, item):
    assert parse(prompt, "fashion") == {"item": item}


def test_default_dataset_is_shapes():
    assert parse("a red circle") == shapes("circle", "red")


def test_middle_is_canonical_per_dataset():
    assert parse("middle", "shapes")["position"] == "center"
    assert parse("centre", "scenes")["position"] == "middle"


def test_big_chinese_only_in_shapes():
    """大草原 is grassland (longest match), not big; 大 alone is a size only in shapes."""
    assert parse("大草原", "scenes") == scenes(ground="grass")
    assert parse("大圆", "shapes") == shapes("circle", size="big")
    assert parse("大", "scenes") == scenes()  # scenes have no size: accepted, fixes nothing


@pytest.mark.parametrize("dataset", list(SCHEMAS))
def test_every_lexicon_phrase_parses_to_its_value(dataset):
    for phrase, (attr, value) in phrases(dataset).items():
        got = parse(phrase, dataset)
        assert got[attr] == value, (phrase, got)
        fixed = {a: v for a, v in got.items() if v is not None and (a, v) not in (("object2", "none"),
                                                                                   ("position2", "none"))}
        assert fixed == {attr: value}, (phrase, got)   # one phrase fixes one value (and no second object)


@pytest.mark.parametrize("dataset", list(SCHEMAS))
def test_lexicon_is_consistent(dataset):
    for attr, values in SYNONYMS[dataset].items():
        assert set(values) <= set(SCHEMAS[dataset][attr]), attr
    assert not set(phrases(dataset)) & set(STOP_WORDS)
    assert not set(phrases(dataset)) & set(NEUTRAL[dataset])
    assert not set(NEUTRAL[dataset]) & set(STOP_WORDS)


def test_stop_words_only_leave_everything_open():
    assert parse("please draw me a picture", "shapes") == shapes()
    assert parse("我想要一个", "scenes") == scenes()


# --- errors: one line each, saying what was wrong and how to fix it ---------------------------

def error(prompt, dataset="shapes"):
    with pytest.raises(T2ILabError) as info:
        parse(prompt, dataset)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_empty_prompt(prompt):
    assert "empty" in error(prompt)


def test_prompt_without_words():
    assert "no words" in error("?!")


def test_not_a_string():
    assert "str" in error(42)


def test_too_long_says_length_and_limit():
    message = error("red " * 130)
    assert "520" in message and str(MAX_PROMPT_CHARS) in message
    assert parse(("red " * 125)[:MAX_PROMPT_CHARS])["color"] == "red"  # at the limit: fine


def test_unknown_word_suggests_nearest():
    assert error("a red cirlce") == "unknown word 'cirlce' — did you mean 'circle'?"


def test_several_unknown_words_all_listed():
    message = error("a bleu trinagle")
    assert message.startswith("unknown words")
    assert "'bleu' — did you mean 'blue'?" in message
    assert "'trinagle' — did you mean 'triangle'?" in message


def test_unknown_word_without_close_match_lists_known_words():
    message = error("a red xyzzy")
    assert "'xyzzy'" in message and "circle" in message and "SYNONYMS['shapes']" in message


def test_word_of_another_dataset_names_it():
    message = error("a red tree", "shapes")
    assert "'tree'" in message and "'scenes'" in message
    assert "'red'" in error("a red dress", "fashion")


def test_unknown_chinese_characters_reported_together():
    assert "'猫咪'" in error("红色的猫咪")


@pytest.mark.parametrize("prompt, expected", [
    ("a red blue circle", "the prompt asks for two colors: red and blue; keep one"),
    ("a ball box", "the prompt asks for two shapes: circle (ball) and square (box); keep one"),
    ("a small huge circle", "the prompt asks for two sizes: small and big (huge); keep one"),
    ("top center", "the prompt asks for two positions: top and center; keep one"),
    ("a circle on the left on the right", "the prompt asks for two positions: left (on the left) and right (on the "
                                          "right); keep one"),
    ("红色蓝色的圆", "the prompt asks for two colors: red (红色) and blue (蓝色); keep one"),
])
def test_contradictions(prompt, expected):
    assert error(prompt) == expected


def test_several_contradictions_in_one_line():
    message = error("a red blue green circle, big and small")
    assert "three colors: red, blue and green" in message and "two sizes: big and small" in message
    assert message.endswith("keep one of each")


TWO_OBJECTS = [   # the first object is the one further left, whichever the prompt names first
    ("a house on the left and a tree on the right", scenes(object="house", position="left", object2="tree",
                                                          position2="right")),
    ("a tree on the right and a house on the left", scenes(object="house", position="left", object2="tree",
                                                          position2="right")),
    ("on the left a house, on the right a tree", scenes(object="house", position="left", object2="tree",
                                                       position2="right")),
    ("左边有一座房子，右边有一棵树", scenes(object="house", position="left", object2="tree", position2="right")),
    ("a desert at sunset with the sun in the middle and a cabin on the right",
     scenes("sunset", "sand", "sun", "middle", "house", "right")),
    # a position goes with the object before it, and an object without one keeps its reading order
    ("a house and a tree", scenes(object="house", object2="tree", position2=None)),
    ("一座房子和一棵树", scenes(object="house", object2="tree", position2=None)),
    ("a house and a tree on the left", scenes(object="tree", position="left", object2="house", position2=None)),
    ("a house on the right and a tree", scenes(object="tree", object2="house", position2="right")),
    ("a house and a tree in the middle", scenes(object="house", position="left", object2="tree",
                                                position2="middle")),
    ("a tree in the middle and a house", scenes(object="tree", position="middle", object2="house",
                                                position2="right")),
    ("a tree on the left and a tree on the right", scenes(object="tree", position="left", object2="tree",
                                                          position2="right")),
]


@pytest.mark.parametrize("prompt, expected", TWO_OBJECTS)
def test_two_objects_each_at_its_place(prompt, expected):
    assert parse(prompt, "scenes") == expected


@pytest.mark.parametrize("prompt, expected", [
    ("a house, a tree and the sun", "the prompt names three objects (house, tree and sun), but a scene holds "
                                    "at most two; keep two"),
    ("a house on the left and a tree on the left", "the prompt puts the house and the tree both on the left; "
                                                   "give each its own place: left, middle or right"),
    ("the sun on the left and the sun on the right", "the prompt names the sun twice, but the sky has one; "
                                                     "keep one sun"),
    ("a tree on the left on the right", "the prompt asks for two positions (left and right) for one object; "
                                        "give each object one position (a house on the left and a tree on the right)"),
    ("on the left on the right", "the prompt asks for two positions: left and right; keep one, or name an "
                                 "object for each (a house on the left and a tree on the right)"),
    ("a desert, a snowfield and a tree", "the prompt asks for two grounds: sand (desert) and snow (snowfield); "
                                         "keep one"),
])
def test_scene_contradictions(prompt, expected):
    assert error(prompt, "scenes") == expected


@pytest.mark.parametrize("prompt", ["two red circles", "3 squares", "两个红色的圆"])
def test_counts_point_to_n(prompt):
    assert "n=" in error(prompt)


def test_unknown_dataset():
    message = error("a red circle", "cats")
    assert "'cats'" in message and "shapes" in message


def test_unexplained_chinese_character_is_an_error():
    assert "'狗'" in error("日落时的沙滩，有一只狗", "scenes")


# --- guess_dataset -----------------------------------------------------------------------------

@pytest.mark.parametrize("prompt, dataset", [
    ("a big red circle on the left", "shapes"),
    ("a tiny crimson ball up top", "shapes"),
    ("a grassland under a blue sky with a tree in the middle", "scenes"),
    ("我想要一个蓝天下的大草原，中间有一棵树", "scenes"),
    ("红色的大圆在左边", "shapes"),
    ("an ankle boot", "fashion"),
    ("a t-shirt", "fashion"),
    ("运动鞋", "fashion"),
    ("blue", "shapes"),          # explained by shapes and scenes alike: the first dataset wins
    ("a blue sky", "scenes"),
    ("a big tree", "scenes"),
    ("a landscape", "scenes"),
    ("two red circles", "shapes"),  # parse then says to use n=
])
def test_guess_dataset(prompt, dataset):
    assert guess_dataset(prompt) == dataset


def test_guess_dataset_errors():
    with pytest.raises(T2ILabError, match="no built-in dataset knows every word.*did you mean 'circle'"):
        guess_dataset("a red cirlce")
    with pytest.raises(T2ILabError, match="names nothing to draw"):
        guess_dataset("please draw a picture")
    with pytest.raises(T2ILabError, match="empty"):
        guess_dataset(" ")
