"""Airflow UI links to Kibana: dashboards in the nav, the run's fetch log on dag-run pages."""

from __future__ import annotations

import json

from mediawatch.kibana import saved_objects
from mediawatch.settings import Settings
from mediawatch.uilinks import external_views

SETTINGS = Settings(kibana_url="http://localhost:5601/")


def test_no_kibana_url_no_links() -> None:
    assert external_views(Settings()) == []


def test_dashboard_links_point_at_objects_we_ship() -> None:
    dashboards = {obj["id"] for obj in saved_objects(SETTINGS) if obj["type"] == "dashboard"}
    nav = [view for view in external_views(SETTINGS) if view["destination"] == "nav"]
    assert [view["name"] for view in nav] == ["Russia–Syria coverage", "Feed health"]
    for view in nav:
        assert view["href"].startswith("http://localhost:5601/app/dashboards#/view/")
        assert view["href"].rsplit("/", 1)[1] in dashboards


def test_run_link_filters_the_fetch_log_by_the_run_airflow_fills_in() -> None:
    (run_link,) = [view for view in external_views(SETTINGS) if view["destination"] == "dag_run"]
    assert "{RUN_ID}" in run_link["href"]
    views = {obj["id"] for obj in saved_objects(SETTINGS) if obj["type"] == "index-pattern"}
    assert "mediawatch-fetchlog-dataview" in views and "mediawatch-fetchlog-dataview" in run_link["href"]
    assert len({view["url_route"] for view in external_views(SETTINGS)}) == 3
    json.dumps(external_views(SETTINGS))
