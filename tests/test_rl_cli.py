"""`t2ilab feedback` and `t2ilab generate --adapter`: files written, work never lost, one-line errors."""
import json

import pytest
from PIL import Image

from t2ilab.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_feedback_writes_session_adapter_and_grid(tmp_path, capsys):
    out = tmp_path / "fb"
    code, text, err = run(capsys, "feedback", "a circle", "--model", "shapes-gan", "--rater", "simulated:big",
                          "--rounds", 2, "-n", 8, "--out", out)
    assert code == 0, err
    lines = text.strip().splitlines()
    assert lines[0].startswith("round 1/2: mean rating") and lines[1].startswith("round 2/2")
    session = json.loads((out / "session.json").read_text())
    assert len(session["rounds"]) == 2 and session["model"] == "shapes-gan" and session["rule"] == "rwl"
    assert (out / "adapter.safetensors").exists()
    assert Image.open(out / "before_after.png").size[0] > 8 * 32

    # a second run into the same folder refuses; --resume continues to 3 rounds in all
    code, _, err = run(capsys, "feedback", "a circle", "--model", "shapes-gan", "--rater", "simulated:big",
                       "--rounds", 2, "--out", out)
    assert code == 2 and "already holds a session" in err and err.count("\n") == 1
    assert len(json.loads((out / "session.json").read_text())["rounds"]) == 2  # untouched
    code, text, err = run(capsys, "feedback", "a circle", "--rater", "simulated:big", "--rounds", 3, "--out", out,
                          "--resume")
    assert code == 0, err
    assert text.startswith("round 3/3") and len(json.loads((out / "session.json").read_text())["rounds"]) == 3

    # the learned taste in t2ilab generate; the wrong base model is refused
    png = tmp_path / "g.png"
    code, text, err = run(capsys, "generate", "a circle", "--model", "shapes-gan", "--adapter", out, "-o", png)
    assert code == 0, err and png.exists()
    code, _, _ = run(capsys, "generate", "a circle", "--adapter", out, "-o", tmp_path / "h.png")
    assert code == 0  # the adapter names its base model
    code, _, err = run(capsys, "generate", "a circle", "--model", "shapes-vae", "--adapter", out, "-o", png)
    assert code == 2 and "learned on shapes-gan" in err and err.count("\n") == 1

    # --force starts over
    code, text, err = run(capsys, "feedback", "a circle", "--model", "shapes-gan", "--rater", "simulated:big",
                          "--rounds", 1, "-n", 4, "--out", out, "--force")
    assert code == 0, err and len(json.loads((out / "session.json").read_text())["rounds"]) == 1


@pytest.mark.parametrize("argv, words", [
    (["--rater", "human:big", "--rounds", "2"], "unknown rater"),
    (["--rater", "simulated:huge", "--rounds", "2"], "not a taste"),
    (["--rater", "simulated:big", "--rounds", "0"], "--rounds 0"),
    (["--rater", "simulated:big", "--rounds", "-3"], "--rounds -3"),
    (["--rater", "simulated:big", "--rounds", "2", "--resume"], "no session"),
])
def test_feedback_mistakes_are_one_line_and_exit_2(tmp_path, capsys, argv, words):
    code, out, err = run(capsys, "feedback", "a circle", "--model", "shapes-gan", "--out", tmp_path / "x", *argv)
    assert code == 2 and out == "" and words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x" / "session.json").exists()


def test_corrupt_session_and_adapter(tmp_path, capsys):
    (tmp_path / "session.json").write_text('{"format": "t2ilab.feedback/1", "roun')
    code, _, err = run(capsys, "feedback", "a circle", "--rater", "simulated:big", "--out", tmp_path, "--resume")
    assert code == 2 and "not a readable session file" in err and err.count("\n") == 1
    (tmp_path / "adapter.safetensors").write_bytes(b"not a safetensors file")
    code, _, err = run(capsys, "generate", "a circle", "--adapter", tmp_path, "-o", tmp_path / "o.png")
    assert code == 2 and "not an adapter file" in err and err.count("\n") == 1
    code, _, err = run(capsys, "generate", "a circle", "--adapter", tmp_path / "none", "-o", tmp_path / "o.png")
    assert code == 2 and "no adapter" in err
