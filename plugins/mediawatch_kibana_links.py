"""Airflow plugin: links from the Airflow UI to MediaWatch's Kibana dashboards.

Set MEDIAWATCH_KIBANA_URL (as seen from the operator's browser, e.g. http://localhost:5601);
without it the plugin adds nothing.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from mediawatch.settings import load_settings
from mediawatch.uilinks import external_views


class MediaWatchKibanaLinks(AirflowPlugin):
    name = "mediawatch_kibana_links"
    external_views = external_views(load_settings())
