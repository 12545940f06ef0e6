"""`t2ilab train` never loses work: an existing run, a busy folder, a bad --out, file modes.

Training itself is replaced by a fake that builds a small real VAE (and can be interrupted at
will), so these tests are fast and deterministic; the real training path is covered by
tests/test_cli.py and tests/test_folder_end_to_end.py.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest
import torch

from t2ilab import hub
from t2ilab.cli import main
from t2ilab.errors import T2ILabError
from t2ilab.models.vae import ConditionalVAE
from t2ilab.train import run as run_module
from t2ilab.train.loop import History


class FakeTrain:
    """Stands in for run.train: a small VAE whose weights are all `value`, `steps` logged steps."""

    def __init__(self, value=1.0, steps=3, interrupt=False, checkpoints=0):
        self.value, self.steps, self.interrupt, self.checkpoints = value, steps, interrupt, checkpoints
        self.calls = []

    def __call__(self, kind, dataset, seconds=None, steps=None, seed=0, init=None, checkpoint=None, **kw):
        self.calls.append({"kind": kind, "dataset": dataset, "init": init})
        model = ConditionalVAE(widths=(8, 8, 8), latent=4)
        if init is not None:
            model.load_state_dict(init.state_dict())
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(self.value) if init is None else p.add_(self.value)
        model.dataset = dataset
        history = History()
        for i in range(self.steps):
            history.log(i + 1, 0.1 * (i + 1), {"loss": 10.0 - i})
            if i < self.checkpoints:
                checkpoint(i + 1, history, model)
        if self.interrupt:
            history.stopped = f"interrupted at step {self.steps}; the weights trained so far are kept"
        return model, history


def train(capsys, out, *extra):
    code = main(["train", "vae", "--dataset", "shapes", "--steps", "3", "--out", str(out), *extra])
    o, e = capsys.readouterr()
    return code, o, e


def weight(path):
    return float(next(iter(hub.load(path).parameters())).detach().flatten()[0])


@pytest.fixture
def fake(monkeypatch):
    def make(**kw):
        f = FakeTrain(**kw)
        monkeypatch.setattr(run_module, "train", f)
        return f
    return make


def test_an_existing_run_is_refused_and_left_intact(capsys, tmp_path, fake):
    out = tmp_path / "run"
    fake(value=1.0)
    assert train(capsys, out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    again = fake(value=2.0)
    code, o, e = train(capsys, out)
    assert code == 2 and o == "" and e.count("\n") == 1
    assert "already holds a training run" in e and "--resume" in e and "--force" in e
    assert again.calls == []                                          # refused before any training
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_force_keeps_the_old_run_in_previous(capsys, tmp_path, fake):
    out = tmp_path / "run"
    fake(value=1.0)
    train(capsys, out)
    fake(value=2.0)
    code, o, e = train(capsys, out, "--force")
    assert code == 0 and "kept in" in e
    assert weight(out) == 2.0 and weight(out / "previous") == 1.0
    assert json.loads((out / "previous" / "history.json").read_text())["steps"] == [1, 2, 3]


def test_an_early_ctrl_c_in_a_forced_rerun_leaves_the_trained_model_in_place(capsys, tmp_path, fake):
    out = tmp_path / "run"
    fake(value=1.0)
    train(capsys, out)
    model_bytes = (out / "model.safetensors").read_bytes()
    fake(value=2.0, steps=1, interrupt=True)                          # Ctrl-C before the first checkpoint
    code, o, e = train(capsys, out, "--force")
    assert code == 0 and "left as it was" in e
    assert (out / "model.safetensors").read_bytes() == model_bytes    # the trained model is still the one served
    assert weight(out / "interrupted") == 2.0                         # and the new weights are not lost either


def test_a_forced_rerun_moves_the_old_run_aside_at_its_first_checkpoint(capsys, tmp_path, fake):
    out = tmp_path / "run"
    fake(value=1.0)
    train(capsys, out)
    fake(value=2.0, steps=3, interrupt=True, checkpoints=1)
    assert train(capsys, out, "--force")[0] == 0
    assert weight(out) == 2.0 and weight(out / "previous") == 1.0


def test_resume_continues_the_weights_and_the_history(capsys, tmp_path, fake):
    out = tmp_path / "run"
    fake(value=1.0)
    train(capsys, out)
    cont = fake(value=0.5)
    code, o, e = train(capsys, out, "--resume")
    assert code == 0, e
    assert cont.calls[0]["init"] is not None
    assert weight(out) == 1.5                                          # 1.0 saved + 0.5 more training
    history = json.loads((out / "history.json").read_text())
    assert history["steps"] == [1, 2, 3, 4, 5, 6]
    assert history["seconds"] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert history["values"]["loss"] == [10.0, 9.0, 8.0, 10.0, 9.0, 8.0]


@pytest.mark.parametrize("argv, words", [
    (["train", "gan", "--dataset", "shapes", "--resume"], "holds a vae run"),
    (["train", "vae", "--dataset", "scenes", "--resume"], "trained on shapes"),
    (["train", "vae", "--dataset", "shapes", "--resume", "--force"], "give one of them"),
])
def test_resume_mismatches_are_one_line(capsys, tmp_path, fake, argv, words):
    out = tmp_path / "run"
    fake(value=1.0)
    train(capsys, out)
    code = main([*argv, "--steps", "2", "--out", str(out)])
    _, e = capsys.readouterr()
    assert code == 2 and words in e and e.count("\n") == 1


def test_resume_of_nothing_is_refused(capsys, tmp_path, fake):
    f = fake()
    code, o, e = train(capsys, tmp_path / "empty", "--resume")
    assert code == 2 and "nothing" not in o and "holds no model.safetensors" in e and f.calls == []


def test_resuming_with_other_options_is_one_line(tmp_path):
    from t2ilab.train.loop import start_from

    with pytest.raises(T2ILabError, match="different configuration .*latent"):
        start_from(ConditionalVAE(latent=4), ConditionalVAE(latent=8))


HOLD = textwrap.dedent("""
    import sys, time
    from t2ilab.train.run import RunLock
    with RunLock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.readline()
""")


def test_a_run_folder_is_locked_while_it_trains_and_a_dead_lock_is_no_obstacle(capsys, tmp_path, fake):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        f = fake()
        code, o, e = train(capsys, out)
        assert code == 2 and f"process {holder.pid}" in e and "being trained right now" in e and f.calls == []
    finally:
        holder.kill()                     # dies without releasing anything, like a killed run
        holder.wait()
    f = fake()
    assert train(capsys, out)[0] == 0 and len(f.calls) == 1     # the kernel dropped the dead process's lock
    with run_module.RunLock(out):         # and the finished run released its own
        pass


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_text("x"), "is a file"),
    (lambda p: (p.parent / "file").write_text("x"), "which is a file"),
])
def test_a_bad_out_is_found_before_training(capsys, tmp_path, fake, make, words):
    target = tmp_path / "out"
    make(target)
    out = target if words == "is a file" else tmp_path / "file" / "run"
    f = fake()
    code, o, e = train(capsys, out)
    assert code == 2 and words in e and e.count("\n") == 1 and f.calls == []


def test_a_read_only_out_is_found_before_training(capsys, tmp_path, fake, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    if os.access(out, os.W_OK):          # root may write anyway: make the filesystem say no
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if str(p) == str(out) and m & os.W_OK
                            else real(p, m, *a, **k))
    f = fake()
    try:
        code, o, e = train(capsys, out / "run")
    finally:
        out.chmod(0o755)
    assert code == 2 and "read-only" in e and f.calls == []


def test_saved_files_follow_the_umask(capsys, tmp_path, fake):
    old = os.umask(0o022)
    try:
        fake()
        train(capsys, tmp_path / "run")
        for name in ("model.safetensors", "history.json", "samples.png"):
            assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644, name
        hub.save(ConditionalVAE(widths=(8, 8, 8), dataset="shapes"), tmp_path / "m.safetensors")
        assert stat.S_IMODE((tmp_path / "m.safetensors").stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


def test_two_saves_into_one_file_at_once_both_finish(tmp_path, monkeypatch):
    """A second save starting while the first is writing (two runs, one folder) must not share its temporary."""
    import safetensors.torch

    path = tmp_path / "model.safetensors"
    real = hub.save_file
    nested = []

    def save_file(tensors, filename, metadata=None):
        real(tensors, filename, metadata=metadata)
        if not nested:                      # while the first save is between write and rename...
            nested.append(filename)
            hub.save(ConditionalVAE(widths=(8, 8, 8), latent=4, dataset="shapes"), path)

    monkeypatch.setattr(hub, "save_file", save_file)
    hub.save(ConditionalVAE(widths=(8, 8, 8), latent=4, dataset="shapes"), path)
    assert hub.load(path).config["latent"] == 4
    assert not list(tmp_path.glob("*.tmp")) and safetensors.torch is not None
