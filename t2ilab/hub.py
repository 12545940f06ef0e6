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

from . import device as _device  # noqa: F401  (sets torch's threads when first imported)
from .errors import T2ILabError
from .validate import replace, temporary

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
    """The shipped models: name -> {file, sha256, bytes, kind, dataset, command}.

    The package's own manifest must be there and valid (else: reinstall); another `path` that
    does not exist yet is an empty manifest (`register` creates it)."""
    shipped = path is None
    path = path or MANIFEST
    if not path.exists():
        if shipped:
            raise T2ILabError(f"the list of shipped models {path} is missing: reinstall t2ilab "
                              "(pip install --force-reinstall t2ilab)")
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise T2ILabError(f"the list of shipped models {path} is unreadable or not valid JSON "
                          f"({type(e).__name__}): reinstall t2ilab (pip install --force-reinstall t2ilab)") from None
    fields = {"file": str, "sha256": str, "kind": str, "dataset": str}
    if not isinstance(entries, dict) or not all(
            isinstance(e, dict) and all(isinstance(e.get(k), t) for k, t in fields.items()) for e in entries.values()):
        raise T2ILabError(f"the list of shipped models {path} is damaged (an entry lacks file, sha256, kind or "
                          "dataset): reinstall t2ilab (pip install --force-reinstall t2ilab)")
    return entries


def _digest(meta: dict[str, str], tensors: dict[str, torch.Tensor]) -> str:
    """sha256 of a file's t2ilab header fields and tensor bytes: a saved file checks itself on load."""
    h = hashlib.sha256()
    for key in ("kind", "dataset", "config", "vocabulary"):
        h.update(f"{key}={meta.get(key, '')}\n".encode())
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save(model: torch.nn.Module, path: str | Path, *, extra: dict | None = None) -> str:
    """Write `model`'s weights, kind, dataset and config to a safetensors file; returns its sha256.

    The kind and dataset are the model's own (`model.kind`, `model.dataset`). The header also
    carries a digest of the tensors (checked by `load`), and for a model of an image folder the
    folder's prompts, so the file alone can be used anywhere."""
    from .schema import SCHEMAS, folder_vocabulary

    kind, dataset = getattr(model, "kind", None), getattr(model, "dataset", None)
    if not isinstance(kind, str) or not kind:
        raise T2ILabError(f"a {type(model).__name__} has no kind: save a t2ilab model (a gan, vae or judge)")
    if not isinstance(dataset, str) or not dataset:
        raise T2ILabError(f"this {kind} names no dataset: build it with dataset=NAME, the data it is trained on")
    path = Path(path)
    config = getattr(model, "config", {})
    meta = {"kind": kind, "dataset": dataset, "config": json.dumps(config), "extra": json.dumps(extra or {})}
    if dataset in SCHEMAS:
        wanted = [len(v) for v in SCHEMAS[dataset].values()]
    else:
        vocab = folder_vocabulary(dataset)
        if vocab is None:
            raise T2ILabError(f"unknown dataset {dataset!r}: a model must be trained on "
                              f"{', '.join(SCHEMAS)} or an image folder")
        meta["vocabulary"] = json.dumps(vocab.to_json(), ensure_ascii=False)
        wanted = [len(vocab.labels)]
    if config.get("classes") not in (None, [], wanted):  # [] : an unconditional model
        raise T2ILabError(f"this {kind} has classes {list(config['classes'])}, but {dataset[:60]!r} has {wanted}: "
                          f"build it with classes={tuple(wanted)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta["digest"] = _digest(meta, tensors)
    tmp = temporary(path)  # unique to this writer: two saves never share a temporary file
    try:
        save_file(tensors, str(tmp), metadata=meta)
        replace(tmp, path)  # atomic: an interrupted save never leaves a half-written file behind
    finally:
        tmp.unlink(missing_ok=True)
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
        tmp = temporary(manifest_path)
        try:
            tmp.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
            replace(tmp, manifest_path)
        finally:
            tmp.unlink(missing_ok=True)
    return entry


MAX_PARAMETERS = 100_000_000   # the course's models have 1 to 3 million
MAX_DIM = 4096                 # any width, latent size, image size or class count


def _bad(path: Path, what: str) -> T2ILabError:
    return T2ILabError(f"{path} is not a valid t2ilab weights file ({what}): re-create it with "
                       "`t2ilab train`, or reinstall t2ilab for a shipped model")


def _check_config(path: Path, kind: str, config: dict) -> None:
    """Every option of the stored config is one the model takes, of the right type, in bounds."""
    import inspect

    from .models import KINDS

    params = inspect.signature(KINDS[kind].__init__).parameters
    for key, value in config.items():
        if key not in params or key in ("self", "dataset"):
            raise _bad(path, f"config has an unknown option {key!r} for a {kind}")
        default = params[key].default
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DIM
        elif isinstance(default, (tuple, list)):
            ok = isinstance(value, list) and len(value) <= 64 and all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_DIM for v in value)
        elif isinstance(default, str):
            ok = isinstance(value, str) and len(value) <= 32
        else:
            ok = False
        if not ok:
            raise _bad(path, f"config {key}={json.dumps(value)[:40]} is not a valid {kind} option "
                             f"(whole numbers 1 to {MAX_DIM})")


def read_metadata(path: Path) -> dict:
    """The kind, dataset, config and extra stored in a weights file's header, checked completely.

    A folder model's prompts are registered with the parser as a side effect."""
    from safetensors import safe_open

    from .schema import SCHEMAS, register_folder
    from .models import KINDS

    path = Path(path)
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            shapes = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise T2ILabError(f"{path} is not a readable safetensors file ({str(e)[:80]}): re-create it or "
                          "reinstall t2ilab") from None
    if "kind" not in meta:
        raise T2ILabError(f"{path} has no t2ilab metadata: save weights with t2ilab.hub.save")
    kind, dataset = meta.get("kind"), meta.get("dataset")
    if kind not in KINDS:
        raise _bad(path, f"unknown model kind {str(kind)[:30]!r}, not one of {', '.join(sorted(KINDS))}")
    if not isinstance(dataset, str) or not dataset or len(dataset) > 4096:
        raise _bad(path, "no dataset name")
    parsed = {}
    for key in ("config", "extra", "vocabulary"):
        try:
            parsed[key] = json.loads(meta[key]) if key in meta else ({} if key != "vocabulary" else None)
        except ValueError:
            raise _bad(path, f"its {key} is not valid JSON") from None
    config, extra, vocab = parsed["config"], parsed["extra"], parsed["vocabulary"]
    if not isinstance(config, dict) or not isinstance(extra, dict):
        raise _bad(path, "its config or extra is not a JSON object")
    _check_config(path, kind, config)
    if dataset in SCHEMAS:
        wanted = [len(v) for v in SCHEMAS[dataset].values()]
    else:
        ok = isinstance(vocab, dict) and isinstance(vocab.get("labels"), list) and 1 <= len(vocab["labels"]) <= MAX_DIM \
            and all(isinstance(v, str) and 0 < len(v) <= 255 for v in vocab["labels"]) \
            and isinstance(vocab.get("captions", {}), dict) \
            and all(isinstance(k, str) and v in vocab["labels"] for k, v in vocab.get("captions", {}).items())
        if not ok:
            raise _bad(path, f"dataset {dataset[:60]!r} is neither {', '.join(SCHEMAS)} nor an image folder "
                             "with its class names")
        wanted = [len(vocab["labels"])]
    if config.get("classes") not in (None, [], wanted):  # [] : an unconditional model
        raise _bad(path, f"config classes {config['classes']} do not match dataset {dataset[:60]!r} ({wanted})")
    if vocab is not None:
        register_folder(dataset, vocab["labels"], vocab.get("captions", {}))
    return {"kind": kind, "dataset": dataset, "config": config, "extra": extra, "tensors": shapes,
            "digest": meta.get("digest"), "header": meta}


def resolve(name: str | Path) -> tuple[Path, str | None]:
    """A shipped model name, a weights file or a training output folder -> (file, expected sha256)."""
    if not isinstance(name, (str, Path)) or not str(name).strip():
        raise T2ILabError(f"a model is a shipped name ({', '.join(sorted(manifest())) or 'none'}), a .safetensors "
                          f"file or a folder made by `t2ilab train`, not {name!r}")
    path = Path(name).expanduser()
    if path.is_dir() and (path / "model.safetensors").exists():
        return path / "model.safetensors", None
    if path.suffix == ".safetensors" and path.exists():
        return path, None
    entries = manifest()
    if isinstance(name, str) and name in entries:
        return WEIGHTS / entries[name]["file"], entries[name]["sha256"]
    if path.is_dir():
        raise T2ILabError(f"{path} holds no model.safetensors: give a folder made by `t2ilab train` "
                          "(is its training still running, or was it interrupted before the first save?)")
    shipped = ", ".join(sorted(entries)) or "none"
    raise T2ILabError(f"no model {str(name)!r}: give a shipped model ({shipped}), "
                      "a .safetensors file or a folder made by `t2ilab train`")


def _skeleton(path: Path, meta: dict) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """The tensor names, shapes and dtypes the stored config builds, without allocating them."""
    from .models import build

    try:
        with torch.device("meta"):
            model = build(meta["kind"], meta["config"])
    except (T2ILabError, TypeError, ValueError, RuntimeError) as e:
        raise _bad(path, f"its config does not build a {meta['kind']}: {str(e)[:60]}") from None
    count = sum(p.numel() for p in model.parameters())
    if count > MAX_PARAMETERS:
        raise _bad(path, f"its config asks for {count:,} parameters, over the limit of {MAX_PARAMETERS:,}")
    return {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
           "BOOL": torch.bool}


def load(name: str | Path, device: torch.device | str = "cpu") -> torch.nn.Module:
    """Rebuild a model from shipped or trained weights, checking it completely before building it.

    The header (kind, dataset, config) is validated and the model's tensor shapes are worked out
    on the meta device and compared with the file's before anything is allocated; the tensors are
    checked against the manifest's sha256 (shipped) or the file's own digest (trained), and for
    being finite."""
    from .models import build

    path, expected = resolve(name)
    if not path.exists():
        raise T2ILabError(f"weights file {path} is missing: reinstall t2ilab or run `make pretrained`")
    if not path.is_file():
        raise T2ILabError(f"{path} is not a regular file: give a .safetensors file or a training folder")
    if expected is not None and sha256(path) != expected:
        raise T2ILabError(f"weights file {path.name} is corrupted (sha256 differs from the manifest): "
                          "reinstall t2ilab or run `make pretrained`")
    meta = read_metadata(path)
    wanted = _skeleton(path, meta)
    stored = meta["tensors"]
    missing = sorted(set(wanted) - set(stored))
    unexpected = sorted(set(stored) - set(wanted))
    if missing or unexpected:
        raise T2ILabError(f"{path.name} does not fit a {meta['kind']} model: missing {missing[:3]}, "
                          f"unexpected {unexpected[:3]}; re-train or update t2ilab")
    for k, (shape, dtype) in stored.items():
        if shape != wanted[k][0] or _DTYPES.get(dtype) != wanted[k][1]:
            raise T2ILabError(f"{path.name}: tensor {k} is {shape} {dtype}, the model wants "
                              f"{wanted[k][0]} {wanted[k][1]}; re-train or update t2ilab")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise T2ILabError(f"{path} is truncated or corrupted ({e}): re-create it") from None
    if meta["digest"] is not None:
        if _digest(meta["header"], tensors) != meta["digest"]:
            raise T2ILabError(f"{path} is corrupted or was edited: its contents do not match the checksum it "
                              "was saved with; re-create it with `t2ilab train`")
    bad = [k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise T2ILabError(f"{path} holds NaN or infinite weights (in {bad[0]}"
                          f"{f' and {len(bad) - 1} more' if len(bad) > 1 else ''}): it is corrupted or "
                          "came from a diverged run; re-create it")
    model = build(meta["kind"], meta["config"], dataset=meta["dataset"])
    model.load_state_dict(tensors)
    model.extra = meta["extra"]
    return model.to(device).eval()
