r"""An exponential moving average of a network's weights (Polyak averaging, as in most GANs since
Karras et al. 2018): the average of the last $1/(1-\beta)$ steps' generators draws better images
than the last one, whose weights still swing with the discriminator's game.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..errors import T2ILabError


class WeightAverage:
    r"""$\bar\theta \leftarrow \beta\,\bar\theta + (1-\beta)\,\theta$ after every step; buffers
    (BatchNorm's running statistics) are copied as they are, and measured again by `copy_to`."""

    def __init__(self, model: nn.Module, beta: float):
        if not 0.0 < beta < 1.0:
            raise T2ILabError(f"ema={beta}: the weights' moving average needs 0 < ema < 1 (0.99 is usual; 0 turns it off)")
        self.beta, self.average = beta, copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for avg, p in zip(self.average.parameters(), model.parameters()):
            avg.lerp_(p, 1.0 - self.beta)  # avg + (1 - β)(θ - avg) = β avg + (1 - β) θ
        for avg, b in zip(self.average.buffers(), model.buffers()):
            avg.copy_(b)

    @torch.no_grad()
    def copy_to(self, model: nn.Module, inputs=None, batches: int = 20) -> None:
        """Put the averaged weights into `model` (at the end of training).

        BatchNorm's running statistics belong to the last weights, not to their average: with
        `inputs` (a function returning the arguments of one forward pass) they are measured again
        on `batches` passes of the averaged network."""
        model.load_state_dict(self.average.state_dict())
        norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if inputs is None or not norms:
            return
        was_training, momenta = model.training, [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain mean over the passes
        model.train()
        for _ in range(batches):
            model(*inputs())
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.train(was_training)
