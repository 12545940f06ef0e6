"""`t2ilab train`: train a model within a budget and save everything in one folder.

The folder gets `model.safetensors` (loadable by name with `--model DIR`), `history.json`
(every logged value) and `samples.png`, rewritten every 30 s while training goes on (a killed run
loses at most that) and at the end. Interrupted or diverged training still saves the weights it
kept: nothing is lost.
"""
from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

from .. import hub
from ..errors import T2ILabError
from ..data.schema import SCHEMAS


def train(kind: str, dataset: str, seconds: float = 60.0, steps: int | None = None, seed: int = 0,
          progress: bool = True, **options):
    """Train a model of `kind` ("gan", "vae", "judge") on `dataset`; returns (model, history)."""
    if kind == "vae":
        from .vae import train_vae as fn
    elif kind == "gan":
        from .gan import train_gan as fn
    elif kind == "judge":
        from .judge import train_judge as fn
    else:
        raise T2ILabError(f"unknown model kind {kind!r}: choose gan, vae or judge")
    return fn(dataset, seconds=seconds, steps=steps, seed=seed, progress=progress, **options)


def save_run(model, history, out: str | Path, kind: str, dataset: str, command: str, checkpoint: bool = False) -> Path:
    """Write model.safetensors, history.json and (for generators) samples.png into `out`.

    `checkpoint=True` marks a save made while training goes on (the file says so)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.safetensors"
    stopped = "checkpoint during training" if checkpoint else history.stopped
    hub.save(model, path, kind=kind, dataset=dataset, extra={"command": command, "stopped": stopped})
    log = json.dumps({"steps": history.steps, "seconds": history.seconds, "values": history.values, "stopped": stopped})
    (out / "history.json.tmp").write_text(log)
    (out / "history.json.tmp").replace(out / "history.json")  # atomic: a killed run never leaves half a file
    if kind != "judge":
        import torch

        from ..generate import save_grid
        from ..text import labels_for

        labels = torch.cat([labels_for({}, dataset, n=8, seed=s) for s in range(4)])
        save_grid(model.generate(labels, generator=torch.Generator().manual_seed(0)).cpu(), out / "samples.png")
    return path


def train_cli(kind: str, dataset: str, seconds: float, steps: int | None, seed: int, out: str,
              checkpoint_every: float = 30.0) -> None:
    if dataset not in SCHEMAS and not Path(dataset).is_dir():
        raise T2ILabError(f"unknown dataset {dataset!r}: choose {', '.join(SCHEMAS)} or an image folder")
    if (seconds is not None and seconds <= 0) or (steps is not None and steps <= 0):
        raise T2ILabError("the budget must be positive: --seconds 60 or --steps 1000")
    if checkpoint_every <= 0:
        raise T2ILabError(f"--checkpoint-every must be a positive number of seconds, not {checkpoint_every:g}")
    command = "t2ilab " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["train"] else \
        f"t2ilab train {kind} --dataset {dataset} --seconds {seconds} --seed {seed} --out {out}"
    t0 = time.perf_counter()
    model, history = train(kind, dataset, seconds=seconds, steps=steps, seed=seed, checkpoint_every=checkpoint_every,
                           checkpoint=lambda i, h, m: save_run(m, h, out, kind, dataset, command, checkpoint=True))
    path = save_run(model, history, out, kind, dataset, command)
    last = ", ".join(f"{k} {history.last(k):.4g}" for k in list(history.values)[:3])
    print(f"trained {kind} on {dataset}: {history.steps[-1] if history.steps else 0} steps in "
          f"{time.perf_counter() - t0:.1f} s ({last}); saved {path}")
