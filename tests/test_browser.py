"""Lesson widgets answer in a real browser: JupyterLab renders the controls, and moving a slider
redraws the image under it (docs/architecture.md, "Lessons")."""
import pytest

from browser import CHROMIUM, LESSON, TARGET, image_src, lesson_in_browser, move_slider

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: apt-get install chromium")


def test_slider_redraws_image_in_jupyterlab():
    with lesson_in_browser() as (page, cell):
        slider = cell.locator(".jupyter-widgets.widget-slider")
        try:
            slider.wait_for(state="visible", timeout=30_000)
        except Exception:
            pytest.fail(f"no visible slider in the cell with {TARGET!r}: is the ipywidgets JupyterLab extension installed?")
        errors = page.get_by_text("Error displaying widget").count()
        assert errors == 0, f"{errors} widget(s) of {LESSON.name} show 'Error displaying widget'"
        readout = slider.locator(".widget-readout")
        value, before = readout.inner_text(), image_src(cell)

        ms = move_slider(page, cell, "ArrowLeft")

        assert readout.inner_text() != value, f"the slider readout stayed at {value} after pressing ArrowLeft"
        assert image_src(cell) != before, "the image under the slider did not change"
        assert 0 < ms < 10_000, f"slider to image took {ms:.0f} ms"
