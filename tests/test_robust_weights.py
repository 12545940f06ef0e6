"""Weights files and the manifest: every damaged or edited file is one clear line, never a
traceback, a huge allocation, or a model that silently draws black or wrong images."""
from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from t2ilab import hub
from t2ilab.cli import main
from t2ilab.errors import T2ILabError
from t2ilab.models.judge import Judge


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "model.safetensors"
    hub.save(Judge(channels=1, size=28, classes=(10,), hidden=32, dataset="fashion"), path)
    return path


def rewrite(path, tensors=None, **changes):
    """The same file with some header fields changed (or removed, with None) or other tensors."""
    with safe_open(str(path), "pt") as f:
        meta = dict(f.metadata())
    tensors = tensors if tensors is not None else load_file(str(path))
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v if isinstance(v, str) else json.dumps(v)
    save_file(tensors, str(path), metadata=meta)
    return path


def one_line(path, *words):
    with pytest.raises(T2ILabError) as e:
        hub.load(path)
    msg = str(e.value)
    assert "\n" not in msg and all(w in msg for w in words), msg
    return msg


@pytest.mark.parametrize("changes, words", [
    ({"kind": "transformer"}, ["unknown model kind 'transformer'"]),
    ({"dataset": "mnist"}, ["dataset 'mnist'", "neither"]),
    ({"config": "{not json"}, ["config is not valid JSON"]),
    ({"config": [1, 2]}, ["not a JSON object"]),
    ({"config": {"channels": 1, "size": 28, "classes": [10], "hidden": 1e9}}, ["hidden=1000000000.0"]),
    ({"config": {"channels": 1, "size": 28, "classes": [10], "hidden": 10**9}}, ["hidden=1000000000"]),
    ({"config": {"channels": 1, "size": 28, "classes": [10], "hidden": "32"}}, ["hidden=\"32\""]),
    ({"config": {"channels": 1, "size": 28, "classes": [10], "hidden": 32, "evil": 1}}, ["unknown option 'evil'"]),
    ({"config": {"channels": 1, "size": 28, "classes": [4], "hidden": 32}}, ["classes [4] do not match"]),
    ({"config": {"channels": 1, "size": 28, "classes": [10], "hidden": 64}}, ["tensor", "the model wants"]),
])
def test_an_edited_header_is_one_line(saved, changes, words):
    one_line(rewrite(saved, **changes), *words)


def test_a_huge_config_is_refused_before_anything_is_allocated(saved, monkeypatch):
    import t2ilab.models as models

    built = []
    real = models.build
    monkeypatch.setattr(models, "build", lambda kind, config: built.append(torch.empty(0).device) or real(kind, config))
    cfg = {"channels": 1, "size": 28, "classes": [10], "hidden": 4096}       # within the per-option bound
    path = rewrite(saved, config=cfg, digest=None)
    one_line(path, "tensor", "the model wants")
    assert [str(d) for d in built] == ["meta"]                              # only ever built on the meta device


def test_a_latent_of_a_billion_is_refused_from_the_header(tmp_path):
    from t2ilab.models.vae import ConditionalVAE

    path = tmp_path / "vae.safetensors"
    hub.save(ConditionalVAE(widths=(8, 8, 8), latent=4, dataset="shapes"), path)
    cfg = hub.read_metadata(path)["config"] | {"latent": int(1e9)}
    one_line(rewrite(path, config=cfg), "latent=1000000000")


def test_nan_weights_without_a_manifest_entry_are_refused(saved):
    tensors = load_file(str(saved))
    name = next(k for k, t in tensors.items() if t.is_floating_point())
    tensors[name] = torch.full_like(tensors[name], math.nan)
    one_line(rewrite(saved, tensors=tensors, digest=None), "NaN or infinite", name)   # an old file: no digest
    tensors[name] = torch.full_like(tensors[name], math.inf)
    one_line(rewrite(saved, tensors=tensors, digest=None), "NaN or infinite")


def test_flipped_bytes_in_a_trained_file_are_found(saved):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0x01                              # one bit of one weight: still a finite number
    saved.write_bytes(bytes(data))
    one_line(saved, "corrupted or was edited", "checksum")


def test_an_edited_header_that_is_still_valid_is_found(saved):
    cfg = hub.read_metadata(saved)["config"]
    hub.load(rewrite(saved, extra={"note": "edited"}))                  # extra is free text: still loads
    labels = [f"class{i}" for i in range(10)]                          # same shapes, another dataset
    one_line(rewrite(saved, config=cfg, dataset="/data/ten", vocabulary={"labels": labels, "captions": {}}),
             "corrupted or was edited")


def test_a_truncated_or_foreign_file_is_one_line(saved, tmp_path):
    saved.write_bytes(saved.read_bytes()[:100])
    one_line(saved, "not a readable safetensors file")
    other = tmp_path / "x.safetensors"
    save_file({"w": torch.zeros(2)}, str(other))
    one_line(other, "no t2ilab metadata")


@pytest.fixture
def package_manifest(tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    monkeypatch.setattr(hub, "MANIFEST", path)
    monkeypatch.setattr(hub, "WEIGHTS", tmp_path)
    return path


@pytest.mark.parametrize("text", ["{", "[]", '{"shapes-vae": {"file": 3}}', "\xff\xfe"])
def test_an_invalid_manifest_says_reinstall(package_manifest, capsys, text):
    package_manifest.write_text(text, encoding="latin-1")
    with pytest.raises(T2ILabError, match="reinstall t2ilab"):
        hub.manifest()
    code = main(["generate", "a red circle", "-o", str(package_manifest.parent / "o.png")])
    _, err = capsys.readouterr()
    assert code == 2 and "reinstall" in err and err.count("\n") == 1


def test_a_deleted_manifest_says_reinstall_not_train(package_manifest, capsys):
    code = main(["generate", "a red circle", "-o", str(package_manifest.parent / "o.png")])
    _, err = capsys.readouterr()
    assert code == 2 and "reinstall" in err and "train one" not in err and err.count("\n") == 1
    assert hub.manifest(package_manifest.parent / "new.json") == {}   # register() may start a new one
