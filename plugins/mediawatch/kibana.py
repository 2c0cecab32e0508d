"""Kibana 9 saved objects, generated from code so they stay in step with the index mapping.

Data views, saved searches, a map and two dashboards ("Russia–Syria coverage", "Feed health")
are declared below as small specs (:class:`Chart`, :class:`SavedSearch`, :class:`MapPanel`,
:class:`Dashboard`) and turned into the saved-object JSON Kibana imports. The same specs give
the NDJSON committed in ``seeds/kibana/`` and the panel table for the README; :func:`field_uses`
reads the generated objects back and lists every field a panel, search, control or map layer
touches, so the tests can hold each one against the live mapping (``_field_caps``).

Shapes follow Kibana's own exports: ``coreMigrationVersion`` 8.8.0 (core migrations stopped
there when model versions took over) and, per type, a ``typeMigrationVersion`` from before the
model versions, so any 9.x Kibana migrates the objects forward on import. A version newer than
the running Kibana knows would be refused.

    python -m mediawatch.kibana          # regenerate seeds/kibana/ for the default settings
    python -m mediawatch setup --kibana http://localhost:5601
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .settings import DEFAULT_SEEDS_DIR, Settings

KIBANA_DIR = DEFAULT_SEEDS_DIR / "kibana"
NDJSON_NAME = "mediawatch.ndjson"
PANELS_NAME = "PANELS.md"
DEFAULT_PREFIX = Settings.index_prefix
# Kibana 9 exports still carry core 8.8.0. Per type we pin the last legacy (pre-model-version)
# migration rather than a 9.x model version (10.N.0): Kibana migrates older objects forward on
# import but refuses versions it does not know, so these import into every 9.x.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {"index-pattern": "8.0.0", "search": "8.0.0", "map": "8.4.0", "dashboard": "8.9.0"}
GRID_COLUMNS = 48  # dashboards lay panels out on a 48-column grid
RECORDS = "___records___"  # Lens's pseudo-field for "count of documents"
IMPORT_TIMEOUT_S = 60.0
# Watchlist ids of the two countries, as in enrich.relevance.SIDES (Wikidata Q159, Q858).
RUSSIA, SYRIA = "Q159", "Q858"


# --- specs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataView:
    name: str  # index name after the prefix: articles, feeds, ...
    label: str
    time_field: str | None
    formats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One Lens metric column: count, average, sum, max or unique_count of a field."""

    op: str
    field: str = RECORDS
    label: str = ""
    kql: str = ""  # column filter, e.g. status:failed


@dataclass(frozen=True)
class Bucket:
    """One Lens bucket column: a date histogram or the top ``size`` terms of a keyword field."""

    op: str
    field: str
    label: str = ""
    size: int = 10
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A by-value Lens panel: ``vis`` is xy, table, pie or metric."""

    key: str
    title: str
    question: str
    view: str
    vis: str
    metrics: tuple[Metric, ...]
    buckets: tuple[Bucket, ...] = ()
    series: str = "bar_stacked"
    kql: str = ""
    size: tuple[int, int] = (24, 15)


@dataclass(frozen=True)
class SavedSearch:
    key: str
    title: str
    question: str
    view: str
    kql: str
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SearchPanel:
    search: SavedSearch
    size: tuple[int, int] = (48, 18)

    @property
    def key(self) -> str:
        return self.search.key


@dataclass(frozen=True)
class MapPanel:
    """A map saved object (clusters of a geo_point field) shown by reference on a dashboard."""

    key: str
    title: str
    question: str
    view: str
    geo_field: str
    size: tuple[int, int] = (24, 20)


Panel = Chart | SearchPanel | MapPanel


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    time_from: str = "now-7d"
    kql: str = ""
    controls: tuple[tuple[str, str], ...] = ()  # (field, label) options lists on control_view
    control_view: str = "articles"


DATA_VIEWS = (
    DataView("articles", "articles", "published_at",
             {"url": {"id": "url", "params": {"type": "a", "openLinkInCurrentTab": False}}}),
    DataView("feeds", "feed state (one document per feed)", None),
    DataView("fetchlog", "feed fetch log (one document per feed and run)", "fetched_at"),
    DataView("runs", "pipeline runs", "started_at"),
    DataView("alerts", "coverage alerts", "created_at"),
)

ARTICLE_COUNT = Metric("count", label="Articles")
BY_DAY = Bucket("date_histogram", "published_at", "Published")
BY_LANGUAGE = Bucket("terms", "language", "Language", size=3)
LATEST_FIRST = (("published_at", "desc"),)

ARTICLE_COLUMNS = ("source", "country", "title", "url", "topics", "sentiment_label")
LATEST_RELEVANT = SavedSearch(
    "latest-relevant", "Latest relevant articles",
    "What are the newest Russia–Syria articles? (the url column links to each article)",
    "articles", "relevant:true", ("source", "language", "kind", "title", "url"), LATEST_FIRST)
RELEVANT_AR = SavedSearch(
    "relevant-ar", "Relevant articles in Arabic",
    "What do Arabic-language outlets publish on Russia–Syria?",
    "articles", "relevant:true and language:ar", ARTICLE_COLUMNS, LATEST_FIRST)
RELEVANT_RU = SavedSearch(
    "relevant-ru", "Relevant articles in Russian",
    "What do Russian-language outlets publish on Russia–Syria?",
    "articles", "relevant:true and language:ru", ARTICLE_COLUMNS, LATEST_FIRST)
NEGATIVE_TONE = SavedSearch(
    "negative-tone", "Negative tone", "Which relevant articles read most negative, and toward whom?",
    "articles", "relevant:true and sentiment_label:negative",
    ("source", "language", "title", "url", "sentiment_score", "tone_russia", "tone_syria"),
    (("sentiment_score", "asc"),))
FAILING_FEEDS = SavedSearch(
    "failing-feeds", "Failing feeds", "Which feeds fail right now, since when, and with what error?",
    "feeds", "status:failed",
    ("feed_id", "last_error", "failing_since", "consecutive_failures", "http_status", "last_fetch_at"),
    (("failing_since", "asc"),))


def _top(key: str, title: str, question: str, field_name: str, label: str, kql: str = "",
         exclude: tuple[str, ...] = (), size: tuple[int, int] = (16, 15)) -> Chart:
    """A horizontal bar chart of the 15 most frequent values of a facet."""
    return Chart(key, title, question, "articles", "xy", (ARTICLE_COUNT,),
                 (Bucket("terms", field_name, label, 15, exclude),), "bar_horizontal", kql, size)


def _over_time(key: str, title: str, question: str, metric: Metric, split: Bucket,
               series: str = "bar_stacked", size: tuple[int, int] = (24, 15)) -> Chart:
    """A metric per time bucket of ``published_at``, one series per value of ``split``."""
    return Chart(key, title, question, "articles", "xy", (metric,), (BY_DAY, split), series, size=size)


def _headline(key: str, title: str, question: str, view: str, metric: Metric, kql: str = "") -> Chart:
    """A single number across the top of a dashboard."""
    return Chart(key, title, question, view, "metric", (metric,), kql=kql, size=(12, 6))


def _tone(country: str, field_name: str) -> Metric:
    return Metric("average", field_name, f"Average tone toward {country}")


COVERAGE = Dashboard(
    "coverage", "Russia–Syria coverage",
    "Relevant Russia–Syria coverage in Arabic, Russian and English outlets: volume, tone, people, topics"
    " and places. The query relevant:true keeps the articles about Russia–Syria relations; clear it to"
    " see every fetched article.",
    kql="relevant:true",
    controls=(("language", "Language"), ("source", "Outlet"), ("country", "Country"), ("topics", "Topic")),
    panels=(
        _headline("coverage-articles", "Relevant articles",
                  "How many relevant articles appeared in the time range?", "articles", ARTICLE_COUNT),
        _headline("coverage-outlets", "Outlets", "How many outlets covered Russia–Syria?", "articles",
                  Metric("unique_count", "source", "Outlets")),
        _headline("coverage-tone-russia-avg", "Tone toward Russia",
                  "How warm or cold is the coverage of Russia overall?", "articles",
                  _tone("Russia", "tone_russia")),
        _headline("coverage-tone-syria-avg", "Tone toward Syria",
                  "How warm or cold is the coverage of Syria overall?", "articles",
                  _tone("Syria", "tone_syria")),
        _over_time("coverage-volume-language", "Volume by language",
                   "How much did Arabic, Russian and English media publish, and when?",
                   ARTICLE_COUNT, BY_LANGUAGE),
        _over_time("coverage-volume-kind", "Volume by outlet kind",
                   "How much came from state, private, opposition and international outlets and from"
                   " search feeds?", ARTICLE_COUNT, Bucket("terms", "kind", "Outlet kind", size=5)),
        _over_time("coverage-tone-russia", "Tone toward Russia by language",
                   "Do Arabic, Russian and English media portray Russia differently, and is it changing?",
                   _tone("Russia", "tone_russia"), BY_LANGUAGE, "line"),
        _over_time("coverage-tone-syria", "Tone toward Syria by language",
                   "Do Arabic, Russian and English media portray Syria differently, and is it changing?",
                   _tone("Syria", "tone_syria"), BY_LANGUAGE, "line"),
        _top("coverage-persons", "Top persons", "Who is mentioned most?", "persons", "Person"),
        _top("coverage-organizations", "Top organizations", "Which organizations are mentioned most?",
             "organizations", "Organization"),
        _top("coverage-locations", "Top locations", "Which places are mentioned most?",
             "locations", "Location"),
        _top("coverage-with-russia", "Mentioned together with Russia",
             "Who and what appears in the articles that mention Russia?", "entity_names", "Entity",
             f'entity_ids:"{RUSSIA}"', ("Russia",), (24, 15)),
        _top("coverage-with-syria", "Mentioned together with Syria",
             "Who and what appears in the articles that mention Syria?", "entity_names", "Entity",
             f'entity_ids:"{SYRIA}"', ("Syria",), (24, 15)),
        _over_time("coverage-topics", "Topics over time",
                   "Which themes (bases, wheat, debt, reconstruction...) dominate, and when?",
                   ARTICLE_COUNT, Bucket("terms", "topics", "Topic", size=16), size=(32, 15)),
        Chart("coverage-sentiment", "Sentiment mix",
              "What share of the coverage is positive, neutral or negative?", "articles", "pie",
              (ARTICLE_COUNT,), (Bucket("terms", "sentiment_label", "Sentiment", size=3),), size=(16, 15)),
        MapPanel("coverage-map", "Mentioned locations", "Where are the places the coverage talks about?",
                 "articles", "location_points"),
        _top("coverage-outlets-top", "Top outlets", "Which outlets publish most on Russia–Syria?",
             "source", "Outlet", size=(24, 20)),
        SearchPanel(LATEST_RELEVANT, (48, 20)),
    ),
)

RUN_TIME = Bucket("date_histogram", "started_at", "Started")
FEED_HEALTH = Dashboard(
    "feed-health", "Feed health",
    "Which feeds fail, since when and why; what each feed and each pipeline run delivered. The"
    " failing-feeds panels read the current feed state and ignore the time range.",
    time_from="now-2d",
    panels=(
        _headline("health-failing-now", "Failing feeds now", "How many feeds are failing right now?",
                  "feeds", Metric("count", label="Failing feeds"), "status:failed"),
        _headline("health-runs", "Runs", "How many pipeline runs finished in the time range?", "runs",
                  Metric("count", label="Runs")),
        _headline("health-new-articles", "New articles", "How many new articles did those runs index?",
                  "runs", Metric("sum", "articles_new", "New articles")),
        _headline("health-failed-fetches", "Failed fetches",
                  "How many feed fetches failed in the time range?", "fetchlog",
                  Metric("count", label="Failed fetches"), "status:failed"),
        Chart("health-fetch-status", "Feed fetches by status",
              "Run after run, how many feeds were fetched ok, unchanged (not_modified) or failed?",
              "fetchlog", "xy", (Metric("count", label="Fetches"),),
              (Bucket("date_histogram", "fetched_at", "Fetched"),
               Bucket("terms", "status", "Status", size=3)),
              size=(48, 15)),
        SearchPanel(FAILING_FEEDS, (48, 14)),
        Chart("health-per-feed", "Articles per feed",
              "What did each feed deliver: new articles, entries seen, fetches, failures, fetch time?",
              "fetchlog", "table",
              (Metric("sum", "new", "New articles"), Metric("sum", "seen", "Entries seen"),
               Metric("count", label="Fetches"), Metric("count", label="Failed fetches", kql="status:failed"),
               Metric("average", "elapsed_ms", "Average fetch time (ms)")),
              (Bucket("terms", "feed_id", "Feed", size=100),), size=(48, 18)),
        Chart("health-run-duration", "Run durations", "Are pipeline runs getting slower?", "runs", "xy",
              (Metric("average", "duration_s", "Average duration (s)"),
               Metric("max", "duration_s", "Longest run (s)")),
              (RUN_TIME,), "line"),
        Chart("health-run-articles", "Articles per run",
              "What did the runs add: new, updated, duplicate and rejected articles?", "runs", "xy",
              tuple(Metric("sum", f"articles_{kind}", kind.capitalize())
                    for kind in ("new", "updated", "duplicate", "rejected")),
              (RUN_TIME,)),
    ),
)

DASHBOARDS = (COVERAGE, FEED_HEALTH)
SAVED_SEARCHES = (RELEVANT_AR, RELEVANT_RU, NEGATIVE_TONE, LATEST_RELEVANT, FAILING_FEEDS)


# --- ids and titles ----------------------------------------------------------------------------

def _titled(settings: Settings, title: str) -> str:
    """A non-default prefix is named in titles, so two deployments can share one Kibana."""
    return title if settings.index_prefix == DEFAULT_PREFIX else f"{title} [{settings.index_prefix}]"


def data_view_id(settings: Settings, view: str) -> str:
    return f"{settings.index_prefix}-{view}-dataview"


def _search_id(settings: Settings, search: SavedSearch) -> str:
    return f"{settings.index_prefix}-search-{search.key}"


def _map_id(settings: Settings, panel: MapPanel) -> str:
    return f"{settings.index_prefix}-map-{panel.key}"


def dashboard_id(settings: Settings, key: str) -> str:
    return f"{settings.index_prefix}-{key}-dashboard"


def _ref(name: str, kind: str, object_id: str) -> dict[str, str]:
    return {"name": name, "type": kind, "id": object_id}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _kql(query: str) -> dict[str, str]:
    return {"query": query, "language": "kuery"}


def _saved_object(kind: str, object_id: str, attributes: dict[str, Any],
                  references: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": object_id, "type": kind, "attributes": attributes, "references": references,
            "coreMigrationVersion": CORE_MIGRATION_VERSION,
            "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[kind], "managed": False}


# --- data views, saved searches, map -----------------------------------------------------------

def data_view_object(settings: Settings, view: DataView) -> dict[str, Any]:
    """A data view on the alias (never a concrete ``-vN`` index), so a migration doesn't break it."""
    attributes: dict[str, Any] = {
        "title": settings.index(view.name), "name": _titled(settings, f"MediaWatch {view.label}"),
        "fieldFormatMap": _json(view.formats), "fieldAttrs": "{}", "runtimeFieldMap": "{}",
        "sourceFilters": "[]", "fields": "[]", "typeMeta": "{}", "allowHidden": False,
    }
    if view.time_field:
        attributes["timeFieldName"] = view.time_field
    return _saved_object("index-pattern", data_view_id(settings, view.name), attributes, [])


def saved_search_object(settings: Settings, search: SavedSearch) -> dict[str, Any]:
    """A Discover session: query, columns and sort over one data view named by ``indexRefName``."""
    source = {"query": _kql(search.kql), "filter": [], "highlightAll": True, "version": True,
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    attributes = {
        "title": _titled(settings, search.title), "description": search.question,
        "columns": list(search.columns), "sort": [list(pair) for pair in search.sort], "grid": {},
        "hideChart": False, "isTextBasedQuery": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _json(source)},
    }
    references = [_ref(source["indexRefName"], "index-pattern", data_view_id(settings, search.view))]
    return _saved_object("search", _search_id(settings, search), attributes, references)


# Between Moscow and Damascus, so both countries are in view.
MAP_CENTER = {"lat": 42.0, "lon": 42.0, "zoom": 3}
MAP_SOURCE_REF = "layer_1_source_index_pattern"


def _basemap_layer() -> dict[str, Any]:
    return {"id": "basemap", "type": "EMS_VECTOR_TILE", "label": None, "alpha": 1, "visible": True,
            "minZoom": 0, "maxZoom": 24, "includeInFitToBounds": True,
            "style": {"type": "EMS_VECTOR_TILE", "color": ""},
            "sourceDescriptor": {"type": "EMS_TMS", "isAutoSelect": True,
                                 "lightModeDefault": "road_map_desaturated"}}


def _cluster_layer(panel: MapPanel) -> dict[str, Any]:
    """Grid clusters of the geo_point field (one point per place), coloured and sized by article count."""
    by_count = {"field": {"name": "doc_count", "origin": "source"},
                "fieldMetaOptions": {"isEnabled": True, "sigma": 3}}
    source = {"type": "ES_GEO_GRID", "id": f"{panel.key}-source", "geoField": panel.geo_field,
              "requestType": "point", "resolution": "COARSE", "metrics": [{"type": "count"}],
              "applyGlobalQuery": True, "applyGlobalTime": True, "applyForceRefresh": True,
              "indexPatternRefName": MAP_SOURCE_REF}
    style = {"fillColor": {"type": "DYNAMIC", "options": {"color": "Blues", **by_count}},
             "iconSize": {"type": "DYNAMIC", "options": {"minSize": 6, "maxSize": 32, **by_count}},
             "lineColor": {"type": "STATIC", "options": {"color": "#FFFFFF"}},
             "lineWidth": {"type": "STATIC", "options": {"size": 1}}}
    return {"id": f"{panel.key}-clusters", "type": "GEOJSON_VECTOR", "label": panel.title, "alpha": 0.8,
            "visible": True, "minZoom": 0, "maxZoom": 24, "includeInFitToBounds": True, "joins": [],
            "sourceDescriptor": source, "style": {"type": "VECTOR", "isTimeAware": True, "properties": style}}


def map_object(settings: Settings, panel: MapPanel) -> dict[str, Any]:
    """A map saved object; dashboards show it by reference (its data view is its own reference)."""
    state = {"zoom": MAP_CENTER["zoom"], "center": {"lat": MAP_CENTER["lat"], "lon": MAP_CENTER["lon"]},
             "timeFilters": {"from": "now-7d", "to": "now"},
             "refreshConfig": {"isPaused": True, "interval": 0},
             "query": _kql(""), "filters": [], "settings": {"autoFitToDataBounds": False}}
    attributes = {"title": _titled(settings, panel.title), "description": panel.question,
                  "layerListJSON": _json([_basemap_layer(), _cluster_layer(panel)]),
                  "mapStateJSON": _json(state), "uiStateJSON": _json({"isLayerTOCOpen": True,
                                                                       "openTOCDetails": []})}
    references = [_ref(MAP_SOURCE_REF, "index-pattern", data_view_id(settings, panel.view))]
    return _saved_object("map", _map_id(settings, panel), attributes, references)


# --- Lens ----------------------------------------------------------------------------------------

def _metric_column(metric: Metric) -> dict[str, Any]:
    column: dict[str, Any] = {
        "label": metric.label or f"{metric.op} of {metric.field}", "customLabel": True,
        "dataType": "number", "operationType": metric.op, "sourceField": metric.field, "isBucketed": False,
        "scale": "ratio", "params": {"emptyAsNull": metric.op != "count"},
    }
    if metric.kql:
        column["filter"] = _kql(metric.kql)
    return column


def _bucket_column(bucket: Bucket, order_by: str) -> dict[str, Any]:
    """A date histogram (auto interval) or the top terms ordered by the chart's first metric."""
    common = {"label": bucket.label or bucket.field, "customLabel": bool(bucket.label),
              "sourceField": bucket.field, "isBucketed": True}
    if bucket.op == "date_histogram":
        return {**common, "dataType": "date", "operationType": "date_histogram", "scale": "interval",
                "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}
    params = {"size": bucket.size, "orderBy": {"type": "column", "columnId": order_by},
              "orderDirection": "desc", "otherBucket": False, "missingBucket": False,
              "parentFormat": {"id": "terms"}, "include": [], "exclude": list(bucket.exclude),
              "includeIsRegex": False, "excludeIsRegex": False}
    return {**common, "dataType": "string", "operationType": "terms", "scale": "ordinal", "params": params}


def _column_ids(chart: Chart) -> tuple[list[str], list[str]]:
    return ([f"{chart.key}-bucket{i}" for i in range(len(chart.buckets))],
            [f"{chart.key}-metric{i}" for i in range(len(chart.metrics))])


def _lens_layer(chart: Chart) -> dict[str, Any]:
    """The formBased layer; a terms split goes before the date axis so its top values are global."""
    bucket_ids, metric_ids = _column_ids(chart)
    columns = {cid: _bucket_column(bucket, metric_ids[0])
               for cid, bucket in zip(bucket_ids, chart.buckets, strict=True)}
    columns.update({cid: _metric_column(metric)
                    for cid, metric in zip(metric_ids, chart.metrics, strict=True)})
    order = sorted(bucket_ids, key=lambda cid: columns[cid]["operationType"] != "terms")
    return {"columns": columns, "columnOrder": order + metric_ids, "incompleteColumns": {}, "sampling": 1,
            "ignoreGlobalFilters": False}


def _xy_visualization(chart: Chart, layer_id: str) -> dict[str, Any]:
    bucket_ids, metric_ids = _column_ids(chart)
    layer: dict[str, Any] = {"layerId": layer_id, "layerType": "data", "seriesType": chart.series,
                             "xAccessor": bucket_ids[0], "accessors": metric_ids, "position": "top",
                             "showGridlines": False}
    if len(bucket_ids) > 1:
        layer["splitAccessor"] = bucket_ids[1]
    return {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide",
            "fittingFunction": "None", "preferredSeriesType": chart.series, "layers": [layer]}


def _table_visualization(chart: Chart, layer_id: str) -> dict[str, Any]:
    bucket_ids, metric_ids = _column_ids(chart)
    return {"layerId": layer_id, "layerType": "data", "rowHeight": "single", "rowHeightLines": 1,
            "columns": [{"columnId": cid, "isTransposed": False} for cid in bucket_ids + metric_ids],
            "sorting": {"columnId": metric_ids[0], "direction": "desc"}}


def _pie_visualization(chart: Chart, layer_id: str) -> dict[str, Any]:
    bucket_ids, metric_ids = _column_ids(chart)
    layer = {"layerId": layer_id, "layerType": "data", "primaryGroups": bucket_ids, "metrics": metric_ids,
             "numberDisplay": "percent", "categoryDisplay": "default", "legendDisplay": "default",
             "nestedLegend": False}
    return {"shape": "donut", "layers": [layer]}


def _metric_visualization(chart: Chart, layer_id: str) -> dict[str, Any]:
    return {"layerId": layer_id, "layerType": "data", "metricAccessor": _column_ids(chart)[1][0]}


VISUALIZATIONS = {
    "xy": ("lnsXY", _xy_visualization),
    "table": ("lnsDatatable", _table_visualization),
    "pie": ("lnsPie", _pie_visualization),
    "metric": ("lnsMetric", _metric_visualization),
}


def lens_attributes(settings: Settings, chart: Chart) -> dict[str, Any]:
    """By-value Lens attributes; the layer's data view is named by ``indexpattern-datasource-layer-<id>``."""
    layer_id = f"{chart.key}-layer"
    vis_type, visualization = VISUALIZATIONS[chart.vis]
    view_id = data_view_id(settings, chart.view)
    datasources = {"formBased": {"layers": {layer_id: _lens_layer(chart)}}, "textBased": {"layers": {}}}
    state = {"visualization": visualization(chart, layer_id), "query": _kql(chart.kql), "filters": [],
             "datasourceStates": datasources, "internalReferences": [], "adHocDataViews": {}}
    return {"title": chart.title, "description": chart.question, "visualizationType": vis_type,
            "type": "lens", "state": state,
            "references": [_ref(f"indexpattern-datasource-layer-{layer_id}", "index-pattern", view_id)]}


# --- dashboards ----------------------------------------------------------------------------------

def _layout(sizes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Rows filled left to right on the 48-column grid; a panel that does not fit starts a new row."""
    x = y = row_height = 0
    positions = []
    for width, height in sizes:
        if x + width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        positions.append((x, y))
        x, row_height = x + width, max(row_height, height)
    return positions


PanelJSON = tuple[dict[str, Any], list[dict[str, str]]]


def _panel_base(panel: Panel, kind: str, title: str, position: tuple[int, int]) -> dict[str, Any]:
    (x, y), (w, h) = position, panel.size
    return {"type": kind, "panelIndex": panel.key, "title": title,
            "gridData": {"x": x, "y": y, "w": w, "h": h, "i": panel.key},
            "embeddableConfig": {"title": title, "enhancements": {}}}


def _lens_panel(settings: Settings, chart: Chart, position: tuple[int, int]) -> PanelJSON:
    """By value: attributes in the panel, references on the dashboard prefixed ``<panelIndex>:``."""
    panel = _panel_base(chart, "lens", chart.title, position)
    attributes = lens_attributes(settings, chart)
    panel["embeddableConfig"]["attributes"] = attributes
    return panel, [{**ref, "name": f"{chart.key}:{ref['name']}"} for ref in attributes["references"]]


def _reference_panel(panel: SearchPanel | MapPanel, kind: str, title: str, object_id: str,
                     position: tuple[int, int]) -> PanelJSON:
    """By reference: ``panelRefName`` is ``panel_<i>``, its reference ``<i>:panel_<i>`` (i = panelIndex)."""
    body = _panel_base(panel, kind, title, position)
    body["panelRefName"] = f"panel_{panel.key}"
    return body, [_ref(f"{panel.key}:{body['panelRefName']}", kind, object_id)]


def _dashboard_panel(settings: Settings, panel: Panel, position: tuple[int, int]) -> PanelJSON:
    if isinstance(panel, Chart):
        return _lens_panel(settings, panel, position)
    if isinstance(panel, SearchPanel):
        search = panel.search
        return _reference_panel(panel, "search", search.title, _search_id(settings, search), position)
    body, references = _reference_panel(panel, "map", panel.title, _map_id(settings, panel), position)
    body["embeddableConfig"].update({"mapCenter": MAP_CENTER, "isLayerTOCOpen": False, "hiddenLayers": [],
                                     "openTOCDetails": []})
    return body, references


def _options_list(control_id: str, order: int, field_name: str, label: str, view_id: str) -> dict[str, Any]:
    explicit = {"id": control_id, "fieldName": field_name, "title": label, "dataViewId": view_id,
                "searchTechnique": "prefix", "selectedOptions": [], "enhancements": {},
                "sort": {"by": "_count", "direction": "desc"}}
    return {"order": order, "width": "medium", "grow": True, "type": "optionsListControl",
            "explicitInput": explicit}


def _control_group(settings: Settings, dashboard: Dashboard) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Options-list controls; each names its data view by ``controlGroup_<id>:optionsListDataView``."""
    view_id = data_view_id(settings, dashboard.control_view)
    panels, references = {}, []
    for order, (field_name, label) in enumerate(dashboard.controls):
        control_id = f"{dashboard.key}-control-{field_name}"
        panels[control_id] = _options_list(control_id, order, field_name, label, view_id)
        references.append(_ref(f"controlGroup_{control_id}:optionsListDataView", "index-pattern", view_id))
    ignore = {"ignoreFilters": False, "ignoreQuery": False, "ignoreTimerange": False,
              "ignoreValidations": False}
    group = {"controlStyle": "oneLine", "chainingSystem": "HIERARCHICAL", "showApplySelections": False,
             "ignoreParentSettingsJSON": _json(ignore), "panelsJSON": _json(panels)}
    return group, references


DASHBOARD_OPTIONS = {"useMargins": True, "syncColors": False, "syncCursor": True, "syncTooltips": False,
                     "hidePanelTitles": False}


def dashboard_object(settings: Settings, dashboard: Dashboard) -> dict[str, Any]:
    positions = _layout([panel.size for panel in dashboard.panels])
    built = [_dashboard_panel(settings, panel, position)
             for panel, position in zip(dashboard.panels, positions, strict=True)]
    references = [ref for _, refs in built for ref in refs]
    search_source = {"query": _kql(dashboard.kql), "filter": []}
    attributes: dict[str, Any] = {
        "title": _titled(settings, dashboard.title), "description": dashboard.description, "version": 1,
        "panelsJSON": _json([body for body, _ in built]), "optionsJSON": _json(DASHBOARD_OPTIONS),
        "timeRestore": True, "timeFrom": dashboard.time_from, "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 60_000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": _json(search_source)},
    }
    if dashboard.controls:
        attributes["controlGroupInput"], control_refs = _control_group(settings, dashboard)
        references += control_refs
    return _saved_object("dashboard", dashboard_id(settings, dashboard.key), attributes, references)


# --- the whole set -------------------------------------------------------------------------------

def _all_searches() -> list[SavedSearch]:
    in_dashboards = [p.search for d in DASHBOARDS for p in d.panels if isinstance(p, SearchPanel)]
    return list({s.key: s for s in (*SAVED_SEARCHES, *in_dashboards)}.values())


def _maps() -> list[MapPanel]:
    return [p for d in DASHBOARDS for p in d.panels if isinstance(p, MapPanel)]


def saved_objects(settings: Settings) -> list[dict[str, Any]]:
    """Every object, those referenced before those referring to them. Pure: same settings, same objects."""
    return [*(data_view_object(settings, view) for view in DATA_VIEWS),
            *(saved_search_object(settings, search) for search in _all_searches()),
            *(map_object(settings, panel) for panel in _maps()),
            *(dashboard_object(settings, dashboard) for dashboard in DASHBOARDS)]


def to_ndjson(objects: Iterable[dict[str, Any]]) -> str:
    """One object per line with sorted keys, as Kibana exports; UTF-8 kept readable (Russia–Syria)."""
    return "".join(_json(obj) + "\n" for obj in objects)


def write_ndjson(path: Path, settings: Settings) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_ndjson(saved_objects(settings)), encoding="utf-8")
    return path


# --- the fields every object uses ----------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """What one kind of use asks of a field in ``_field_caps``."""

    aggregatable: bool = False
    searchable: bool = False
    types: frozenset[str] | None = None


NUMERIC = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float",
                     "unsigned_long"})
DATES = frozenset({"date", "date_nanos"})
KEYWORD = frozenset({"keyword"})
# Use -> need. Lens operations keep their own names (terms, date_histogram, average...).
NEEDS: dict[str, Need] = {
    "date_histogram": Need(aggregatable=True, types=DATES),
    "time_field": Need(aggregatable=True, types=DATES),
    "terms": Need(aggregatable=True, types=KEYWORD),
    "options_list": Need(aggregatable=True, types=KEYWORD),
    **{op: Need(aggregatable=True, types=NUMERIC) for op in ("average", "sum", "max", "min", "median")},
    "unique_count": Need(aggregatable=True),
    "geo_grid": Need(aggregatable=True, types=frozenset({"geo_point"})),
    "sort": Need(aggregatable=True),
    "query": Need(searchable=True),
    "column": Need(),
    "format": Need(),
}


@dataclass(frozen=True)
class FieldUse:
    view: str  # data view title, i.e. the alias
    field: str
    use: str  # a key of NEEDS
    where: str  # the object, panel or control, for messages


def kql_fields(query: str) -> list[str]:
    """Field names in a KQL query such as ``a:b and c:"d"`` (quoted values are blanked first)."""
    return re.findall(r"([A-Za-z_][\w.]*)\s*:", re.sub(r'"(?:[^"\\]|\\.)*"', '""', query))


def _ref_target(obj: dict[str, Any], name: str) -> str:
    return next(ref["id"] for ref in obj["references"] if ref["name"] == name)


def _data_view_uses(obj: dict[str, Any]) -> Iterator[FieldUse]:
    attributes = obj["attributes"]
    view, where = attributes["title"], attributes["name"]
    if attributes.get("timeFieldName"):
        yield FieldUse(view, attributes["timeFieldName"], "time_field", where)
    yield from (FieldUse(view, name, "format", where) for name in json.loads(attributes["fieldFormatMap"]))


def _search_uses(obj: dict[str, Any], titles: dict[str, str]) -> Iterator[FieldUse]:
    attributes = obj["attributes"]
    source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
    view, where = titles[_ref_target(obj, source["indexRefName"])], attributes["title"]
    yield from (FieldUse(view, name, "column", where) for name in attributes["columns"])
    yield from (FieldUse(view, name, "sort", where) for name, _ in attributes["sort"])
    yield from (FieldUse(view, name, "query", where) for name in kql_fields(source["query"]["query"]))


def _map_uses(obj: dict[str, Any], titles: dict[str, str]) -> Iterator[FieldUse]:
    where = obj["attributes"]["title"]
    for layer in json.loads(obj["attributes"]["layerListJSON"]):
        source = layer["sourceDescriptor"]
        if "indexPatternRefName" in source:
            view = titles[_ref_target(obj, source["indexPatternRefName"])]
            use = "geo_grid" if source["type"] == "ES_GEO_GRID" else "column"
            yield FieldUse(view, source["geoField"], use, where)
            yield from (FieldUse(view, metric["field"], metric["type"], where)
                        for metric in source["metrics"] if "field" in metric)


def _lens_uses(panel: dict[str, Any], layer_views: dict[str, str]) -> Iterator[FieldUse]:
    attributes = panel["embeddableConfig"]["attributes"]
    state, where = attributes["state"], attributes["title"]
    for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
        view = layer_views[layer_id]
        yield from (FieldUse(view, name, "query", where) for name in kql_fields(state["query"]["query"]))
        for column in layer["columns"].values():
            if column.get("sourceField") not in (None, RECORDS):
                yield FieldUse(view, column["sourceField"], column["operationType"], where)
            column_query = column.get("filter", {}).get("query", "")
            yield from (FieldUse(view, name, "query", where) for name in kql_fields(column_query))


def _layer_views(obj: dict[str, Any], panel_index: str, titles: dict[str, str]) -> dict[str, str]:
    """Layer id -> data view title, from the references ``<panel>:indexpattern-datasource-layer-<id>``."""
    prefix = f"{panel_index}:indexpattern-datasource-layer-"
    return {ref["name"][len(prefix):]: titles[ref["id"]]
            for ref in obj["references"] if ref["name"].startswith(prefix)}


def _control_uses(obj: dict[str, Any], titles: dict[str, str]) -> Iterator[FieldUse]:
    group = obj["attributes"].get("controlGroupInput") or {"panelsJSON": "{}"}
    for control_id, control in json.loads(group["panelsJSON"]).items():
        view = titles[_ref_target(obj, f"controlGroup_{control_id}:optionsListDataView")]
        explicit = control["explicitInput"]
        yield FieldUse(view, explicit["fieldName"], "options_list", f"control {explicit['title']}")


def _dashboard_uses(obj: dict[str, Any], titles: dict[str, str]) -> Iterator[FieldUse]:
    """Panels and controls; the dashboard's own query applies to every data view its panels use."""
    uses = list(_control_uses(obj, titles))
    for panel in json.loads(obj["attributes"]["panelsJSON"]):
        if panel["type"] == "lens":
            uses += _lens_uses(panel, _layer_views(obj, panel["panelIndex"], titles))
    query = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
    views = sorted({use.view for use in uses})
    yield from uses
    yield from (FieldUse(view, name, "query", obj["attributes"]["title"])
                for name in kql_fields(query) for view in views)


def _object_uses(obj: dict[str, Any], titles: dict[str, str]) -> Iterator[FieldUse]:
    if obj["type"] == "index-pattern":
        return _data_view_uses(obj)
    if obj["type"] == "search":
        return _search_uses(obj, titles)
    if obj["type"] == "map":
        return _map_uses(obj, titles)
    return _dashboard_uses(obj, titles)


def field_uses(objects: Sequence[dict[str, Any]]) -> list[FieldUse]:
    """Every (data view, field, use), read back from the generated JSON rather than from the specs."""
    titles = {obj["id"]: obj["attributes"]["title"] for obj in objects if obj["type"] == "index-pattern"}
    return [use for obj in objects for use in _object_uses(obj, titles)]


def fields_used(objects: Sequence[dict[str, Any]]) -> dict[str, set[str]]:
    """Data view title (index pattern) -> the fields any panel, search, control or map layer uses."""
    used = {obj["attributes"]["title"]: set() for obj in objects if obj["type"] == "index-pattern"}
    for use in field_uses(objects):
        used[use.view].add(use.field)
    return used


def _unmet(need: Need, use: str, caps: dict[str, dict[str, Any]]) -> list[str]:
    """``caps`` is one field's ``_field_caps`` entry: ES type -> {aggregatable, searchable...}."""
    problems = []
    for es_type, info in caps.items():
        if need.types is not None and es_type not in need.types:
            problems.append(f"is {es_type}, {use} needs {' or '.join(sorted(need.types))}")
        if need.aggregatable and not info.get("aggregatable"):
            problems.append(f"({es_type}) is not aggregatable, {use} needs it")
        if need.searchable and not info.get("searchable"):
            problems.append(f"({es_type}) is not searchable, {use} needs it")
    return problems


def field_problems(uses: Iterable[FieldUse], caps: dict[str, dict[str, Any]]) -> list[str]:
    """The uses a mapping cannot serve; ``caps`` maps data view title -> ``_field_caps`` ``fields``."""
    problems = []
    for use in uses:
        need, found = NEEDS.get(use.use), caps.get(use.view, {}).get(use.field)
        if need is None:
            problems.append(f"{use.where}: no rule for a {use.use!r} use of {use.view}:{use.field}")
        elif not found:
            problems.append(f"{use.where}: field {use.field!r} is not in the mapping of {use.view}")
        else:
            problems += [f"{use.where}: {use.view}:{use.field} {text}"
                         for text in _unmet(need, use.use, found)]
    return problems


# --- the README's panel tables -------------------------------------------------------------------

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
    return [f"## {_titled(settings, dashboard.title)}", "", dashboard.description, "",
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
    lines += [f"| {s.title} | {s.question} | `{s.kql}` | {_cells(s.columns)} |" for s in _all_searches()]
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


# --- import ---------------------------------------------------------------------------------------

class KibanaImportError(RuntimeError):
    """Kibana refused the import or failed some objects; the message carries Kibana's own words."""


def _auth(settings: Settings) -> tuple[str, str] | None:
    return (settings.es_user, settings.es_password) if settings.es_user else None


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    """Kibana usually sits behind the same CA as Elasticsearch, so the ES TLS settings apply."""
    if settings.es_ca_file:
        return ssl.create_default_context(cafile=settings.es_ca_file)
    return settings.es_verify_certs


def _kibana_message(response: httpx.Response) -> str:
    """Kibana's error body is ``{"statusCode", "error", "message"}``; anything else is shown raw."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('error') or 'error'}: {body['message']}"
    return json.dumps(body)[:500]


def _describe_error(error: dict[str, Any]) -> str:
    """One failed object: type, id, Kibana's error type and message or missing references."""
    detail = error.get("error") or {}
    missing = ", ".join(f"{ref.get('type')} {ref.get('id')}" for ref in detail.get("references", []))
    reason = detail.get("message") or (f"missing {missing}" if missing else "")
    text = f"{error.get('type')} {error.get('id')}: {detail.get('type', 'error')}"
    return f"{text} ({reason})" if reason else text


def _import_summary(kibana_url: str, response: httpx.Response, total: int) -> dict[str, Any]:
    if response.status_code >= 400:
        raise KibanaImportError(f"Kibana at {kibana_url} refused the import (HTTP {response.status_code}):"
                                f" {_kibana_message(response)}")
    try:
        body = response.json()
    except ValueError as exc:
        raise KibanaImportError(f"Kibana at {kibana_url} answered with non-JSON:"
                                f" {response.text[:200]!r}") from exc
    errors = body.get("errors") or []
    if not body.get("success") or errors:
        failed = "; ".join(_describe_error(error) for error in errors) or "no reason given"
        raise KibanaImportError(f"Kibana at {kibana_url} imported {body.get('successCount', 0)} of {total}"
                                f" objects; failed: {failed}")
    return {"kibana_url": kibana_url, "success": True, "successCount": body.get("successCount", 0),
            "objects": total, "errors": []}


def import_saved_objects(kibana_url: str, settings: Settings) -> dict[str, Any]:
    """Import every object (overwriting ours) through Kibana's saved-objects API; raise on any failure."""
    objects = saved_objects(settings)
    files = {"file": (NDJSON_NAME, to_ndjson(objects).encode("utf-8"), "application/ndjson")}
    try:
        response = httpx.post(f"{kibana_url.rstrip('/')}/api/saved_objects/_import",
                              params={"overwrite": "true"}, files=files, headers={"kbn-xsrf": "true"},
                              auth=_auth(settings), timeout=IMPORT_TIMEOUT_S, verify=_verify(settings))
    except httpx.HTTPError as exc:
        raise KibanaImportError(f"Kibana at {kibana_url} is unreachable: {exc}") from exc
    return _import_summary(kibana_url, response, len(objects))


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate seeds/kibana/ (NDJSON and panel table) for the default settings."""
    parser = argparse.ArgumentParser(prog="python -m mediawatch.kibana", description=main.__doc__)
    parser.add_argument("--out-dir", type=Path, default=KIBANA_DIR)
    for path in write_files(Settings(), parser.parse_args(argv).out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
