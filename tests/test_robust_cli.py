"""The command line as a careless user meets it: bad paths, absurd numbers, usage slips.

Each is one line on stderr and exit code 2, found before any long work; never a traceback, a
hang or a 12 GB allocation.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from t2ilab.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:         # argparse usage errors exit from inside parse_args
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def place(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


def _paths(p):
    return {
        "a directory": (p / "adir", "is a folder"),
        "under a file": (p / "afile" / "x.png", "which is a file"),
        "a special file": (p / "fifo", "special file"),
        "a device": ("/dev/null", "special file"),
    }


@pytest.mark.parametrize("case", ["a directory", "under a file", "a special file", "a device"])
@pytest.mark.parametrize("command", ["generate", "preview"])
def test_a_bad_output_path_is_one_line(capsys, place, case, command):
    path, words = _paths(place)[case]
    argv = ["generate", "a red circle", "--model", "shapes-vae", "-n", "1", "-o", str(path)] if command == "generate" \
        else ["preview", "shapes", "-n", "1", "-o", str(path)]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err, err


def test_a_read_only_output_folder_is_one_line(capsys, place, monkeypatch):
    ro = place / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if str(p) == str(ro) and m & os.W_OK
                        else real(p, m, *a, **k))           # also when the tests run as root
    try:
        code, out, err = run(capsys, "generate", "a red circle", "--model", "shapes-vae", "-o", str(ro / "x.png"))
    finally:
        ro.chmod(0o755)
    assert code == 2 and "read-only" in err and err.count("\n") == 1


def test_a_folder_that_refuses_files_is_one_line(capsys, place, monkeypatch):
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)            # as /sys or a read-only mount does, even for root
    code, out, err = run(capsys, "preview", "shapes", "-n", "1", "-o", str(place / "adir" / "g.png"))
    assert code == 2 and "refuses new files" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["workspace", "release"])
@pytest.mark.parametrize("case, words", [("afile", "is a file"), ("afile/sub", "which is a file")])
def test_a_bad_to_folder_is_one_line(capsys, place, command, case, words):
    code, out, err = run(capsys, command, "--to", str(place / case))
    assert code == 2 and words in err and err.count("\n") == 1, err


@pytest.mark.parametrize("argv, words", [
    (["generate", "a red circle", "--seed", "1e23"], "invalid int value: '1e23'"),
    (["generate", "a red circle", "--model", "shapes-vae", "--seed", str(10**23)], "2**63 - 1"),
    (["generate", "a red circle", "--model", "shapes-vae", "--seed", "-1"], "2**63 - 1"),
    (["train", "vae", "--seconds", "nan", "--out", "OUT"], "budget must be positive"),
    (["train", "vae", "--seconds", "inf", "--out", "OUT"], "at most 604800"),
    (["train", "vae", "--steps", "3", "--seed", str(2**64), "--out", "OUT"], "2**63 - 1"),
    (["train", "vae", "--steps", "3", "--checkpoint-every", "nan", "--out", "OUT"], "--checkpoint-every"),
    (["preview", "shapes", "-n", "100000"], "from 1 to 256"),
    (["preview", "shapes", "--seed", str(2**70)], "2**63 - 1"),
    (["evaluate", "--model", "shapes-vae", "--samples", "100000000"], "from 10 to 20,000"),
    (["evaluate", "--model", "shapes-vae", "--seed", str(2**70)], "2**63 - 1"),
])
def test_absurd_numbers_are_one_line_with_bounds(capsys, tmp_path, argv, words):
    argv = [str(tmp_path / "run") if a == "OUT" else a for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "run").exists()                         # nothing was started


@pytest.mark.parametrize("argv", [
    ["generate"], ["train"], ["train", "cnn", "--out", "x"], ["preview"], ["evaluate"], ["nonsense"], [],
    ["generate", "x", "-n", "many"], ["train", "vae", "--out", "x", "--bogus"],
])
def test_usage_errors_are_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("t2ilab"), err
    assert "usage:" not in err and "--help" in err


def test_usage_errors_are_one_line_from_the_console_too():
    done = subprocess.run([sys.executable, "-m", "t2ilab.cli", "train", "vae", "--seed", "1e23", "--out", "x"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "t2ilab train: argument --seed: invalid int value: '1e23' (see t2ilab train --help)\n"


def test_generate_without_a_model_names_the_one_it_picked(capsys, tmp_path):
    code, out, err = run(capsys, "generate", "a red circle", "-n", "1", "-o", str(tmp_path / "o.png"))
    assert code == 0 and out.strip() == str(tmp_path / "o.png")
    assert err == "t2ilab generate: using the shipped model shapes-vae (choose another with --model)\n"
    code, out, err = run(capsys, "generate", "a red circle", "--model", "shapes-gan", "-n", "1",
                         "-o", str(tmp_path / "o.png"))
    assert code == 0 and err == ""


def test_a_model_trained_again_into_the_same_folder_is_not_served_stale(tmp_path):
    from t2ilab import hub
    from t2ilab.generate import get_model
    from t2ilab.models.vae import ConditionalVAE

    out = tmp_path / "run"
    for value in (1.0, 2.0):
        model = ConditionalVAE(widths=(8, 8, 8), latent=4, dataset="shapes")
        with torch.no_grad():
            next(model.parameters()).fill_(value)
        hub.save(model, out / "model.safetensors")
        served = get_model(str(out))
        assert float(next(served.parameters()).detach().flatten()[0]) == value
    assert get_model(str(out)) is served                            # unchanged file: still cached


def test_the_library_checks_seeds_the_same_way():
    from t2ilab.errors import T2ILabError
    from t2ilab.text import labels_for
    from t2ilab.train.run import train

    for call in (lambda: labels_for("a red circle", seed=2**70), lambda: train("vae", "shapes", steps=1, seed=-1)):
        with pytest.raises(T2ILabError, match=r"2\*\*63 - 1"):
            call()
