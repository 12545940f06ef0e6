"""image_folder: your own pictures, labelled by folder or captions.csv, with clear errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from t2ilab.data import image_folder, load
from t2ilab.errors import T2ILabError


def save(path, color, size=(40, 30), mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


@pytest.fixture
def folder(tmp_path):
    """cats: 2 red images (one RGBA, one JPEG), dogs: 1 blue grayscale-free PNG, empty/ has no images."""
    root = tmp_path / "pets"
    save(root / "cats" / "a.png", (255, 0, 0))
    save(root / "cats" / "b.jpg", (255, 0, 0), size=(64, 64))
    save(root / "cats" / "c.png", (255, 0, 0, 255), mode="RGBA")
    save(root / "dogs" / "a.png", (0, 0, 255), size=(20, 50))
    save(root / "sea_lions" / "x.bmp", (128,), mode="L")
    (root / "empty").mkdir()
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def test_images_labels_and_folder_captions(folder):
    ds = image_folder(folder, size=16, seed=1)
    assert ds.images.shape == (5, 3, 16, 16) and ds.images.dtype == torch.float32
    assert ds.schema == {"label": ["cats", "dogs", "sea_lions"]}       # empty/ has no images: dropped
    assert ds.labels[:, 0].tolist() == [0, 0, 0, 1, 2] and ds.labels.dtype == torch.int64
    assert torch.allclose(ds.images[:3].mean((2, 3)), torch.tensor([1.0, 0, 0]).expand(3, 3), atol=0.02)
    assert torch.allclose(ds.images[3].mean((1, 2)), torch.tensor([0, 0, 1.0]), atol=1e-3)
    assert torch.allclose(ds.images[4], torch.full((3, 16, 16), 128 / 255), atol=1e-3)
    for text, k in zip(ds.captions, ds.labels[:, 0].tolist()):
        assert text.endswith(["cats", "dogs", "sea lions"][k])
    assert list(image_folder(folder, size=16, seed=1).captions) == list(ds.captions)
    assert image_folder(folder).images.shape[2:] == (32, 32)


def test_captions_csv_is_used(folder):
    (folder / "captions.csv").write_text(
        'filename,caption\ncats/a.png,a red cat\ncats/b.jpg,"a cat, red"\ncats/c.png,a third cat\n'
        "dogs/a.png,a blue dog\n\nsea_lions/x.bmp,a grey sea lion\n")
    ds = image_folder(folder)
    assert list(ds.captions) == ["a red cat", "a cat, red", "a third cat", "a blue dog", "a grey sea lion"]
    assert ds[3][1] == "a blue dog"


@pytest.mark.parametrize("text, words", [
    ("file,text\ncats/a.png,x\n", ["line 1", "filename,caption"]),
    ("", ["line 1", "empty file"]),
    ("filename,caption\ncats/a.png,x\ncats/b.jpg,x,y\n", ["line 3", "2 columns"]),
    ("filename,caption\ncats/zzz.png,x\n", ["line 2", "cats/zzz.png"]),
    ("filename,caption\ncats/a.png,\n", ["line 2", "empty"]),
    ("filename,caption\ncats/a.png,x\ncats/a.png,y\n", ["line 3", "earlier line"]),
    ("filename,caption\ncats/a.png,x\n", ["no caption for cats/b.jpg", "3 more"]),
])
def test_malformed_captions_csv_says_which_line(folder, text, words):
    (folder / "captions.csv").write_text(text)
    with pytest.raises(T2ILabError) as e:
        image_folder(folder)
    assert all(w in str(e.value) for w in words) and "\n" not in str(e.value), str(e.value)


def test_missing_empty_and_unreadable(tmp_path, folder):
    cases = []
    with pytest.raises(T2ILabError) as e:
        image_folder(tmp_path / "nowhere")
    cases.append((e, ["nowhere", "does not exist"]))
    (tmp_path / "flat").mkdir()
    save(tmp_path / "flat" / "a.png", (0, 0, 0))                       # no class subfolders
    with pytest.raises(T2ILabError) as e:
        image_folder(tmp_path / "flat")
    cases.append((e, ["no images", "subfolder"]))
    (folder / "dogs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(T2ILabError) as e:
        image_folder(folder)
    cases.append((e, ["broken.png", "cannot read"]))
    with pytest.raises(T2ILabError) as e:
        image_folder(tmp_path / "flat", size=0)
    cases.append((e, ["size"]))
    for e, words in cases:
        assert all(w in str(e.value) for w in words) and "\n" not in str(e.value), str(e.value)


def test_load_a_folder_by_path(folder):
    ds = load(str(folder))
    assert len(ds) == 5 and ds.name == str(folder.resolve())  # the name its models carry
    two = load(str(folder), n=2, seed=0)
    assert len(two) == 2 and two.images.shape == (2, 3, 32, 32)
    row = [i for i in range(5) if torch.equal(ds.images[i], two.images[0])][0]
    assert two.captions[0] == ds.captions[row]                           # a subset keeps each caption
    for kwargs in (dict(n=6), dict(split="heldout")):
        with pytest.raises(T2ILabError):
            load(str(folder), **kwargs)
    assert np.isclose(float(two.images.max()), 1.0)
