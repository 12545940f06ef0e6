"""Save and load a learned taste: the adapter's weights as safetensors, its header naming the base model.

The header (t2ilab.hub conventions: kind, dataset, config, extra) records the base model's name
and a fingerprint of its weights, so an adapter is never applied to a different generator.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .. import hub
from ..errors import T2ILabError
from .policy import PreferenceAdapter

FILE = "adapter.safetensors"


def fingerprint(model: torch.nn.Module) -> str:
    """sha256 of a model's weights (names, shapes and bytes): identifies the base generator."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def save_adapter(adapter: PreferenceAdapter, folder: str | Path, base: str | None = None) -> Path:
    """Write folder/adapter.safetensors; `base` is the base model's name (from `adapter.base`)."""
    base = base or getattr(adapter, "base", None)
    extra = {"base": base, "base_sha256": fingerprint(adapter.model)}
    hub.save(adapter, Path(folder) / FILE, extra=extra)
    return Path(folder) / FILE


def read_header(path: Path) -> tuple[dict, dict]:
    """The header (kind "adapter", config, extra) and tensors of an adapter file, checked against its digest."""
    from safetensors import safe_open

    bad = f"{path} is not an adapter file made by `t2ilab feedback`"
    try:
        with safe_open(str(path), "pt") as f:
            raw = f.metadata() or {}
        tensors = load_file(str(path))
        meta = {"kind": raw.get("kind"), "config": json.loads(raw.get("config", "{}")),
                "extra": json.loads(raw.get("extra", "{}"))}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise T2ILabError(f"{bad} (unreadable: {str(e)[:60]}); run the session again") from None
    if meta["kind"] != "adapter" or not isinstance(meta["config"], dict) or not isinstance(meta["extra"], dict):
        raise T2ILabError(f"{bad} (its header says {str(meta['kind'])[:30]!r})")
    digest = getattr(hub, "_digest", None)
    if digest is not None and "digest" in raw and digest(raw, tensors) != raw["digest"]:
        raise T2ILabError(f"{bad} (its weights were changed or damaged); run the session again")
    return meta, tensors


def load_adapter(folder: str | Path, model: torch.nn.Module | str | None = None) -> PreferenceAdapter:
    """Rebuild an adapter on its base model (loaded by name when `model` is None); checks it is the same model."""
    from ..generate import get_model

    path = Path(folder)
    path = path / FILE if path.is_dir() else path
    if not path.exists():
        raise T2ILabError(f"no adapter at {path}: run `t2ilab feedback ... --out {path.parent}` first")
    meta, tensors = read_header(path)
    base = meta["extra"].get("base")
    if model is None:
        if not base:
            raise T2ILabError(f"{path} does not name its base model: pass the model it was learned on")
        model = base
    model = get_model(model)
    if fingerprint(model) != meta["extra"].get("base_sha256"):
        hint = f"use --model {base}" if base else "pass the model it was learned on"
        raise T2ILabError(f"{path} was learned on {base or 'another model'}, not on this model: {hint}")
    adapter = PreferenceAdapter(model, hidden=int(meta["config"].get("hidden", 32)))
    try:
        adapter.load_state_dict(tensors)
    except RuntimeError:
        raise T2ILabError(f"{path} does not fit this model's adapter: run the feedback session again") from None
    adapter.base = base
    return adapter


def pack(t: torch.Tensor) -> dict:
    """A float tensor as JSON: its shape and its float32 bytes in base64 (exact, 4x smaller than lists)."""
    t = t.detach().cpu().float().contiguous()
    return {"shape": list(t.shape), "float32": base64.b64encode(t.numpy().tobytes()).decode()}


def unpack(d: dict) -> torch.Tensor:
    try:
        data = np.frombuffer(base64.b64decode(d["float32"]), dtype=np.float32).copy()
        return torch.from_numpy(data).reshape(d["shape"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise T2ILabError("the session file holds a damaged tensor: it was edited or truncated") from None


def state_to_json(adapter: PreferenceAdapter) -> dict:
    """The adapter's weights for the session file (exact)."""
    return {k: pack(v) for k, v in adapter.state_dict().items()}


def state_from_json(adapter: PreferenceAdapter, state: dict) -> None:
    try:
        adapter.load_state_dict({k: unpack(v) for k, v in state.items()})
    except (RuntimeError, AttributeError):
        raise T2ILabError("the session file's policy does not fit this model: it was made for another one") from None
