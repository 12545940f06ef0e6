"""Chinese in figures: matplotlib falls back to a CJK font for the glyphs DejaVu Sans lacks.

matplotlib's default font has no Chinese characters, so a Chinese prompt in a title shows as empty
boxes ("Glyph ... missing from font(s) DejaVu Sans"). Since matplotlib 3.6 a list of families is a
fallback chain, glyph by glyph: Latin text keeps DejaVu Sans, Chinese comes from Noto Sans CJK
(Debian's `fonts-noto-cjk`, installed by `make setup`). `use_cjk()` registers the font file (also
when matplotlib's font cache predates the font) and appends it to `font.family`.
"""
from __future__ import annotations

import glob
import os

# Where Debian (fonts-noto-cjk), Fedora/Arch and Homebrew/macOS put a CJK sans font; first found wins.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
SAMPLE = "草地蓝天"  # characters of the source articles' prompt, used to check a font covers Chinese


def cjk_font_file() -> str | None:
    """Path of a font file with Chinese glyphs, or None: $T2ILAB_CJK_FONT, then the usual places."""
    env = os.environ.get("T2ILAB_CJK_FONT")
    if env and os.path.exists(env):
        return env
    for path in CANDIDATES:
        if os.path.exists(path):
            return path
    found = sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK*-Regular.*", recursive=True))
    return found[0] if found else None


def use_cjk() -> str | None:
    """Make matplotlib fall back to a CJK font; returns its family name, or None when there is none.

    Safe to call many times; costs a font-file read the first time only.
    """
    global _family
    if _family is not None:
        return _family or None
    path = cjk_font_file()
    if path is None:
        _family = ""
        return None
    import matplotlib
    from matplotlib import font_manager

    def faces() -> list[str]:
        return [f.name for f in font_manager.fontManager.ttflist if f.fname == path]

    if not faces():  # matplotlib's font cache was built before the font was installed
        font_manager.fontManager.addfont(path)
    names = faces()
    if not names:
        _family = ""
        return None
    name = next((n for n in names if n.endswith(" SC")), names[0])  # Simplified Chinese glyph forms
    families = [f for f in matplotlib.rcParams["font.family"] if f != name]
    matplotlib.rcParams["font.family"] = families + [name]  # a list is a glyph-by-glyph fallback chain
    _family = name
    return name


_family: str | None = None


def covers(text: str = SAMPLE) -> bool:
    """Whether matplotlib, as configured now, finds a font with a glyph for every character of `text`."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    import matplotlib

    props = font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
    faces = [FT2Font(f.path, face_index=f.face_index) if hasattr(f, "face_index") else FT2Font(str(f))
             for f in font_manager.fontManager._find_fonts_by_props(props)]
    return all(any(face.get_char_index(ord(ch)) for face in faces) for ch in text if not ch.isspace())


def pil_font(size: int = 11):
    """A PIL font for text drawn straight into PNGs: the CJK font when there is one (it has Latin
    letters too), else PIL's default, which draws Chinese as boxes."""
    from PIL import ImageFont

    path = cjk_font_file()
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)
