"""Lesson widgets: controls above a figure that redraws in place when one of them moves.

The figure is shown as a plain PNG through a display handle, not inside widget state, so the saved
notebook keeps the default picture (widget state is stripped before committing) and a repository
page shows it. A redraw is one `draw(...)` call and one PNG encoding: about 45 ms for a lesson's
image strip on 2 CPU cores, half of the ~95 ms "slider to image" time (benchmarks/bench_widgets.py);
the other half is the widget message round trip and JupyterLab's re-render.
"""
from __future__ import annotations

import io
from typing import Callable

DPI = 100  # matplotlib's default; the lessons' figure sizes are chosen for it


def png(fig, dpi: int = DPI):
    """A matplotlib figure as an IPython PNG image, and the figure closed.

    Saved without `bbox_inches="tight"` (the inline backend's default): trimming the margins needs a
    second drawing pass, which cost 16 of 44 ms per redraw of a lesson's image strip.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return Image(data=buf.getvalue(), format="png")


def live_figure(draw: Callable, controls: dict) -> None:
    """Show `controls` (name -> widget) in a row and `draw(**values)` under them; redraw on change.

    `draw` returns a matplotlib figure, or a tuple of outputs (figures and anything IPython can
    display, e.g. a table), each shown and updated in its own place.
    """
    import ipywidgets as widgets
    from IPython.display import display
    from matplotlib.figure import Figure

    def render() -> list:
        items = draw(**{name: c.value for name, c in controls.items()})
        return [png(item) if isinstance(item, Figure) else item for item in (items if isinstance(items, tuple) else (items,))]

    display(widgets.HBox(list(controls.values())))
    handles = [display(item, display_id=True) for item in render()]

    def redraw(_change) -> None:
        for handle, item in zip(handles, render()):
            handle.update(item)

    for c in controls.values():
        c.observe(redraw, names="value")


def tensor_png(images, scale: int = 4, nrow: int = 8, pad: int = 2) -> bytes:
    """Images [N, C, H, W] in [0, 1] as one PNG grid (bytes), enlarged `scale` times, no matplotlib.

    The fast path for image widgets: a few milliseconds for a grid of 32×32 images, so a slider
    that replaces an `ipywidgets.Image`'s value answers at the speed of a hand.
    """
    import numpy as np
    from PIL import Image as PILImage

    x = images.detach().float().clamp(0, 1).cpu()
    if x.dim() == 3:
        x = x.unsqueeze(0)
    n, c, h, w = x.shape
    if c == 1:
        x = x.expand(n, 3, h, w)
    x = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
    h, w = h * scale, w * scale
    cols = min(nrow, n)
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    pixels = (x.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + k * (w + pad)
        grid[top:top + h, left:left + w] = pixels[i]
    buf = io.BytesIO()
    PILImage.fromarray(grid).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
