"""The `t2ilab` command: outputs, files, and one-line errors with exit code 2."""
import json
import subprocess
import sys

import pytest
import torch
from PIL import Image

from t2ilab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_prints_canonical_json(capsys):
    code, out, _ = run(capsys, "parse", "a tiny crimson ball up top")
    assert code == 0 and json.loads(out) == {"shape": "circle", "color": "red", "size": "small", "position": "top"}
    code, out, _ = run(capsys, "parse", "我想要一个蓝天下的大草原，中间有一棵树")
    assert json.loads(out) == {"sky": "blue", "ground": "grass", "object": "tree", "position": "middle",
                                "object2": "none", "position2": "none"}


@pytest.mark.parametrize("argv, words", [
    (["parse", "a red blue circle"], "two colors"),
    (["parse", ""], "empty"),
    (["parse", "a cirlce"], "did you mean 'circle'"),
    (["generate", "a red circle", "--model", "no-such-model"], "no model"),
    (["preview", "no-such-dataset"], "unknown dataset"),
    (["train", "vae", "--dataset", "shapes", "--seconds", "0", "--out", "x"], "budget must be positive"),
    (["evaluate", "--model", "nope"], "no model"),
])
def test_user_mistakes_are_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_train_then_generate_from_the_folder(capsys, tmp_path):
    out = tmp_path / "run"
    code, text, _ = run(capsys, "train", "vae", "--dataset", "shapes", "--steps", "3", "--out", str(out))
    assert code == 0 and "saved" in text
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "history.json", "samples.png"}
    history = json.loads((out / "history.json").read_text())
    assert history["steps"][-1] == 3 and len(history["values"]["loss"]) == 3
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    for path, seed in ((a, 0), (b, 0), (c, 1)):
        assert run(capsys, "generate", "a big red circle on the left", "--model", str(out), "-n", "4",
                   "--seed", str(seed), "-o", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes()  # same seed, same images
    assert a.read_bytes() != c.read_bytes()
    assert Image.open(a).size == (4 * 4 * 32 + 5 * 2, 4 * 32 + 2 * 2)  # 4 images, 4x enlarged, padding 2


KILLED_AT_THIRD_SAVE = """
import os, signal, sys
from t2ilab import hub
real, calls = hub.save_file, []
def save_file(tensors, filename, metadata=None):
    real(tensors, filename, metadata=metadata)
    calls.append(filename)
    if len(calls) == 3:  # the third checkpoint is written but not yet in place: killed, as when a laptop lid closes
        os.kill(os.getpid(), signal.SIGKILL)
hub.save_file = save_file
from t2ilab.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_training_run_keeps_its_last_checkpoint(tmp_path):
    from t2ilab import hub

    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-c", KILLED_AT_THIRD_SAVE, "train", "vae", "--dataset", "shapes",
                           "--steps", "1000", "--checkpoint-every", "1e-9", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == -9, done.stderr[-500:]                # no chance to clean up
    model = hub.load(out / "model.safetensors")  # a whole, loadable file, not half of one
    info = hub.read_metadata(out / "model.safetensors")
    assert info["extra"]["stopped"] == "checkpoint during training"
    history = json.loads((out / "history.json").read_text())
    assert history["steps"][-1] == 2                                # the second checkpoint, whole
    assert model.generate(torch.zeros(2, 4, dtype=torch.long)).shape == (2, 3, 32, 32)


def test_preview_writes_a_png(capsys, tmp_path):
    code, out, _ = run(capsys, "preview", "shapes", "-o", str(tmp_path / "g.png"), "-n", "4")
    assert code == 0 and Image.open(tmp_path / "g.png").size[0] > 100


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "t2ilab.cli", "parse", "a red blue circle"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "t2ilab parse: the prompt asks for two colors: red and blue; keep one"
