"""The datasets' captions and the prompt parser must agree: every caption parses to its own labels."""
import pytest

from t2ilab.data import load
from t2ilab.schema import describe
from t2ilab.text import parse


@pytest.mark.parametrize("name", ["shapes", "scenes"])
def test_every_caption_parses_to_its_labels(name):
    data = load(name, split="all", n=600, seed=3)
    for i in range(len(data)):
        want = describe(name, tuple(data.labels[i].tolist()))
        assert parse(data.captions[i], name) == want, data.captions[i]


def test_fashion_captions_parse(tmp_path):
    from t2ilab.data.fashion import CAPTION_WORDS  # noqa: F401  (module import check)
    from t2ilab.schema import SCHEMAS

    for item in SCHEMAS["fashion"]["item"]:
        assert parse(f"a photo of a {item}", "fashion") == {"item": item}
