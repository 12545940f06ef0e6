"""Train a judge: cross-entropy on every attribute of real images."""
from __future__ import annotations

import torch
from torch import nn

from ..data import load
from ..device import device as default_device
from ..models.judge import Judge
from .batches import Batches
from .loop import History, fit


def train_judge(dataset: str = "shapes", seconds: float = 30.0, steps: int | None = None, seed: int = 0,
                n: int = 20000, batch: int = 128, lr: float = 2e-3, progress: bool = True,
                device: torch.device | None = None) -> tuple[Judge, History]:
    """A judge for `dataset`, trained on all attribute combinations (it measures; it must read them all)."""
    torch.manual_seed(seed)
    dev = device or default_device()
    data = load(dataset, split="train" if dataset == "fashion" else "all", n=None if dataset == "fashion" else n, seed=seed)
    c, s = data.images.shape[1], data.images.shape[2]
    judge = Judge(channels=c, size=s, classes=tuple(len(v) for v in data.schema.values())).to(dev)
    opt = torch.optim.Adam(judge.parameters(), lr=lr)
    draw = Batches(data.images, data.labels, dev, seed)
    ce = nn.CrossEntropyLoss()

    def step(i: int) -> dict[str, float]:
        x, y = draw(batch)
        judge.train()
        loss = sum(ce(logits, y[:, a]) for a, logits in enumerate(judge(x)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    history = fit(step, modules=[judge], seconds=None if steps else seconds, steps=steps,
                  desc=f"judge {dataset}", progress=progress)
    judge.eval()
    judge.dataset = dataset
    return judge, history
