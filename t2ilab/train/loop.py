"""The one training loop every model uses.

`fit` calls a `step(i) -> {name: value}` function until a budget in seconds or steps runs out,
with a tqdm progress bar, a loss history, an optional live view, periodic checkpoints, and a
divergence guard: a NaN or inf loss stops training with one line and puts back the last good
weights.
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass, field
from collections.abc import Callable

import torch
from tqdm.auto import tqdm


def fast() -> bool:
    """True in the course's fast mode (`T2ILAB_FAST=1`), used by the test suite."""
    return os.environ.get("T2ILAB_FAST", "0") not in ("", "0", "false", "no")


def lesson_seconds(seconds: float, fast_seconds: float = 2.0) -> float:
    """How long a lesson's training cell trains: `seconds` in class, `fast_seconds` in fast mode."""
    return min(seconds, fast_seconds) if fast() else seconds


_IMPORTED = time.perf_counter()


def process_started() -> float:
    """The `time.perf_counter()` reading when this process started, so that a command's budget
    includes its start-up (importing torch, loading data). Read from /proc/self/stat on Linux;
    elsewhere, the reading when this module was imported."""
    try:
        fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, ValueError, IndexError, AttributeError):
        return _IMPORTED
    return time.perf_counter() - age if 0 <= age < 24 * 3600 else _IMPORTED


def remaining(seconds: float | None, started: float | None,
              clock: Callable[[], float] = time.perf_counter) -> float | None:
    """What a budget of `seconds` counted from the `clock` reading `started` leaves now (None: all of it).

    `t2ilab train --seconds 20` passes the process's start, so the 20 s include the start-up."""
    if seconds is None or started is None:
        return seconds
    return max(0.0, seconds - (clock() - started))


@dataclass
class History:
    """What happened during training: per-step values, the steps and the time they were logged at."""
    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    stopped: str = ""  # why training stopped early ("" when the budget ran out)

    def log(self, step: int, t: float, values: dict[str, float]) -> None:
        self.steps.append(step)
        self.seconds.append(t)
        for k, v in values.items():
            self.values.setdefault(k, []).append(float(v))

    def last(self, key: str, n: int = 20) -> float:
        """Mean of the last `n` logged values of `key`."""
        v = self.values[key][-n:]
        return sum(v) / len(v)


class Diverged(RuntimeError):
    """Raised inside `fit` when a loss became NaN or inf."""


def fit(step: Callable[[int], dict[str, float]], *, modules: list[torch.nn.Module],
        seconds: float | None = None, steps: int | None = None,
        schedulers: tuple = (), live: Callable | None = None, live_every: float = 0.5,
        snapshot_every: int = 50, desc: str = "training", progress: bool = True,
        checkpoint: Callable | None = None, checkpoint_every: float = 30.0,
        clock: Callable[[], float] = time.perf_counter) -> History:
    """Run `step(i)` until `seconds` or `steps` runs out (whichever comes first).

    `modules` are snapshotted every `snapshot_every` steps so that divergence can be undone;
    `schedulers` step once per step (learning-rate decay). `live` (a notebook view) and
    `checkpoint` (a save, e.g. through `t2ilab.hub`) are called as `f(i, history, model)`, with
    `model = modules[0]`, the model being trained: `live` at most every `live_every` seconds, never
    so often that drawing takes more than a tenth of the time, and once at the end; `checkpoint`
    every `checkpoint_every` seconds, so that a killed run loses at most that much. `clock`
    (seconds) is what every budget and interval is measured with: tests pass a fake one.
    """
    if seconds is None and steps is None:
        raise ValueError("give a budget: seconds= or steps=")
    history = History()
    good = [copy.deepcopy(m.state_dict()) for m in modules]
    bar = tqdm(total=steps if steps else round(seconds, 1), desc=desc, disable=not progress,
               unit="step" if steps else "s", leave=False)
    model = modules[0] if modules else None
    start = last_live = last_checkpoint = clock()
    live_cost = 0.0  # seconds the last live() call took
    i = 0
    try:
        while True:
            elapsed = clock() - start
            if (steps is not None and i >= steps) or (seconds is not None and elapsed >= seconds):
                break
            values = step(i)
            bad = [k for k, v in values.items() if not math.isfinite(float(v))]
            if bad:
                for m, s in zip(modules, good):
                    m.load_state_dict(s)
                history.stopped = (f"stopped at step {i}: {', '.join(bad)} became {values[bad[0]]} "
                                   f"(diverged); kept the weights of step {i - i % snapshot_every}. "
                                   "Try a smaller learning rate.")
                break
            i += 1
            for s in schedulers:
                s.step(i)  # the learning rates for the next step
            history.log(i, clock() - start, values)
            if i % snapshot_every == 0:
                good = [copy.deepcopy(m.state_dict()) for m in modules]
            now = clock()
            if progress:
                if steps:
                    bar.update(1)
                else:
                    bar.n = round(min(now - start, seconds), 1)
                if i % 10 == 0:
                    bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)
                    bar.refresh()
            if live is not None and now - last_live >= max(live_every, 9 * live_cost):
                live(i, history, model)
                last_live = clock()
                live_cost = last_live - now
            if checkpoint is not None and now - last_checkpoint >= checkpoint_every:
                checkpoint(i, history, model)
                last_checkpoint = clock()
    except KeyboardInterrupt:
        history.stopped = f"interrupted at step {i}; the weights trained so far are kept"
    finally:
        bar.close()
    if live is not None:
        live(i, history, model)
    if history.stopped:
        print(history.stopped)
    return history


def start_from(model: torch.nn.Module, init: torch.nn.Module | None) -> None:
    """Continue training `init` (`t2ilab train --resume`): copy its weights into the new `model`.

    The options must be the ones the run was trained with: the configs have to agree."""
    if init is None:
        return
    from ..errors import T2ILabError

    if getattr(init, "config", None) != getattr(model, "config", None):
        diff = sorted(k for k in set(init.config) | set(model.config) if init.config.get(k) != model.config.get(k))
        raise T2ILabError(f"--resume: the saved run has a different configuration ({', '.join(diff)}): "
                          "train with the options of that run, or use --force to start a new one")
    model.load_state_dict(init.state_dict())
