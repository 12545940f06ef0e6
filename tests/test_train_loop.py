import math

import pytest
import torch

from t2ilab.train.loop import fit
from t2ilab.train.schedules import ExponentialDecay, Progress, batch_size


def test_step_budget_and_history():
    calls = []
    h = fit(lambda i: calls.append(i) or {"loss": 1.0 / (i + 1)}, modules=[], steps=25, progress=False)
    assert calls == list(range(25))
    assert h.steps[-1] == 25 and h.values["loss"][0] == 1.0 and h.stopped == ""
    assert abs(h.last("loss", 1) - 1 / 25) < 1e-12


class Clock:
    """A fake clock: time moves only when a test says so, so budgets and intervals are exact."""

    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def step(self, seconds, value=None):
        def f(*args):
            self.t += seconds
            return value if value is not None else {"loss": 0.0}
        return f


def test_seconds_budget_stops():
    clock = Clock()
    h = fit(clock.step(0.01), modules=[], seconds=0.2, progress=False, clock=clock)
    assert len(h.steps) == 20                                  # checked before each step: 20 steps of 10 ms
    assert h.seconds == pytest.approx([0.01 * (i + 1) for i in range(20)])


def test_divergence_guard_restores_last_good_weights(capsys):
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)

    def step(i):
        if i == 7:  # blow the weights up, as a too-large learning rate would
            with torch.no_grad():
                net.weight.fill_(float("nan"))
            return {"loss": float("nan")}
        loss = net(torch.ones(1, 2)).pow(2).sum()
        opt.zero_grad(); loss.backward(); opt.step()
        return {"loss": loss.item()}

    good = {}
    h = fit(step, modules=[net], steps=20, snapshot_every=5, progress=False,
            live=lambda i, hist, model: good.setdefault(i, net.weight.clone()))
    assert "diverged" in h.stopped and "step 7" in h.stopped and "smaller learning rate" in h.stopped
    assert torch.isfinite(net.weight).all()
    assert len(h.steps) == 7  # nothing after the NaN was logged
    assert "diverged" in capsys.readouterr().out


def test_live_view_is_throttled():
    clock, seen = Clock(), []
    fit(clock.step(0.01), modules=[], steps=200, live=lambda i, h, model: seen.append(i), live_every=0.5,
        progress=False, clock=clock)
    assert seen == list(range(50, 201, 50)) + [200]           # every 0.5 s of 2 s, and once at the end


def test_a_slow_live_view_takes_at_most_a_tenth_of_the_time():
    clock, calls = Clock(), []
    draw = clock.step(0.02)                                    # drawing takes 20 ms
    h = fit(clock.step(0.001), modules=[], seconds=1.0, live_every=0.0, progress=False, clock=clock,
            live=lambda i, hist, model: calls.append(i) or draw())
    # after a 20 ms drawing, the next waits for 9 x 20 ms = 180 ms of training (180 steps of 1 ms)
    assert calls[:3] == [1, 181, 361] and len(calls) == 6 and calls[-1] == len(h.steps)
    assert len(h.steps) == 900                                 # 1 s minus 5 drawings of 20 ms: 900 steps of 1 ms


def test_checkpoints_are_taken_on_schedule():
    clock, saved = Clock(), []
    h = fit(clock.step(0.01), modules=[], steps=5, checkpoint=lambda i, hist, model: saved.append((i, len(hist.steps))),
            checkpoint_every=0.0, progress=False, clock=clock)
    assert saved == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)] and h.steps[-1] == 5
    saved.clear()
    fit(clock.step(0.1), modules=[], steps=700, checkpoint=lambda i, hist, model: saved.append(i), progress=False,
        clock=clock)
    assert saved == [300, 600]                                 # every 30 s (the default) of 70 s


def test_lr_decay_and_batch_schedule():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    decay = ExponentialDecay(opt, Progress(steps=10), final=0.01)
    decay.step(5)
    assert math.isclose(opt.param_groups[0]["lr"], 0.1, rel_tol=1e-9)  # halfway: sqrt(0.01)
    decay.step(10)
    assert math.isclose(opt.param_groups[0]["lr"], 0.01, rel_tol=1e-9)
    decay.step(3)  # the rate depends on the step asked for, not on how often step() ran
    assert math.isclose(opt.param_groups[0]["lr"], 0.01 ** 0.3, rel_tol=1e-9)
    assert batch_size(0.0) == 64 and batch_size(1.0) == 256 and batch_size(0.5) == 128
