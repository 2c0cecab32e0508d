"""Links from the Airflow UI to the Kibana dashboards and to what a run produced."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .kibana import COVERAGE, FEED_HEALTH, dashboard_id, data_view_id
from .settings import Settings


def dashboard_url(kibana_url: str, settings: Settings, key: str) -> str:
    return f"{kibana_url.rstrip('/')}/app/dashboards#/view/{dashboard_id(settings, key)}"


def run_fetchlog_url(kibana_url: str, settings: Settings) -> str:
    """Discover over the fetch log of one run; Airflow replaces {RUN_ID} on dag-run pages."""
    state = (f"(dataSource:(dataViewId:'{data_view_id(settings, 'fetchlog')}',type:dataView),"
             "query:(language:kuery,query:'run_id:\"{RUN_ID}\"'))")
    return f"{kibana_url.rstrip('/')}/app/discover#/?_g=(time:(from:now-30d,to:now))&_a={quote(state, safe='(),:{}')}"


def external_views(settings: Settings) -> list[dict[str, Any]]:
    """Airflow 3 plugin ``external_views``: two dashboards in the nav, the run's fetch log per run."""
    if not settings.kibana_url:
        return []
    return [
        {"name": "Russia–Syria coverage", "href": dashboard_url(settings.kibana_url, settings, COVERAGE.key),
         "destination": "nav", "category": "browse", "url_route": "mediawatch-coverage"},
        {"name": "Feed health", "href": dashboard_url(settings.kibana_url, settings, FEED_HEALTH.key),
         "destination": "nav", "category": "browse", "url_route": "mediawatch-feed-health"},
        {"name": "Feeds of this run (Kibana)", "href": run_fetchlog_url(settings.kibana_url, settings),
         "destination": "dag_run", "url_route": "mediawatch-run-fetchlog"},
    ]
