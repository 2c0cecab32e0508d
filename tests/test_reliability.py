"""Faults between us and Elasticsearch, and load: nothing lost, nothing twice, counts that add up."""

from __future__ import annotations

import random
import time

import pytest
from mediawatch import ingest
from mediawatch.feeds import Feed
from mediawatch.index import setup_indices
from mediawatch.ingest import run_ingest
from mediawatch.orchestration import prepare_run
from mediawatch.store import StoreUnavailable, index_action, make_client, write_bulk

from .conftest import FEEDS, Route
from .esproxy import FaultProxy

pytestmark = pytest.mark.es


@pytest.fixture
def proxy(settings):
    fault_proxy = FaultProxy(settings.es_url).start()
    yield fault_proxy
    fault_proxy.stop()


def feed(feed_id: str, url: str, language: str = "ar") -> Feed:
    return Feed(id=feed_id, name=feed_id, url=url, language=language, country="SY", kind="state")


def test_elasticsearch_down_between_fetch_and_index_loses_nothing(settings, proxy, feed_server, monkeypatch) -> None:
    via_proxy = settings.with_overrides(es_url=proxy.url, es_timeout_s=2.0)
    es = make_client(via_proxy)
    setup_indices(es, via_proxy)
    feeds = [feed("ar", feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml", etag='"v1"')),
             feed("ru", feed_server.serve_file("/ru.xml", "rdf_ru.rdf", etag='"r1"'), "ru")]
    original = ingest.index_articles

    def index_after_outage(*args, **kwargs):
        proxy.stop()
        return original(*args, **kwargs)

    monkeypatch.setattr(ingest, "index_articles", index_after_outage)
    with pytest.raises(StoreUnavailable, match=proxy.url.replace(".", r"\.")):
        run_ingest(via_proxy, es, feeds=feeds)
    monkeypatch.setattr(ingest, "index_articles", original)
    proxy.start()

    direct = make_client(settings)
    assert not direct.exists(index=settings.index("feeds"), id="ar"), "no validators saved before indexing"
    summary = run_ingest(via_proxy, es, feeds=feeds)
    assert summary.feeds["ok"] == 2, "refetched in full: no ETag had been stored"
    assert all("if-none-match" not in h for h in feed_server.requests_to("/ar.xml"))
    direct.indices.refresh(index=settings.index("articles"))
    assert direct.count(index=settings.index("articles"))["count"] == 4
    assert summary.articles["new"] == 4
    assert direct.get(index=settings.index("feeds"), id="ar")["_source"]["etag"] == '"v1"'


def test_unreachable_elasticsearch_fails_fast_with_url_and_cause(settings) -> None:
    dead = settings.with_overrides(es_url="http://127.0.0.1:9", es_timeout_s=2.0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        prepare_run(dead)
    assert time.monotonic() - started < 30
    assert "http://127.0.0.1:9" in str(error.value) and "unreachable" in str(error.value)


def test_bulk_429_is_retried_with_backoff(settings, proxy) -> None:
    via_proxy = settings.with_overrides(es_url=proxy.url)
    es = make_client(via_proxy)
    setup_indices(es, via_proxy)
    proxy.reject_bulk = 2
    alias = settings.index("articles")
    docs = [index_action(alias, f"d{i}", {"id": f"d{i}", "title": "x"}) for i in range(10)]
    started = time.monotonic()
    report = write_bulk(es, docs, via_proxy)
    assert report.written == 10 and report.failed == []
    assert proxy.bulk_requests == 3, "two 429s, then the accepted request"
    assert time.monotonic() - started >= 1 + 2, "waits 1 s, then 2 s (doubling)"


def test_load_300_feeds_with_20_percent_failing(settings, es, feed_server) -> None:
    rng = random.Random(20261129)
    template = (FEEDS / "rss2_ar_utf8.xml").read_text(encoding="utf-8")
    faults = {
        "404": lambda: Route(status=404),
        "500": lambda: Route(status=500),
        "html": lambda: Route(body=(FEEDS / "html_page.html").read_bytes()),
        "truncated": lambda: Route(body=b"<?xml version='1.0'?><rss><channel><item><title>cut"),
        "oversize": lambda: Route(body=b"<rss>" + b"y" * 300_000),
        "slow": lambda: Route(body=b"<rss/>", delay_s=4),
    }
    feeds, failing, truncated = [], 0, 0
    for n in range(300):
        path = f"/f{n}.xml"
        if rng.random() < 0.2:
            fault = rng.choice(sorted(faults))
            feed_server.routes[path] = faults[fault]()
            # A truncated feed is used for what parses (bozo); its item without a link is rejected.
            truncated += fault == "truncated"
            failing += fault != "truncated"
        else:
            body = template.replace("news/1", f"feed{n}/1").replace("https://example-ar.test/news/2",
                                                                     f"https://example-ar.test/shared/{n % 40}")
            feed_server.routes[path] = Route(body=body.encode("utf-8"))
        feeds.append(feed(f"f{n}", feed_server.url(path)))
    loaded = settings.with_overrides(fetch_max_bytes=200_000, fetch_timeout_s=2.0, fetch_concurrency=16)
    summary = run_ingest(loaded, es, feeds=feeds)

    articles = summary.articles
    assert summary.feeds["ok"] + summary.feeds["failed"] == 300
    assert summary.feeds["failed"] == failing
    assert articles["seen"] == articles["new"] + articles["updated"] + articles["duplicate"] + articles["rejected"]
    es.indices.refresh(index=settings.index("articles"))
    assert es.count(index=settings.index("articles"))["count"] == articles["new"]
    clean_feeds = 300 - failing - truncated
    assert truncated > 0 and failing > 40
    assert articles["seen"] == 2 * clean_feeds + truncated
    assert articles["rejected"] == truncated
    assert articles["new"] == clean_feeds + 40, "each feed's own story plus 40 shared URLs"
    es.indices.refresh(index=settings.index("feeds"))
    failed_states = es.search(index=settings.index("feeds"), query={"term": {"status": "failed"}}, size=0,
                              track_total_hits=True)
    assert failed_states["hits"]["total"]["value"] == failing


def test_client_verifies_tls_by_default_and_takes_a_ca_file(settings, tmp_path) -> None:
    from mediawatch.settings import Settings

    default = make_client(Settings(es_url="https://es.example:9200"))
    node = next(iter(default.transport.node_pool.all()))
    assert node.config.verify_certs is True
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    with_ca = make_client(Settings(es_url="https://es.example:9200", es_ca_file=str(ca)))
    node = next(iter(with_ca.transport.node_pool.all()))
    assert node.config.ca_certs == str(ca) and node.config.verify_certs is True


def test_credentials_never_reach_messages_or_logs(settings, caplog) -> None:
    secret = settings.with_overrides(es_url="http://elastic:s3cr3t-pw@127.0.0.1:9", es_timeout_s=1.0)
    with pytest.raises(StoreUnavailable) as error:
        prepare_run(secret)
    assert "s3cr3t-pw" not in str(error.value) and "***@127.0.0.1:9" in str(error.value)
    assert "s3cr3t-pw" not in caplog.text
