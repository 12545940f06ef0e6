"""`t2ilab studio` (and `make studio`): the prompt studio notebook served by Voilà as a plain page.

Voilà runs the notebook in a kernel of its own and shows only its widgets (no code), on 127.0.0.1.
The page uses the lesson widgets themselves (`t2ilab.course.studio.PromptStudio` and
`t2ilab.course.widgets`), so the studio and lesson 00 can never drift apart.
"""
from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

from ..errors import T2ILabError

NOTEBOOK = Path(__file__).with_name("studio.ipynb")
HOST = "127.0.0.1"


def command(port: int, notebook: Path = NOTEBOOK) -> list[str]:
    """The Voilà command line that serves `notebook` on 127.0.0.1:`port`, without a browser."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--Voila.ip={HOST}", f"--port={port}",
            "--Voila.port_retries=0", "--VoilaConfiguration.show_tracebacks=False"]


def check(port: int, notebook: Path) -> None:
    """One clear line for what would stop the page from being served."""
    if importlib.util.find_spec("voila") is None:
        raise T2ILabError("Voilà is not installed: run `make setup` (it installs voila from constraints.txt)")
    if not notebook.exists():
        raise T2ILabError(f"no studio notebook at {notebook}: reinstall t2ilab")
    if not 0 < port < 65536:
        raise T2ILabError(f"port {port} is not a TCP port: use 1 to 65535, e.g. --port 8866")
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            raise T2ILabError(f"port {port} on {HOST} is in use (another studio?): choose one with --port") from None


def studio(port: int = 8866, notebook: str | Path | None = None) -> int:
    """Serve the studio page until Ctrl-C; prints its address first. Returns Voilà's exit code."""
    nb = Path(notebook) if notebook else NOTEBOOK
    check(port, nb)
    print(f"t2ilab studio: http://{HOST}:{port}/  (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(command(port, nb), cwd=nb.parent)
    except KeyboardInterrupt:
        return 0


def page():
    """The studio page's widget: the prompt studio, downloads of the images and of the session, and
    the rating panel when the feedback loop is installed (`t2ilab.course.rating.RatingPanel`)."""
    import json
    import time

    import ipywidgets as widgets

    from .studio import PromptStudio
    from .widgets import download_link

    studio = PromptStudio()
    session: list[dict] = []
    links = widgets.HTML(description="download")

    def record(_change=None) -> None:
        r = studio.result
        if r is None or studio.error:  # a refused prompt adds nothing to the session
            return
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "prompt": r.prompt, "model": r.model, "seed": r.seed,
                 "count": len(r.images), "attributes": r.attributes, "labels": r.labels.tolist()}
        session.append(entry)
        links.value = (download_link(studio.png, "t2ilab-images.png", "image/png", "the images (PNG)") + " · " +
                       download_link(json.dumps({"studio": session}, ensure_ascii=False, indent=1).encode(),
                                     "t2ilab-session.json", "application/json", f"the session ({len(session)} prompts, JSON)"))

    record()
    for control in (studio.prompt, studio.model, studio.seed, studio.count):  # after the studio's own redraw
        control.observe(record, names="value")
    parts = [studio, links]
    try:
        from ..rl import FeedbackSession  # the feedback loop (lesson 04), when it is installed
        from .rating import RatingPanel
    except ImportError:
        return widgets.VBox(parts)
    teach = widgets.Button(description="rate these candidates", icon="heart", button_style="info",
                           tooltip="start rating candidates for this prompt: the model learns your taste",
                           layout=widgets.Layout(width="auto", align_self="flex-start"))
    ratings = widgets.VBox([])

    def start_rating(_button=None) -> None:
        r = studio.result
        if r is None:
            return
        teach.disabled = True
        try:
            session = FeedbackSession(r.prompt, r.model, n=8, seed=r.seed)
            ratings.children = [RatingPanel(session)]
        except T2ILabError as e:
            studio.message.value = f"<span style='color:#b00020'>refused: {e}</span>"
        finally:
            teach.disabled = False

    teach.on_click(start_rating)
    page_box = widgets.VBox(parts + [teach, ratings])
    page_box.start_rating = start_rating  # for tests: what the button does
    return page_box
