"""The briefing on disk: the page, one PNG per chart and the numbers as JSON; the DAG's task."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from ..settings import Settings
from ..store import connect
from .charts import render_charts
from .data import Briefing, Period, collect_briefing, day_to_report, period_for_day
from .html import render_html

log = logging.getLogger(__name__)


@dataclass
class BriefingFiles:
    html: Path
    pngs: dict[str, Path]
    data: Path

    def to_dict(self) -> dict[str, Any]:
        return {"html": str(self.html), "pngs": {k: str(v) for k, v in self.pngs.items()}, "data": str(self.data)}


def write_briefing(briefing: Briefing, out_dir: Path) -> BriefingFiles:
    """briefing.html (self-contained), one PNG per chart next to it, and briefing.json (the numbers)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(briefing)
    pngs = {}
    for name, png in charts.items():
        pngs[name] = out_dir / f"{name}.png"
        pngs[name].write_bytes(png)
    page = out_dir / "briefing.html"
    page.write_text(render_html(briefing, charts), encoding="utf-8")
    data = out_dir / "briefing.json"
    data.write_text(json.dumps(briefing.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("briefing %s: %d articles, %d stories, %d alerts -> %s", briefing.period.label, briefing.total,
             briefing.stories_total, len(briefing.alerts), page)
    return BriefingFiles(page, pngs, data)


def make_briefing(es: Elasticsearch, settings: Settings, period: Period, out_dir: Path) -> BriefingFiles:
    return write_briefing(collect_briefing(es, settings, period), out_dir)


def briefing_task(settings: Settings, day: str | None = None, logical_date: datetime | None = None) -> dict[str, Any]:
    """The briefing DAG's task: the report for one UTC day into ``<MEDIAWATCH_BRIEFING_DIR>/<day>/``."""
    period = period_for_day(day_to_report(day, logical_date))
    files = make_briefing(connect(settings), settings, period, settings.briefing_dir / period.label)
    return {"day": period.label, **files.to_dict()}
