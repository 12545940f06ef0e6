import json

import pytest
import torch

from t2ilab import hub
from t2ilab.errors import T2ILabError
from t2ilab.models.judge import Judge


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = Judge(channels=1, size=28, classes=(10,), hidden=32, dataset="fashion")
    path = tmp_path / "model.safetensors"
    digest = hub.save(model, path, extra={"note": "test"})
    return model, path, digest


def test_round_trip_rebuilds_the_same_model(saved):
    model, path, digest = saved
    assert digest == hub.sha256(path) and len(digest) == 64
    loaded = hub.load(path)
    assert isinstance(loaded, Judge) and loaded.dataset == "fashion" and loaded.extra == {"note": "test"}
    x = torch.rand(4, 1, 28, 28)
    model.eval()
    assert torch.equal(model.predict(x), loaded.predict(x))
    assert hub.load(path.parent).config == model.config  # a training folder works too


def test_manifest_checks_sha256(saved, tmp_path, monkeypatch):
    _, path, _ = saved
    monkeypatch.setattr(hub, "WEIGHTS", tmp_path)
    monkeypatch.setattr(hub, "MANIFEST", tmp_path / "manifest.json")
    entry = hub.register("tiny-judge", path, "t2ilab train judge --dataset fashion", tmp_path / "manifest.json")
    assert entry["command"].startswith("t2ilab train") and entry["bytes"] == path.stat().st_size
    assert isinstance(hub.load("tiny-judge"), Judge)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # flip one bit of one weight
    path.write_bytes(bytes(data))
    with pytest.raises(T2ILabError, match="corrupted .sha256"):
        hub.load("tiny-judge")


def test_truncated_file_is_a_clear_error(saved):
    _, path, _ = saved
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(T2ILabError, match="truncated or corrupted|not a readable"):
        hub.load(path)


def test_mismatched_shapes_are_named(saved, tmp_path):
    _, path, _ = saved
    other = Judge(channels=1, size=28, classes=(10,), hidden=64, dataset="fashion")
    bad = tmp_path / "bad.safetensors"
    hub.save(other, bad)
    # rewrite the header's config so the file claims hidden=32 but holds hidden=64 tensors
    from safetensors.torch import load_file, save_file

    meta = {"kind": "judge", "dataset": "fashion", "config": json.dumps(dict(other.config, hidden=32)), "extra": "{}"}
    save_file(load_file(str(bad)), str(bad), metadata=meta)
    with pytest.raises(T2ILabError, match="the model wants"):
        hub.load(bad)


def test_unknown_name_lists_choices():
    with pytest.raises(T2ILabError, match="no model 'nope'"):
        hub.load("nope")


@pytest.mark.parametrize("name", [None, "", "  ", 3])
def test_no_name_at_all_is_one_line(name):
    with pytest.raises(T2ILabError, match=r"^a model is a shipped name \(.*shapes-gan.*\), a .safetensors file or a "
                                          r"folder made by `t2ilab train`, not "):
        hub.load(name)


def test_no_pickle_in_the_library():
    import pathlib

    root = pathlib.Path(hub.__file__).parent
    for f in root.rglob("*.py"):
        text = f.read_text()
        assert "import pickle" not in text and "torch.load(" not in text, f
