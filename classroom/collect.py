"""Gather every student's lesson notebooks into SUBMISSIONS/<student>/<lesson>.ipynb for `t2ilab grade`.

Two ways in, whichever the hub allows (standard library only, so it runs anywhere):

  From the home folders, on the hub's own machine (The Littlest JupyterHub: /home/jupyter-<name>):
      sudo python3 classroom/collect.py --homes /home --prefix jupyter- --out submissions
  Through the hub (any spawner, also Zero to JupyterHub on Kubernetes), with an admin's token from
  the hub's Token page (scopes: list:users, read:servers, access:servers; admin:servers for --start):
      JUPYTERHUB_API_TOKEN=... python3 classroom/collect.py --hub https://hub.example.edu --out submissions

Then: t2ilab grade submissions --out grades --jobs N

A submission already in SUBMISSIONS that differs from the student's current copy is kept unless
--update is given (nothing collected earlier is silently replaced). Exit code 2 on a usage mistake.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

LESSON = re.compile(r"^\d\d_[^.]+\.ipynb$")  # 00_tour.ipynb; not 00_tour.new.ipynb


class CollectError(Exception):
    """A mistake the instructor can fix: one line."""


def wanted(name: str, lessons: list[str]) -> bool:
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    return bool(LESSON.match(name)) and (not lessons or stem in lessons or name in lessons)


def save(out: Path, student: str, name: str, text: str, update: bool) -> str:
    """Write OUT/student/name; returns what happened."""
    dst = out / student / name
    if dst.exists():
        if dst.read_text() == text:
            return "unchanged"
        if not update:
            return "kept the earlier submission (it differs; --update replaces it)"
    dst.parent.mkdir(parents=True, exist_ok=True)
    existed = dst.exists()
    dst.write_text(text)
    return "updated" if existed else "collected"


def from_homes(homes: Path, prefix: str, folder: str, lessons: list[str], out: Path, update: bool) -> dict:
    if not homes.is_dir():
        raise CollectError(f"--homes {homes} is not a folder: give the folder that holds the students' homes")
    report = {}
    for home in sorted(p for p in homes.iterdir() if p.is_dir() and p.name.startswith(prefix)):
        student = home.name[len(prefix):]
        for nb in sorted((home / folder).glob("*.ipynb")):
            if wanted(nb.name, lessons):
                report[f"{student}/{nb.name}"] = save(out, student, nb.name, nb.read_text(), update)
    return report


class Hub:
    def __init__(self, url: str, token: str):
        self.url, self.token = url.rstrip("/"), token

    def request(self, method: str, url: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            if e.code in (401, 403) and url.startswith(f"{self.url}/hub/api"):
                raise CollectError(f"the hub refused the token ({e.code}): use an admin's token with the scopes "
                                   "list:users, read:servers, access:servers") from None
            raise
        except urllib.error.URLError as e:
            raise CollectError(f"cannot reach the hub at {self.url}: {e.reason}") from None

    def users(self) -> list[dict]:
        return self.request("GET", f"{self.url}/hub/api/users")

    def wait(self, name: str, running: bool, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            server = self.request("GET", f"{self.url}/hub/api/users/{name}")["servers"].get("")
            if (server or {}).get("ready") if running else not server:
                return
            time.sleep(1)
        raise CollectError(f"{name}'s server did not {'start' if running else 'stop'} in {seconds:.0f} s")

    def contents(self, name: str, path: str, raw: bool = False) -> dict:
        """The Jupyter server's contents model of `path`; raw=True: the file's text exactly as on disk."""
        query = "?type=file&format=text&content=1" if raw else "?content=1"
        url = f"{self.url}/user/{urllib.parse.quote(name)}/api/contents/{urllib.parse.quote(path)}{query}"
        return self.request("GET", url)


def from_hub(hub: Hub, folder: str, lessons: list[str], out: Path, update: bool, start: bool) -> dict:
    report = {}
    for user in sorted(hub.users(), key=lambda u: u["name"]):
        name = user["name"]
        if user.get("admin"):
            continue
        started = False
        if not user.get("servers", {}).get("", {}).get("ready"):
            if not start:
                report[f"{name}/"] = "server not running: skipped (--start starts it, collects, stops it)"
                continue
            hub.request("POST", f"{hub.url}/hub/api/users/{name}/server")
            hub.wait(name, running=True)
            started = True
        try:
            try:
                listing = hub.contents(name, folder)["content"]
            except urllib.error.HTTPError as e:
                report[f"{name}/"] = f"no {folder}/ folder ({e.code})"
                continue
            for entry in sorted(listing, key=lambda e: e["name"]):
                if entry["type"] == "notebook" and wanted(entry["name"], lessons):
                    text = hub.contents(name, f"{folder}/{entry['name']}", raw=True)["content"]
                    report[f"{name}/{entry['name']}"] = save(out, name, entry["name"], text, update)
        finally:
            if started:
                hub.request("DELETE", f"{hub.url}/hub/api/users/{name}/server")
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Gather students' lesson notebooks into OUT/<student>/<lesson>.ipynb.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--homes", type=Path, help="folder holding the students' home folders (on the hub's machine)")
    src.add_argument("--hub", help="the hub's URL; the token is read from $JUPYTERHUB_API_TOKEN")
    p.add_argument("--prefix", default="", help="home folder name = PREFIX + student (TLJH: jupyter-)")
    p.add_argument("--folder", default="lessons", help="the lessons' folder inside a home (default: lessons)")
    p.add_argument("--lesson", action="append", default=[], help="only this lesson (e.g. 00_tour); repeatable")
    p.add_argument("--out", type=Path, required=True, help="submissions folder to write")
    p.add_argument("--update", action="store_true", help="replace earlier submissions that differ")
    p.add_argument("--start", action="store_true", help="with --hub: start stopped servers to collect from them")
    a = p.parse_args(argv)
    try:
        if a.homes is not None:
            report = from_homes(a.homes, a.prefix, a.folder, a.lesson, a.out, a.update)
        else:
            token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
            if not token:
                raise CollectError("set JUPYTERHUB_API_TOKEN to an admin's token (the hub's Token page)")
            report = from_hub(Hub(a.hub, token), a.folder, a.lesson, a.out, a.update, a.start)
    except CollectError as e:
        print(f"collect: {e}", file=sys.stderr)
        return 2
    if not report:
        print("collect: no lesson notebooks found", file=sys.stderr)
        return 2
    for what, happened in report.items():
        print(f"{what}: {happened}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
