"""The daily briefing: Elasticsearch aggregations -> a Briefing (pure) -> PNG charts + one HTML file.

Numbers come from three searches (the period's summary, the 14-day trend, the alerts of the
period) turned into a :class:`~.data.Briefing` by pure functions (:mod:`.data`); charts
(:mod:`.charts`, with Arabic-aware labels from :mod:`.text`) and the page (:mod:`.html`, a Jinja2
template with autoescaping) only render it; :mod:`.files` writes them and is the DAG's task.
"""

from .data import Briefing, Period, collect_briefing, period_for_day, period_since
from .files import BriefingFiles, briefing_task, make_briefing, write_briefing

__all__ = [
    "Briefing",
    "BriefingFiles",
    "Period",
    "briefing_task",
    "collect_briefing",
    "make_briefing",
    "period_for_day",
    "period_since",
    "write_briefing",
]
