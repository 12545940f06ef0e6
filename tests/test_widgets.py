"""The one lesson widget helper: a widget tree with a static picture, cached states, drawing ahead,
errors in one line, long work behind a button (t2ilab.course.widgets)."""
import base64
import io

import ipywidgets as widgets
import matplotlib
import torch
from PIL import Image

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from t2ilab.course import widgets as live  # noqa: E402
from t2ilab.course.execute import strip_widget_state  # noqa: E402

VIEW = "application/vnd.jupyter.widget-view+json"


def pixels(png: bytes):
    import numpy as np

    return torch.from_numpy(np.asarray(Image.open(io.BytesIO(png)).convert("L"))).flatten()


def grey(level):
    """A draw function: 3 images of one grey level; counts its calls."""
    grey.calls.append(level)
    if level < 0:
        raise ValueError("no negative greys")
    return torch.full((3, 1, 4, 4), level / 10)


def make(level=5, **kwargs):
    grey.calls = []
    slider = widgets.IntSlider(value=level, min=-2, max=10, description="level")
    return live.LiveFigure(grey, {"level": slider}, alt=lambda level: f"3 squares of grey {level}", **kwargs), slider


def test_tensor_png_grid_size_and_values():
    png = live.tensor_png(torch.ones(3, 1, 4, 4) * 0.5, scale=2, nrow=2, pad=1)
    assert Image.open(io.BytesIO(png)).size == (2 * 8 + 3, 2 * 8 + 3)
    p = pixels(png)
    assert set(p.tolist()) == {128, 255}  # 0.5 -> 128 inside, white padding and the empty 4th cell


def test_view_is_one_widget_tree_with_image_widgets():
    view, slider = make()
    assert isinstance(view.widget, widgets.VBox) and slider in view.widget.children[0].children
    assert len(view.images) == 1 and view.images[0] in view.widget.children and not view.outputs
    assert view.images[0].value[:8] == live.PNG_MAGIC and pixels(view.images[0].value).min() == 128
    assert view.images[0].tooltip == "3 squares of grey 5" and grey.calls == [5]


def test_moving_a_control_replaces_the_image_value_and_alt_text():
    view, slider = make()
    before = view.images[0].value
    slider.value = 10
    assert grey.calls == [5, 10] and view.images[0].value != before and pixels(view.images[0].value).min() == 255
    assert view.images[0].tooltip == "3 squares of grey 10"
    slider.value = 5  # back: served from the cache, not drawn again
    assert grey.calls == [5, 10] and view.images[0].value == before and view.draws == 2


def test_cache_zero_draws_every_time_and_refresh_forgets():
    view, slider = make(cache=0)
    slider.value = 6
    slider.value = 5
    assert grey.calls == [5, 6, 5]
    view2, slider2 = make()
    view2.refresh()
    assert grey.calls == [5, 5]


def test_a_failing_draw_is_one_line_and_keeps_the_picture():
    view, slider = make()
    before = view.images[0].value
    slider.value = -1
    assert view.error == "ValueError: no negative greys" and "no negative greys" in view.message.value
    assert view.message.layout.display is None and view.images[0].value == before
    slider.value = 7
    assert view.error is None and view.message.value == "" and view.message.layout.display == "none"


def test_display_bundle_has_the_widget_a_static_png_and_alt_text():
    view, _ = make()
    data = view._repr_mimebundle_()
    assert data[VIEW]["model_id"] == view.widget.model_id
    assert base64.b64decode(data["image/png"]) == view.images[0].value
    assert data["text/plain"] == "3 squares of grey 5"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "display_data", "data": dict(data)}]}
    import nbformat

    nb = strip_widget_state(nbformat.from_dict({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert set(nb.cells[0].outputs[0].data) == {"image/png", "text/plain"}  # what the repository page shows


def test_figures_are_encoded_once_and_closed_and_other_items_go_to_an_output():
    from IPython.display import Markdown

    def draw(k):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, k])
        ax.set_title("草地 k")
        return fig, Markdown(f"k = {k}")

    slider = widgets.IntSlider(value=3, min=1, max=10, description="k")
    view = live.LiveFigure(draw, {"k": slider})
    assert len(view.images) == 1 and len(view.outputs) == 1 and not plt.get_fignums()
    assert Image.open(io.BytesIO(view.images[0].value)).size == (200, 100)
    assert view.alt() == "draw: k = 3"


def test_neighbours_of_each_kind_of_control():
    n = live.neighbours
    assert n(widgets.IntSlider(value=0, min=0, max=5)) == [1]
    assert n(widgets.FloatSlider(value=1.5, min=-3, max=3, step=0.1)) == [1.4, 1.6]
    assert n(widgets.SelectionSlider(options=[0.1, 0.3, 1.0], value=1.0)) == [0.3]
    assert n(widgets.Dropdown(options=[("a", 1), ("b", 2), ("c", 3)], value=2)) == [1, 3]
    assert n(widgets.FloatLogSlider(value=1e-3, base=10, min=-4, max=-1, step=0.5)) == [
        live._key(10 ** -3.5), live._key(10 ** -2.5)]
    assert n(widgets.Text(value="x")) == [] and n(widgets.Checkbox(value=True)) == []


def test_a_move_queues_the_states_a_hand_reaches_next():
    a, b = widgets.IntSlider(value=5, min=0, max=10), widgets.IntSlider(value=0, min=0, max=3)
    view = live.LiveFigure(lambda a, b: torch.zeros(1, 1, 2, 2), {"a": a, "b": b}, prefetch=5)
    a.value = 4  # moving down: 3 and 2 next (5 was drawn already), then b's neighbour, then every other a
    queue = view.states._queue
    assert [(s["a"], s["b"]) for s in queue[:3]] == [(3, 0), (2, 0), (4, 1)]
    # a has 11 positions (at most FILL): all the others, nearest first, downwards first at a tie
    assert [s["a"] for s in queue[3:]] == [6, 1, 7, 0, 8, 9, 10] and all(s["b"] == 0 for s in queue[3:])


def idle(view):
    """As if the kernel had been idle since the last move (no clock, no event loop)."""
    view.states._last_event = float("-inf")


def test_states_are_drawn_ahead_while_the_kernel_is_idle():
    view, slider = make()
    slider.value = 6
    assert grey.calls == [5, 6]
    idle(view)
    for _ in range(3):  # what the kernel's idle timer does: one queued state per call
        view.states._ahead()
    assert grey.calls[2:] == [7, 8, 4]  # 5 was drawn already; on the way the hand went first
    slider.value = 7
    assert grey.calls.count(7) == 1  # the move to 7 was served from what was drawn ahead


def test_live_figure_displays_once(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *items, **kw: shown.extend(items))
    grey.calls = []
    handle = live.live_figure(grey, {"level": widgets.IntSlider(value=2, description="level")})
    assert len(shown) == 1 and isinstance(shown[0], live.LiveFigure)
    assert handle._ipython_display_() is None and handle.images == shown[0].images


def test_button_task_runs_with_progress_and_reports_errors():
    def run(progress, n):
        for i in range(n):
            progress((i + 1) / n, f"{i + 1} of {n}")
        return n * 2

    n = widgets.IntSlider(value=4, description="n")
    task = live.ButtonTask(run, {"n": n}, description="evaluate")
    task.button.click()
    assert task.result == 8 and task.bar.value == 1.0 and task.bar.bar_style == "success" and not task.button.disabled
    task.run = lambda progress, n: 1 / 0
    task.start()
    assert task.error.startswith("ZeroDivisionError") and task.bar.bar_style == "danger"
    assert task.label.value == task.error


def test_image_alt_text_travels_with_a_description_the_view_needs():
    # ipywidgets 8.1's ImageView reads `description` when it shows a tooltip; a plain Image has none
    # and fails to render in the browser, so the alt-text image syncs an empty one.
    img = live.alt_image(live.tensor_png(torch.zeros(1, 1, 2, 2)), "a black square")
    assert isinstance(img, widgets.Image) and img.tooltip == "a black square"
    assert "description" in img.keys and img.get_state()["description"] == ""


def test_caption_names_the_state_and_is_the_default_alt_text():
    slider = widgets.IntSlider(value=1, min=0, max=3, description="seed")
    view = live.LiveFigure(lambda seed: (torch.zeros(10, 1, 2, 2), torch.ones(1, 1, 2, 2)), {"seed": slider},
                           caption=lambda seed: f"“草地” <b>, seed {seed}", nrow=10, scale=1, row=True)
    assert view.caption.value == "“草地” &lt;b&gt;, seed 1" and view.alt() == "“草地” <b>, seed 1"
    assert Image.open(io.BytesIO(view.images[0].value)).size == (10 * 4 + 2, 2 + 4)  # ten in one row
    assert isinstance(view.widget.children[3], widgets.HBox) and view.widget.children[3].children == tuple(view.images)
    slider.value = 2
    assert view.caption.value.endswith("seed 2") and view.images[1].tooltip.endswith("seed 2")


def test_static_png_holds_every_picture():
    slider = widgets.IntSlider(value=1, min=0, max=3, description="seed")
    side = live.LiveFigure(lambda seed: (torch.zeros(1, 1, 2, 2), torch.ones(3, 1, 2, 2)), {"seed": slider}, scale=1, row=True)
    stacked = live.LiveFigure(lambda seed: (torch.zeros(1, 1, 2, 2), torch.ones(3, 1, 2, 2)), {"seed": slider}, scale=1)
    assert Image.open(io.BytesIO(side.static_png())).size == (6 + 14, 6)
    assert Image.open(io.BytesIO(stacked.static_png())).size == (14, 12)


def test_show_puts_a_sentence_where_the_widget_repr_would_be(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw=False: shown.append((data, raw)))
    box = widgets.VBox([widgets.Button(description="train")])
    live.show(box, "training controls (run the notebook to use them)")
    (data, raw), = shown
    assert raw and data[VIEW]["model_id"] == box.model_id
    assert data["text/plain"] == "training controls (run the notebook to use them)" and "VBox" not in data["text/plain"]


def test_button_task_shows_its_picture_and_keeps_it_for_the_static_rendering():
    from IPython.display import Markdown

    n = widgets.IntSlider(value=2, description="images N")
    task = live.ButtonTask(lambda progress, n: (torch.full((n, 1, 2, 2), 0.5), Markdown("table")), {"n": n},
                           description="evaluate", alt=lambda n: f"scores for N = {n}")
    data = task._repr_mimebundle_()
    assert "image/png" not in data and "button" in data["text/plain"] and "ButtonTask" not in data["text/plain"]
    task.start()
    assert task.image.layout.display is None and task.image.tooltip == "scores for N = 2"
    data = task._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == task.image.value and data["text/plain"] == "scores for N = 2"


def test_an_expensive_view_is_not_drawn_ahead(monkeypatch):
    view, slider = make()
    monkeypatch.setattr(live.time, "perf_counter", iter(range(0, 10**6, 500)).__next__)  # 500 ms a state
    slider.value = 6
    assert view.cost_ms > live.AHEAD_MAX_MS and not view.states._queue
    idle(view)
    view.states._ahead()
    assert grey.calls == [5, 6]  # only what was asked for


def test_a_subplots_figure_is_drawn_again_in_place_and_a_pyplot_one_is_closed():
    managed = plt.get_fignums()
    fig, ax = live.subplots(figsize=(2, 1))
    line, = ax.plot([0, 1], [0, 0], lw=8, color="k")
    ax.set_ylim(-1, 1), ax.set_axis_off()
    before = live.figure_png(fig)
    line.set_ydata([0.9, 0.9])
    after = live.figure_png(fig)
    image = Image.open(io.BytesIO(after))
    assert image.size == (200, 100) and image.mode == "RGB" and before != after
    assert plt.get_fignums() == managed  # pyplot never held it: nothing to close, never shown by itself
    shown = plt.figure(figsize=(1, 1))
    shown.patch.set_alpha(0.0)  # a transparent background comes out white, as a page shows it
    pixels_ = Image.open(io.BytesIO(live.figure_png(shown))).getcolors()
    assert pixels_ == [(100 * 100, (255, 255, 255))] and not plt.fignum_exists(shown.number)


def test_positions_of_small_controls_and_none_for_large_ones():
    assert live.positions(widgets.IntSlider(value=2, min=0, max=4)) == [0, 1, 2, 3, 4]
    assert live.positions(widgets.FloatSlider(value=0.5, min=0, max=1, step=0.25)) == [0, 0.25, 0.5, 0.75, 1.0]
    assert live.positions(widgets.Dropdown(options=["a", "b"], value="a")) == ["a", "b"]
    assert live.positions(widgets.IntSlider(value=0, min=0, max=99)) == []  # more than FILL: neighbours only
    assert live.positions(widgets.Text(value="x")) == []


def test_only_animated_artists_are_redrawn_until_something_else_changes(monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig, ax = live.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0.5, 0.5], color="k")  # stays
    moving, = ax.plot([0, 1], [-0.5, -0.5], lw=6, color="r", animated=True)
    ax.set_ylim(-1, 1)
    full = []
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda self, _d=FigureCanvasAgg.draw: (full.append(1), _d(self))[1])
    first = live.figure_png(fig)
    moving.set_ydata([0.8, 0.8])
    second = live.figure_png(fig)
    assert len(full) == 1 and second != first  # the move drew only the animated line, over the kept background

    def red_rows(png):
        a = torch.from_numpy(__import__("numpy").asarray(Image.open(io.BytesIO(png))).copy()).int()
        red = (a[..., 0] > 200) & (a[..., 1] < 80)
        return red.any(1).nonzero().flatten().tolist()

    assert max(red_rows(second)) < min(red_rows(first))  # the red line moved up, and its old place is clean
    ax.set_facecolor("0.9")  # not animated: the figure is drawn in full again
    live.figure_png(fig)
    assert len(full) == 2


def test_precompute_draws_every_setting_once_and_moves_draw_nothing():
    view, slider = make(precompute=True)
    assert sorted(grey.calls) == [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] and view.draws == 11
    for level in (6, 9, 5):
        slider.value = level
    assert view.draws == 11 and view.error is None  # every move served from memory
    slider.value = -1  # a setting that failed ahead fails again when reached, and says why
    assert "no negative greys" in view.error
    many = {name: widgets.IntSlider(value=0, min=0, max=40) for name in "ab"}  # 41 x 41 settings: too many
    assert live.States(lambda a, b: a + b, many).precompute() == 0
