"""Train a judge: cross-entropy on every attribute of real images."""
from __future__ import annotations

import torch
from torch import nn

from ..data import load
from ..device import device as default_device
from ..models.judge import Judge
from .batches import Batches
from .loop import History, fit, remaining, start_from
from .schedules import ExponentialDecay, Progress


def train_judge(dataset: str = "shapes", seconds: float = 30.0, steps: int | None = None, seed: int = 0,
                n: int = 20000, batch: int = 128, lr: float = 2e-3, lr_final: float = 0.05, flip: bool | None = None,
                progress: bool = True, checkpoint=None, checkpoint_every: float = 30.0, init=None, started: float | None = None,
                device: torch.device | None = None) -> tuple[Judge, History]:
    """A judge for `dataset`, trained on all attribute combinations (it measures; it must read them all).

    `flip` mirrors half of each batch (default: only for Fashion-MNIST; in shapes and scenes a
    mirror would swap left and right).
    """
    flip = (dataset == "fashion") if flip is None else flip
    torch.manual_seed(seed)
    dev = device or default_device()
    data = load(dataset, split="train" if dataset == "fashion" else "all", n=n if dataset in ("shapes", "scenes") else None,
                                                  seed=seed)
    c, s = data.images.shape[1], data.images.shape[2]
    judge = Judge(channels=c, size=s, classes=tuple(len(v) for v in data.schema.values()), dataset=data.name).to(dev)
    start_from(judge, init)
    opt = torch.optim.Adam(judge.parameters(), lr=lr)
    draw = Batches(data.images, data.labels, dev, seed)
    ce = nn.CrossEntropyLoss()

    def step(i: int) -> dict[str, float]:
        x, y = draw(batch)
        if flip:
            x = torch.where(torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5, x.flip(3), x)
        judge.train()
        loss = sum(ce(logits, y[:, a]) for a, logits in enumerate(judge(x)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    seconds = None if steps else remaining(seconds, started)  # start-up already spent comes off the budget
    decay = ExponentialDecay(opt, Progress(seconds=seconds, steps=steps), lr_final)
    history = fit(step, modules=[judge], seconds=seconds, steps=steps, schedulers=(decay,),
                  checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                  desc=f"judge {dataset}", progress=progress)
    judge.eval()
    return judge, history
