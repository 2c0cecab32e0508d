"""Index setup and bulk writes against the real Elasticsearch node."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from mediawatch import index as index_module
from mediawatch.index import IndexSpec, alias_targets, concrete_name, detect_analysis, index_specs, setup_indices
from mediawatch.store import index_action, make_client, write_bulk

pytestmark = pytest.mark.es


def test_setup_creates_versioned_indices_behind_aliases_and_is_idempotent(settings) -> None:
    es = make_client(settings)
    first = setup_indices(es, settings)
    assert any("created" in action for action in first.actions)
    specs = index_specs(detect_analysis(es))
    assert {spec.name for spec in specs} == {"articles", "feeds", "fetchlog", "deadletter", "runs", "alerts"}
    for spec in specs:  # -v<N>, or -v<N>-000001 for the rollover-managed logs
        assert alias_targets(es, settings.index(spec.name)) == [concrete_name(settings, spec)]
    mapping_before = es.indices.get_mapping(index=settings.index("articles"))
    second = setup_indices(es, settings)
    assert second.actions == []
    assert es.indices.get_mapping(index=settings.index("articles")) == mapping_before


def test_setup_reports_missing_language_analyzers(settings) -> None:
    es = make_client(settings)
    analysis = detect_analysis(es)
    report = setup_indices(es, settings)
    assert report.analysis == analysis.describe()
    if analysis.missing:  # the test distribution: no analysis-common module
        assert "arabic" in report.analysis and "search_terms" in report.analysis
        mapping = es.indices.get_mapping(index=settings.index("articles"))
        title = next(iter(mapping.values()))["mappings"]["properties"]["title"]
        assert "fields" not in title


def test_mapping_is_explicit(es, settings) -> None:
    mapping = next(iter(es.indices.get_mapping(index=settings.index("articles")).values()))["mappings"]
    assert mapping["dynamic"] == "false"
    props = mapping["properties"]
    assert props["location_points"]["type"] == "geo_point"
    assert props["tone_russia"]["type"] == "float"
    assert all(props[f]["type"] == "keyword" for f in ("source", "domain", "country", "kind", "language",
                                                       "persons", "organizations", "locations", "topics",
                                                       "cluster_id", "enrichment_version"))


def test_migrate_moves_every_document_and_the_alias_never_dangles(es, settings, monkeypatch) -> None:
    alias = settings.index("articles")
    docs = [index_action(alias, f"doc-{i}", {"id": f"doc-{i}", "title": f"t{i}", "indexed_at": "2026-11-29"})
            for i in range(2500)]
    assert write_bulk(es, docs, settings).written == 2500
    es.indices.refresh(index=alias)

    current = next(spec.version for spec in index_specs(detect_analysis(es)) if spec.name == "articles")

    def bumped(analysis):
        return [replace(spec, version=current + 1) if spec.name == "articles" else spec
                for spec in original(analysis)]

    original = index_specs
    monkeypatch.setattr(index_module, "index_specs", bumped)
    plain = setup_indices(es, settings)
    assert alias_targets(es, alias) == [f"{alias}-v{current}"], "without --migrate the alias stays put"
    assert any("--migrate" in action for action in plain.actions)

    observed: list[list[str]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            observed.append(alias_targets(es, alias))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        report = setup_indices(es, settings, migrate=True)
    finally:
        stop.set()
        watcher.join()
    assert alias_targets(es, alias) == [f"{alias}-v{current + 1}"]
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 2500
    assert all(targets for targets in observed), "the alias pointed at nothing during the migration"
    assert any("migrated 2500 documents" in action for action in report.actions)
    assert setup_indices(es, settings, migrate=True).actions == []


def test_wrong_type_goes_to_dead_letters_and_the_batch_survives(es, settings) -> None:
    alias = settings.index("articles")
    good = [index_action(alias, f"ok-{i}", {"id": f"ok-{i}", "title": "fine", "published_at": "2026-11-28T10:00:00Z"})
            for i in range(5)]
    bad = index_action(alias, "bad-1", {"id": "bad-1", "title": "broken", "published_at": "not a date"})
    report = write_bulk(es, [*good[:2], bad, *good[2:]], settings, run_id="run-x")
    assert report.written == 5
    assert [f["doc_id"] for f in report.failed] == ["bad-1"]
    es.indices.refresh(index=[alias, settings.index("deadletter")])
    assert es.count(index=alias)["count"] == 5
    letters = es.search(index=settings.index("deadletter"), query={"match_all": {}})["hits"]["hits"]
    assert len(letters) == 1
    letter = letters[0]["_source"]
    assert letter["doc_id"] == "bad-1" and letter["run_id"] == "run-x" and letter["stage"] == "index"
    assert letter["error_type"] == "document_parsing_exception"
    assert "published_at" in letter["reason"]
    assert letter["payload"]["published_at"] == "not a date", "the original document is kept"


def test_every_spec_has_a_template(es, settings) -> None:
    for spec in index_specs(detect_analysis(es)):
        assert isinstance(spec, IndexSpec)
        template = es.indices.get_index_template(name=f"{settings.index(spec.name)}-template")
        assert template["index_templates"][0]["index_template"]["_meta"]["version"] == spec.version


def test_retention_needs_ilm_and_spares_articles(es, settings) -> None:
    from mediawatch.index import has_ilm, template_body

    specs = {spec.name: spec for spec in index_specs(detect_analysis(es))}
    with_ilm = template_body(settings, specs["fetchlog"], ilm=True)["template"]["settings"]
    assert with_ilm["index.lifecycle.name"] == f"{settings.index('fetchlog')}-retention"
    assert "index.lifecycle.name" not in template_body(settings, specs["articles"], ilm=True)["template"]["settings"]
    report = setup_indices(es, settings)
    if not has_ilm(es):  # the test distribution: say so instead of failing
        assert report.retention.startswith("ILM not available")
