"""Chart text: labels matplotlib draws correctly in Arabic, Russian and English.

matplotlib 3.11 lays text out with libraqm (HarfBuzz shaping + FriBiDi), so Arabic labels are
passed through as they are; reshaping and reordering them beforehand, as older matplotlib
needed, makes libraqm reverse them a second time (checked: letters come out reversed and
disjoined). Whether matplotlib shapes is probed once (:func:`matplotlib_shapes_arabic`); only if
it does not are labels shaped with arabic_reshaper (configured for the chart font's glyphs) and
put in visual order with python-bidi. The chart font is DejaVu Sans (bundled with matplotlib,
Arabic and Cyrillic glyphs).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..constants import NATIVE_NAMES

# DejaVu Sans ships with matplotlib and covers Arabic presentation forms and Cyrillic.
CHART_FONT = "DejaVu Sans"
ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


@lru_cache(maxsize=1)
def chart_font_path() -> str:
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(family=CHART_FONT), fallback_to_default=False)


@lru_cache(maxsize=1)
def _reshaper() -> Any:
    import arabic_reshaper

    config = arabic_reshaper.config_for_true_type_font(chart_font_path(), arabic_reshaper.ENABLE_ALL_LIGATURES)
    return arabic_reshaper.ArabicReshaper(configuration=config)


def is_arabic(text: str) -> bool:
    return bool(ARABIC.search(text))


@lru_cache(maxsize=1)
def matplotlib_shapes_arabic() -> bool:
    """Whether matplotlib shapes Arabic and orders it right to left by itself (libraqm, 3.11+).

    Probed, not assumed from a version: lay out beh + teh and check that beh got a contextual
    glyph (not its plain one) and sits to the right of teh.
    """
    try:
        from matplotlib._text_helpers import layout
        from matplotlib.ft2font import FT2Font

        font = FT2Font(chart_font_path())
        font.set_size(12, 72)
        items = {item.char: item for item in layout("\u0628\u062a", font)}
        beh, teh = items["\u0628"], items["\u062a"]
        glyph = getattr(beh, "glyph_index", getattr(beh, "glyph_idx", None))
        return glyph != font.get_char_index(0x0628) and beh.x > teh.x
    except (ImportError, AttributeError, KeyError, TypeError):
        return False


def chart_label(text: str, width: int = 0) -> str:
    """A label matplotlib draws correctly. ``width`` truncates (in logical order) first.

    Arabic is left to matplotlib when it shapes text itself; otherwise it is shaped (contextual
    forms, lam-alef) and put in visual right-to-left order here. Other text is unchanged.
    """
    text = " ".join(text.split())
    if width and len(text) > width:
        text = text[:width - 1].rstrip() + "…"
    if not is_arabic(text) or matplotlib_shapes_arabic():
        return text
    from bidi import get_display

    return get_display(_reshaper().reshape(text))


def missing_glyphs(text: str) -> set[str]:
    """Characters of a (display) label the chart font cannot draw: they would show as boxes."""
    charmap = _charmap(chart_font_path())
    return {c for c in text if not c.isspace() and ord(c) not in charmap}


@lru_cache(maxsize=2)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def language_label(code: str) -> str:
    return f"{code} · {chart_label(NATIVE_NAMES.get(code, code))}"
