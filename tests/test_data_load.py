"""load(), the CaptionedImages contract and preview()."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

import t2ilab.data as data
from t2ilab.data import CaptionedImages, load, preview, scenes, shapes
from t2ilab.errors import T2ILabError


def test_load_dispatches_by_name():
    a = load("shapes", n=50, seed=2)
    assert torch.equal(a.images, shapes(50, seed=2).images) and a.name == "shapes"
    b = load("scenes", split="heldout", n=20)
    assert torch.equal(b.labels, scenes(20, "heldout").labels)
    assert len(load("shapes")) == 10000
    star: dict = {}
    exec("from t2ilab.data import *", star)                 # the public names, as a lesson imports them
    for name in ("load", "shapes", "scenes", "fashion", "image_folder", "CaptionedImages", "SCHEMAS", "HELDOUT"):
        assert name in data.__all__ and star[name] is getattr(data, name), name


def test_unknown_names_list_the_choices():
    with pytest.raises(T2ILabError) as e:
        load("mnist")
    msg = str(e.value)
    assert all(w in msg for w in ("'mnist'", "shapes", "scenes", "fashion", "image folder")) and "\n" not in msg
    with pytest.raises(T2ILabError, match="does not exist"):
        load("./no/such/folder")


def test_lazy_captions_are_fixed_per_index():
    ds = shapes(100, seed=9)
    assert ds.captions[17] == ds.captions[17] == ds[17][1]
    assert ds.captions[-1] == ds.captions[99] and ds.captions[2:4] == [ds.captions[2], ds.captions[3]]
    assert len(ds.captions) == 100 and len(set(ds.captions)) > 50
    with pytest.raises(IndexError):
        ds.captions[100]
    sub = ds.subset([17, 3])
    assert sub.captions == [ds.captions[17], ds.captions[3]]
    assert torch.equal(sub.labels, ds.labels[[17, 3]]) and sub.schema == ds.schema
    assert ds.attributes(0) == data.describe("shapes", tuple(ds.labels[0].tolist()))


def test_a_dataloader_batches_images_captions_and_labels():
    images, captions, labels = next(iter(DataLoader(shapes(64), batch_size=16, shuffle=True,
                                                    generator=torch.Generator().manual_seed(0))))
    assert images.shape == (16, 3, 32, 32) and labels.shape == (16, 4)
    assert len(captions) == 16 and all(isinstance(c, str) for c in captions)


def test_explicit_captions_and_contract_checks():
    ds = CaptionedImages(torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, dtype=torch.int64), {"label": ["x"]},
                         "tiny", captions=["one", "two"])
    assert ds[1][1] == "two" and len(ds) == 2 and "tiny" in repr(ds)
    with pytest.raises(ValueError, match=r"labels must be int64 \[N=2, attributes=1\], not torch.int64 \(3, 1\)"):
        CaptionedImages(torch.zeros(2, 1, 8, 8), torch.zeros(3, 1, dtype=torch.int64), {"label": ["x"]}, "bad",
                        captions=["a", "b"])
    with pytest.raises(ValueError, match="images must be float32"):
        CaptionedImages(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), torch.zeros(2, 1, dtype=torch.int64),
                        {"label": ["x"]}, "bad", captions=["a", "b"])
    with pytest.raises(ValueError, match="one caption per image: 1 captions for 2 images"):
        CaptionedImages(torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, dtype=torch.int64), {"label": ["x"]}, "bad",
                        captions=["a"])
    with pytest.raises(ValueError, match="give captions or a caption_fn"):
        CaptionedImages(torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, dtype=torch.int64), {"label": ["x"]}, "bad")


def test_preview_writes_a_captioned_grid(tmp_path):
    path = preview(scenes(40, seed=1), tmp_path / "sub" / "grid.png", n=9)
    assert path == tmp_path / "sub" / "grid.png"
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width > 300 and img.height > 300
        pixels = np.asarray(img.convert("RGB"))
    assert (pixels.reshape(-1, 3).std(0) > 20).all()                  # real pictures, not a blank page
    gray = CaptionedImages(torch.rand(3, 1, 28, 28), torch.zeros(3, 1, dtype=torch.int64), {"item": ["bag"]},
                           "g", captions=["a bag"] * 3)
    assert preview(gray, tmp_path / "g.png", n=16).is_file()           # fewer images than n is fine
    with pytest.raises(T2ILabError):
        preview(gray, tmp_path / "x.png", n=0)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, 2**63])
def test_a_bad_seed_is_one_clear_line(seed):
    with pytest.raises(T2ILabError, match=r"^seed must be a whole number from 0 to 9223372036854775807 .*try seed=0$"):
        load("shapes", n=2, seed=seed)


def test_describe_names_each_value_and_refuses_labels_that_do_not_fit():
    assert data.describe("shapes", torch.tensor([0, 1, 1, 2])) == {"shape": "circle", "color": "orange",
                                                                  "size": "big", "position": "top"}
    for bad in [(0, 1, 1), (0, 6, 0, 0), (0, -1, 0, 0), (0.0, 1, 1, 2), "abc", None]:
        with pytest.raises(T2ILabError, match=r"^labels for shapes must be 4 whole numbers, one per attribute "
                                              r"\(shape 0-3, color 0-5, size 0-1, position 0-8\), got "):
            data.describe("shapes", bad)
