"""Lessons and the studio in a real browser: JupyterLab (or Voilà) + headless Chromium (Playwright).

Shared by the browser tests (tests/test_browser.py) and the widget benchmark
(benchmarks/bench_widgets.py). `BrowserLab` is one private JupyterLab serving copies of the lessons
and one Chromium; `BrowserLab.open(name)` opens a lesson, runs every cell (T2ILAB_FAST=1) and
returns a `Notebook` whose helpers find a cell by its source, a control by its description, and
time an action (a key press, a click) to the moment an image of that cell changes. `voila()` serves
the studio page. Every process started here is ended on the way out, also when a test fails.
"""
from __future__ import annotations

import os
import re
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
from collections.abc import Iterator

import psutil

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
STUDIO = ROOT / "t2ilab" / "course" / "studio.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTEFACTS = Path(os.environ.get("T2ILAB_BROWSER_ARTEFACTS", ROOT / "build" / "browser"))
# The source articles' prompt, in Chinese: a grassland under a blue sky with a tree in the middle.
PROMPT_ZH = "我想要一个蓝天下的大草原，中间有一棵树"
# Lab settings for a quiet, predictable page: no news pop-up, no update check (no network here), and
# every cell attached to the page (no windowing), so that what is checked is what a student sees.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": '{"fetchNews": "false", "checkForUpdates": false}',
    "@jupyterlab/notebook-extension/tracker": '{"windowingMode": "none"}',
}
# A widget's text repr, as a kernel without the widget front end prints it: HBox(children=(...
WIDGET_REPR = re.compile(r"\b(?:[HV]?Box|GridBox|Tab|Accordion|Stack|Output|Image|HTML|Label|Button|Text|Textarea|"
                         r"Checkbox|Dropdown|Select\w*|\w*Slider|\w*Progress|ToggleButtons?|RadioButtons)"
                         r"\((?:children|value|description|layout|options|outputs|index)=")


def available() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} missing: apt-get install chromium (or `make setup`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright missing: `make setup` installs it"
    return None


# In-page helpers. They reach the lab through window.jupyterapp (LabApp.expose_app_in_browser,
# the hook JupyterLab's own Playwright tests use) instead of guessing at DOM structure.
_OPEN = """async (path) => {
  const app = window.jupyterapp;
  await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  return true;
}"""
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
_SAVE = "async () => { await window.__t2iPanel.context.save(); return true; }"
_CLOSE = """async (shutdown) => {
  const panel = window.__t2iPanel;
  if (shutdown) await panel.sessionContext.shutdown();
  panel.dispose();
  return true;
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
# Outputs as the model holds them: per cell, the mime types of each output and its text/plain.
_OUTPUTS = """() => window.__t2iPanel.content.widgets.map((c, i) => ({
  cell: i, source: c.model.sharedModel.getSource().slice(0, 80),
  outputs: (c.model.outputs ? c.model.outputs.toJSON() : []).map(o => ({
    type: o.output_type, mimes: Object.keys(o.data || {}),
    text: [].concat((o.data || {})['text/plain'] || o.text || []).join('').slice(0, 200)}))}))"""
_MARK_CELL = """async ([needle, mark]) => {
  const nb = window.__t2iPanel.content;
  const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(needle));
  if (i < 0) return -1;
  nb.widgets[i].node.dataset.t2ilab = mark;
  nb.activeCellIndex = i;
  if (nb.scrollToItem) await nb.scrollToItem(i, 'center');
  return i;
}"""
# Arm one measurement: note the time of the next key press or mouse press, and the time at which
# an image of `root` shows a different src (MutationObserver: the DOM change, before paint).
_ARM = """(root) => {
  const srcs = () => Array.from(root.querySelectorAll('img')).map(i => i.src).join(' ');
  const before = srcs();
  const m = window.__t2iMove = {t0: null, t1: null};
  const start = () => { if (m.t0 === null) m.t0 = performance.now(); };
  document.addEventListener('keydown', start, {capture: true, once: true});
  document.addEventListener('mousedown', start, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (m.t1 === null && srcs() !== before) { m.t1 = performance.now(); obs.disconnect(); }
  });
  obs.observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(proc: subprocess.Popen, url: str, log, timeout: float, what: str, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{what} exited with code {proc.returncode}: {' '.join(tail)}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s") from None
            time.sleep(0.25)


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
        _wait_http(proc, f"{base}/api/status", log, timeout, "JupyterLab", {"Authorization": f"token {token}"})
        yield base, token
    finally:
        stop(proc)
        log.close()


@contextmanager
def voila(notebook: Path, env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Serve `notebook` with Voilà on 127.0.0.1 (the studio page); yields its URL; ends it on exit."""
    port = free_port()
    cmd = [sys.executable, "-m", "t2ilab.cli", "studio", "--port", str(port), "--notebook", str(notebook)]
    runtime = Path(tempfile.mkdtemp(prefix="t2ilab-voila-"))
    log = open(runtime / "voila.log", "w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), **(env or {})})
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http(proc, f"{url}voila/static/voila.js", log, timeout, "Voilà")
        yield url
    finally:
        stop(proc)
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)


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


class BrowserLab:
    """One JupyterLab on copies of the lessons (and the studio notebook) and one headless Chromium."""

    def __init__(self, base: str, token: str, browser, root: Path, artefacts: Path, timeout: float = 120) -> None:
        self.base, self.token, self.browser, self.root = base, token, browser, root
        self.artefacts, self.timeout = artefacts, timeout
        self.kept: set[str] = set()  # notebooks saved after a run, closed with their kernel running
        self.page = self.new_page()

    def new_page(self):
        """A fresh browser page with JupyterLab loaded (a student's new tab)."""
        page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(self.timeout * 1000)
        page.goto(f"{self.base}/lab?token={self.token}")
        page.wait_for_function("() => !!window.jupyterapp && window.jupyterapp.shell")
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        page.wait_for_function("() => window.jupyterapp.commands.hasCommand('docmanager:open')")
        return page

    def open(self, name: str, run_all: bool = True, page=None) -> Notebook:
        """Open a notebook (by its file name) in `page` (default: the shared one); run it all."""
        page = page or self.page
        page.evaluate(_OPEN, name)
        page.wait_for_function(
            "(p) => Array.from(window.jupyterapp.shell.widgets('main')).some(w => w.context?.path === p)", arg=name)
        if not page.evaluate(_FIND_PANEL, name):
            raise RuntimeError(f"JupyterLab did not open {name}")
        nb = Notebook(self, page, name)
        if run_all:
            nb.run_all()
        return nb


class Notebook:
    """A notebook open in one page: run it, find its cells and controls, time what a student does."""

    def __init__(self, lab: BrowserLab, page, name: str) -> None:
        self.lab, self.page, self.name, self.shots = lab, page, name, 0

    def run_all(self) -> None:
        page = self.page
        page.wait_for_function(_KERNEL_IDLE)
        page.evaluate(_RUN_ALL)
        page.wait_for_function("() => window.__t2iRunAll !== undefined", polling=500, timeout=5 * self.lab.timeout * 1000)
        if not page.evaluate("() => window.__t2iRunAll"):
            raise AssertionError(f"{self.name} failed in the browser: {page.evaluate(_FIRST_ERROR)}")
        page.wait_for_function(_KERNEL_IDLE)

    def save(self) -> None:
        self.page.evaluate(_SAVE)

    def close(self, shutdown: bool = True) -> None:
        """Close the notebook's tab and shut its kernel down, or save it first and keep the kernel."""
        self.page.evaluate(_FIND_PANEL, self.name)
        if not shutdown:
            self.save()
            self.lab.kept.add(self.name)
        else:
            self.lab.kept.discard(self.name)
        self.page.evaluate(_CLOSE, shutdown)

    def cell(self, needle: str):
        """The first cell whose source contains `needle`, scrolled into view."""
        mark = f"c{secrets.token_hex(3)}"
        if self.page.evaluate(_MARK_CELL, [needle, mark]) < 0:
            raise AssertionError(f"no cell of {self.name} contains {needle!r}")
        return self.page.locator(f'[data-t2ilab="{mark}"]')

    def problems(self, settle: float = 30) -> list[str]:
        """Widgets that show as plain text or as an error (in the page and in the outputs)."""
        try:  # widget views render a moment after their output arrives
            self.page.wait_for_function("() => !document.body.innerText.includes('Loading widget...')",
                                        polling=200, timeout=settle * 1000)
        except Exception:
            pass
        found = []
        for c in self.page.evaluate(_OUTPUTS):
            for o in c["outputs"]:
                if o["type"] in ("display_data", "execute_result") and "application/vnd.jupyter.widget-view+json" not in o["mimes"] \
                        and WIDGET_REPR.search(o["text"]) and not set(o["mimes"]) - {"text/plain"}:
                    found.append(f"cell {c['cell']} ({c['source'][:40]!r}) shows a widget as text: {o['text'][:60]}")
        for text in ("Error displaying widget", "Loading widget..."):
            n = self.page.get_by_text(text).count()
            if n:
                found.append(f"{n} output(s) show {text!r}")
        shown = self.page.locator(".jp-OutputArea-output").all_inner_texts()
        found += [f"an output reads like a widget repr: {t[:60]!r}" for t in shown if WIDGET_REPR.search(t)]
        return found

    def control(self, cell, description: str, kind: str = ".widget-slider"):
        """The control (slider, text box, ...) of `cell` labelled `description`."""
        label = self.page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        return cell.locator(kind, has=label).first

    def timed(self, root, action, what: str, timeout: float = 30) -> float:
        """Run `action()` (a key press, a click) and return ms until an image under `root` changes."""
        root.evaluate(_ARM)
        action()
        try:
            self.page.wait_for_function("() => window.__t2iMove.t1 !== null", polling=10, timeout=timeout * 1000)
        except Exception:
            raise AssertionError(f"{self.name}: no image changed within {timeout:.0f} s of {what}") from None
        return self.page.evaluate("() => window.__t2iMove.t1 - (window.__t2iMove.t0 ?? window.__t2iMove.t1)")

    def slide(self, cell, description: str, key: str = "ArrowRight", timeout: float = 30) -> float:
        """Press `key` on the slider `description` of `cell`; ms until the cell's image changed."""
        slider = self.control(cell, description)
        slider.wait_for(state="visible")
        handle = slider.locator(".noUi-handle")
        handle.focus()
        return self.timed(cell, lambda: self.page.keyboard.press(key), f"{key} on slider {description!r}", timeout)

    def type_prompt(self, cell, description: str, text: str, timeout: float = 30) -> float:
        """Type `text` into the text box `description` of `cell` and press Enter; ms to the new image."""
        box = self.control(cell, description, ".widget-text").locator("input")
        box.wait_for(state="visible")
        box.fill(text)
        return self.timed(cell, lambda: box.press("Enter"), f"Enter in {description!r}", timeout)

    def readout(self, cell, description: str) -> str:
        return self.control(cell, description).locator(".widget-readout").inner_text()

    def screenshot(self, what: str, locator=None) -> Path:
        """Keep a screenshot (of `locator`, or of the page) as a test artefact; returns its path."""
        self.shots += 1
        path = self.lab.artefacts / f"{Path(self.name).stem}-{self.shots:02d}-{re.sub(r'[^a-z0-9]+', '-', what.lower())}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        (locator or self.page).screenshot(path=str(path))
        return path


@contextmanager
def browser_lab(names: list[str] | None = None, timeout: float = 120) -> Iterator[BrowserLab]:
    """A private JupyterLab on copies of the lessons (all, or `names`) and the studio notebook, with
    one headless Chromium; everything ended on exit."""
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="t2ilab-browser-"))
    try:
        for path in sorted(LESSONS.glob("*.ipynb")):
            if names is None or path.name in names:
                shutil.copy(path, tmp / path.name)
        if STUDIO.exists():
            shutil.copy(STUDIO, tmp / STUDIO.name)
        with jupyterlab(tmp, env={"T2ILAB_FAST": "1"}) as (base, token), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield BrowserLab(base, token, browser, tmp, ARTEFACTS, timeout)
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def chromium() -> Iterator[object]:
    """One headless Chromium (for the studio page without a lab)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def tofu_free(page, locator, text: str) -> bool:
    """Whether `text` is drawn with real glyphs in `locator`'s font, not as missing-glyph boxes.

    Draws `text` and a same-length string of private-use characters (no font has them: each is the
    missing-glyph box) in that font, screenshots both and compares: identical pictures mean boxes.
    """
    family = locator.evaluate("el => getComputedStyle(el).fontFamily")
    shots = []
    for s in (text, "\ue000" * len(text)):
        page.evaluate("""([s, family]) => {
          let d = document.getElementById('t2i-probe');
          if (!d) { d = document.createElement('div'); d.id = 't2i-probe'; document.body.appendChild(d); }
          Object.assign(d.style, {position: 'fixed', top: '0', left: '0', zIndex: 99999, background: 'white',
                                  color: 'black', padding: '4px', fontFamily: family, fontSize: '24px'});
          d.textContent = s;
        }""", [s, family])
        shots.append(page.locator("#t2i-probe").screenshot())
    page.evaluate("() => document.getElementById('t2i-probe')?.remove()")
    return shots[0] != shots[1]
