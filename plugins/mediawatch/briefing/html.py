"""The briefing page: one self-contained HTML file from the Jinja2 template ``templates/briefing.html``.

Autoescaping is on for the whole template, so titles, outlets and URLs from the articles are
always escaped; this module only prepares rows of plain values. Charts are embedded as base64 PNG.
Titles keep their own direction (``lang`` and ``dir="auto"``); the browser shapes Arabic.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..constants import NATIVE_NAMES, TONE_FIELDS
from .data import TREND_DAYS, Briefing

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = "briefing.html"
CHART_ALTS = {"volume": "Articles by language and outlet kind; hourly volume",
              "tone": "Tone toward Russia and Syria, 14 days and this period",
              "entities": "Top entities and co-mentions", "stories": "Top stories by number of outlets"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _tone_rows(b: Briefing) -> list[dict[str, Any]]:
    rows = []
    for target in TONE_FIELDS:
        for lang in b.ordered_languages():
            now, before = b.tone.get(target, {}).get(lang), b.trend_mean(target, lang)
            change = now.mean - before.mean if now and now.mean is not None and before.mean is not None else None
            rows.append({"target": target, "language": lang, "now": now, "before": before, "change": change})
    return rows


def render_html(b: Briefing, charts: dict[str, bytes]) -> str:
    """One self-contained page: inline CSS, charts embedded as base64 PNG."""
    images = {name: base64.b64encode(png).decode("ascii") for name, png in charts.items()}
    return environment().get_template(TEMPLATE_NAME).render(
        b=b, languages=b.ordered_languages(), kinds=sorted(b.kinds, key=lambda k: -b.kinds[k]),
        native_names=NATIVE_NAMES, tone_rows=_tone_rows(b), trend_days=TREND_DAYS, charts=images,
        chart_alts=CHART_ALTS)
