"""Every field the generated objects use, read back from their JSON, held against ``_field_caps``.

:func:`field_uses` lists each (data view, field, use) a panel, search, control or map layer
touches; :func:`field_problems` says which of them a live mapping cannot serve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .specs import RECORDS


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
    used: dict[str, set[str]] = {obj["attributes"]["title"]: set() for obj in objects if obj["type"] == "index-pattern"}
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
