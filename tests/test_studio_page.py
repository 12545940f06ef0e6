"""`t2ilab studio`: the studio page is served on 127.0.0.1 only, refuses what cannot work in one line,
and is built from the lesson widgets (PromptStudio) with downloads of the images and the session."""
import base64
import json
import re
import socket

import nbformat
import pytest

from t2ilab.course import serve
from t2ilab.errors import T2ILabError


def test_command_serves_the_studio_notebook_on_loopback_without_a_browser():
    cmd = serve.command(8866)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=8866" in cmd and "--no-browser" in cmd
    assert cmd[cmd.index("voila") + 1] == str(serve.NOTEBOOK) and serve.NOTEBOOK.exists()


def test_studio_notebook_uses_the_shared_page():
    nb = nbformat.read(serve.NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from t2ilab.course.serve import page" in code and not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(T2ILabError, match=rf"port {port} on 127.0.0.1 is in use.*--port"):
            serve.check(port, serve.NOTEBOOK)
    with pytest.raises(T2ILabError, match="not a TCP port"):
        serve.check(70000, serve.NOTEBOOK)
    with pytest.raises(T2ILabError, match="no studio notebook"):
        serve.check(8866, tmp_path / "none.ipynb")


def test_cli_prints_the_error_and_exits_2(capsys):
    from t2ilab.cli import main

    assert main(["studio", "--port", "0"]) == 2
    assert "t2ilab studio: port 0 is not a TCP port" in capsys.readouterr().err


def test_page_offers_the_images_and_the_session_as_downloads():
    box = serve.page()
    studio, links = box.children[:2]
    hrefs = dict(re.findall(r"download='([^']+)' href='data:[^;]+;base64,([^']+)'", links.value))
    assert base64.b64decode(hrefs["t2ilab-images.png"]) == studio.png
    session = json.loads(base64.b64decode(hrefs["t2ilab-session.json"]))["studio"]
    assert [e["prompt"] for e in session] == [studio.prompt.value] and session[0]["count"] == 8
    studio.prompt.value = "我想要一个蓝天下的大草原，中间有一棵树"
    hrefs = dict(re.findall(r"download='([^']+)' href='data:[^;]+;base64,([^']+)'", links.value))
    session = json.loads(base64.b64decode(hrefs["t2ilab-session.json"]).decode())["studio"]
    assert len(session) == 2 and session[1]["prompt"] == "我想要一个蓝天下的大草原，中间有一棵树"
    assert base64.b64decode(hrefs["t2ilab-images.png"]) == studio.png


def test_page_starts_a_rating_panel_for_the_prompt_on_screen():
    box = serve.page()
    assert hasattr(box, "start_rating"), "the studio page lost its rating panel (t2ilab.rl, course.rating)"
    box.start_rating()
    panel = box.children[-1].children[0]
    assert type(panel).__name__ == "RatingPanel" and panel.prompt.value == box.children[0].prompt.value
