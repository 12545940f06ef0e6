"""`t2ilab generate --expand`: the language model reads the prompt, or one stderr line says why it did not."""
import socket

import pytest

from t2ilab.cli import main
from test_text_llm import SEEN, base  # noqa: F401  (the fake chat-completions server on 127.0.0.1)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("T2ILAB_LLM_URL", "T2ILAB_LLM_MODEL", "T2ILAB_LLM_KEY"):
        monkeypatch.delenv(name, raising=False)
    SEEN.clear()


@pytest.fixture
def dead_url():
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def generate(capsys, tmp_path, name, prompt, *extra):
    out = tmp_path / f"{name}.png"
    code, stdout, err = run(capsys, "generate", prompt, "-n", "4", "--seed", "3", "-o", str(out), *extra)
    return code, stdout, err, out


def test_the_language_model_reads_a_prompt_the_parser_cannot(capsys, tmp_path, base, monkeypatch):  # noqa: F811
    monkeypatch.setenv("T2ILAB_LLM_URL", f"{base}/good/v1")  # answers circle, red, size open, top
    prompt = "a scarlet orb hovering near the ceiling"
    code, _, err = run(capsys, "generate", prompt, "--model", "shapes-vae", "-o", str(tmp_path / "x.png"))
    assert code == 2 and "unknown word" in err  # without --expand the offline parser refuses it
    code, stdout, err, out = generate(capsys, tmp_path, "llm", prompt, "--model", "shapes-vae", "--expand")
    assert code == 0 and stdout.strip() == str(out)
    assert err == ('t2ilab generate: the language model read the prompt as '
                   '{"shape": "circle", "color": "red", "size": null, "position": "top"}\n')
    assert SEEN[-1][2]["messages"][-1]["content"] == prompt
    # the same attributes and seed as the offline prompt below: the very same images
    code, _, _, same = generate(capsys, tmp_path, "offline", "a red circle at the top", "--model", "shapes-vae")
    assert code == 0 and out.read_bytes() == same.read_bytes()
    code, _, _, other = generate(capsys, tmp_path, "other", "a red circle at the bottom", "--model", "shapes-vae")
    assert out.read_bytes() != other.read_bytes()


def test_unset_endpoint_says_so_and_uses_the_offline_parser(capsys, tmp_path):
    code, stdout, err, out = generate(capsys, tmp_path, "expand", "a grassland under a blue sky with a tree in the middle",
                                      "--expand")
    assert code == 0 and stdout.strip() == str(out)
    assert err == ("t2ilab generate: T2ILAB_LLM_URL is not set; the offline parser was used instead\n"
                   "t2ilab generate: using the shipped model scenes-vae (choose another with --model)\n")
    code, _, err, plain = generate(capsys, tmp_path, "plain", "a grassland under a blue sky with a tree in the middle")
    assert code == 0 and "offline" not in err and out.read_bytes() == plain.read_bytes()


def test_dead_endpoint_is_one_line_then_the_offline_parser(capsys, tmp_path, monkeypatch, dead_url):
    monkeypatch.setenv("T2ILAB_LLM_URL", dead_url)
    code, _, err, out = generate(capsys, tmp_path, "dead", "a big red circle on the left", "--expand",
                                 "--model", "shapes-vae")
    assert code == 0 and out.exists()
    assert err.count("\n") == 1 and err.startswith("t2ilab generate: LLM prompt expansion failed (cannot reach http://127.0.0.1:")
    assert err.endswith("; the offline parser was used instead\n") and "Traceback" not in err
    code, _, _, plain = generate(capsys, tmp_path, "plain", "a big red circle on the left", "--model", "shapes-vae")
    assert out.read_bytes() == plain.read_bytes()


def test_a_bad_answer_falls_back_with_its_reason(capsys, tmp_path, base, monkeypatch):  # noqa: F811
    monkeypatch.setenv("T2ILAB_LLM_URL", f"{base}/badvalue/v1")  # answers shape "hexagon"
    code, _, err, _ = generate(capsys, tmp_path, "bad", "a red circle", "--expand", "--model", "shapes-gan")
    assert code == 0 and err.count("\n") == 1
    assert "shape='hexagon'" in err and err.endswith("the offline parser was used instead\n")


def test_fallback_that_the_parser_refuses_is_a_one_line_error(capsys, tmp_path, monkeypatch, dead_url):
    monkeypatch.setenv("T2ILAB_LLM_URL", dead_url)
    code, stdout, err, out = generate(capsys, tmp_path, "refused", "a scarlet orb near the ceiling",
                                      "--model", "shapes-gan", "--expand")
    assert code == 2 and stdout == "" and not out.exists()
    assert err.count("\n") == 1 and "cannot reach" in err and "the offline parser was used instead" in err
    assert "unknown word" in err and "'ceiling'" in err


@pytest.mark.parametrize("argv, words", [
    (["a scarlet orb near the ceiling", "--expand"], "--model shapes-vae"),  # no dataset to ask about
    (["   ", "--expand"], "empty"),
    (["a red circle", "--expand", "--model", "shapes-judge"], "judge"),
])
def test_user_mistakes_with_expand(capsys, tmp_path, base, monkeypatch, argv, words):  # noqa: F811
    monkeypatch.setenv("T2ILAB_LLM_URL", f"{base}/good/v1")
    code, stdout, err = run(capsys, "generate", *argv, "-o", str(tmp_path / "x.png"))
    assert code == 2 and stdout == "" and err.count("\n") == 1 and words in err
    assert not (tmp_path / "x.png").exists()


def test_without_expand_the_endpoint_is_never_asked(capsys, tmp_path, base, monkeypatch):  # noqa: F811
    monkeypatch.setenv("T2ILAB_LLM_URL", f"{base}/good/v1")
    code, _, err, _ = generate(capsys, tmp_path, "quiet", "a red circle", "--model", "shapes-vae")
    assert code == 0 and err == "" and SEEN == []
