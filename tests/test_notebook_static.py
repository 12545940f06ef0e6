"""Committed notebooks read statically too: a repository page shows pictures, never a widget's text
repr (`HBox(children=(FloatSlider(value=1.5, …`) and never a widget view that needs a kernel."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "lessons").glob("*.ipynb")) + [ROOT / "t2ilab" / "course" / "studio.ipynb"]
VIEW = "application/vnd.jupyter.widget-view+json"
# A widget's repr: its class name, then one of the keyword arguments ipywidgets' repr starts with.
WIDGET_REPR = re.compile(r"\b(?:[HV]?Box|GridBox|Tab|Accordion|Stack|Output|Image|HTML|HTMLMath|Label|Button|Text|Textarea|"
                         r"Checkbox|Dropdown|Select\w*|\w*Slider|\w*Progress|ToggleButtons?|RadioButtons|Play)"
                         r"\((?:children|value|description|layout|options|outputs|index|format)=")
# Calls whose cell shows an interactive view: its committed output must hold a picture (or HTML).
VIEWS = ("live_figure(", "LiveFigure(", "ButtonTask(", "PromptStudio(", "ConditioningView(", "RatingPanel(")


def outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            yield i, "".join(cell["source"]), cell.get("outputs", [])


def text(output) -> str:
    data = output.get("data", {})
    return "".join(data.get("text/plain", "")) + "".join(output.get("text", ""))


def test_the_pattern_catches_a_widget_repr_and_not_prose():
    assert WIDGET_REPR.search("HBox(children=(FloatSlider(value=1.5, description='μ_g', max=3.0),))")
    assert WIDGET_REPR.search("IntSlider(value=3, description='k', max=10, min=1)")
    assert WIDGET_REPR.search("VBox(children=(HBox(children=(Dropdown(description='loss'")
    assert not WIDGET_REPR.search("8 images the VAE draws for “a big red circle”, seed 0")
    assert not WIDGET_REPR.search("Image(s) of the model (value = 3)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_output_is_a_widget_text_repr(path):
    found = [f"cell {i}: {text(o)[:70]!r}" for i, _, outs in outputs(path) for o in outs if WIDGET_REPR.search(text(o))]
    assert not found, f"{path.name} shows widgets as text (display them with course.widgets, or strip them): {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_output_needs_a_kernel_to_show(path):
    found = [f"cell {i}" for i, _, outs in outputs(path) for o in outs if VIEW in o.get("data", {})]
    assert not found, (f"{path.name}: widget views left in {found} ('Error displaying widget' without a kernel): "
                       "execute with `python -m t2ilab.course.execute`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_interactive_view_has_a_static_picture(path):
    missing = []
    for i, source, outs in outputs(path):
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("#", "from ", "import ")))
        if any(v in code for v in VIEWS) and not any({"image/png", "text/html"} & set(o.get("data", {})) for o in outs):
            missing.append(f"cell {i} ({source.strip().splitlines()[-1][:50]!r})")
    if path.name == "studio.ipynb":
        assert not any(outs for _, _, outs in outputs(path)), "the studio notebook is committed without outputs"
        return
    assert not missing, f"{path.name}: interactive views without a static picture: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_picture_has_alt_text(path):
    bare = [f"cell {i}" for i, source, outs in outputs(path) for o in outs
            if any(v in source for v in VIEWS) and "image/png" in o.get("data", {})
            and (not text(o).strip() or text(o).startswith("<"))]
    assert not bare, f"{path.name}: pictures of interactive views whose text is not an alt text: {bare}"
