"""The whole ingest pipeline against a real local HTTP server and the real Elasticsearch node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from mediawatch.feeds import Feed
from mediawatch.ingest import run_ingest

from .conftest import FEEDS, Route

pytestmark = pytest.mark.es


def feed(feed_id: str, url: str, language: str = "en", kind: str = "private") -> Feed:
    return Feed(id=feed_id, name=f"Outlet {feed_id}", url=url, language=language, country="SY", kind=kind)


def all_docs(es, settings) -> dict[str, dict]:
    es.indices.refresh(index=settings.index("articles"))
    hits = es.search(index=settings.index("articles"), size=1000, query={"match_all": {}})["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def feed_state(es, settings, feed_id: str) -> dict:
    return es.get(index=settings.index("feeds"), id=feed_id)["_source"]


def test_every_format_and_encoding_is_indexed_as_utf8(es, settings, feed_server) -> None:
    feeds = [
        feed("rss-ar", feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml"), "ar"),
        feed("atom-en", feed_server.serve_file("/atom.xml", "atom_en.xml")),
        feed("rdf-ru", feed_server.serve_file("/rdf.xml", "rdf_ru.rdf"), "ru"),
        feed("cp1256", feed_server.serve_file("/cp.xml", "rss_cp1256.xml"), "ar"),
        feed("koi8r", feed_server.serve_file("/koi.xml", "rss_koi8r.xml", gzip=True), "ru"),
        feed("entities", feed_server.serve_file("/ent.xml", "rss_entities_cdata.xml")),
    ]
    summary = run_ingest(settings, es, feeds=feeds)
    assert summary.feeds == {"ok": 6, "not_modified": 0, "failed": 0, "skipped": 0}
    assert summary.articles == {"seen": 11, "new": 11, "updated": 0, "duplicate": 0, "rejected": 0}
    titles = {doc["title"]: doc for doc in all_docs(es, settings).values()}
    assert "لافروف: العلاقات مع سوريا استراتيجية" in titles
    assert "Путин провёл переговоры с президентом Сирии" in titles
    assert 'Russia & Syria sign "wheat" deal — report' in titles
    wheat = titles['Russia & Syria sign "wheat" deal — report']
    assert wheat["summary"] == "Moscow and Damascus signed a wheat deal."
    assert wheat["url"] == "https://example-en.test/2026/11/wheat-deal"
    assert titles["Item without a date"]["date_flag"] == "missing"
    assert titles["Item from the future"]["date_flag"] == "future_clamped"
    lavrov = titles["لافروف: العلاقات مع سوريا استراتيجية"]
    assert lavrov["language"] == "ar" and lavrov["enrichment_version"]
    assert {"Sergey Lavrov", "Syria"} <= set(lavrov["entity_names"])


def test_unchanged_feed_answers_304_and_one_new_item_adds_one_document(es, settings, feed_server) -> None:
    url = feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml", etag='"v1"',
                                 headers={"Last-Modified": "Sat, 28 Nov 2026 10:00:00 GMT"})
    feeds = [feed("rss-ar", url, "ar")]
    first = run_ingest(settings, es, feeds=feeds)
    assert first.articles["new"] == 2
    ids_before = set(all_docs(es, settings))

    second = run_ingest(settings, es, feeds=feeds, force=True)
    assert second.feeds["not_modified"] == 1 and second.articles["new"] == 0
    conditional = feed_server.requests_to("/ar.xml")[-1]
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert set(all_docs(es, settings)) == ids_before

    body = (FEEDS / "rss2_ar_utf8.xml").read_text(encoding="utf-8").replace("</channel>", (
        "<item><title>لافروف يزور دمشق</title><link>https://example-ar.test/news/3</link>"
        "<description>وصل وزير الخارجية الروسي إلى دمشق.</description>"
        "<pubDate>Sun, 29 Nov 2026 08:00:00 GMT</pubDate></item></channel>"))
    feed_server.routes["/ar.xml"] = Route(body=body.encode("utf-8"), etag='"v2"')
    third = run_ingest(settings, es, feeds=feeds, force=True)
    assert third.articles == {"seen": 3, "new": 1, "updated": 0, "duplicate": 2, "rejected": 0}
    assert len(all_docs(es, settings)) == 3
    assert feed_state(es, settings, "rss-ar")["etag"] == '"v2"'


def test_failing_feeds_are_recorded_and_the_others_ingested(es, settings, feed_server) -> None:
    feed_server.routes["/500"] = Route(status=500)
    feed_server.routes["/slow"] = Route(body=b"<rss/>", delay_s=5)
    feed_server.routes["/big"] = Route(body=b"<rss>" + b"x" * 300_000)
    settings = settings.with_overrides(fetch_max_bytes=100_000)
    feeds = [
        feed("good", feed_server.serve_file("/atom.xml", "atom_en.xml")),
        feed("missing", feed_server.url("/404")),
        feed("error", feed_server.url("/500")),
        feed("slow", feed_server.url("/slow")),
        feed("html", feed_server.serve_file("/page", "html_page.html")),
        feed("truncated", feed_server.serve_file("/cut.xml", "truncated.xml"), "ar"),
        feed("oversize", feed_server.url("/big")),
    ]
    summary = run_ingest(settings, es, feeds=feeds)
    assert summary.feeds == {"ok": 2, "not_modified": 0, "failed": 5, "skipped": 0}
    assert summary.articles["new"] == 3, "atom's two items and the truncated feed's complete item"
    reasons = {f: feed_state(es, settings, f)["last_error"] for f in summary.failures}
    assert reasons["missing"] == "HTTP 404 Not Found"
    assert reasons["error"] == "HTTP 500 Internal Server Error"
    assert reasons["slow"].startswith("timeout")
    assert reasons["html"].startswith("not a ")
    assert "cap" in reasons["oversize"]
    truncated = feed_state(es, settings, "truncated")
    assert truncated["status"] == "ok" and "SAXParseException" in truncated["bozo_reason"]
    broken = feed_state(es, settings, "missing")
    assert broken["consecutive_failures"] == 1 and broken["failing_since"]
    assert summary.articles["rejected"] == 1, "the truncated feed's link-less tail went to dead letters"
    es.indices.refresh(index=settings.index("deadletter"))
    assert es.count(index=settings.index("deadletter"))["count"] == 1


def test_rerunning_the_same_run_leaves_the_index_identical(es, settings, feed_server) -> None:
    feeds = [feed("rss-ar", feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml"), "ar"),
             feed("atom", feed_server.serve_file("/atom.xml", "atom_en.xml"))]
    run_ingest(settings, es, feeds=feeds, run_id="run-1")
    before = all_docs(es, settings)
    again = run_ingest(settings, es, feeds=feeds, run_id="run-1", force=True)
    after = all_docs(es, settings)
    assert again.articles["new"] == 0 and again.articles["duplicate"] == 4
    assert set(after) == set(before) and len(before) == 4
    assert all(after[i]["content_hash"] == before[i]["content_hash"] for i in before)
    es.indices.refresh(index=settings.index("fetchlog"))
    assert es.count(index=settings.index("fetchlog"))["count"] == 2, "a re-run overwrites its fetch log"


def test_wire_copies_on_two_outlets_share_a_cluster(es, settings, feed_server) -> None:
    # Clustering looks back 7 days from now: the stories must be recent whenever the test runs.
    yesterday = format_datetime(datetime.now(UTC) - timedelta(days=1))
    story = ("<item><title>{title}</title><link>{link}</link><description>{desc}</description>"
             f"<pubDate>{yesterday}</pubDate></item>")
    text = ("استقبل الرئيس الروسي فلاديمير بوتين نظيره السوري أحمد الشرع في الكرملين لبحث التعاون "
            "الاقتصادي والعسكري بين البلدين وملفات القواعد والقمح والديون")
    rss = "<rss version='2.0'><channel><title>t</title>{}</channel></rss>"
    first = story.format(title="بوتين يستقبل الشرع", link="https://a.test/1", desc=text)
    copy = story.format(title="بوتين يستقبل الشرع في موسكو", link="https://b.test/x", desc=text + " وفق الوكالة")
    other = story.format(title="أمطار غزيرة في حلب", link="https://b.test/y",
                         desc="هطلت أمطار غزيرة على مدينة حلب اليوم وتسببت في انقطاع بعض الطرق")
    feed_server.routes["/a"] = Route(body=rss.format(first).encode())
    feed_server.routes["/b"] = Route(body=rss.format(copy + other).encode())
    run_ingest(settings, es, feeds=[feed("a", feed_server.url("/a"), "ar"), feed("b", feed_server.url("/b"), "ar")])
    docs = {doc["url"]: doc for doc in all_docs(es, settings).values()}
    assert docs["https://b.test/x"]["cluster_id"] == docs["https://a.test/1"]["cluster_id"] == docs[
        "https://a.test/1"]["id"]
    assert docs["https://b.test/y"]["cluster_id"] == docs["https://b.test/y"]["id"]


def test_full_text_is_fetched_and_enriched_when_enabled(es, settings, feed_server) -> None:
    paragraph = ("وصل وفد روسي إلى دمشق لبحث إعادة إعمار محطات الكهرباء وشحنات القمح. "
                 "وقال وزير الخارجية الروسي سيرغي لافروف إن التعاون مع سوريا استراتيجي. ") * 4
    page = f"<html><body><nav>القائمة</nav><article><h1>وفد روسي في دمشق</h1><p>{paragraph}</p></article></body></html>"
    feed_server.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n")
    feed_server.routes["/story/1"] = Route(body=page.encode("utf-8"),
                                           headers={"Content-Type": "text/html; charset=utf-8"})
    rss = ("<rss version='2.0'><channel><title>t</title><item><title>وفد روسي في دمشق</title>"
           f"<link>{feed_server.url('/story/1')}</link><description>خبر قصير</description></item></channel></rss>")
    feed_server.routes["/rss"] = Route(body=rss.encode("utf-8"))
    with_text = settings.with_overrides(fulltext=True, fulltext_per_domain_s=0.0, allow_private_hosts="127.0.0.1")
    run_ingest(with_text, es, feeds=[feed("ft", feed_server.url("/rss"), "ar")])
    (doc,) = all_docs(es, settings).values()
    assert "سيرغي لافروف" in doc["text"] and "القائمة" not in doc["text"]
    assert "Sergey Lavrov" in doc["entity_names"], "entities come from the full text, not only the summary"


def test_a_document_the_index_refuses_counts_as_rejected_not_new(es, settings, feed_server, monkeypatch) -> None:
    from mediawatch import document

    original = document.article_document

    def broken_date_for_one(article, indexed_at):
        doc = original(article, indexed_at)
        if article.url.endswith("/news/2"):
            doc["published_at"] = "not a date"
        return doc

    monkeypatch.setattr("mediawatch.ingest.article_document", broken_date_for_one)
    summary = run_ingest(settings, es, feeds=[feed("ar", feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml"), "ar")])
    assert summary.articles == {"seen": 2, "new": 1, "updated": 0, "duplicate": 0, "rejected": 1}
    es.indices.refresh(index=settings.index("deadletter"))
    (letter,) = [h["_source"] for h in es.search(index=settings.index("deadletter"))["hits"]["hits"]]
    assert letter["payload"]["url"] == "https://example-ar.test/news/2" and "published_at" in letter["reason"]
