"""The panel tables of ``seeds/kibana/PANELS.md``, from the same specs as the saved objects."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..settings import DEFAULT_SEEDS_DIR, Settings
from .dashboards import DASHBOARDS, DATA_VIEWS
from .fieldcheck import kql_fields
from .render import NDJSON_NAME, all_searches, titled, write_ndjson
from .specs import RECORDS, Dashboard, MapPanel, Panel, SearchPanel

KIBANA_DIR = DEFAULT_SEEDS_DIR / "kibana"
PANELS_NAME = "PANELS.md"


def _spec_fields(panel: Panel) -> list[str]:
    """The fields one panel uses, in reading order."""
    if isinstance(panel, SearchPanel):
        search = panel.search
        names = [*kql_fields(search.kql), *search.columns, *(name for name, _ in search.sort)]
    elif isinstance(panel, MapPanel):
        names = [panel.geo_field]
    else:
        names = [*(b.field for b in panel.buckets), *(m.field for m in panel.metrics), *kql_fields(panel.kql),
                 *(name for m in panel.metrics for name in kql_fields(m.kql))]
    return list(dict.fromkeys(name for name in names if name != RECORDS))


def _cells(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _panel_row(panel: Panel) -> str:
    spec = panel.search if isinstance(panel, SearchPanel) else panel
    fields_text = _cells(_spec_fields(panel)) or "— (document count)"
    return f"| {spec.title} | {spec.question} | {spec.view} | {fields_text} |"


def _dashboard_section(settings: Settings, dashboard: Dashboard) -> list[str]:
    controls = ", ".join(f"{label} (`{name}`)" for name, label in dashboard.controls) or "none"
    return [f"## {titled(settings, dashboard.title)}", "", dashboard.description, "",
            f"Query: `{dashboard.kql or '(none)'}` · time range: `{dashboard.time_from}` to `now` ·"
            f" controls: {controls}", "",
            "| Panel | Question it answers | Data view | Fields used |", "|---|---|---|---|",
            *(_panel_row(panel) for panel in dashboard.panels), ""]


NO_TIME_FIELD = "(none: current state, not filtered by the time range)"


def panels_markdown(settings: Settings) -> str:
    """The README's dashboard tables, from the same specs as the saved objects."""
    lines = ["# Kibana dashboards and saved searches", "",
             "Generated with `seeds/kibana/mediawatch.ndjson` by `python -m mediawatch.kibana`; do not edit.",
             "`tests/test_kibana.py` checks every field below against the live mapping (`_field_caps`).", ""]
    for dashboard in DASHBOARDS:
        lines += _dashboard_section(settings, dashboard)
    lines += ["## Saved searches", "", "| Saved search | Question it answers | Query | Columns |",
              "|---|---|---|---|"]
    lines += [f"| {s.title} | {s.question} | `{s.kql}` | {_cells(s.columns)} |" for s in all_searches()]
    lines += ["", "## Data views", "", "| Data view | Index pattern | Time field |", "|---|---|---|"]
    lines += [f"| MediaWatch {v.label} | `{settings.index(v.name)}` | {v.time_field or NO_TIME_FIELD} |"
              for v in DATA_VIEWS]
    return "\n".join(lines) + "\n"


def write_files(settings: Settings, directory: Path = KIBANA_DIR) -> list[Path]:
    """Regenerate the committed NDJSON and panel table."""
    panels = directory / PANELS_NAME
    ndjson = write_ndjson(directory / NDJSON_NAME, settings)
    panels.write_text(panels_markdown(settings), encoding="utf-8")
    return [ndjson, panels]
