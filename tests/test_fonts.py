"""Chinese prompts are readable in matplotlib figures: the CJK fallback font draws every glyph."""
import io
import warnings

import pytest

from t2ilab import fonts

needs_font = pytest.mark.skipif(fonts.cjk_font_file() is None, reason="no CJK font: apt install fonts-noto-cjk")
PROMPT = "草地上有一棵树，天空是蓝色的"  # the source articles' kind of prompt


@needs_font
def test_chinese_title_draws_without_missing_glyphs():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    assert fonts.use_cjk() is not None
    assert fonts.covers(PROMPT + " a tree -1")
    fig = Figure(figsize=(4, 1))
    fig.suptitle(PROMPT + " (seed 0)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s) DejaVu Sans" would raise here
        fig.savefig(io.BytesIO(), format="png")


@needs_font
def test_latin_text_keeps_the_default_font_first():
    import matplotlib

    name = fonts.use_cjk()
    family = list(matplotlib.rcParams["font.family"])
    assert family[0] == "sans-serif" and family[-1] == name and family.count(name) == 1
    assert fonts.use_cjk() == name and matplotlib.rcParams["font.family"] == family  # twice adds nothing


def test_without_a_font_matplotlib_is_left_alone(monkeypatch):
    import matplotlib

    monkeypatch.setattr(fonts, "_family", None)
    monkeypatch.setattr(fonts, "cjk_font_file", lambda: None)
    before = list(matplotlib.rcParams["font.family"])
    assert fonts.use_cjk() is None
    assert matplotlib.rcParams["font.family"] == before


@needs_font
def test_pil_text_draws_chinese():
    from PIL import Image, ImageDraw

    def ink(text):
        img = Image.new("L", (120, 20), 255)
        ImageDraw.Draw(img).text((2, 2), text, fill=0, font=fonts.pil_font(12))
        return img.tobytes()

    assert ink("草地") != ink("\ue000\ue000")  # real glyphs, not two missing-glyph boxes
