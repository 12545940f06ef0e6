"""Every lesson's widgets, driven in a real browser as a student would (docs/architecture.md, "Lessons").

One JupyterLab and one headless Chromium serve all the tests (a session fixture). For each lesson
that exists: run all cells, check that no widget shows as plain text or as an error, then drive its
main widget (type a prompt and press Enter, move a slider, rate candidates) and check from the page
that an image changed. Screenshots of each step are kept under the folder printed at the start
(build/browser/, or $T2ILAB_BROWSER_ARTEFACTS). A lesson reopened in a fresh page while its kernel
runs still answers its sliders; the studio page (Voilà) is driven the same way.
"""
from __future__ import annotations

import re

import pytest

from browser import ARTEFACTS, LESSONS, PROMPT_ZH, STUDIO, available, browser_lab, tofu_free

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="session")
def lab(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"browser test screenshots: {ARTEFACTS}")
    with browser_lab() as lab:
        yield lab


def drive_00(nb):
    """Lesson 00: the prompt box. Type the source articles' prompt (Chinese), press Enter."""
    cell = nb.cell("PromptStudio(")
    nb.screenshot("prompt studio as run", cell)
    ms = nb.type_prompt(cell, "prompt", PROMPT_ZH)
    nb.screenshot("after the chinese prompt", cell)
    box = nb.control(cell, "prompt", ".widget-text").locator("input")
    assert box.input_value() == PROMPT_ZH
    assert tofu_free(nb.page, box, PROMPT_ZH), "the Chinese prompt shows as empty boxes: apt install fonts-noto-cjk"
    return ms


def drive_slider(nb, needle: str, description: str, what: str, key: str = "ArrowRight") -> float:
    """Move one slider of the cell whose source holds `needle`; its readout and its image change."""
    cell = nb.cell(needle)
    nb.screenshot(f"{what} as run", cell)
    before = nb.readout(cell, description)
    ms = nb.slide(cell, description, key)  # waits until the cell's image changed
    assert nb.readout(cell, description) != before
    nb.screenshot(f"after moving {description}", cell)
    return ms


def drive_01(nb):
    """Lesson 01: prompt -> tokens -> conditioning; the seed slider samples what the prompt left open."""
    return drive_slider(nb, "ConditioningView(", "seed", "conditioning view")


def drive_02(nb):
    """Lesson 02: the optimal discriminator for the generator's μ_g."""
    return drive_slider(nb, "live_figure(draw_optimal", "μ_g", "optimal discriminator", "ArrowLeft")


def drive_03(nb):
    """Lesson 03: one latent dimension traversed by the value slider."""
    return drive_slider(nb, "live_figure(draw_traversal", "value", "latent traversal", "ArrowLeft")


def drive_04(nb):
    """Lesson 04: like some candidates, press update, and the candidates change (and the γ slider)."""
    gamma = nb.cell("live_figure(draw_gamma")
    ms = nb.slide(gamma, "γ", "ArrowLeft")
    nb.screenshot("after moving gamma", gamma)
    cell = nb.cell("RatingPanel(")
    nb.screenshot("rating panel as run", cell)
    likes = cell.locator("button", has_text=re.compile(r"^\s*like candidate \d+\s*$"))
    assert likes.count() >= 2, "the rating panel shows fewer than two 'like candidate' buttons"
    likes.nth(0).click()
    likes.nth(1).click()
    nb.screenshot("two candidates liked", cell)
    update = cell.locator("button", has_text=re.compile(r"^\s*update\s*$")).first
    nb.timed(cell, lambda: update.click(), "pressing update", timeout=120)
    nb.screenshot("after update", cell)
    return ms


def drive_05(nb):
    """Lesson 05: precision and recall with k neighbours."""
    return drive_slider(nb, "live_figure(draw_toy", "k", "manifolds")


DRIVERS = {"00": drive_00, "01": drive_01, "02": drive_02, "03": drive_03, "04": drive_04, "05": drive_05}


def lesson(number: str) -> str | None:
    found = sorted(LESSONS.glob(f"{number}_*.ipynb"))
    return found[0].name if found else None


@pytest.mark.parametrize("number", sorted(DRIVERS))
def test_lesson_widgets_render_and_answer(lab, number):
    name = lesson(number)
    assert name is not None, f"lesson {number} is missing from lessons/"
    nb = lab.open(name)
    try:
        nb.screenshot("all cells run")
        problems = nb.problems()
        assert not problems, f"{name}: " + "; ".join(problems)
        ms = DRIVERS[number](nb)
        assert 0 <= ms < 120_000
        assert not nb.problems()
    finally:
        nb.close(shutdown=number != "03")  # lesson 03's kernel stays for the reopened page


def test_reopened_lesson_still_answers(lab):
    """A fresh page on a lesson whose kernel runs: the widgets come back from the kernel and answer."""
    name = lesson("03")
    assert name is not None, "lesson 03 is missing from lessons/"
    if name not in lab.kept:  # run it (and keep its kernel) unless the lesson test just did
        lab.open(name).close(shutdown=False)
    page = lab.new_page()
    try:
        nb = lab.open(name, run_all=False, page=page)
        cell = nb.cell("live_figure(draw_toy")
        nb.control(cell, "μ_q").wait_for(state="visible")
        assert not nb.problems()
        nb.slide(cell, "μ_q")
        nb.screenshot("reopened: after moving mu_q", cell)
        prompt = nb.cell("live_figure(draw_prompt")
        nb.type_prompt(prompt, "prompt", "a small blue square at the top")
        nb.screenshot("reopened: after a new prompt", prompt)
        nb.close()
    finally:
        page.close()


def test_studio_page(lab):
    """The studio page (Voilà): type the source articles' prompt, see eight images; move the seed; rate."""
    assert STUDIO.exists(), f"the studio page {STUDIO} is missing"
    from browser import Notebook, voila

    with voila(STUDIO) as url:
        page = lab.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator(".widget-image").first.wait_for(state="visible")
            nb = Notebook(lab, page, "studio")
            root = page.locator("body")
            nb.screenshot("studio as served")
            ms = nb.type_prompt(root, "prompt", PROMPT_ZH)
            nb.screenshot("studio after the chinese prompt")
            assert "8 images" in page.locator(".widget-html", has_text="images generated").first.inner_text()
            assert tofu_free(page, page.locator(".widget-text input").first, PROMPT_ZH)
            nb.slide(root, "seed")
            nb.screenshot("studio after moving the seed")
            assert ms >= 0
            teach = page.locator("button", has_text="rate these candidates")
            assert teach.count() == 1, "the studio page has no 'rate these candidates' button"
            teach.click()
            likes = page.locator("button", has_text=re.compile(r"^\s*like candidate \d+\s*$"))
            likes.first.wait_for(state="visible")
            likes.nth(0).click()
            likes.nth(2).click()
            panel = page.locator(".widget-gridbox").first
            update = page.locator("button", has_text=re.compile(r"^\s*update\s*$")).first
            nb.timed(panel, lambda: update.click(), "pressing update on the studio page", timeout=120)
            page.get_by_text(re.compile(r"round 1 learned")).first.wait_for(state="visible")
            nb.screenshot("studio after rating")
        finally:
            page.close()
