"""LLM prompt expansion against a local fake chat-completions server (127.0.0.1 only)."""
from __future__ import annotations

import json
import socket
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from t2ilab.errors import T2ILabError
from t2ilab.text import expand, parse

GOOD = '```json\n{"shape": "circle", "color": "red", "size": null, "position": "top"}\n```'
ANSWERS = {
    "good": GOOD,
    "plain": '{"color": "Blue"}',                                   # missing keys are open
    "scenes": '{"sky": "blue", "ground": "grass", "object": "tree", "position": "middle"}',
    "badvalue": '{"shape": "hexagon", "color": "red", "size": null, "position": null}',
    "badkey": '{"shape": "circle", "texture": "wood"}',
    "notjson": "Sure! Here is a red circle at the top.",
    "list": '["circle", "red"]',
    "clash": '{"object": "tree", "position": "right", "object2": "house", "position2": "middle"}',  # 2nd not right
}
SEEN: list[tuple[str, dict, dict]] = []
RELEASE = threading.Event()


class FakeLLM(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SEEN.append((self.path, dict(self.headers), body))
        kind = self.path.split("/")[1]
        if kind == "slow":  # never answers while the client waits: released when the test is over
            RELEASE.wait(30)
        if kind == "http500":
            self.send_error(500, "model overloaded")
            return
        reply = {"not": "a completion"} if kind == "weird" else \
            {"choices": [{"message": {"role": "assistant", "content": ANSWERS.get(kind, GOOD)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the slow handler writes to a socket the client already closed


@pytest.fixture(scope="module")
def base():
    server = Server(("127.0.0.1", 0), FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("T2ILAB_LLM_URL", "T2ILAB_LLM_MODEL", "T2ILAB_LLM_KEY"):
        monkeypatch.delenv(name, raising=False)
    SEEN.clear()


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def test_good_answer_in_a_fence(base):
    attrs, source = no_warnings(expand, "a scarlet orb hovering near the ceiling", "shapes", url=f"{base}/good/v1")
    assert source == "llm"
    assert attrs == {"shape": "circle", "color": "red", "size": None, "position": "top"}
    path, headers, body = SEEN[-1]
    assert path == "/good/v1/chat/completions"
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][-1] == {"role": "user", "content": "a scarlet orb hovering near the ceiling"}
    system = body["messages"][0]["content"]
    assert "circle, square, triangle, diamond" in system and "null" in system
    assert "Authorization" not in headers


def test_full_path_env_url_model_and_key(base, monkeypatch):
    monkeypatch.setenv("T2ILAB_LLM_URL", f"{base}/plain/v1/chat/completions")
    monkeypatch.setenv("T2ILAB_LLM_MODEL", "tiny-local")
    monkeypatch.setenv("T2ILAB_LLM_KEY", "sk-test")
    attrs, source = no_warnings(expand, "something blue")
    assert (attrs, source) == ({"shape": None, "color": "blue", "size": None, "position": None}, "llm")
    path, headers, body = SEEN[-1]
    assert path == "/plain/v1/chat/completions"
    assert body["model"] == "tiny-local"
    assert headers["Authorization"] == "Bearer sk-test"


def test_scenes_answer(base):
    prompt = "我想要一个蓝天下的大草原，中间有一棵树"
    assert expand(prompt, "scenes", url=f"{base}/scenes/v1") == (parse(prompt, "scenes"), "llm")
    assert "sky: blue, sunset, night" in SEEN[-1][2]["messages"][0]["content"]


def test_scenes_answer_that_cannot_be_drawn_falls_back(base):
    prompt = "a house on the left and a tree on the right"
    with pytest.warns(UserWarning, match="do not go together") as record:
        assert expand(prompt, "scenes", url=f"{base}/clash/v1") == (parse(prompt, "scenes"), "offline")
    assert "\n" not in str(record[0].message)


@pytest.mark.parametrize("kind, reason", [
    ("badvalue", "shape='hexagon', not one of circle"),
    ("badkey", "unknown keys ['texture']"),
    ("notjson", "not JSON"),
    ("list", "not a JSON object"),
    ("weird", "not a chat completion"),
    ("http500", "HTTP 500"),
])
def test_bad_answers_fall_back_with_a_notice(base, kind, reason):
    with pytest.warns(UserWarning) as record:
        attrs, source = expand("a big red circle on the left", url=f"{base}/{kind}/v1")
    assert (attrs, source) == (parse("a big red circle on the left"), "offline")
    message = str(record[0].message)
    assert reason in message and "offline parser" in message and "\n" not in message


def test_timeout_falls_back_to_the_offline_parser(base):
    RELEASE.clear()
    try:
        with pytest.warns(UserWarning, match=r"no answer .* within 0.2 s"):
            attrs, source = expand("a tiny crimson ball up top", url=f"{base}/slow/v1", timeout=0.2)
    finally:
        RELEASE.set()
    assert source == "offline" and attrs["color"] == "red"


def test_connection_refused_falls_back():
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.warns(UserWarning, match="cannot reach"):
        assert expand("a red circle", url=f"http://127.0.0.1:{port}/v1")[1] == "offline"


def test_offline_without_url_touches_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    attrs, source = no_warnings(expand, "a grassland under a blue sky with a tree in the middle", "scenes")
    assert source == "offline" and attrs == {"sky": "blue", "ground": "grass", "object": "tree", "position": "middle",
                                             "object2": "none", "position2": "none"}


def test_user_mistakes_raise_before_any_request(base):
    with pytest.raises(T2ILabError, match="empty"):
        expand("  ", url=f"{base}/good/v1")
    with pytest.raises(T2ILabError, match="unknown dataset"):
        expand("a red circle", "cats", url=f"{base}/good/v1")
    with pytest.raises(T2ILabError, match="http://"):
        expand("a red circle", url="localhost:8080/v1")
    assert SEEN == []


def test_fallback_still_reports_offline_parse_errors(base):
    with pytest.warns(UserWarning), pytest.raises(T2ILabError, match="did you mean 'circle'"):
        expand("a red cirlce", url=f"{base}/notjson/v1")
