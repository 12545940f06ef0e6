"""Pretrained weights: safetensors files inside the package, checked against a manifest.

A weights file carries its model's kind, dataset and constructor config in the safetensors
metadata, so `load` can rebuild the module. The manifest (`weights/manifest.json`) records each
shipped file's sha256, size and the exact command that produced it. Never pickle.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import T2ILabError

WEIGHTS = Path(__file__).parent / "weights"
MANIFEST = WEIGHTS / "manifest.json"


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(path: Path | None = None) -> dict[str, dict]:
    """The shipped models: name -> {file, sha256, bytes, kind, dataset, command}."""
    path = path or MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def save(model: torch.nn.Module, path: str | Path, *, kind: str, dataset: str,
         extra: dict | None = None) -> str:
    """Write `model`'s weights and config to a safetensors file; returns its sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"kind": kind, "dataset": dataset, "config": json.dumps(getattr(model, "config", {})),
            "extra": json.dumps(extra or {})}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)  # atomic: an interrupted save never leaves a half-written file behind
    return sha256(path)


def register(name: str, path: Path, command: str, manifest_path: Path | None = None) -> dict:
    """Add (or replace) a shipped model in the manifest, with the command that produced it."""
    manifest_path = manifest_path or MANIFEST
    meta = read_metadata(path)
    entry = {"file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size,
             "kind": meta["kind"], "dataset": meta["dataset"], "command": command}
    with open(manifest_path.with_suffix(".lock"), "w") as lock:  # two trainings may finish at once
        try:
            import fcntl  # POSIX; on Windows, make one model at a time

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:
            pass
        entries = manifest(manifest_path)
        entries[name] = entry
        tmp = manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
        tmp.replace(manifest_path)
    return entry


def read_metadata(path: Path) -> dict:
    """The kind, dataset, config and extra stored in a weights file's header."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError) as e:
        raise T2ILabError(f"{path} is not a readable safetensors file ({e}): re-create it or reinstall t2ilab") from None
    if "kind" not in meta:
        raise T2ILabError(f"{path} has no t2ilab metadata: save weights with t2ilab.hub.save")
    return {"kind": meta["kind"], "dataset": meta["dataset"], "config": json.loads(meta.get("config", "{}")),
            "extra": json.loads(meta.get("extra", "{}"))}


def resolve(name: str | Path) -> tuple[Path, str | None]:
    """A shipped model name, a weights file or a training output folder -> (file, expected sha256)."""
    entries = manifest()
    if isinstance(name, str) and name in entries:
        return WEIGHTS / entries[name]["file"], entries[name]["sha256"]
    path = Path(name)
    if path.is_dir():
        path = path / "model.safetensors"
    if path.suffix == ".safetensors" and path.exists():
        return path, None
    shipped = ", ".join(sorted(entries)) or "none"
    raise T2ILabError(f"no model {str(name)!r}: give a shipped model ({shipped}), "
                      "a .safetensors file or a folder made by `t2ilab train`")


def load(name: str | Path, device: torch.device | str = "cpu") -> torch.nn.Module:
    """Rebuild a model from shipped or trained weights, checking sha256, shapes and dtypes."""
    from .models import build

    path, expected = resolve(name)
    if not path.exists():
        raise T2ILabError(f"weights file {path} is missing: reinstall t2ilab or run `make pretrained`")
    if expected is not None and sha256(path) != expected:
        raise T2ILabError(f"weights file {path.name} is corrupted (sha256 differs from the manifest): "
                          "reinstall t2ilab or run `make pretrained`")
    meta = read_metadata(path)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise T2ILabError(f"{path} is truncated or corrupted ({e}): re-create it") from None
    model = build(meta["kind"], meta["config"])
    wanted = model.state_dict()
    missing = sorted(set(wanted) - set(tensors))
    unexpected = sorted(set(tensors) - set(wanted))
    if missing or unexpected:
        raise T2ILabError(f"{path.name} does not fit a {meta['kind']} model: missing {missing[:3]}, "
                          f"unexpected {unexpected[:3]}; re-train or update t2ilab")
    for k, t in tensors.items():
        if t.shape != wanted[k].shape or t.dtype != wanted[k].dtype:
            raise T2ILabError(f"{path.name}: tensor {k} is {tuple(t.shape)} {t.dtype}, the model wants "
                              f"{tuple(wanted[k].shape)} {wanted[k].dtype}; re-train or update t2ilab")
    model.load_state_dict(tensors)
    model.dataset = meta["dataset"]
    model.kind = meta["kind"]
    model.extra = meta["extra"]
    return model.to(device).eval()
