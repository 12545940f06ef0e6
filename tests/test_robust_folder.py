"""Image folders as users really make them: huge images, spreadsheet CSVs, long captions, stray quotes.

Each is one line naming the file (and the line of captions.csv), never a traceback or a hang.
"""
from __future__ import annotations

import pytest
from PIL import Image

from t2ilab.data import image_folder
from t2ilab.schema import folder_vocabulary
from t2ilab.errors import T2ILabError
from t2ilab.text import parse


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "pets"
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (20, 20), (200, 10 * i, 0)).save(root / cls / f"{i}.png")
    return root


def fails(root, *words):
    with pytest.raises(T2ILabError) as e:
        image_folder(root, size=8)
    msg = str(e.value)
    assert "\n" not in msg and all(w in msg for w in words), msg
    return msg


def test_a_decompression_bomb_is_one_line(root):
    Image.new("1", (9000, 9000)).save(root / "cats" / "bomb.png")      # 81 megapixels in a few kB
    fails(root, "bomb.png", "pixels")


def test_an_image_pillow_itself_calls_a_bomb_is_one_line(root, monkeypatch):
    from t2ilab.data import folder

    monkeypatch.setattr(folder, "MAX_PIXELS", 10**12)                   # our limit off: Pillow's own guard
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)                  # 20x20 images are over twice that
    fails(root, "decompression bomb", str(root / "cats"))


def test_a_cp1252_captions_csv_names_its_line(root):
    text = "filename,caption\ncats/0.png,a cat\ncats/1.png,a café cat\ndogs/0.png,a dog\ndogs/1.png,a dog\n"
    (root / "captions.csv").write_bytes(text.encode("cp1252"))
    fails(root, "captions.csv line 3", "not UTF-8", "CSV UTF-8")


def test_a_utf8_bom_captions_csv_from_a_spreadsheet_is_fine(root):
    text = "filename,caption\ncats/0.png,a café cat\ncats/1.png,a cat\ndogs/0.png,a dog\ndogs/1.png,a dog\n"
    (root / "captions.csv").write_bytes(text.encode("utf-8-sig"))
    assert image_folder(root, size=8).captions[0] == "a café cat"


def test_a_200k_character_caption_is_one_line(root):
    text = f"filename,caption\ncats/0.png,{'x' * 200_000}\ncats/1.png,a\ndogs/0.png,b\ndogs/1.png,c\n"
    (root / "captions.csv").write_text(text)
    msg = fails(root, "captions.csv line 2", "200,000 characters")
    assert len(msg) < 300


def test_an_unterminated_quote_names_the_line_where_it_opens(root):
    text = 'filename,caption\ncats/0.png,a cat\ncats/1.png,"a cat\ndogs/0.png,a dog\ndogs/1.png,a dog\n'
    (root / "captions.csv").write_text(text)
    fails(root, "captions.csv line 3", "never closed")


def test_a_stray_quote_inside_a_field_is_one_line(root):
    text = 'filename,caption\ncats/0.png,"a cat" asleep\ncats/1.png,a cat\ndogs/0.png,a dog\ndogs/1.png,a dog\n'
    (root / "captions.csv").write_text(text)
    fails(root, "captions.csv line 2", "double the quotes")


def test_the_parser_knows_a_folders_class_names_and_captions(root):
    assert parse("cats", str(root)) == {"label": "cats"}
    assert parse("a photo of a dog", str(root)) == {"label": "dogs"}        # singular of a class name
    (root / "captions.csv").write_text("filename,caption\ncats/0.png,a ginger cat asleep\ncats/1.png,a cat\n"
                                       "dogs/0.png,two dogs playing\ndogs/1.png,a dog\n")
    image_folder(root, size=8)                                               # re-read: the captions are new
    assert parse("A ginger cat, asleep", str(root)) == {"label": "cats"}
    assert parse("two dogs playing", str(root)) == {"label": "dogs"}         # a caption, not a count
    with pytest.raises(T2ILabError, match="class names .*'cats', 'dogs'.* or its captions"):
        parse("a horse", str(root))
    assert folder_vocabulary(str(root)).labels == ["cats", "dogs"]
