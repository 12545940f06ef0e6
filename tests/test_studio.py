"""The prompt studio and lesson 01's views: controls redraw, refusals are one line, static renderings stand alone."""
import base64
import io

import pytest
import torch
from PIL import Image

from t2ilab.course.studio import (AUTO, ConditioningView, EmbeddingTable, PromptStudio, attribute_rows, auto_model,
                                  candidates, generators, onehot_png, seeded_encoder)
from t2ilab.errors import T2ILabError
from t2ilab.schema import SCHEMAS
from t2ilab.generate import generate
from t2ilab.text import labels_for

GRASSLAND = "a grassland under a blue sky with a tree in the middle"
GRASSLAND_ZH = "我想要一个蓝天下的大草原，中间有一棵树"


def size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def test_generators_are_the_shipped_non_judges_vae_first():
    names = generators()
    assert "shapes-judge" not in names and {"shapes-vae", "shapes-gan", "scenes-vae", "fashion-vae"} <= set(names)
    assert names.index("shapes-vae") < names.index("shapes-gan")
    assert auto_model(GRASSLAND) == "scenes-vae" and auto_model("a red circle") == "shapes-vae"
    assert auto_model("an ankle boot") == "fashion-vae"


def test_candidates_are_generate_with_the_same_seed():
    r = candidates("a red circle", "shapes-gan", seed=5, n=6)
    images, labels = generate("a red circle", model="shapes-gan", n=6, seed=5)
    assert torch.equal(r.images, images) and torch.equal(r.labels, labels)
    assert r.open == ["size", "position"] and r.sampled("color") == ["red"] * 6
    assert r.sampled("position") == [SCHEMAS["shapes"]["position"][i] for i in labels[:, 3].tolist()]
    rows = dict((a, (kind, v)) for a, kind, v in attribute_rows(r))
    assert rows["shape"] == ("fixed", "circle") and rows["size"][0] == "open"
    assert rows["size"][1] == "sampled: " + ", ".join(r.sampled("size"))
    assert "'a red circle'" in r.alt() and "6 images" in r.alt() and "shapes-gan" in r.alt()


def test_studio_default_is_the_source_articles_prompt():
    s = PromptStudio()
    assert s.prompt.value == GRASSLAND and s.result.model == "scenes-vae"
    assert s.result.attributes == {"sky": "blue", "ground": "grass", "object": "tree", "position": "middle",
                                   "object2": "none", "position2": "none"}
    assert s.image.value == s.png and size(s.png) == (4 * (32 * 4 + 2) + 2, 2 * (32 * 4 + 2) + 2)  # 4 a row
    assert GRASSLAND in s.image.tooltip and "refused" not in s.message.value
    assert "fixed 6 of 6" in s.message.value


def test_descriptions_are_stable():
    s = PromptStudio()
    assert [c.description for c in (s.prompt, s.model, s.seed, s.count)] == ["prompt", "model", "seed", "count"]
    c = ConditioningView()
    assert [w.description for w in (c.prompt, c.dataset, c.seed)] == ["prompt", "dataset", "seed"]
    e = EmbeddingTable()
    assert [w.description for w in (e.dataset, e.dim, e.init_seed)] == ["dataset", "dim", "init seed"]


def test_chinese_prompt_gives_the_same_images_as_english():
    s = PromptStudio(count=4)
    english = s.png
    s.prompt.value = GRASSLAND_ZH
    assert s.result.attributes == candidates(GRASSLAND, seed=0, n=4).attributes
    assert s.png == english  # same attributes, same seed: the same pictures


def test_controls_redraw():
    s = PromptStudio(prompt="a red circle", model="shapes-vae", count=4)
    first = s.png
    s.seed.value = 1
    assert s.png != first and s.result.seed == 1
    s.seed.value = 0
    assert s.png == first  # the seed reproduces
    s.count.value = 2
    assert size(s.png) == (2 * (32 * 4 + 2) + 2, 32 * 4 + 4) and len(s.result.images) == 2
    s.model.value = "shapes-gan"
    assert s.result.model == "shapes-gan" and s.png != first
    s.model.value = AUTO
    s.prompt.value = "an ankle boot"
    assert s.result.model == "fashion-vae" and s.result.images.shape[1:] == (1, 28, 28)


@pytest.mark.parametrize("prompt, words", [
    ("two trees", "number of things"),
    ("a purple cat", "'cat'"),
    ("a red blue circle", "two colors"),
    ("   ", "empty"),
])
def test_refused_prompt_is_one_line_and_keeps_the_last_images(prompt, words):
    s = PromptStudio(prompt="a red circle", count=3)
    before, result = s.png, s.result
    s.prompt.value = prompt
    assert s.message.value.startswith("<span") and "refused:" in s.message.value and words in s.message.value.replace("&#x27;", "'")
    assert "\n" not in s.error and words in s.error
    assert s.png == before and s.image.value == before and s.result is result
    s.prompt.value = "a green square"
    assert s.error is None and "refused" not in s.message.value and s.result.attributes["color"] == "green"


def test_a_prompt_of_another_dataset_is_refused_with_the_model_picked():
    s = PromptStudio(prompt=GRASSLAND, model="shapes-gan")
    assert s.result is None and "'scenes'" in s.error
    bundle = s._repr_mimebundle_()
    assert "refused" in bundle["text/plain"] and "image/png" not in bundle


def test_unknown_model_is_a_clear_error():
    with pytest.raises(T2ILabError, match="no shipped generator 'shapes-judge'"):
        PromptStudio(model="shapes-judge")


def test_static_rendering_of_the_studio():
    s = PromptStudio(prompt="a red circle", model="shapes-gan", count=4)
    bundle = s._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == s.png
    page = bundle["text/html"]
    assert "alt='4 images generated by shapes-gan for the prompt &#x27;a red circle&#x27;, seed 0'" in page
    assert base64.b64encode(s.png).decode() in page and "sampled:" in page
    assert bundle["text/plain"].startswith("PromptStudio: 4 images") and "position open sampled:" in bundle["text/plain"]


def test_conditioning_view_stages():
    c = ConditioningView(prompt="a red circle", dataset="shapes", seed=0)
    s = c.state
    assert s["tokens"] == ["a", "red", "circle"]
    assert s["labels"] == labels_for("a red circle", "shapes", seed=0)[0].tolist()
    assert s["labels"][:2] == [0, 0]  # circle is shape 0, red is colour 0
    assert len(s["one_hot"]) == 4 + 6 + 2 + 9 and sum(s["one_hot"]) == 4
    assert s["one_hot"][0] == 1 and s["one_hot"][4] == 1
    assert len(s["embedding"]) == 4 * 4
    enc = seeded_encoder("shapes", 4)
    assert s["embedding"][:4] == pytest.approx(enc.embeddings[0].weight[0].tolist())  # circle's row
    assert "red" in c.steps.value and "(sampled)" in c.steps.value


def test_conditioning_view_seed_changes_the_open_attributes_and_the_image():
    c = ConditioningView(prompt="a red circle", seed=0)
    onehot, image = c.onehot.value, c.image.value
    c.seed.value = 1
    assert c.state["labels"] != labels_for("a red circle", seed=0)[0].tolist()  # size flips for seed 1
    assert c.onehot.value != onehot and c.image.value != image
    c.prompt.value = "a big blue square on the left"  # nothing open: the seed changes only the noise
    fixed = c.onehot.value
    c.seed.value = 2
    assert c.onehot.value == fixed and c.state["values"]["position"] == "left"
    c.prompt.value = "a cat"
    assert "refused" in c.steps.value and c.onehot.value == fixed
    assert "refused" in c._repr_mimebundle_()["text/html"]


def test_onehot_png_lights_one_cell_per_attribute():
    png = onehot_png([0, 0, 1, 4], {"shape": ["a", "b"], "color": ["c"], "size": ["d", "e"], "position": list("vwxyz")},
                     scale=10)
    cells = 2 + 1 + 2 + 5 + 3  # values and the three gaps between attributes
    assert size(png) == (cells * 10 + 2, 10 + 2)


def test_embedding_table_rows_are_the_encoder_tables():
    e = EmbeddingTable(dataset="scenes", dim=3, seed=7)
    rows = e.rows()
    enc = seeded_encoder("scenes", 3, 7)
    assert len(rows) == 3 + 3 + 3 + 3 + 4 + 3 and rows[0][:2] == ("sky", "blue")
    assert rows[0][2] == " ".join(f"{x:+.2f}" for x in enc.embeddings[0].weight[0].tolist())
    e.dim.value = 5
    assert len(e.rows()[0][2].split()) == 5 and "vector (5 numbers)" in e.table.value
    torch.manual_seed(123)
    a = torch.rand(1)
    torch.manual_seed(123)
    seeded_encoder("scenes", 3, 7)
    assert torch.equal(torch.rand(1), a)  # the global random state is left alone
    assert e._repr_mimebundle_()["text/html"] == e.table.value


def test_conditioning_view_groups_the_one_hot_digits_by_attribute():
    c = ConditioningView(prompt="a big blue square on the left", dataset="shapes")
    assert "0100 000010 01 100000000" in c.steps.value
    assert c._repr_mimebundle_()["text/plain"].endswith("one-hot 0100 000010 01 100000000")


def test_a_setting_seen_before_is_shown_from_memory_with_the_same_images():
    studio = PromptStudio("a red circle", count=4)
    first, made = studio.image.value, studio.states.computed
    studio.seed.value = 1
    studio.seed.value = 0
    assert studio.image.value == first and studio.states.computed == made + 1  # seed 0 was not generated again
    assert torch.equal(studio.result.images, generate("a red circle", model=studio.result.model, n=4, seed=0)[0])
    view = ConditioningView("a red circle", seed=0)
    before = view.image.value
    view.seed.value = 3
    view.seed.value = 0
    assert view.image.value == before and view.states.computed == 2
