"""A live notebook view of training: loss curves and a sample grid for fixed prompts.

Redraws at most every `every` seconds (the loop throttles it), and the last drawing stays in the
notebook as a plain image, so an executed lesson shows the final curves on a repository page.
Outside a notebook it prints nothing and costs nothing.

Inside a widget panel (a button's callback has no cell output of its own), give it `out=`, an
`ipywidgets.Output` to draw into, and optionally `progress=`, an `ipywidgets.FloatProgress` that it
moves to the share of the budget trained so far (`seconds=` or `steps=`, the budget passed to the
training).
"""
from __future__ import annotations

import torch

from ..errors import T2ILabError


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and "IPKernelApp" in get_ipython().config
    except Exception:
        return False


class LiveView:
    """Call as `live(step, history, model)`; pass it to a `train_*` function as `live=`."""

    def __init__(self, keys: tuple[str, ...] = ("loss",), prompts: list[str] | None = None, seed: int = 0,
                 title: str = "", force: bool = False, out=None, progress=None, seconds: float | None = None,
                 steps: int | None = None):
        if progress is not None and (seconds is None) == (steps is None):
            raise T2ILabError("LiveView: a progress bar needs the training's budget: give seconds= or steps= (one of them)")
        self.keys, self.prompts, self.seed, self.title = keys, prompts or [], seed, title
        self.out, self.progress, self.seconds, self.steps = out, progress, seconds, steps
        self.enabled = force or out is not None or _in_notebook()
        self.handle = None
        self.figure = None
        if progress is not None:
            progress.value = progress.min

    def fraction(self, history) -> float:
        """The share of the budget trained so far, in [0, 1]."""
        if not history.steps:
            return 0.0
        done = history.seconds[-1] / self.seconds if self.seconds is not None else history.steps[-1] / self.steps
        return min(1.0, max(0.0, done))

    def samples(self, model) -> torch.Tensor | None:
        """Images for the fixed prompts, from a fixed noise, so frames are comparable over time."""
        if not self.prompts or not hasattr(model, "generate"):
            return None
        from ..text import labels_for

        labels = torch.cat([labels_for(p, model.dataset, n=1, seed=self.seed + i) for i, p in enumerate(self.prompts)])
        was_training = model.training
        images = model.generate(labels, generator=torch.Generator().manual_seed(self.seed)).cpu()
        model.train(was_training)
        return images

    def draw(self, step: int, history, model=None):
        """A matplotlib figure of the curves (and samples); also returned for tests and scripts."""
        import matplotlib.pyplot as plt
        from torchvision.utils import make_grid

        images = self.samples(model) if model is not None else None
        plt.close(self.figure) if self.figure is not None else None
        fig, axes = plt.subplots(1, 2 if images is not None else 1, figsize=(10 if images is not None else 5, 3.2))
        ax = axes[0] if images is not None else axes
        for k in self.keys:
            if k in history.values:
                ax.plot(history.seconds, history.values[k], label=k, lw=1)
        ax.set_xlabel("seconds"), ax.legend(loc="upper right"), ax.set_title(f"{self.title} step {step}")
        if images is not None:
            grid = make_grid(images, nrow=len(images), padding=1, pad_value=1.0).permute(1, 2, 0).clamp(0, 1)
            axes[1].imshow(grid.numpy(), interpolation="nearest")
            axes[1].set_axis_off()
            axes[1].set_title(" | ".join(self.prompts), fontsize=8)
        fig.tight_layout()
        self.figure = fig
        return fig

    def __call__(self, step: int, history, model=None) -> None:
        if self.progress is not None:
            bar = self.progress
            bar.value = bar.min + self.fraction(history) * (bar.max - bar.min)
        if not self.enabled:
            return
        import matplotlib.pyplot as plt
        from IPython.display import clear_output, display

        fig = self.draw(step, history, model)
        if self.out is not None:
            with self.out:
                clear_output(wait=True)
                display(fig)
        elif self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)
