import math

import torch

from t2ilab.train.loop import fit
from t2ilab.train.schedules import ExponentialDecay, Progress, batch_size


def test_step_budget_and_history():
    calls = []
    h = fit(lambda i: calls.append(i) or {"loss": 1.0 / (i + 1)}, modules=[], steps=25, progress=False)
    assert calls == list(range(25))
    assert h.steps[-1] == 25 and h.values["loss"][0] == 1.0 and h.stopped == ""
    assert abs(h.last("loss", 1) - 1 / 25) < 1e-12


def test_seconds_budget_stops():
    import time

    t0 = time.perf_counter()
    h = fit(lambda i: {"loss": 0.0}, modules=[], seconds=0.2, progress=False)
    assert time.perf_counter() - t0 >= 0.2 and h.seconds[-1] < 1.0  # the budget is checked before each step
    assert len(h.steps) > 10


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
    seen = []
    fit(lambda i: {"loss": 0.0}, modules=[], steps=200, live=lambda i, h, model: seen.append(i), live_every=10.0,
        progress=False)
    assert seen == [200]  # only the final call: 200 quick steps take far less than 10 s


def test_a_slow_live_view_takes_at_most_a_tenth_of_the_time():
    import time

    calls = []
    h = fit(lambda i: time.sleep(0.001) or {"loss": 0.0}, modules=[], seconds=1.0, live_every=0.0, progress=False,
            live=lambda i, hist, model: calls.append(i) or time.sleep(0.02))
    # a 20 ms drawing is followed by at least 180 ms of training: at most 1 s / 0.2 s calls, plus the final one
    assert 2 <= len(calls) <= 7, calls
    assert len(h.steps) > 300


def test_checkpoints_are_taken_on_schedule():
    saved = []
    h = fit(lambda i: {"loss": float(i)}, modules=[], steps=5, checkpoint=lambda i, hist, model: saved.append((i, len(hist.steps))),
            checkpoint_every=0.0, progress=False)
    assert saved == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)] and h.steps[-1] == 5
    saved.clear()
    fit(lambda i: {"loss": 0.0}, modules=[], steps=200, checkpoint=lambda i, hist, model: saved.append(i), progress=False)
    assert saved == []  # 200 quick steps take far less than the default 30 s


def test_lr_decay_and_batch_schedule():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    decay = ExponentialDecay(opt, Progress(steps=10), final=0.01)
    for _ in range(5):
        decay.step()
    assert math.isclose(opt.param_groups[0]["lr"], 0.1, rel_tol=1e-9)  # halfway: sqrt(0.01)
    for _ in range(5):
        decay.step()
    assert math.isclose(opt.param_groups[0]["lr"], 0.01, rel_tol=1e-9)
    assert batch_size(0.0) == 64 and batch_size(1.0) == 256 and batch_size(0.5) == 128
