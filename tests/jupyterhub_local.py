"""A real JupyterHub on 127.0.0.1 (classroom/jupyterhub_config_local.py) and a client that talks to it
as a class would: log in through the hub's REST API, start a server, run code in a kernel through
the hub's proxy (Jupyter server REST + the kernel websocket). Used by tests/test_jupyterhub.py and
benchmarks/bench_classroom.py. Everything it starts is stopped on exit, also after a failure.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "classroom" / "jupyterhub_config_local.py"
PROXY = ROOT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
PASSWORD = "lesson-zero-password"
ADMIN_PASSWORD = "instructor-password-of-32-characters-or-more"


def missing() -> str | None:
    """Why a local hub cannot start here (None when it can)."""
    if not (BIN / "jupyterhub").exists():
        return "jupyterhub is not installed: run make setup"
    if not PROXY.exists():
        return f"{PROXY.relative_to(ROOT)} is missing: run make setup (needs Node.js and npm)"
    return None


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class LocalHub:
    """`with LocalHub(state, ["ada", "bo"]) as hub:` a running hub; stopped, with all its servers, on exit."""

    def __init__(self, state: Path, students: list[str], cpu_limit: float = 1, env: dict | None = None):
        self.state, self.students = Path(state), list(students)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {}),
                    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                    "T2ILAB_HUB_STATE": str(self.state), "T2ILAB_HUB_PORT": str(self.port),
                    "T2ILAB_HUB_API_PORT": str(free_port()), "T2ILAB_HUB_PROXY_API_PORT": str(free_port()),
                    "T2ILAB_HUB_STUDENTS": " ".join(self.students), "T2ILAB_HUB_PASSWORD": PASSWORD,
                    "T2ILAB_HUB_ADMIN_PASSWORD": ADMIN_PASSWORD, "T2ILAB_CPU_LIMIT": str(cpu_limit)}
        self.env.pop("JUPYTERHUB_API_TOKEN", None)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterhub.log"

    # -- the hub process ---------------------------------------------------------------------
    def __enter__(self) -> LocalHub:
        self.state.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(CONFIG)], cwd=self.state, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            self._wait(lambda: requests.get(f"{self.url}/hub/api/", timeout=5).status_code == 200, 90, "the hub to answer")
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _wait(self, ready, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.proc.returncode}) waiting for {what}:\n{self.log_tail()}")
            try:
                if ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"waited {seconds} s for {what}:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the hub (which stops the servers and the proxy); then anything it left behind."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # A server or proxy still running (the hub was killed): ours by the pid files in the state folder.
        for pid_file in [*self.state.glob("pids/*.pid"), self.state / "proxy.pid"]:
            try:
                pid = int(pid_file.read_text())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except (OSError, ValueError):
                continue
            if _alive(pid) and (b"singleuser" in cmdline or b"configurable-http-proxy" in cmdline):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    # -- the REST API ----------------------------------------------------------------------------
    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        r = requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kw)
        return r

    def login(self, name: str, password: str = PASSWORD) -> str:
        """A token for `name`, asked for with a username and password (the hub's REST API)."""
        r = self.api("POST", f"/users/{name}/tokens",
                     json={"auth": {"username": name, "password": password}, "note": "t2ilab classroom", "expires_in": 3600})
        if r.status_code != 201 and r.status_code != 200:
            raise PermissionError(f"login of {name} refused: {r.status_code} {r.text[:200]}")
        return r.json()["token"]

    def user(self, name: str, token: str) -> dict:
        r = self.api("GET", f"/users/{name}", token)
        r.raise_for_status()
        return r.json()

    def start_server(self, name: str, token: str, timeout: float = 180) -> str:
        """Start `name`'s server and wait until it is ready; returns its URL through the proxy."""
        r = self.api("POST", f"/users/{name}/server", token)
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"starting {name}'s server: {r.status_code} {r.text[:300]}")
        self._wait(lambda: self.user(name, token)["servers"].get("", {}).get("ready"), timeout, f"{name}'s server")
        return f"{self.url}/user/{name}/"

    def stop_server(self, name: str, token: str, timeout: float = 60) -> None:
        r = self.api("DELETE", f"/users/{name}/server", token)
        if r.status_code not in (202, 204):
            raise RuntimeError(f"stopping {name}'s server: {r.status_code} {r.text[:300]}")
        self._wait(lambda: "" not in self.user(name, token)["servers"], timeout, f"{name}'s server to stop")


class Kernel:
    """A kernel on a student's server, driven through the hub's proxy as a browser would."""

    def __init__(self, server_url: str, token: str):
        self.server, self.token = server_url, token
        self.headers = {"Authorization": f"token {token}"}
        r = requests.post(f"{server_url}api/kernels", json={"name": "python3"}, headers=self.headers, timeout=60)
        r.raise_for_status()
        self.id = r.json()["id"]
        self.session = uuid.uuid4().hex
        self.reconnects = 0
        self.ws = self._connect()

    def _connect(self) -> websocket.WebSocket:
        ws_url = self.server.replace("http://", "ws://", 1) + f"api/kernels/{self.id}/channels?session_id={self.session}"
        return websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=120)

    def execute(self, code: str, timeout: float = 120, reconnect: int = 1) -> dict:
        """Run `code`; returns {"stdout": text, "data": [display/result bundles], "error": None or "Name: value"}.

        A websocket the server or proxy drops is opened again and `code` sent once more, up to
        `reconnect` times (JupyterLab reconnects too); `self.reconnects` counts them."""
        try:
            return self._execute(code, timeout)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            if reconnect <= 0:
                raise
            self.reconnects += 1
            try:
                self.ws.close()
            finally:
                self.ws = self._connect()
            return self.execute(code, timeout, reconnect - 1)

    def _execute(self, code: str, timeout: float) -> dict:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "student", "session": self.session, "msg_type": "execute_request",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        out = {"stdout": "", "data": [], "error": None}
        deadline = time.monotonic() + timeout
        idle = replied = False
        while not (idle and replied):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {code[:60]!r} in {timeout} s")
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out["stdout"] += content["text"]
            elif kind in ("execute_result", "display_data"):
                out["data"].append(content["data"])
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
        return out

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            requests.delete(f"{self.server}api/kernels/{self.id}", headers=self.headers, timeout=30)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
