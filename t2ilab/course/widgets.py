"""Lesson widgets: controls above images that are redrawn in place when a control moves.

One helper for the lessons and the studio page (docs/architecture.md, "Lessons"):

- `LiveFigure` / `live_figure(draw, controls)`: `draw(**values)` returns a matplotlib figure, a
  batch of image tensors [N, C, H, W] in [0, 1], PNG bytes, or a tuple of those (and of anything
  else IPython can display, e.g. a Markdown table). The whole view is one widget tree: the
  controls, then an `ipywidgets.Image` per picture whose `value` is replaced on change (no output
  area is re-rendered; a page reopened while the kernel runs gets the tree back from the kernel,
  which display handles do not survive), then an `Output` for anything else.
- Its display output also carries a static rendering: the default picture as `image/png` and the
  alt text as `text/plain`. `make notebooks` strips widget state (t2ilab.course.execute), so the
  committed notebook shows the picture, never a widget's text repr; JupyterLab with a live kernel
  shows the widget (its mime type ranks first) and not the picture twice.
- Fast (target: key press to new image, median <= 40 ms, p90 <= 80 ms; benchmarks/bench_widgets.py):
  tensors go straight to PNG (`tensor_png`, a few ms, no matplotlib); a matplotlib figure is drawn
  once on its canvas and encoded by PIL as RGB (`figure_png`; `savefig` draws twice and encodes
  RGBA). Every state is kept (`States`) and, once a student moves a control, the states a hand
  reaches next are computed while the kernel is idle (all positions of a slider with at most
  `FILL` of them, nearest first), as long as one state costs under AHEAD_MAX_MS: the next step of
  a hand is then served from memory. An expensive view is only cached.
- A draw that fails says why in one red line under the controls (a slider never goes silent).
- `ButtonTask`: long work (training, evaluation over many samples) behind a button with a
  progress bar, never on a slider.

Charts under a slider: build the figure once, then move its lines (a normal matplotlib idiom).
A new `plt.subplots` figure per move costs ~160 ms for two panels; the same figure reused, with
its artists updated, ~50 ms, which is cheap enough to be drawn ahead::

    fig, (ax1, ax2) = subplots(1, 2, figsize=(10, 3))   # this module's: never shown by pyplot
    line, = ax1.plot(x, f(x, 0.0))                      # everything that does not move: once
    marker = ax2.axvline(0.0, color="k")
    title = ax2.set_title("")
    fig.tight_layout()                                  # once, not per move

    def draw(mu):
        line.set_ydata(f(x, mu))                        # what moves: set_ydata / set_data,
        marker.set_xdata([mu, mu])                      # set_text, set_height, set_offsets ...
        title.set_text(f"mu = {mu:.2f}")
        return fig

    live_figure(draw, {"mu": widgets.FloatSlider(...)})

The figure and its artists are notebook globals that `draw` reads: give them names no later cell
reuses (`gamma_fig`, `gamma_marker`, not `fig`, `t`), or a later cell changes what the slider draws.
Plot a few hundred points per curve, not thousands (a third of the drawing time), keep
`tight_layout` out of `draw`, and return the same figure every time (it is drawn and encoded at
once, so the kept PNGs of earlier states stay right). A figure from `subplots` needs no
`plt.close`.

Faster still (a few ms a move instead of ~50): create what moves with `animated=True`
(`ax.plot(..., animated=True)`, `ax.set_title("", animated=True)`, `ax.axvline(..., animated=True)`,
`ax.text(..., animated=True)`; not axis labels, which their axis always draws). `figure_png` then
draws the rest (axes, ticks, labels, the lines that stay) once, keeps that picture, and on each
move draws only the animated artists over it: matplotlib's blitting (16 against ~120 ms for three
panels on a busy machine). Update them with `set_text` / `set_data` / `set_offsets` / `set_height`:
`ax.set_title(...)` again marks the figure as changed. Changing an artist that is not animated
is still right, only slower: the figure is drawn in full again. What lies over a moving artist
(a legend, a reference line and its label over bars) must be animated too, or the moving artist
is drawn over it.
"""
from __future__ import annotations

import base64
import html
import io
import time
from collections import OrderedDict
from collections.abc import Callable

DPI = 100  # matplotlib's default; the lessons' figure sizes are chosen for it
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PREFETCH = 3  # neighbouring states drawn ahead after a move
IDLE_S = 0.03  # how long the kernel must have been idle before a state is drawn ahead
GAP_S = 0.005  # between two states drawn ahead: lets a waiting key press in first
FILL = 41  # a control with at most this many positions has all of them drawn ahead, nearest first,
FILL_MAX_MS = 25.0  # when a state costs at most this (else only PREFETCH states: a hand's move would wait)
# A state that takes longer than this to draw is not drawn ahead: while the kernel draws, the next
# move of the hand waits, so drawing ahead would make an expensive view slower, not faster.
AHEAD_MAX_MS = 100.0


def figure_png(fig, dpi: int = DPI) -> bytes:
    """A matplotlib figure as PNG bytes; a pyplot figure is closed (one from `subplots` stays, to be redrawn).

    Drawn once on an Agg canvas and encoded by PIL as RGB at zlib level 1: `savefig` draws the
    figure more than once and encodes RGBA (91 against 56 ms for a two-panel chart). No
    `bbox_inches="tight"` (another drawing pass): lay the figure out with `tight_layout` instead.
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image as PILImage

    try:
        if fig.dpi != dpi:
            fig.dpi = dpi
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        _draw(fig, canvas)
        rgba = PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        if rgba.getextrema()[3][0] < 255:  # a transparent background: onto white, as a page shows it
            rgba = PILImage.alpha_composite(PILImage.new("RGBA", rgba.size, "white"), rgba)
        buf = io.BytesIO()
        rgba.convert("RGB").save(buf, format="PNG", compress_level=1)
    finally:
        plt.close(fig)  # a figure pyplot does not manage (from `subplots`) is left as it is
    return buf.getvalue()


def _draw(fig, canvas) -> None:
    """Draw `fig` on its Agg canvas; only its `animated=True` artists when nothing else changed.

    matplotlib's blitting idiom: a full draw leaves out the animated artists; its picture (the
    background: axes, ticks, labels, every line that stays) is kept, and the next time only the
    animated artists are drawn over a copy of it. Any change to an artist that is not animated
    marks the figure stale (animated ones do not), and the figure is drawn in full again.
    """
    background = getattr(fig, "_t2ilab_background", None)
    if background is None or fig.stale or background[0] != canvas.get_width_height():
        canvas.draw()  # everything but the animated artists
        moving = sorted(fig.findobj(lambda a: a.get_animated() and a is not fig), key=lambda a: a.get_zorder())
        fig._t2ilab_background = background = (canvas.get_width_height(), canvas.copy_from_bbox(fig.bbox), moving)
        if not moving:
            return
    else:
        canvas.restore_region(background[1])
    for artist in background[2]:
        fig.draw_artist(artist)
    fig.stale = False


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, dpi: int = DPI, **kwargs):
    """`plt.subplots` for a chart under a slider: the figure is built once and redrawn in place.

    Returns `(fig, axes)` like `plt.subplots`, but the figure is a plain `matplotlib.figure.Figure`
    on its own Agg canvas: pyplot never shows it by itself at the end of a cell, it needs no
    closing, and `draw` can update its artists and return it on every move (see the module's
    docstring). Keyword arguments go to `Figure.subplots` (`sharex`, `gridspec_kw`, ...).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def png(fig, dpi: int = DPI):
    """A matplotlib figure as an IPython PNG image (for `display`), and the figure closed."""
    from IPython.display import Image

    return Image(data=figure_png(fig, dpi), format="png")


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
    pixels = (x.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)  # [n, h, w, c]
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=3)
    if scale > 1:  # enlarged as bytes: torch's repeat_interleave on floats took ~20 ms of ~25
        pixels = np.repeat(np.repeat(pixels, scale, axis=1), scale, axis=2)
    h, w = h * scale, w * scale
    cols = min(nrow, n)
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + k * (w + pad)
        grid[top:top + h, left:left + w] = pixels[i]
    buf = io.BytesIO()
    PILImage.fromarray(grid).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def to_png(item, scale: int = 4) -> bytes | None:
    """PNG bytes for a picture (figure, image tensor, IPython Image, PNG bytes); None for anything else."""
    if isinstance(item, (bytes, bytearray)) and bytes(item[:8]) == PNG_MAGIC:
        return bytes(item)
    if type(item).__module__.startswith("matplotlib") and hasattr(item, "savefig"):
        return figure_png(item)
    if type(item).__name__ == "Tensor":
        return tensor_png(item, scale=scale)
    data = getattr(item, "data", None)
    if type(item).__name__ == "Image" and isinstance(data, bytes) and data[:8] == PNG_MAGIC:
        return data
    return None


def alt_image(value: bytes = b"", alt: str = "", **kwargs):
    """An `ipywidgets.Image` for PNG bytes whose alt text (`tooltip`, the img's title) names what it shows.

    ipywidgets 8.1's Image has no `description`, and its view's tooltip code reads one: a plain
    Image with a tooltip fails to render ("Cannot read properties of undefined (reading 'length')").
    This one syncs an empty description, so the tooltip works. Other keyword arguments (`layout`)
    go to the widget. Use it for every image widget with alt text.
    """
    kwargs.setdefault("layout", {"max_width": "100%", "align_self": "flex-start"})
    return _alt_image_class()(value=value, format="png", tooltip=alt, **kwargs)


def _alt_image_class():
    global _AltImage
    if _AltImage is None:
        import ipywidgets as widgets
        from traitlets import Unicode

        class AltImage(widgets.Image):
            description = Unicode("", help="empty: lets the view show `tooltip` as the image's title").tag(sync=True)

        _AltImage = AltImage
    return _AltImage


_AltImage = None


def _key(value):
    """A hashable, float-rounded form of a control value (so 1.4 and 1.4000000000000001 are one state)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return value


def neighbours(control, value=None) -> list:
    """The values one step below and above `value` (default: the control's value) that exist.

    For sliders, `step` apart within [min, max]; for menus and selection sliders, the options
    beside it; for anything else (text, check boxes) none.
    """
    value = control.value if value is None else value
    options = getattr(control, "_options_values", None)
    if options is not None:  # Dropdown, SelectionSlider, ToggleButtons, RadioButtons
        keys = [_key(o) for o in options]
        if _key(value) not in keys:
            return []
        i = keys.index(_key(value))
        return [options[j] for j in (i - 1, i + 1) if 0 <= j < len(options)]
    step = getattr(control, "step", None)
    if step is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    lo, hi = control.min, control.max
    if hasattr(control, "base"):  # FloatLogSlider: min/max/step are exponents
        import math

        e = math.log(value, control.base)
        return [_key(control.base ** (e + d)) for d in (-step, step) if lo - 1e-9 <= e + d <= hi + 1e-9]
    out = [value + d for d in (-step, step) if lo - 1e-9 <= value + d <= hi + 1e-9]
    return [_key(v) if isinstance(v, float) else v for v in out]


def positions(control, fill: int = FILL) -> list:
    """Every value `control` can take, when there are at most `fill` of them (else [])."""
    options = getattr(control, "_options_values", None)
    if options is not None:
        return list(options) if len(options) <= fill else []
    step = getattr(control, "step", None)
    if step is None or not step or isinstance(control.value, bool) or not isinstance(control.value, (int, float)):
        return []
    lo, hi = control.min, control.max
    count = int(round((hi - lo) / step)) + 1
    if count > fill:
        return []
    if hasattr(control, "base"):  # FloatLogSlider: exponents
        return [_key(control.base ** (lo + i * step)) for i in range(count)]
    if isinstance(control.value, int) and isinstance(step, int):
        return [lo + i * step for i in range(count)]
    return [_key(lo + i * step) for i in range(count)]


def state_key(values: dict):
    """The cache key of a setting of the controls (None when a value cannot be hashed)."""
    key = tuple((k, _key(v)) for k, v in values.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


class States:
    """What a view shows for each setting of its controls: computed once, kept, computed ahead.

    `compute(**values)` makes what the view shows for one setting (any object); `get(values)`
    returns it, from memory when that setting was computed before (`size` settings are kept; 0:
    none, and nothing is computed ahead). `moved(name, old, new)`, called after a control moved,
    queues the settings a hand reaches next: the moved control one and two steps on, one back, then
    every other control one step either way (`prefetch` of those), then, for a moved control with at
    most `fill` positions, all its other positions, nearest first (only for a view whose settings
    cost at most FILL_MAX_MS: a hand's move that arrives meanwhile waits for the one being made). They are computed one at a time
    while the kernel is idle, as long as one setting costs under AHEAD_MAX_MS: while the kernel
    computes, the next move of the hand waits, so an expensive view is only cached. Torch runs on
    one thread here (`t2ilab.device.single_thread`): a view's small tensors are fastest so.
    Counters for tests and benchmarks: `computed` (how many times `compute` ran), `last_ms`,
    `cost_ms` (a running mean).
    """

    def __init__(self, compute: Callable, controls: dict, *, size: int = 256, prefetch: int = PREFETCH,
                 fill: int = FILL) -> None:
        self.compute, self.controls, self.size = compute, controls, size
        self.prefetch, self.fill = (prefetch, fill) if size else (0, 0)
        self._cache: OrderedDict = OrderedDict()
        self._queue: list[dict] = []
        self._timer = None
        self._last_event = 0.0
        self.computed, self.last_ms, self.cost_ms = 0, 0.0, 0.0

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def __contains__(self, values: dict) -> bool:
        return state_key(values) in self._cache

    def get(self, values: dict):
        """What `compute(**values)` returns, from memory when it was computed before."""
        key = state_key(values)
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        from ..device import single_thread

        t0 = time.perf_counter()
        with single_thread():
            result = self.compute(**values)
        self.computed += 1
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.cost_ms = self.last_ms if self.computed == 1 else 0.5 * self.cost_ms + 0.5 * self.last_ms
        if key is not None and self.size:
            self._cache[key] = result
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return result

    def precompute(self, limit: int = FILL) -> int:
        """Compute every setting now: each control through all its positions (a text box, or a slider
        with more than `limit` positions, stays where it is), when there are at most `limit` settings
        in all. For a view too slow to be drawn ahead (over AHEAD_MAX_MS a setting) with few
        settings: its cell takes that long once, and every move is then served from memory.
        Returns how many settings were computed (0 when there are too many)."""
        import itertools
        import math

        axes = [positions(c, limit) or [c.value] for c in self.controls.values()]
        if math.prod(len(a) for a in axes) > min(limit, self.size):
            return 0
        before = self.computed
        for combination in itertools.product(*axes):
            try:
                self.get(dict(zip(self.controls, combination)))
            except Exception:  # noqa: BLE001 - a setting that fails is computed (and explained) when reached
                pass
        return self.computed - before

    def clear(self) -> None:
        """Forget every setting (what `compute` reads has changed behind the controls' back)."""
        self._cache.clear()
        self._queue = []

    # -- computing ahead ---------------------------------------------------------------------
    def moved(self, name: str, old, new) -> None:
        """A control moved (and its new setting was shown): queue what a hand reaches next."""
        self._last_event = time.perf_counter()
        if self.prefetch and self.cost_ms <= AHEAD_MAX_MS:
            self._plan(name, old, new)
            self._arm()

    def _plan(self, moved: str, old, new) -> None:
        here, control = self.values(), self.controls[moved]
        around = neighbours(control, new)
        order = list(around)
        if old is not None and _key(old) in [_key(v) for v in around]:
            order = [v for v in around if _key(v) != _key(old)] + [old]  # keep going the same way first
        values = []
        if order and _key(order[0]) != _key(old):
            values.append(order[0])
            values += [v for v in neighbours(control, order[0]) if _key(v) != _key(new)][:1]
        values += [v for v in order if v not in values]
        near = [{**here, moved: v} for v in values]
        for name, c in self.controls.items():
            if name != moved:
                near += [{**here, name: v} for v in neighbours(c)]
        near = [s for s in near if s not in self][: self.prefetch]
        queued = {state_key(s) for s in near}
        everywhere = positions(control, self.fill) if self.cost_ms <= FILL_MAX_MS else []
        if everywhere and isinstance(new, (int, float)) and not isinstance(new, bool):
            up = old is None or not isinstance(old, (int, float)) or new >= old
            everywhere.sort(key=lambda v: (abs(v - new), (v < new) == up))  # nearest, the way it went first
        elif everywhere:  # menus: by distance in the list of options
            keys = [_key(v) for v in everywhere]
            at = keys.index(_key(new)) if _key(new) in keys else 0
            everywhere = sorted(everywhere, key=lambda v: abs(keys.index(_key(v)) - at))
        rest = [{**here, moved: v} for v in everywhere]
        self._queue = near + [s for s in rest if s not in self and state_key(s) not in queued]

    def _arm(self, delay: float = IDLE_S) -> None:
        import asyncio

        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queue:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not inside a kernel's event loop (a script, a test): compute nothing ahead
            return
        self._timer = loop.call_later(delay, self._ahead)

    def _ahead(self) -> None:
        """Compute one queued setting if the kernel has been idle a moment, then come back for the next."""
        self._timer = None
        if time.perf_counter() - self._last_event < IDLE_S:
            self._arm()
            return
        while self._queue and self.cost_ms <= AHEAD_MAX_MS:
            values = self._queue.pop(0)
            if values in self:
                continue
            try:
                self.get(values)
            except Exception:  # noqa: BLE001 - a setting that fails is computed (and explained) when reached
                pass
            break
        if self.cost_ms > AHEAD_MAX_MS:
            self._queue = []
        self._arm(GAP_S)


class LiveFigure:
    """`draw(**values)` under `controls` (name -> widget), redrawn in place on every change.

    The view is `self.widget` (a VBox: controls row, status line, one `ipywidgets.Image` per
    picture, one `Output` for other items); displaying the LiveFigure shows it with its static
    rendering. `caption(**values) -> str` (or a string) is a line of text over the pictures (what
    a matplotlib title would say, for tensor images). `alt` is the images' alt text: a string or
    `alt(**values) -> str` (default: the caption, else the draw function's name and the values, so
    a prompt is named). Tensor images are laid out `nrow` to a row, enlarged `scale` times; with
    `row=True` the pictures stand side by side instead of one under the other. `cache` states are kept (0: none, and
    nothing is drawn ahead: use it when `draw` reads state that changes behind the controls' back,
    or call `refresh()` after such a change). `precompute=True` draws every setting when the cell
    runs (States.precompute: for a slow view with few settings). Attributes for tests and
    benchmarks: `draws` (how many times `draw` ran), `last_ms` (the last redraw in the kernel, milliseconds).
    """

    def __init__(self, draw: Callable, controls: dict, *, alt: str | Callable | None = None,
                 caption: str | Callable | None = None, cache: int = 256, scale: int = 4, nrow: int = 8,
                 row: bool = False, prefetch: int = PREFETCH, precompute: bool = False) -> None:
        import ipywidgets as widgets

        from ..fonts import use_cjk

        use_cjk()  # a Chinese prompt in a title shows as text, not boxes
        self.draw, self.controls, self.alt_text, self.caption_text = draw, dict(controls), alt, caption
        self.scale, self.nrow, self.error = scale, nrow, None
        self.states = States(self._draw_rendered, self.controls, size=cache, prefetch=prefetch)
        first = self._render(self.values())
        self.images = [alt_image(p, self.alt()) for p in first if isinstance(p, bytes)]
        self.outputs = [widgets.Output() for p in first if not isinstance(p, bytes)]
        self.message = widgets.HTML(value="", description="status", layout=widgets.Layout(display="none"))
        self.caption = widgets.HTML(value="", layout=widgets.Layout(display="none" if caption is None else None))
        self.row = row and len(self.images) > 1
        pictures = [widgets.HBox(self.images, layout={"align_items": "flex-start"})] if self.row else self.images
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                                    self.message, self.caption, *pictures, *self.outputs])
        self._show(first)
        if precompute:
            self.states.precompute()
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._changed(name, change), names="value")

    # -- state -------------------------------------------------------------------------------
    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def alt(self, values: dict | None = None) -> str:
        """Alt text for the current (or given) state: what the pictures show, naming the prompt."""
        values = self.values() if values is None else values
        if callable(self.alt_text):
            return self.alt_text(**values)
        if self.alt_text:
            return self.alt_text
        if self.caption_text is not None:
            return self.caption_for(values)
        name = getattr(self.draw, "__name__", "figure").replace("_", " ")
        return f"{name}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items())

    def caption_for(self, values: dict | None = None) -> str:
        """The caption line for the current (or given) state ("" without one)."""
        values = self.values() if values is None else values
        c = self.caption_text
        return "" if c is None else c(**values) if callable(c) else str(c)

    # Counters for tests and benchmarks (see States)
    draws = property(lambda self: self.states.computed)
    last_ms = property(lambda self: self.states.last_ms)
    cost_ms = property(lambda self: self.states.cost_ms)

    def _draw_rendered(self, **values) -> list:
        items = self.draw(**values)
        items = items if isinstance(items, tuple) else (items,)
        return [tensor_png(item, self.scale, self.nrow) if type(item).__name__ == "Tensor"
                else to_png(item, self.scale) or item for item in items]

    def _render(self, values: dict) -> list:
        return self.states.get(values)

    def _show(self, rendered: list) -> None:
        from IPython.display import clear_output, display

        pictures = iter(p for p in rendered if isinstance(p, bytes))
        for image, value in zip(self.images, pictures):
            image.value = value
        tip = self.alt()
        for image in self.images:
            image.tooltip = tip
        if self.caption_text is not None:
            self.caption.value = html.escape(self.caption_for())
        others = iter(p for p in rendered if not isinstance(p, bytes))
        for out, item in zip(self.outputs, others):
            with out:
                clear_output(wait=True)
                display(item)

    def _say(self, text: str) -> None:
        self.message.value = f"<span style='color:#b00020'>{html.escape(text)}</span>" if text else ""
        self.message.layout.display = None if text else "none"

    def redraw(self) -> None:
        """Draw the current state (from the cache when it was drawn before) and show it."""
        try:
            rendered = self._render(self.values())
        except Exception as e:  # noqa: BLE001 - a callback's exception would vanish into the log
            self.error = " ".join(f"{type(e).__name__}: {e}".split()) if type(e).__name__ != "T2ILabError" else str(e)
            self._say(f"{self.error} (the pictures are still those of the last setting)")
            return
        if self.error:
            self.error = None
            self._say("")
        self._show(rendered)

    def refresh(self) -> None:
        """Forget every drawn state (what `draw` reads has changed) and redraw."""
        self.states.clear()
        self.redraw()

    def _changed(self, name: str, change) -> None:
        self.redraw()
        self.states.moved(name, change.get("old"), change.get("new"))

    # -- display -----------------------------------------------------------------------------
    def static_png(self) -> bytes | None:
        """The pictures as they are now, in one PNG (side by side with `row=True`, else stacked)."""
        if not self.images:
            return None
        if len(self.images) == 1:
            return self.images[0].value
        from PIL import Image as PILImage

        parts = [PILImage.open(io.BytesIO(i.value)).convert("RGB") for i in self.images]
        row = self.row
        size = ((sum(p.width for p in parts), max(p.height for p in parts)) if row
                else (max(p.width for p in parts), sum(p.height for p in parts)))
        sheet, at = PILImage.new("RGB", size, "white"), 0
        for part in parts:
            sheet.paste(part, (at, 0) if row else (0, at))
            at += part.width if row else part.height
        buf = io.BytesIO()
        sheet.save(buf, format="PNG", compress_level=6)
        return buf.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        picture = self.static_png()
        if picture is not None:
            data["image/png"] = base64.b64encode(picture).decode()
        data["text/plain"] = self.alt()
        return data


def download_link(data: bytes, filename: str, mime: str, text: str) -> str:
    """An HTML link that saves `data` as `filename` (a data: URL: works in JupyterLab and Voilà alike)."""
    href = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return f"<a download='{html.escape(filename, quote=True)}' href='{href}'>{html.escape(text)}</a>"


def show(widget, text: str, picture: bytes | None = None) -> None:
    """Display a widget with a static rendering instead of its text repr: `text` (what it is, for a
    reader without a kernel) and optionally a PNG. Use it for panels of controls and buttons."""
    from IPython.display import display

    data = widget._repr_mimebundle_()
    data["text/plain"] = text
    if picture is not None:
        data["image/png"] = base64.b64encode(picture).decode()
    display(data, raw=True)


def live_figure(draw: Callable, controls: dict, **kwargs) -> LiveFigure:
    """Show a `LiveFigure` of `draw` under `controls` and return it (see LiveFigure for the options)."""
    from IPython.display import display

    view = LiveFigure(draw, controls, **kwargs)
    display(view)
    return _Shown(view)


class _Shown:
    """What `live_figure` returns: the LiveFigure, without showing it a second time as a cell's value."""

    def __init__(self, view: LiveFigure) -> None:
        self.view = view

    def __getattr__(self, name):
        return getattr(self.view, name)

    def _ipython_display_(self) -> None:
        pass


class ButtonTask:
    """Long work behind a button: `run(progress, **values)` with a progress bar and an output area.

    `progress(fraction, text="")` moves the bar (0..1) and its label; whatever `run` prints or
    displays lands in `self.output`. `run` may return a picture (a figure, image tensors, PNG
    bytes), or a tuple of a picture and other displayable items: the picture replaces the value of
    `self.image` (also the static rendering, with `alt(**values)` as its text), the rest goes to the
    output. The button is disabled while it runs; an exception is one red line, not a lost traceback.
    """

    def __init__(self, run: Callable, controls: dict | None = None, *, description: str = "run",
                 tooltip: str = "", alt: str | Callable | None = None) -> None:
        import ipywidgets as widgets

        self.run, self.controls, self.result, self.error = run, dict(controls or {}), None, None
        self.alt_text = alt
        self.image = alt_image(b"", "")
        self.image.layout.display = "none"
        self.button = widgets.Button(description=description, tooltip=tooltip or description,
                                     button_style="primary", icon="play")
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="progress")
        self.label = widgets.Label(value="", description="progress text")
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([*self.controls.values(), self.button]),
                                    widgets.HBox([self.bar, self.label]), self.image, self.output])
        self.button.on_click(lambda _b: self.start())

    def progress(self, fraction: float, text: str = "") -> None:
        self.bar.value = max(0.0, min(1.0, float(fraction)))
        self.label.value = text

    def start(self) -> None:
        """Run once (what the button does)."""
        self.button.disabled = True
        self.bar.bar_style = ""
        self.progress(0.0, "running…")
        values = {k: c.value for k, c in self.controls.items()}
        try:
            with self.output:
                from IPython.display import clear_output, display

                clear_output(wait=True)
                self.result = self.run(self.progress, **values)
                items = self.result if isinstance(self.result, tuple) else (self.result,)
                picture = to_png(items[0]) if items and items[0] is not None else None
                if picture is not None:
                    self.image.value, self.image.tooltip = picture, self.alt(values)
                    self.image.layout.display = None
                    items = items[1:]
                for item in items if isinstance(self.result, tuple) else ():
                    if item is not None:
                        display(item)
            self.error = None
            self.bar.bar_style = "success"
            self.progress(1.0, "done")
        except Exception as e:  # noqa: BLE001
            self.error = " ".join(f"{type(e).__name__}: {e}".split())
            self.bar.bar_style = "danger"
            self.label.value = self.error
        finally:
            self.button.disabled = False

    def alt(self, values: dict | None = None) -> str:
        values = {k: c.value for k, c in self.controls.items()} if values is None else values
        if callable(self.alt_text):
            return self.alt_text(**values)
        return self.alt_text or f"{self.button.description}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items())

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        if self.image.value:
            data["image/png"] = base64.b64encode(self.image.value).decode()
            data["text/plain"] = self.image.tooltip
        else:
            data["text/plain"] = f"{self.button.description}: a button with a progress bar (run the notebook to use it)"
        return data
