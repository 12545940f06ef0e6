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
- Fast: tensors go straight to PNG (`tensor_png`, a few ms, no matplotlib). A matplotlib figure is
  encoded once per state; states are kept (`cache`) and, once a student moves a control, the
  neighbouring slider positions of a cheap view (under AHEAD_MAX_MS a state) are drawn ahead while
  the kernel is idle, so the next step of a hand is served from memory; an expensive view is only
  cached, since drawing ahead would hold up the next move (benchmarks/bench_widgets.py measures
  key press to image).
- A draw that fails says why in one red line under the controls (a slider never goes silent).
- `ButtonTask`: long work (training, evaluation over many samples) behind a button with a
  progress bar, never on a slider.
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
# A state that takes longer than this to draw is not drawn ahead: while the kernel draws, the next
# move of the hand waits, so drawing ahead would make an expensive view slower, not faster.
AHEAD_MAX_MS = 100.0


def figure_png(fig, dpi: int = DPI) -> bytes:
    """A matplotlib figure as PNG bytes, and the figure closed.

    Saved without `bbox_inches="tight"` (a second drawing pass, 16 of 44 ms for an image strip) and
    with fast zlib compression (level 1: the same pixels, a few ms less than matplotlib's default).
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    finally:
        plt.close(fig)
    return buf.getvalue()


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
    or call `refresh()` after such a change). Attributes for tests and benchmarks: `draws` (how many
    times `draw` ran), `last_ms` (the last redraw in the kernel, milliseconds).
    """

    def __init__(self, draw: Callable, controls: dict, *, alt: str | Callable | None = None,
                 caption: str | Callable | None = None, cache: int = 256, scale: int = 4, nrow: int = 8,
                 row: bool = False, prefetch: int = PREFETCH) -> None:
        import ipywidgets as widgets

        from ..fonts import use_cjk

        use_cjk()  # a Chinese prompt in a title shows as text, not boxes
        self.draw, self.controls, self.alt_text, self.caption_text = draw, dict(controls), alt, caption
        self.scale, self.nrow, self.cache_size, self.prefetch = scale, nrow, cache, prefetch if cache else 0
        self._cache: OrderedDict = OrderedDict()
        self._queue: list[dict] = []
        self._timer = None
        self._last_event = 0.0
        self.draws, self.last_ms, self.cost_ms, self.error = 0, 0.0, 0.0, None
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

    def _render(self, values: dict) -> list:
        key = tuple((k, _key(v)) for k, v in values.items())
        try:
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        t0 = time.perf_counter()
        items = self.draw(**values)
        self.draws += 1
        items = items if isinstance(items, tuple) else (items,)
        rendered = [tensor_png(item, self.scale, self.nrow) if type(item).__name__ == "Tensor"
                    else to_png(item, self.scale) or item for item in items]
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.cost_ms = self.last_ms if self.draws == 1 else 0.5 * self.cost_ms + 0.5 * self.last_ms
        if key is not None and self.cache_size:
            self._cache[key] = rendered
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return rendered

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
        self._cache.clear()
        self.redraw()

    # -- events and drawing ahead ---------------------------------------------------------------
    def _changed(self, name: str, change) -> None:
        self._last_event = time.perf_counter()
        self.redraw()
        if self.prefetch and self.cost_ms <= AHEAD_MAX_MS:
            self._plan(name, change.get("old"), change.get("new"))

    def _plan(self, moved: str, old, new) -> None:
        """Queue the states a hand reaches next: the moved control one and two steps on, one back,
        then every other control one step either way."""
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
        states = [{**here, moved: v} for v in values]
        for name, c in self.controls.items():
            if name != moved:
                states += [{**here, name: v} for v in neighbours(c)]
        self._queue = states[: self.prefetch]
        self._arm()

    def _arm(self) -> None:
        import asyncio

        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queue:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not inside a kernel's event loop (a script, a test): draw nothing ahead
            return
        self._timer = loop.call_later(IDLE_S, self._ahead)

    def _ahead(self) -> None:
        """Draw one queued state if the kernel has been idle a moment, then come back for the next."""
        self._timer = None
        if time.perf_counter() - self._last_event < IDLE_S:
            self._arm()
            return
        while self._queue and self.cost_ms <= AHEAD_MAX_MS:
            values = self._queue.pop(0)
            key = tuple((k, _key(v)) for k, v in values.items())
            if key in self._cache:
                continue
            try:
                self._render(values)
            except Exception:  # noqa: BLE001 - a state that fails is drawn (and explained) when reached
                pass
            break
        self._arm()

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
