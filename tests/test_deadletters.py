"""Dead letters against the real node: refused for their content, listed, replayed once the mapping is fixed."""

from __future__ import annotations

import json

import pytest
from mediawatch.deadletters import is_replayable, list_letters, replay, selection_query
from mediawatch.feeds import Feed
from mediawatch.index import alias_targets, concrete_name, detect_analysis, index_specs, setup_indices
from mediawatch.ingest import run_ingest
from mediawatch.store import dead_letter_id, make_client

from .test_cli import mediawatch

pytestmark = pytest.mark.es


def feed(feed_id: str, url: str, language: str) -> Feed:
    return Feed(id=feed_id, name=feed_id, url=url, language=language, country="SY", kind="state")


def broken_articles_index(es, settings) -> str:
    """The articles alias over an index as a faulty deployment left it: ``language`` mapped as an
    integer, so the index refuses every article for its content (document_parsing_exception)."""
    name = f"{settings.index('articles')}-v1"
    es.indices.create(index=name, mappings={"dynamic": False, "properties": {
        "id": {"type": "keyword"}, "language": {"type": "integer"}, "indexed_at": {"type": "date"}}},
        aliases={settings.index("articles"): {"is_write_index": True}})
    return name


def letters(es, settings) -> dict[str, dict]:
    es.indices.refresh(index=settings.index("deadletter"))
    hits = es.search(index=settings.index("deadletter"), size=100)["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def articles(es, settings) -> dict[str, dict]:
    es.indices.refresh(index=settings.index("articles"))
    hits = es.search(index=settings.index("articles"), size=100, seq_no_primary_term=True)["hits"]["hits"]
    return {hit["_id"]: {**hit["_source"], "_seq_no": hit["_seq_no"]} for hit in hits}


@pytest.fixture
def refused_run(settings, feed_server):
    """A run whose 4 articles the broken index refused, plus one feed entry without a link."""
    es = make_client(settings)
    broken_articles_index(es, settings)
    setup_indices(es, settings)  # templates and the other indices; the articles alias stays on v1
    feeds = [feed("ar", feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml"), "ar"),
             feed("en", feed_server.serve_file("/atom.xml", "atom_en.xml"), "en"),
             feed("cut", feed_server.serve_file("/cut.xml", "truncated.xml"), "ar")]
    summary = run_ingest(settings, es, feeds=feeds)
    return es, feeds, summary


def test_content_refusals_are_dead_lettered_once_each_and_the_run_succeeds(settings, refused_run) -> None:
    es, _, summary = refused_run
    assert summary.refused is None, "a document's fault never stops the run"
    assert summary.feeds == {"ok": 3, "not_modified": 0, "failed": 0, "skipped": 0}
    # ar 2 + en 2 + cut: its complete item (the same URL as ar's first) and its link-less tail
    assert summary.articles == {"seen": 6, "new": 0, "updated": 0, "duplicate": 0, "rejected": 6}
    stored = letters(es, settings)
    assert len(stored) == 5, "the article refused in two feeds has one letter"
    by_stage = sorted(letter["stage"] for letter in stored.values())
    assert by_stage == ["index"] * 4 + ["normalize"]
    assert all("failed to parse field [language]" in letter["reason"]
               for letter in stored.values() if letter["stage"] == "index")
    assert {dead_letter_id({"stage": "index", "doc_id": letter["doc_id"]})
            for letter in stored.values() if letter["stage"] == "index"} <= set(stored)


def test_list_selects_by_age_and_reason(settings, refused_run) -> None:
    es, _, _ = refused_run
    es.indices.refresh(index=settings.index("deadletter"))
    assert len(list_letters(es, settings)) == 5
    assert len(list_letters(es, settings, since="1d", reason="failed to parse field [language]")) == 4
    assert [letter["stage"] for letter in list_letters(es, settings, reason="no http(s) link")] == ["normalize"]
    assert list_letters(es, settings, reason="no such words anywhere") == []

    env = {"MEDIAWATCH_ES_URL": settings.es_url, "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix}
    done = mediawatch("deadletters", "list", "--since", "7d", "--reason", "failed to parse", env=env)
    assert done.returncode == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(listed) == 4 and all("payload" not in letter for letter in listed)
    assert {"id", "index", "stage", "reason", "error_type", "doc_id", "failed_at"} <= set(listed[0])


def test_replay_after_the_mapping_is_fixed_indexes_each_article_once_and_a_second_replay_changes_nothing(
        settings, refused_run) -> None:
    es, _, _ = refused_run
    dry = replay(es, settings, dry_run=True)
    assert (dry.matched, dry.replayable, dry.not_replayable, dry.replayed) == (5, 4, 1, 0)

    still_broken = replay(es, settings, run_id="replay-0")
    assert (still_broken.replayed, still_broken.failed) == (0, 4), "refused again: letters stay open"
    assert {letter.get("replay_status") for letter in letters(es, settings).values()} == {"failed", None}

    migrated = setup_indices(es, settings, migrate=True)
    articles_spec = next(s for s in index_specs(detect_analysis(es)) if s.name == "articles")
    assert alias_targets(es, settings.index("articles")) == [concrete_name(settings, articles_spec)]
    assert any("migrated" in action for action in migrated.actions)

    env = {"MEDIAWATCH_ES_URL": settings.es_url, "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix}
    done = mediawatch("deadletters", "replay", "--since", "1d", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["matched"], report["replayable"], report["replayed"], report["failed"]) == (5, 4, 4, 0)
    indexed = articles(es, settings)
    assert len(indexed) == 4
    assert all(doc["enrichment_version"] == report["enrichment_version"] for doc in indexed.values())
    arabic = next(doc for doc in indexed.values() if doc["url"].endswith("/news/2"))
    assert arabic["language"] == "ar" and arabic["search_terms"], "rebuilt as ingest builds it"
    statuses = sorted(str(letter.get("replay_status")) for letter in letters(es, settings).values())
    assert statuses == ["None", "replayed", "replayed", "replayed", "replayed"]

    again = mediawatch("deadletters", "replay", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["matched"] == 1 and json.loads(again.stdout)["replayed"] == 0
    assert articles(es, settings) == indexed, "no document written twice (same _seq_no)"


def test_replay_keeps_an_article_a_later_run_indexed(settings, refused_run) -> None:
    es, feeds, _ = refused_run
    setup_indices(es, settings, migrate=True)
    rerun = run_ingest(settings, es, feeds=feeds, force=True)
    assert rerun.articles["new"] == 4
    before = articles(es, settings)
    report = replay(es, settings)
    assert (report.superseded, report.replayed) == (4, 0)
    assert articles(es, settings) == before


def test_selection_and_replayability_rules(settings) -> None:
    query = selection_query(since="7d", reason="failed to parse", open_only=True)
    assert query["bool"]["filter"] == [{"range": {"failed_at": {"gte": "now-7d"}}},
                                       {"match_phrase": {"reason": "failed to parse"}}]
    assert query["bool"]["must_not"] == [{"terms": {"replay_status": ["replayed", "superseded"]}}]
    payload = {name: "x" for name in ("id", "url", "original_url", "feed_id", "source", "domain", "country", "kind",
                                      "language", "title", "summary", "published_at", "fetched_at")}
    article_letter = {"stage": "index", "source": f"{settings.index('articles')}-v2", "payload": payload}
    assert is_replayable(article_letter, settings)
    assert not is_replayable({**article_letter, "stage": "normalize"}, settings)
    assert not is_replayable({**article_letter, "source": f"{settings.index('alerts')}-v1"}, settings)
    assert not is_replayable({**article_letter, "payload": {"title": "x", "link": None}}, settings)
