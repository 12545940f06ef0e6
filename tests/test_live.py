"""t2ilab.train.live: the live view drawn into an Output widget, with a progress bar."""
import ipywidgets as widgets
import IPython.display
import matplotlib
import pytest

from t2ilab.errors import T2ILabError
from t2ilab.train.live import LiveView
from t2ilab.train.loop import History, fit

matplotlib.use("Agg")


def history(points):
    h = History()
    for step, seconds in points:
        h.log(step, seconds, {"loss": 1.0 / step})
    return h


class FakeOutput:
    """Records whether display() was called while the view was drawing into it."""

    def __init__(self):
        self.inside = False

    def __enter__(self):
        self.inside = True

    def __exit__(self, *exc):
        self.inside = False


def test_progress_follows_seconds_and_steps():
    bar = widgets.FloatProgress(value=0.7, min=0, max=1)
    view = LiveView(progress=bar, seconds=12.0)
    assert bar.value == 0.0  # a new view starts its bar at the beginning
    view(3, history([(1, 1.0), (3, 3.0)]))
    assert bar.value == pytest.approx(0.25)  # 3 s of 12
    view(9, history([(9, 30.0)]))
    assert bar.value == 1.0  # never past the end
    steps_bar = widgets.FloatProgress(min=0, max=200)
    LiveView(progress=steps_bar, steps=20)(5, history([(5, 0.1)]))
    assert steps_bar.value == pytest.approx(50.0)  # 5 steps of 20 on a 0-200 bar


def test_progress_without_budget_is_one_clear_error():
    with pytest.raises(T2ILabError, match="seconds= or steps="):
        LiveView(progress=widgets.FloatProgress())
    with pytest.raises(T2ILabError, match="one of them"):
        LiveView(progress=widgets.FloatProgress(), seconds=5, steps=5)


def test_draws_into_the_output_widget(monkeypatch):
    out = FakeOutput()
    shown, cleared = [], []
    monkeypatch.setattr(IPython.display, "display", lambda item, **kw: shown.append((out.inside, item, kw)))
    monkeypatch.setattr(IPython.display, "clear_output", lambda wait=False: cleared.append((out.inside, wait)))
    view = LiveView(keys=("loss",), out=out, title="toy")
    assert view.enabled  # out= draws even outside a notebook
    view(2, history([(1, 0.5), (2, 1.0)]))
    view(4, history([(1, 0.5), (2, 1.0), (4, 2.0)]))
    assert cleared == [(True, True), (True, True)]  # each frame replaces the last, without flicker
    assert [inside for inside, _, _ in shown] == [True, True]
    fig = shown[-1][1]
    assert fig.axes[0].get_title() == "toy step 4"
    assert list(fig.axes[0].lines[0].get_xdata()) == [0.5, 1.0, 2.0]
    assert view.handle is None  # no display handle: the picture lives in the widget


def test_fit_moves_the_bar_to_the_end_of_a_step_budget():
    import torch

    w = torch.nn.Linear(1, 1)
    bar = widgets.FloatProgress(min=0, max=1)
    seen = []
    view = LiveView(progress=bar, steps=8)
    view.enabled = False  # outside a notebook: only the bar moves
    fit(lambda i: {"loss": 1.0}, modules=[w], steps=8, live=lambda i, h, m: (view(i, h, m), seen.append(bar.value)),
        live_every=0.0, progress=False)
    assert seen[0] == pytest.approx(1 / 8) and seen[-1] == 1.0
