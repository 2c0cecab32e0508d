"""Specs to Kibana 9 saved-object JSON: data views, saved searches, the map, by-value Lens panels
and dashboards, and the NDJSON Kibana imports.

Shapes follow Kibana's own exports: ``coreMigrationVersion`` 8.8.0 (core migrations stopped
there when model versions took over) and, per type, a ``typeMigrationVersion`` from before the
model versions, so any 9.x Kibana migrates the objects forward on import. A version newer than
the running Kibana knows would be refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..settings import Settings
from .dashboards import DASHBOARDS, DATA_VIEWS, SAVED_SEARCHES
from .specs import Bucket, Chart, Dashboard, DataView, MapPanel, Metric, Panel, SavedSearch, SearchPanel

DEFAULT_PREFIX = Settings.index_prefix
NDJSON_NAME = "mediawatch.ndjson"
# Kibana 9 exports still carry core 8.8.0. Per type we pin the last legacy (pre-model-version)
# migration rather than a 9.x model version (10.N.0): Kibana migrates older objects forward on
# import but refuses versions it does not know, so these import into every 9.x.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {"index-pattern": "8.0.0", "search": "8.0.0", "map": "8.4.0", "dashboard": "8.9.0"}
GRID_COLUMNS = 48  # dashboards lay panels out on a 48-column grid


# --- ids and titles ----------------------------------------------------------------------------

def titled(settings: Settings, title: str) -> str:
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
        "title": settings.index(view.name), "name": titled(settings, f"MediaWatch {view.label}"),
        "fieldFormatMap": _json(view.formats), "fieldAttrs": "{}", "runtimeFieldMap": "{}",
        "sourceFilters": "[]", "fields": "[]", "typeMeta": "{}", "allowHidden": False,
    }
    if view.time_field:
        attributes["timeFieldName"] = view.time_field
    return _saved_object("index-pattern", data_view_id(settings, view.name), attributes, [])


def saved_search_object(settings: Settings, search: SavedSearch) -> dict[str, Any]:
    """A Discover session: query, columns and sort over one data view named by ``indexRefName``."""
    source: dict[str, Any] = {"query": _kql(search.kql), "filter": [], "highlightAll": True, "version": True,
                              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    attributes = {
        "title": titled(settings, search.title), "description": search.question,
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
    attributes = {"title": titled(settings, panel.title), "description": panel.question,
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
              "parentFormat": {"id": "terms"}, "include": [bucket.include_pattern] if bucket.include_pattern else [],
              "exclude": list(bucket.exclude), "includeIsRegex": bool(bucket.include_pattern), "excludeIsRegex": False}
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
        "title": titled(settings, dashboard.title), "description": dashboard.description, "version": 1,
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

def all_searches() -> list[SavedSearch]:
    in_dashboards = [p.search for d in DASHBOARDS for p in d.panels if isinstance(p, SearchPanel)]
    return list({s.key: s for s in (*SAVED_SEARCHES, *in_dashboards)}.values())


def _maps() -> list[MapPanel]:
    return [p for d in DASHBOARDS for p in d.panels if isinstance(p, MapPanel)]


def saved_objects(settings: Settings) -> list[dict[str, Any]]:
    """Every object, those referenced before those referring to them. Pure: same settings, same objects."""
    return [*(data_view_object(settings, view) for view in DATA_VIEWS),
            *(saved_search_object(settings, search) for search in all_searches()),
            *(map_object(settings, panel) for panel in _maps()),
            *(dashboard_object(settings, dashboard) for dashboard in DASHBOARDS)]


def to_ndjson(objects: Iterable[dict[str, Any]]) -> str:
    """One object per line with sorted keys, as Kibana exports; UTF-8 kept readable (Russia–Syria)."""
    return "".join(_json(obj) + "\n" for obj in objects)


def write_ndjson(path: Path, settings: Settings) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_ndjson(saved_objects(settings)), encoding="utf-8")
    return path
