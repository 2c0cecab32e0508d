"""Kibana saved objects: the committed NDJSON, its references, its fields against the live mapping,
and the import request our client sends (to a local recorder, not a Kibana)."""

from __future__ import annotations

import base64
import copy
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from mediawatch import kibana
from mediawatch.kibana import (
    KibanaImportError,
    field_problems,
    field_uses,
    fields_used,
    import_saved_objects,
    kql_fields,
    saved_objects,
    to_ndjson,
)
from mediawatch.settings import Settings

from .conftest import loopback_server

NDJSON = kibana.KIBANA_DIR / kibana.NDJSON_NAME
PANELS = kibana.KIBANA_DIR / kibana.PANELS_NAME
# Attributes the dashboard type accepts (Kibana's dashboard schema forbids unknown keys).
DASHBOARD_ATTRIBUTES = {"title", "description", "kibanaSavedObjectMeta", "timeRestore", "timeFrom",
                        "timeTo", "refreshInterval", "controlGroupInput", "panelsJSON", "optionsJSON", "hits",
                        "version"}
# Attributes holding JSON as a string, per type.
JSON_STRINGS = {"index-pattern": ("fieldFormatMap", "fieldAttrs", "runtimeFieldMap", "sourceFilters",
                                  "fields"),
                "map": ("layerListJSON", "mapStateJSON", "uiStateJSON"),
                "dashboard": ("panelsJSON", "optionsJSON")}


def committed_objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["type"] == kind]


def panels_of(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(dashboard["attributes"]["panelsJSON"])


def reference_names(obj: dict[str, Any]) -> set[str]:
    return {ref["name"] for ref in obj["references"]}


# --- the committed file ----------------------------------------------------------------------------

def test_committed_files_are_what_the_generator_writes() -> None:
    assert NDJSON.read_text(encoding="utf-8") == to_ndjson(saved_objects(Settings())), (
        "seeds/kibana/mediawatch.ndjson is stale: run `python -m mediawatch.kibana`")
    assert PANELS.read_text(encoding="utf-8") == kibana.panels_markdown(Settings()), (
        "seeds/kibana/PANELS.md is stale: run `python -m mediawatch.kibana`")


def test_the_kibana_command_regenerates_both_files(tmp_path, capsys) -> None:
    from mediawatch.cli import main

    assert main(["kibana", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / kibana.NDJSON_NAME).read_text(encoding="utf-8") == NDJSON.read_text(encoding="utf-8")
    assert (tmp_path / kibana.PANELS_NAME).read_text(encoding="utf-8") == PANELS.read_text(encoding="utf-8")
    assert str(tmp_path / kibana.NDJSON_NAME) in capsys.readouterr().out


def test_every_line_is_a_kibana_9_saved_object() -> None:
    objects = committed_objects()
    assert {obj["type"] for obj in objects} == {"index-pattern", "search", "map", "dashboard"}
    for obj in objects:
        assert {"id", "type", "attributes", "references"} <= obj.keys(), obj.get("id")
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert obj["typeMigrationVersion"] == kibana.TYPE_MIGRATION_VERSIONS[obj["type"]]
        assert "migrationVersion" not in obj, "Kibana 8.8+ replaced migrationVersion by typeMigrationVersion"
        assert all(set(ref) == {"name", "type", "id"} for ref in obj["references"])
    ids = [obj["id"] for obj in objects]
    assert len(ids) == len(set(ids)), "duplicate saved object ids"
    for dashboard in by_type(objects, "dashboard"):
        assert set(dashboard["attributes"]) <= DASHBOARD_ATTRIBUTES


def test_the_expected_objects_are_there() -> None:
    objects = committed_objects()
    titles = {obj["type"]: set() for obj in objects}
    for obj in objects:
        titles[obj["type"]].add(obj["attributes"]["title"])
    assert titles["index-pattern"] == {f"mediawatch-{name}" for name in
                                       ("articles", "feeds", "fetchlog", "runs", "alerts")}
    assert titles["dashboard"] == {"Russia–Syria coverage", "Feed health"}
    analyst_searches = {"Relevant articles in Arabic", "Relevant articles in Russian", "Negative tone"}
    assert analyst_searches <= titles["search"]
    articles = next(obj for obj in objects if obj["id"] == "mediawatch-articles-dataview")
    assert articles["attributes"]["timeFieldName"] == "published_at"
    assert json.loads(articles["attributes"]["fieldFormatMap"])["url"]["id"] == "url"  # clickable links


def test_embedded_json_strings_parse() -> None:
    for obj in committed_objects():
        attributes = obj["attributes"]
        for name in JSON_STRINGS.get(obj["type"], ()):
            assert isinstance(attributes[name], str), (obj["id"], name)
            json.loads(attributes[name])
        if "kibanaSavedObjectMeta" in attributes:
            json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        if "controlGroupInput" in attributes:
            json.loads(attributes["controlGroupInput"]["panelsJSON"])
            json.loads(attributes["controlGroupInput"]["ignoreParentSettingsJSON"])


def test_every_reference_resolves_to_an_object_in_the_file() -> None:
    objects = committed_objects()
    present = {(obj["type"], obj["id"]) for obj in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in present, f"{obj['id']}: {ref} points at nothing in the file"
    for dashboard in by_type(objects, "dashboard"):
        for panel in panels_of(dashboard):
            for ref in panel["embeddableConfig"].get("attributes", {}).get("references", []):
                assert (ref["type"], ref["id"]) in present, f"{dashboard['id']} {panel['panelIndex']}: {ref}"


def test_searches_and_maps_name_references_they_have() -> None:
    objects = committed_objects()
    for search in by_type(objects, "search"):
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["indexRefName"] in reference_names(search)
    for map_object in by_type(objects, "map"):
        layers = json.loads(map_object["attributes"]["layerListJSON"])
        ref_names = [layer["sourceDescriptor"]["indexPatternRefName"] for layer in layers
                     if "indexPatternRefName" in layer["sourceDescriptor"]]
        assert ref_names and set(ref_names) <= reference_names(map_object)


def test_every_dashboard_panel_and_control_names_a_reference_it_has() -> None:
    for dashboard in by_type(committed_objects(), "dashboard"):
        names = reference_names(dashboard)
        for panel in panels_of(dashboard):
            index = panel["panelIndex"]
            if "panelRefName" in panel:
                assert f"{index}:{panel['panelRefName']}" in names, f"{index}: its saved object has no ref"
                continue
            attributes = panel["embeddableConfig"]["attributes"]
            inline = {ref["name"] for ref in attributes["references"]}
            for layer_id in attributes["state"]["datasourceStates"]["formBased"]["layers"]:
                layer_ref = f"indexpattern-datasource-layer-{layer_id}"
                assert layer_ref in inline and f"{index}:{layer_ref}" in names, f"{index}: layer {layer_id}"
        controls = json.loads(dashboard["attributes"].get("controlGroupInput", {}).get("panelsJSON", "{}"))
        for control_id in controls:
            assert f"controlGroup_{control_id}:optionsListDataView" in names


def test_dashboard_panels_fit_the_grid_without_overlapping() -> None:
    for dashboard in by_type(committed_objects(), "dashboard"):
        cells: dict[tuple[int, int], str] = {}
        for panel in panels_of(dashboard):
            grid = panel["gridData"]
            assert grid["i"] == panel["panelIndex"] and grid["x"] + grid["w"] <= kibana.GRID_COLUMNS
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    assert (x, y) not in cells, f"{panel['panelIndex']} overlaps {cells.get((x, y))}"
                    cells[(x, y)] = panel["panelIndex"]


def test_another_prefix_gets_its_own_ids_and_titles() -> None:
    other = saved_objects(Settings(index_prefix="mwother"))
    default_ids = {obj["id"] for obj in saved_objects(Settings())}
    assert not default_ids & {obj["id"] for obj in other}
    assert {obj["attributes"]["title"] for obj in by_type(other, "index-pattern")} == {
        f"mwother-{name}" for name in ("articles", "feeds", "fetchlog", "runs", "alerts")}
    dashboards = by_type(other, "dashboard")
    assert len(dashboards) == 2 and all(obj["attributes"]["title"].endswith("[mwother]") for obj in dashboards)


def test_co_mention_panels_filter_on_the_country_ids_relevance_uses() -> None:
    from mediawatch.constants import RUSSIA_ID, SYRIA_ID
    from mediawatch.enrich.relevance import SIDES

    assert (SIDES["Russia"][1], SIDES["Syria"][1]) == (RUSSIA_ID, SYRIA_ID)
    coverage = next(obj for obj in saved_objects(Settings()) if obj["id"] == "mediawatch-coverage-dashboard")
    queries = {panel["panelIndex"]: panel["embeddableConfig"]["attributes"]["state"]["query"]["query"]
               for panel in panels_of(coverage) if panel["type"] == "lens"}
    assert queries["coverage-with-russia"] == f'entity_ids:"{RUSSIA_ID}"'
    assert queries["coverage-with-syria"] == f'entity_ids:"{SYRIA_ID}"'


def _terms_columns(panel: dict[str, Any]) -> list[dict[str, Any]]:
    state = panel["embeddableConfig"]["attributes"]["state"]
    [layer] = state["datasourceStates"]["formBased"]["layers"].values()
    return [layer["columns"][cid] for cid in layer["columnOrder"] if layer["columns"][cid]["operationType"] == "terms"]


def test_coverage_shows_tone_labels_per_language_and_the_names_off_the_watchlist() -> None:
    coverage = next(obj for obj in committed_objects() if obj["id"] == "mediawatch-coverage-dashboard")
    panels = {panel["panelIndex"]: panel for panel in panels_of(coverage)}
    for side in ("russia", "syria"):
        panel = panels[f"coverage-tone-labels-{side}"]
        visualization = panel["embeddableConfig"]["attributes"]["state"]["visualization"]
        [layer] = visualization["layers"]
        assert visualization["preferredSeriesType"] == "bar_stacked" and "splitAccessor" in layer
        assert [c["sourceField"] for c in _terms_columns(panel)] == ["language", f"tone_label_{side}"]
    names = panels["coverage-unlinked-names"]
    assert names["title"] == "Names not on the watchlist"
    assert names["embeddableConfig"]["attributes"]["visualizationType"] == "lnsDatatable"
    entity, language = _terms_columns(names)
    assert (entity["sourceField"], language["sourceField"]) == ("entity_ids", "language")
    assert entity["params"]["include"] == ["ner:.*"] and entity["params"]["includeIsRegex"] is True
    assert all(not c["params"]["include"] for obj in committed_objects() if obj["type"] == "dashboard"
               for p in panels_of(obj) if p["type"] == "lens" and p["panelIndex"] != "coverage-unlinked-names"
               for c in _terms_columns(p))  # the other panels keep every value


def test_kql_fields_skips_quoted_values() -> None:
    assert kql_fields('relevant:true and entity_names:"Foo: bar" or not language : ar') == [
        "relevant", "entity_names", "language"]


def test_fields_used_reads_every_kind_of_use() -> None:
    used = fields_used(committed_objects())
    assert {"published_at", "language", "kind", "tone_russia", "tone_syria", "tone_label_russia", "tone_label_syria",
            "persons", "organizations", "locations", "entity_names", "entity_ids", "topics", "location_points", "url",
            "relevant", "source", "country"} <= used["mediawatch-articles"]
    feed_state = {"feed_id", "last_error", "failing_since", "consecutive_failures", "status"}
    assert feed_state <= used["mediawatch-feeds"]
    assert {"fetched_at", "status", "feed_id", "new"} <= used["mediawatch-fetchlog"]
    assert {"started_at", "duration_s"} <= used["mediawatch-runs"]
    assert used["mediawatch-alerts"] == {"created_at"}


# --- against the live mapping ---------------------------------------------------------------------

def live_problems(es, objects: list[dict[str, Any]]) -> list[str]:
    caps = {view: es.field_caps(index=view, fields=sorted(names))["fields"]
            for view, names in fields_used(objects).items()}
    return field_problems(field_uses(objects), caps)


@pytest.mark.es
def test_every_field_used_exists_with_a_fitting_type_in_the_live_mapping(es, settings) -> None:
    objects = saved_objects(settings)
    assert {obj["attributes"]["title"] for obj in by_type(objects, "index-pattern")} == {
        settings.index(name) for name in ("articles", "feeds", "fetchlog", "runs", "alerts")}
    assert live_problems(es, objects) == []


def _lens_column(panels: list[dict[str, Any]], panel_index: str, operation: str) -> dict[str, Any]:
    panel = next(p for p in panels if p["panelIndex"] == panel_index)
    state = panel["embeddableConfig"]["attributes"]["state"]
    [layer] = state["datasourceStates"]["formBased"]["layers"].values()
    return next(column for column in layer["columns"].values() if column["operationType"] == operation)


def _break_panels(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Coverage panels edited the way a mapping drift would: a missing field, a text and a keyword misuse."""
    broken = copy.deepcopy(objects)
    dashboard = next(obj for obj in broken if obj["id"].endswith("-coverage-dashboard"))
    panels = panels_of(dashboard)
    _lens_column(panels, "coverage-persons", "terms")["sourceField"] = "title"
    _lens_column(panels, "coverage-tone-russia", "average")["sourceField"] = "source"
    _lens_column(panels, "coverage-volume-kind", "date_histogram")["sourceField"] = "no_such_field"
    dashboard["attributes"]["panelsJSON"] = json.dumps(panels)
    return broken


@pytest.mark.es
def test_a_panel_on_a_missing_or_misfit_field_fails_the_check(es, settings) -> None:
    problems = live_problems(es, _break_panels(saved_objects(settings)))
    articles = settings.index("articles")
    assert any("'no_such_field' is not in the mapping" in p for p in problems), problems
    assert any(f"{articles}:title is text, terms needs keyword" in p for p in problems), problems
    assert any(f"{articles}:title (text) is not aggregatable" in p for p in problems), problems
    assert any(f"{articles}:source is keyword, average needs" in p for p in problems), problems
    assert len(problems) == 4


# --- the import request ----------------------------------------------------------------------------

@dataclass
class Recorder:
    """Records each request and answers with the scripted status and JSON body."""

    url: str = ""
    status: int = 200
    reply: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)


def _recording_handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.requests.append({"path": self.path, "body": body,
                                      "headers": {k.lower(): v for k, v in self.headers.items()}})
            payload = json.dumps(recorder.reply).encode()
            self.send_response(recorder.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    state = Recorder()
    with loopback_server(_recording_handler(state)) as state.url:
        yield state


def test_import_posts_the_ndjson_as_a_multipart_file_with_kbn_xsrf_and_basic_auth(recorder) -> None:
    settings = Settings(es_user="elastic", es_password="s3cret")
    objects = saved_objects(settings)
    recorder.reply = {"success": True, "successCount": len(objects), "successResults": []}
    summary = import_saved_objects(recorder.url + "/", settings)
    assert summary == {"kibana_url": recorder.url + "/", "success": True, "successCount": len(objects),
                       "objects": len(objects), "errors": []}
    [request] = recorder.requests
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    headers = request["headers"]
    assert headers["kbn-xsrf"] == "true"
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    assert headers["authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    assert b'name="file"; filename="mediawatch.ndjson"' in request["body"]
    assert b"Content-Type: application/ndjson" in request["body"]
    assert to_ndjson(objects).encode() in request["body"]


def test_import_without_credentials_sends_no_authorization(recorder) -> None:
    recorder.reply = {"success": True, "successCount": len(saved_objects(Settings()))}
    import_saved_objects(recorder.url, Settings())
    assert "authorization" not in recorder.requests[0]["headers"]


def test_import_refused_raises_with_kibanas_message(recorder) -> None:
    recorder.status = 400
    recorder.reply = {"statusCode": 400, "error": "Bad Request",
                      "message": "Unexpected token in JSON at position 12"}
    expected = r"refused the import \(HTTP 400\): Bad Request: Unexpected token in JSON at position 12"
    with pytest.raises(KibanaImportError, match=expected):
        import_saved_objects(recorder.url, Settings())


def test_import_with_failed_objects_raises_naming_them(recorder) -> None:
    total = len(saved_objects(Settings()))
    recorder.reply = {"success": False, "successCount": total - 1, "errors": [
        {"id": "mediawatch-coverage-dashboard", "type": "dashboard", "error": {
            "type": "missing_references", "references": [{"type": "index-pattern", "id": "gone"}]}}]}
    with pytest.raises(KibanaImportError) as raised:
        import_saved_objects(recorder.url, Settings())
    message = str(raised.value)
    assert f"imported {total - 1} of {total} objects" in message
    assert ("dashboard mediawatch-coverage-dashboard: missing_references (missing index-pattern gone)"
            in message)


def test_import_to_an_unreachable_kibana_says_where() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(KibanaImportError, match=f"Kibana at http://127.0.0.1:{port} is unreachable"):
        import_saved_objects(f"http://127.0.0.1:{port}", Settings())
