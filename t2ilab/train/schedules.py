"""Learning-rate decay and batch-size schedules, the source articles' two named optimisations.

A run is often limited by wall-clock seconds, so schedules follow the fraction of the run used
(steps done / steps, or seconds spent / seconds) rather than a step count fixed in advance.
"""
from __future__ import annotations

import time

import torch


class Progress:
    """`progress(i)`: the fraction of a training run used after `i` steps, in [0, 1].

    With `steps`, i / steps; with `seconds`, the wall-clock seconds since the Progress was made
    over `seconds` (i is then not needed). Nothing else moves it: every schedule asks it directly.
    """

    def __init__(self, seconds: float | None = None, steps: int | None = None):
        self.seconds, self.steps, self.start = seconds, steps, time.perf_counter()

    def __call__(self, i: int = 0) -> float:
        if self.steps:
            return min(1.0, i / self.steps)
        return min(1.0, (time.perf_counter() - self.start) / self.seconds)


class ExponentialDecay:
    r"""Learning-rate decay: $\eta(f) = \eta_0 \cdot r^{f}$ for the fraction $f$ of the run used (r = final/initial)."""

    def __init__(self, optimizers: torch.optim.Optimizer | list[torch.optim.Optimizer], progress: Progress,
                 final: float = 0.1):
        opts = optimizers if isinstance(optimizers, list) else [optimizers]
        self.groups = [g for o in opts for g in o.param_groups]
        self.progress, self.final = progress, final
        self.base = [g["lr"] for g in self.groups]

    def step(self, i: int) -> None:
        """Set the learning rates for the run's state after `i` steps."""
        f = self.progress(i)
        for g, lr in zip(self.groups, self.base):
            g["lr"] = lr * self.final ** f


def batch_size(progress: float, start: int = 64, end: int = 256) -> int:
    """Batch-size schedule: grow from `start` to `end` geometrically as the run goes on.

    Small early batches take many cheap, noisy steps; larger late batches average the noise
    away, much like decaying the learning rate (Smith et al. 2018, "Don't decay the learning rate,
    increase the batch size").
    """
    return int(round(start * (end / start) ** progress))
