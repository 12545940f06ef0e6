"""Fashion-MNIST: IDX parsing with checks, the search order, and the offline message."""
from __future__ import annotations

import gzip
import importlib
import struct

import numpy as np
import pytest
import torch

from t2ilab.data import fashion, load
from t2ilab.data.fashion import CAPTION_WORDS, find_fashion_dir, read_idx
from t2ilab.errors import T2ILabError

fashion_mod = importlib.import_module("t2ilab.data.fashion")  # the module; t2ilab.data.fashion is the function

COUNTS = {"train": 12, "t10k": 5}


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.astype(np.uint8).tobytes()


def write_fixture(folder, gz=True, seed=0):
    """A tiny Fashion-MNIST: 12 train and 5 test images, labels cycling through the classes."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in COUNTS.items():
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) + seed) % 10
        for kind, a in (("images-idx3", images), ("labels-idx1", labels)):
            name = folder / f"{prefix}-{kind}-ubyte"
            data = idx_bytes(a)
            if gz:
                name.with_name(name.name + ".gz").write_bytes(gzip.compress(data))
            else:
                name.write_bytes(data)
        arrays[prefix] = (images, labels)
    return arrays


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data anywhere: empty cache, no system dir, no T2ILAB_DATA, no download."""
    monkeypatch.delenv("T2ILAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fashion_mod, "SYSTEM_DIR", tmp_path / "system")

    class Offline:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")
    monkeypatch.setattr("torchvision.datasets.FashionMNIST", Offline)
    return tmp_path


def test_reads_the_fixture_from_t2ilab_data(isolated, monkeypatch):
    arrays = write_fixture(isolated / "data")
    monkeypatch.setenv("T2ILAB_DATA", str(isolated / "data"))
    assert find_fashion_dir() == isolated / "data"
    ds = fashion("train")
    images, labels = arrays["train"]
    assert ds.images.shape == (12, 1, 28, 28) and ds.images.dtype == torch.float32
    assert ds.labels.shape == (12, 1) and ds.labels.dtype == torch.int64
    assert torch.allclose(ds.images[:, 0], torch.from_numpy(images).float() / 255)
    assert ds.labels[:, 0].tolist() == labels.tolist()
    assert len(fashion("test")) == 5 and ds.name == "fashion"
    for i in range(len(ds)):
        item = ds.attributes(i)["item"]
        assert any(ds.captions[i].endswith(p) for p in CAPTION_WORDS["item"][item]), (ds.captions[i], item)
    assert ds.captions[9] in ("an ankle boot", "a photo of an ankle boot", "a picture of an ankle boot")


def test_captions_of_every_class_are_phrases_of_that_class():
    seen = {fashion_mod.caption({"item": "ankle boot"}, np.random.default_rng(s)) for s in range(50)}
    assert {"an ankle boot", "a photo of an ankle boot"} <= seen
    assert "a photo of a t-shirt" in {fashion_mod.caption({"item": "t-shirt"}, np.random.default_rng(s))
                                      for s in range(50)}


def test_search_order_data_then_subfolder_then_cache_then_system(isolated, monkeypatch):
    write_fixture(isolated / "system", seed=3)
    assert find_fashion_dir() == isolated / "system"
    write_fixture(isolated / "cache" / "t2ilab" / "fashion-mnist", gz=False, seed=2)
    assert find_fashion_dir() == isolated / "cache" / "t2ilab" / "fashion-mnist"
    assert fashion("train").labels[0, 0] == 2                       # plain (not gzipped) IDX files work
    write_fixture(isolated / "data" / "fashion-mnist", seed=1)
    monkeypatch.setenv("T2ILAB_DATA", str(isolated / "data"))
    assert find_fashion_dir() == isolated / "data" / "fashion-mnist"
    assert load("fashion", split="test").labels[0, 0] == 1


def test_offline_without_data_says_how_to_get_it(isolated):
    with pytest.raises(T2ILabError) as e:
        fashion()
    msg = str(e.value)
    assert "sudo apt install dataset-fashion-mnist" in msg and "T2ILAB_DATA" in msg and "\n" not in msg


def test_subset_is_seeded(isolated, monkeypatch):
    write_fixture(isolated / "data")
    monkeypatch.setenv("T2ILAB_DATA", str(isolated / "data"))
    a, b, c = fashion(n=5, seed=0), fashion(n=5, seed=0), fashion(n=5, seed=1)
    assert len(a) == 5 and torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    for kwargs in (dict(n=13), dict(n=0), dict(split="validation")):
        with pytest.raises(T2ILabError, match="n must be|split"):
            fashion(**kwargs)


def test_corrupt_files_are_named(tmp_path):
    good = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    cases = {
        "truncated.gz": gzip.compress(good)[:-20],
        "bad-magic": b"\x08\x03\x00\x00" + good[4:],
        "short-data": good[:-100],
        "short-header": good[:9],
        "garbage.gz": b"\x1f\x8bnot really gzip",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(T2ILabError) as e:
            read_idx(tmp_path / name)
        assert name in str(e.value) and "\n" not in str(e.value), name
    with pytest.raises(T2ILabError, match="does not exist"):
        read_idx(tmp_path / "missing")
    (tmp_path / "ok").write_bytes(good)
    assert read_idx(tmp_path / "ok").shape == (3, 28, 28)


@pytest.mark.skipif(not fashion_mod.SYSTEM_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_the_real_dataset_from_the_debian_package(monkeypatch):
    monkeypatch.setenv("T2ILAB_DATA", str(fashion_mod.SYSTEM_DIR))
    train, test = fashion("train"), fashion("test")
    assert len(train) == 60000 and len(test) == 10000
    assert torch.bincount(train.labels[:, 0]).tolist() == [6000] * 10
    assert 0.2 < train.images[:2000].mean() < 0.4                  # mostly dark background
