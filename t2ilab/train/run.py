"""`t2ilab train`: train a model within a budget and save everything in one folder.

The folder gets `model.safetensors` (loadable by name with `--model DIR`), `history.json`
(every logged value) and `samples.png`, rewritten every 30 s while training goes on (a killed run
loses at most that) and at the end. Interrupted or diverged training still saves the weights it
kept: nothing is lost.

A run never loses another run's work:

- `--out` is checked before training starts (a file, a read-only place: one line, nothing trained).
- A folder that already holds a run is refused unless `--resume` (continue its weights and
  history) or `--force` (train a new model there). With `--force` the old run is moved to
  `DIR/previous/` at the new run's first save, and if the new run is interrupted before its first
  checkpoint the old run stays where it was and the new weights go to `DIR/interrupted/`.
- A run folder is locked (`DIR/.t2ilab-train.lock`, an `fcntl` lock the kernel drops when the
  process dies, so a killed run never leaves a stale lock) while it trains: a second run into the
  same folder is refused with the first one's process id.
- Every temporary file is unique to its writer; files get the usual umask mode (0644).
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import sys
import time
from pathlib import Path

from .. import hub
from ..errors import T2ILabError
from ..validate import check_number, check_count, check_output_dir, check_seed, file_mode, replace, temporary
from .quality import far_from_quality

RUN_FILES = ("model.safetensors", "history.json", "samples.png")
LOCK = ".t2ilab-train.lock"
MAX_SECONDS = 7 * 24 * 3600.0      # a week
MAX_STEPS = 10**9
SAVE_SECONDS = 1.5               # kept at the end of a --seconds budget: the final save (~0.5 s), python's exit


def train(kind: str, dataset: str, seconds: float = 60.0, steps: int | None = None, seed: int = 0,
          progress: bool = True, **options):
    """Train a model of `kind` ("gan", "vae", "judge") on `dataset`; returns (model, history).

    `init=` (a model of the same kind and config) starts from its weights instead of random ones."""
    if kind == "vae":
        from .vae import train_vae as fn
    elif kind == "gan":
        from .gan import train_gan as fn
    elif kind == "judge":
        from .judge import train_judge as fn
    else:
        raise T2ILabError(f"unknown model kind {kind!r}: choose gan, vae or judge")
    check_seed(seed)
    return fn(dataset, seconds=seconds, steps=steps, seed=seed, progress=progress, **options)


def _write_text(path: Path, text: str) -> None:
    """Write a text file atomically through a temporary file unique to this writer."""
    tmp = temporary(path)
    try:
        tmp.write_text(text)
        replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_run(model, history, out: str | Path, kind: str, dataset: str, command: str, checkpoint: bool = False,
             base: dict | None = None) -> Path:
    """Write model.safetensors, history.json and (for generators) samples.png into `out`.

    `checkpoint=True` marks a save made while training goes on (the file says so); `base` is the
    history of the run this one resumes (its steps and seconds come first)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.safetensors"
    stopped = "checkpoint during training" if checkpoint else history.stopped
    hub.save(model, path, extra={"command": command, "stopped": stopped})
    steps, seconds, values = list(history.steps), list(history.seconds), {k: list(v) for k, v in history.values.items()}
    if base:
        s0 = base["steps"][-1] if base.get("steps") else 0
        t0 = base["seconds"][-1] if base.get("seconds") else 0.0
        steps = base.get("steps", []) + [s + s0 for s in steps]
        seconds = base.get("seconds", []) + [t + t0 for t in seconds]
        values = {k: base.get("values", {}).get(k, []) + v for k, v in values.items()}
    log = json.dumps({"steps": steps, "seconds": seconds, "values": values, "stopped": stopped})
    _write_text(out / "history.json", log)  # atomic: a killed run never leaves half a file
    if kind != "judge":
        import torch

        from ..generate import save_grid
        from ..text import labels_for

        labels = torch.cat([labels_for({}, dataset, n=8, seed=s) for s in range(4)])
        was_training = model.training
        images = model.generate(labels, generator=torch.Generator().manual_seed(0)).cpu()
        model.train(was_training)
        tmp = temporary(out / "samples.png")
        try:
            save_grid(images, tmp.with_suffix(".png"), force=True)  # a temporary file of this run
            replace(tmp.with_suffix(".png"), out / "samples.png")
        finally:
            tmp.unlink(missing_ok=True)
            tmp.with_suffix(".png").unlink(missing_ok=True)
    return path


def holds_run(out: Path) -> bool:
    """True when `out` holds the files of a training run."""
    return any((out / f).exists() for f in RUN_FILES[:2])


class RunLock:
    """An exclusive lock on a run folder while it trains (`with RunLock(out): ...`).

    The lock is an `fcntl.flock` on `DIR/.t2ilab-train.lock`, which also names the holder's
    process; the kernel releases it when that process ends in any way, so a lock left by a killed
    run is never in the way. Where there is no fcntl (Windows) the file itself is the lock
    (created with O_EXCL) and one left by a dead process id is taken over."""

    def __init__(self, out: Path):
        self.path, self.fd = Path(out) / LOCK, None

    def holder(self) -> str:
        try:
            text = self.path.read_text().split()
        except OSError:
            return "another process"
        return f"process {text[0]} on {text[1]}" if len(text) >= 2 else "another process"

    def __enter__(self) -> RunLock:
        busy = T2ILabError
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None
        if fcntl is not None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, file_mode())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise busy(f"{self.path.parent} is being trained right now by {self.holder()}: wait for that "
                           "run to finish, or choose another --out") from None
            os.ftruncate(fd, 0)
        else:  # pragma: no cover - Windows
            for _ in range(2):
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, file_mode())
                    break
                except FileExistsError:
                    text = self.path.read_text().split()
                    if text and text[0].isdigit() and text[1:2] == [socket.gethostname()] and not _alive(int(text[0])):
                        self.path.unlink(missing_ok=True)  # left by a dead process
                        continue
                    raise busy(f"{self.path.parent} is being trained right now by {self.holder()}: wait for "
                               f"that run to finish, or delete {self.path} if it is not running") from None
            else:
                raise busy(f"{self.path.parent} is locked by {self.holder()}: choose another --out")
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)
        except OSError:
            pass
        os.close(self.fd)  # closing drops the flock
        self.fd = None
        try:
            import fcntl  # noqa: F401
        except ImportError:  # pragma: no cover - Windows: the file is the lock
            self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def check_out(out: str | Path, resume: bool = False, force: bool = False) -> Path:
    """Check `--out` before any training: a folder this user can write, and no run in it unless asked."""
    out = check_output_dir(out, "--out")
    if resume and force:
        raise T2ILabError("--resume continues the run in --out, --force replaces it: give one of them")
    if holds_run(out) and not (resume or force):
        raise T2ILabError(f"{out} already holds a training run: pass --resume to continue it, --force to train "
                          "a new one there (the old one is kept in previous/), or choose another --out")
    if resume and not (out / "model.safetensors").is_file():
        raise T2ILabError(f"--resume: {out} holds no model.safetensors to continue; drop --resume to start a new run")
    return out


class Run:
    """A run folder opened for training: checked, locked, and saved into without losing the old run."""

    def __init__(self, out: Path, kind: str, dataset: str, command: str, resume: bool, force: bool):
        self.out, self.kind, self.dataset, self.command = out, kind, dataset, command
        self.resume, self.replacing = resume, force and holds_run(out)
        self.saved = False
        self.base = None

    def previous(self):
        """With --resume: the model to continue (checked against kind and dataset) and its history."""
        from ..schema import canonical

        meta = hub.read_metadata(self.out / "model.safetensors")
        if meta["kind"] != self.kind:
            raise T2ILabError(f"--resume: {self.out} holds a {meta['kind']} run, not a {self.kind}: "
                              f"run `t2ilab train {meta['kind']} --resume`, or use --force to replace it")
        if canonical(meta["dataset"]) != canonical(self.dataset):
            raise T2ILabError(f"--resume: {self.out} was trained on {meta['dataset']}, not {self.dataset}: "
                              f"give --dataset {meta['dataset']}, or use --force to replace it")
        model = hub.load(self.out / "model.safetensors")
        try:
            self.base = json.loads((self.out / "history.json").read_text())
        except (OSError, ValueError):
            self.base = None
        return model

    def _move_old_run(self, to: str) -> Path:
        target = self.out / to
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.mkdir()
        for f in RUN_FILES:
            if (self.out / f).exists():
                os.replace(self.out / f, target / f)
        return target

    def save(self, model, history, checkpoint: bool = False) -> Path:
        into = self.out
        if self.replacing and not self.saved:
            if not checkpoint and history.stopped.startswith("interrupted"):
                into = self.out / "interrupted"  # an early Ctrl-C leaves the old run where it was
                print(f"interrupted before the first checkpoint: the run in {self.out} is left as it was; "
                      f"the new weights are in {into}", file=sys.stderr)
            else:
                where = self._move_old_run("previous")
                print(f"the run that was in {self.out} is kept in {where}", file=sys.stderr)
                self.saved = True
        else:
            self.saved = True
        try:
            return save_run(model, history, into, self.kind, self.dataset, self.command, checkpoint=checkpoint,
                            base=self.base)
        except OSError as e:
            raise T2ILabError(f"could not save the run in {into} ({e.strerror or e}): free some space or "
                              "choose another --out") from None


def save_reserve(seconds: float) -> float:
    """Seconds of a --seconds budget kept for the final save (weights, history, samples.png) and for
    the interpreter's exit after it (measured: 0.4-0.5 s to save, 0.6-1.6 s to exit on a busy 2-core machine)."""
    return min(SAVE_SECONDS, 0.1 * seconds)


def _ready_to_save() -> None:
    """Import what the final save needs now, so that the time kept for it at the end is small and known."""
    from ..generate import save_grid  # noqa: F401  (writes samples.png with PIL, no torchvision)
    from ..text import labels_for  # noqa: F401


def train_cli(kind: str, dataset: str, seconds: float, steps: int | None, seed: int, out: str,
              checkpoint_every: float = 30.0, resume: bool = False, force: bool = False,
              started: float | None = None, clock=time.perf_counter) -> None:
    """`t2ilab train`. A --seconds budget is wall-clock time counted from `started` (the `clock`
    reading when the command started; default: now): start-up, training and the final save all
    fit in it. The CLI passes the process's start (`loop.process_started()`)."""
    from ..schema import SCHEMAS

    started = clock() if started is None else started

    if dataset not in SCHEMAS and not Path(dataset).expanduser().is_dir():
        raise T2ILabError(f"unknown dataset {dataset!r}: choose {', '.join(SCHEMAS)} or an image folder")
    if steps is not None:
        check_count(steps, "--steps", 1, MAX_STEPS, "the budget must be positive: --seconds 60 or --steps 1000")
    elif seconds is None or not seconds > 0:
        raise T2ILabError(f"the budget must be positive: --seconds 60 or --steps 1000, not {seconds!r}")
    else:
        check_number(seconds, "--seconds", 0, MAX_SECONDS, "the budget must be positive: --seconds 60 or --steps 1000")
    check_number(checkpoint_every, "--checkpoint-every", 0, MAX_SECONDS, "give seconds, e.g. --checkpoint-every 30")
    check_seed(seed, "--seed")
    out = check_out(out, resume=resume, force=force)
    command = "t2ilab " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["train"] else \
        f"t2ilab train {kind} --dataset {dataset} --seconds {seconds} --seed {seed} --out {out}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = temporary(out / "probe")  # a real write, before any training
        probe.unlink()
    except OSError as e:
        raise T2ILabError(f"--out {out} cannot be written ({e.strerror or e}): choose another folder") from None
    with RunLock(out):
        check_out(out, resume=resume, force=force)  # again, now that no other run can change it
        run = Run(out, kind, dataset, command, resume=resume, force=force)
        init = run.previous() if resume else None
        if kind != "judge":
            _ready_to_save()
        options = {"init": init} if init is not None else {}
        train_seconds = None if steps else seconds - save_reserve(seconds)  # the rest is kept for the final save
        model, history = train(kind, dataset, seconds=train_seconds, steps=steps, seed=seed, started=started,
                               checkpoint_every=checkpoint_every,
                               checkpoint=lambda i, h, m: run.save(m, h, checkpoint=True), **options)
        trained = clock()
        if not history.steps:
            if steps is None and not history.stopped:
                raise T2ILabError(f"the budget of {seconds:g} s was used up before the first step ({trained - started:.1f} s "
                                  f"to import torch, load {dataset} and build the model): nothing was trained or "
                                  "saved; give a larger --seconds")
            print(f"stopped before the first step: nothing was saved in {out}")
            return
        path = run.save(model, history)
    done, n = clock(), history.steps[-1]
    training = history.seconds[-1]
    last = ", ".join(f"{k} {history.last(k):.4g}" for k in list(history.values)[:3])
    print(f"trained {kind} on {dataset}: {n} steps in {done - started:.1f} s ({trained - started - training:.1f} s "
          f"start-up, {training:.1f} s training, {done - trained:.1f} s saving; {last}); saved {path}")
    note = far_from_quality(kind, getattr(model, "dataset", None) or dataset, n, training)
    if note:
        print(note)
