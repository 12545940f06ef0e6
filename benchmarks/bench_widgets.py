"""Slider to image in the browser: a lesson slider moved by key presses in JupyterLab (headless
Chromium), timed from each key press to the changed image -> results/widgets.json.

Run: python benchmarks/bench_widgets.py   (needs /usr/bin/chromium; runs the lesson in fast mode)
"""
from __future__ import annotations

import statistics
import sys

from common import ROOT, write

sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM, LESSON, TARGET, lesson_in_browser, move_slider  # noqa: E402


def slider_to_image_ms(moves: int = 20) -> list[float]:
    """Milliseconds from key press to new image for `moves` one-step moves (down, then back up)."""
    with lesson_in_browser() as (page, cell):
        move_slider(page, cell, "ArrowRight")  # warm-up, not counted: first redraw after the run
        keys = ["ArrowLeft"] * (moves // 2) + ["ArrowRight"] * (moves - moves // 2)
        return [move_slider(page, cell, key) for key in keys]


if __name__ == "__main__":
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} missing: apt-get install chromium (the widget benchmark drives a real browser)")
    times = slider_to_image_ms()
    write("widgets", {
        "slider_to_image_ms": {"median": round(statistics.median(times), 1),
                               "p90": round(statistics.quantiles(times, n=10, method="inclusive")[-1], 1),
                               "min": round(min(times), 1), "max": round(max(times), 1), "moves": len(times)},
        "measured": {"notebook": f"lessons/{LESSON.name}", "cell": TARGET + ", ...)",
                     "slider": "FloatSlider 'value' (step 0.25), arrow keys on the focused handle",
                     "from": "keydown in the page", "to": "the output's <img> src changes (MutationObserver)",
                     "browser": "headless Chromium via Playwright, JupyterLab, T2ILAB_FAST=1"},
    })
