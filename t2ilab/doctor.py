"""`t2ilab doctor`: what is there and what is missing, in plain lines, each with its fix."""
from __future__ import annotations

import importlib.util
import shutil
import sys

from .errors import T2ILabError


def checks() -> list[tuple[bool, bool, str]]:
    """(ok, required, line) for each thing the course needs."""
    out: list[tuple[bool, bool, str]] = []
    out.append((sys.version_info >= (3, 10), True, f"Python {sys.version.split()[0]} (3.10 or newer needed)"))
    try:
        import torch

        from .device import cpu_threads, device

        dev = device()
        name = torch.cuda.get_device_name(0) if dev.type == "cuda" else dev.type
        out.append((True, True, f"torch {torch.__version__} on {name}, {torch.get_num_threads()} CPU threads "
                                f"(container allows {cpu_threads()})"))
    except Exception as e:  # doctor reports, never crashes
        out.append((False, True, f"torch is not usable ({e}): run `make setup`"))
    has_widgets = importlib.util.find_spec("ipywidgets") is not None
    out.append((has_widgets, True, "ipywidgets installed" if has_widgets else "ipywidgets missing: run `make setup`"))
    ext = importlib.util.find_spec("jupyterlab_widgets") is not None
    out.append((ext, True, "widgets extension for JupyterLab installed" if ext
                else "JupyterLab widgets extension missing: pip install jupyterlab_widgets (or `make setup`)"))
    try:
        from .data.fashion import find_fashion_dir

        out.append((True, False, f"Fashion-MNIST found in {find_fashion_dir(download=False)}"))
    except Exception as e:
        out.append((False, False, f"Fashion-MNIST not found: {e}"))
    from . import hub

    try:
        shipped = hub.manifest()
    except T2ILabError as e:  # missing or invalid manifest: one line, "reinstall"
        shipped, bad = {}, [str(e)]
        out.append((False, True, str(e)))
    else:
        bad = [n for n, e in shipped.items() if not (hub.WEIGHTS / e["file"]).exists()
               or hub.sha256(hub.WEIGHTS / e["file"]) != e["sha256"]]
        out.append((not bad, True, f"{len(shipped)} shipped models verified (sha256)" if not bad
                    else f"shipped weights damaged: {', '.join(bad)}: reinstall t2ilab or run `make pretrained`"))
    out.append(cjk_check())
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    out.append((bool(chromium), False, f"Chromium for the browser test: {chromium}" if chromium
                else "Chromium not found (only the browser test needs it): apt install chromium"))
    return out


def cjk_check() -> tuple[bool, bool, str]:
    """A font with Chinese glyphs that matplotlib falls back to (else Chinese prompts show as boxes)."""
    from .fonts import SAMPLE, cjk_font_file, covers, use_cjk

    path = cjk_font_file()
    if path is None:
        return (False, False, "no Chinese font: Chinese prompts show as empty boxes in figures: "
                              "apt install fonts-noto-cjk (or `make setup`), or set T2ILAB_CJK_FONT to a .ttf/.ttc")
    try:
        family = use_cjk()
        ok = family is not None and covers(SAMPLE)
    except Exception as e:  # doctor reports, never crashes
        return (False, False, f"Chinese font {path} not usable by matplotlib ({e})")
    return (ok, False, f"Chinese in figures: matplotlib falls back to {family} ({path})" if ok
            else f"Chinese font {path} found but matplotlib does not draw {SAMPLE!r} with it")


def doctor() -> int:
    """Print each check; exit code 1 when something required is missing."""
    failed = False
    for ok, required, line in checks():
        print(f"{'ok  ' if ok else ('MISS' if required else 'note')}  {line}")
        failed |= required and not ok
    return 1 if failed else 0
