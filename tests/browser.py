"""A lesson in a real browser: JupyterLab + headless Chromium (Playwright), shared by the browser
test (tests/test_browser.py) and the widget benchmark (benchmarks/bench_widgets.py).

`lesson_in_browser()` starts a private JupyterLab on a copy of one lesson, opens it in Chromium,
runs every cell in fast mode and yields the page and the cell holding the slider under test;
`move_slider()` presses one key on that slider and returns how long the image took to change.
Every process started here is ended on the way out.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LESSON = ROOT / "lessons" / "03_vae.ipynb"
TARGET = "live_figure(draw_traversal"  # the latent-traversal cell: a FloatSlider redrawing one image
# Lab settings for a quiet, predictable page: no news pop-up, no update check (no network here).
SETTINGS = {"@jupyterlab/apputils-extension/notification": '{"fetchNews": "false", "checkForUpdates": false}'}

# In-page helpers. They reach the lab through window.jupyterapp (LabApp.expose_app_in_browser,
# the hook JupyterLab's own Playwright tests use) instead of guessing at DOM structure.
_FIND_PANEL = """async (path) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
  if (!panel) return false;
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  window.__t2iPanel = panel;
  return true;
}"""
_KERNEL_IDLE = "() => window.__t2iPanel.sessionContext.session?.kernel?.status === 'idle'"
_RUN_ALL = """() => {
  window.__t2iRunAll = undefined;
  window.jupyterapp.commands.execute('notebook:run-all-cells')
    .then(ok => { window.__t2iRunAll = ok === true; }, () => { window.__t2iRunAll = false; });
}"""
_FIRST_ERROR = """() => {
  const cells = window.__t2iPanel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const outs = cells[i].model.outputs ? cells[i].model.outputs.toJSON() : [];
    const err = outs.find(o => o.output_type === 'error');
    if (err) return `cell ${i}: ${err.ename}: ${err.evalue}`;
  }
  return 'no error output (a cell may have been interrupted or never ran)';
}"""
_MARK_CELL = """async (needle) => {
  const nb = window.__t2iPanel.content;
  const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(needle));
  if (i < 0) return -1;
  nb.widgets[i].node.dataset.t2ilab = 'target';
  nb.activeCellIndex = i;
  if (nb.scrollToItem) await nb.scrollToItem(i, 'center');
  return i;
}"""
# Arm one measurement: note the time of the next key press, and the time at which the cell's
# image element shows a different src (MutationObserver: the DOM change, before paint).
_ARM = """(cell) => {
  const src = () => { const img = cell.querySelector('.jp-RenderedImage img'); return img ? img.src : null; };
  const before = src();
  const m = window.__t2iMove = {t0: null, t1: null};
  document.addEventListener('keydown', () => { if (m.t0 === null) m.t0 = performance.now(); },
                            {capture: true, once: true});
  const obs = new MutationObserver(() => {
    const now = src();
    if (m.t1 === null && now && now !== before) { m.t1 = performance.now(); obs.disconnect(); }
  });
  obs.observe(cell, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[tuple[str, str]]:
    """Run a private JupyterLab serving `root`; yields (base URL, token).

    Settings, workspaces and runtime files live under `root/.lab`, so the user's own lab state is
    neither read nor touched. The server, its kernels and their children are ended on exit.
    """
    lab, port, token = root / ".lab", free_port(), secrets.token_hex(16)
    for name, text in SETTINGS.items():
        path = lab / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={lab / 'settings'}", f"--LabApp.workspaces_dir={lab / 'workspaces'}"]
    log = open(lab / "server.log", "w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(lab / "runtime"), **(env or {})})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"JupyterLab exited with code {proc.returncode}: {' '.join(tail)}")
            try:
                req = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer on port {port} within {timeout:.0f} s") from None
                time.sleep(0.25)
        yield base, token
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    """End a process and every process below it (kernels): politely first, then for sure."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    alive = [c for c in children if c.is_running()]
    for c in alive:
        c.terminate()
    _, alive = psutil.wait_procs(alive, timeout=5)
    for c in alive:
        c.kill()


@contextmanager
def lesson_in_browser(lesson: Path = LESSON, target: str = TARGET, timeout: float = 120):
    """Open a copy of `lesson` in JupyterLab in headless Chromium and run all its cells (T2ILAB_FAST=1).

    Yields (page, cell): the Playwright page and a locator for the first cell whose source contains
    `target`, scrolled into view. Fails with one clear line if the lab, the kernel or a cell does.
    """
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="t2ilab-browser-"))
    try:
        shutil.copy(lesson, tmp / lesson.name)
        with jupyterlab(tmp, env={"T2ILAB_FAST": "1"}) as (base, token), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(timeout * 1000)
                page.goto(f"{base}/lab/tree/{lesson.name}?token={token}")
                page.wait_for_function("() => !!window.jupyterapp")
                page.wait_for_function(
                    "(p) => Array.from(window.jupyterapp.shell.widgets('main')).some(w => w.context?.path === p)",
                    arg=lesson.name)
                if not page.evaluate(_FIND_PANEL, lesson.name):
                    raise RuntimeError(f"JupyterLab did not open {lesson.name}")
                page.wait_for_function(_KERNEL_IDLE)
                page.evaluate(_RUN_ALL)
                page.wait_for_function("() => window.__t2iRunAll !== undefined", polling=500,
                                       timeout=3 * timeout * 1000)
                if not page.evaluate("() => window.__t2iRunAll"):
                    raise AssertionError(f"{lesson.name} failed in the browser: {page.evaluate(_FIRST_ERROR)}")
                if page.evaluate(_MARK_CELL, target) < 0:
                    raise AssertionError(f"no cell of {lesson.name} contains {target!r}")
                yield page, page.locator('[data-t2ilab="target"]')
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def image_src(cell) -> str:
    """The src (a data: URL) of the image a cell displays."""
    return cell.locator(".jp-RenderedImage img").get_attribute("src")


def move_slider(page, cell, key: str = "ArrowLeft", timeout: float = 30) -> float:
    """Press `key` on the cell's slider; milliseconds from the key press to the changed image.

    Measured inside the page with performance.now(); fails if the image does not change in time.
    """
    handle = cell.locator(".widget-slider .noUi-handle")
    handle.focus()
    cell.evaluate(_ARM)
    page.keyboard.press(key)
    try:
        page.wait_for_function("() => window.__t2iMove.t1 !== null", polling=20, timeout=timeout * 1000)
    except Exception:
        raise AssertionError(f"the image did not change within {timeout:.0f} s of pressing {key} on the slider") from None
    return page.evaluate("() => window.__t2iMove.t1 - window.__t2iMove.t0")
