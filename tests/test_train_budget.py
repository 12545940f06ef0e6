"""`t2ilab train --seconds S` takes S seconds of wall clock, start-up and saving included; a run that
ends far from its dataset's quality says so. Time is a fake clock here: nothing is timed."""
import time

import pytest

from t2ilab.errors import T2ILabError
from t2ilab.train import loop, quality, run
from t2ilab.train.loop import History, remaining
from t2ilab.train.vae import train_vae


class Clock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


def test_remaining_takes_the_start_up_off_the_budget():
    clock = Clock(104.0)
    assert remaining(20.0, 100.0, clock) == 16.0           # 4 s of start-up already spent
    assert remaining(20.0, None, clock) == 20.0            # a library call: the budget starts now
    assert remaining(None, 100.0, clock) is None           # a step budget
    assert remaining(3.0, 100.0, clock) == 0.0             # never negative


def test_process_start_is_before_this_module_was_imported():
    assert loop.process_started() <= loop._IMPORTED + 0.02   # /proc's start time has 10 ms ticks
    assert loop.process_started() <= time.perf_counter()


def fake_run(monkeypatch, clock, startup=4.0, step=0.25, saving=0.4):
    """Training that takes `startup` before its first step, `step` per step, and a save of `save` s."""
    seen = {}

    def train(kind, dataset, seconds, steps, seed, started, **options):
        clock.t += startup                                 # imports, data, the model
        budget = remaining(seconds, started, clock)
        seen["budget"] = budget
        history = History()
        t0 = clock()
        while (len(history.steps) < steps) if budget is None else (clock() - t0 + step <= budget):
            clock.t += step
            history.log(len(history.steps) + 1, clock() - t0, {"loss": 1.0})
        return None, history

    def save(self, model, history, checkpoint=False):
        clock.t += saving
        return self.out / "model.safetensors"

    monkeypatch.setattr(run, "train", train)
    monkeypatch.setattr(run.Run, "save", save)
    monkeypatch.setattr(run, "_ready_to_save", lambda: None)
    return seen


Q = quality.STEPS_TO_QUALITY[("vae", "shapes")][0]


def test_the_budget_holds_start_up_training_and_saving(tmp_path, monkeypatch, capsys):
    clock = Clock()
    seen = fake_run(monkeypatch, clock)
    run.train_cli("vae", "shapes", seconds=20.0, steps=None, seed=0, out=str(tmp_path / "r"), started=98.0, clock=clock)
    # started 2 s before train_cli (python and torch), 4 s more to load: 20 - 1.5 (save, exit) - 6 = 12.5 s of training
    assert seen["budget"] == pytest.approx(12.5)
    assert clock() - 98.0 == pytest.approx(18.9)           # 6 + 12.5 + 0.4, and 1.1 s left for python to exit
    out = capsys.readouterr().out
    assert "50 steps in 18.9 s (6.0 s start-up, 12.5 s training, 0.4 s saving" in out
    assert f"50 steps: far too few for shapes; about {Q:,} steps ({Q * 12.5 / 50:,.0f} s here) give prompt accuracy" in out


def test_a_budget_spent_starting_up_is_one_clear_line(tmp_path, monkeypatch):
    clock = Clock()
    fake_run(monkeypatch, clock, startup=5.0)
    with pytest.raises(T2ILabError, match=r"budget of 3 s was used up before the first step \(5.0 s to import"):
        run.train_cli("vae", "shapes", seconds=3.0, steps=None, seed=0, out=str(tmp_path / "r"), clock=clock)
    assert not (tmp_path / "r" / "model.safetensors").exists()


def test_a_step_budget_is_not_cut(tmp_path, monkeypatch):
    seen = fake_run(monkeypatch, Clock())
    run.train_cli("vae", "shapes", seconds=None, steps=10, seed=0, out=str(tmp_path / "r"), started=0.0,
                  clock=Clock())
    assert seen["budget"] is None


def test_a_real_training_gets_only_what_the_start_up_left(small_shapes):
    # the budget was used up before train_vae was called: it takes no step (no clock is read for this)
    _, h = train_vae(seconds=5.0, started=time.perf_counter() - 10.0, data=small_shapes, progress=False)
    assert h.steps == []


@pytest.fixture(scope="module")
def small_shapes():
    from t2ilab.data import load

    return load("shapes", n=200, seed=0)


def test_far_from_quality_names_the_steps_needed():
    q, accuracy = quality.STEPS_TO_QUALITY[("vae", "shapes")]
    line = quality.far_from_quality("vae", "shapes", 24, 6.0)
    assert line == (f"24 steps: far too few for shapes; about {q:,} steps ({q * 6 / 24:,.0f} s here) give prompt "
                    f"accuracy {accuracy:g} (train longer: --seconds or --steps)")
    assert quality.far_from_quality("vae", "shapes", 100, 3.0) == (      # by hand: 1500 steps at 30 ms
        "100 steps: far too few for shapes; about 1,500 steps (45 s here) give prompt accuracy 0.98 "
        "(train longer: --seconds or --steps)")
    assert quality.far_from_quality("vae", "shapes", 1000, 20.0) == (    # 1000 steps read 0.70: still short
        "1,000 steps: too few for shapes; about 1,500 steps (30 s here) give prompt accuracy 0.98 "
        "(train longer: --seconds or --steps)")
    assert quality.far_from_quality("vae", "shapes", q, 6.0) is None            # the steps the table asks for
    assert quality.far_from_quality("vae", "fashion", 24, 6.0) is None          # nothing measured: nothing said
    assert quality.far_from_quality("judge", "shapes", 1, 1.0) is None
