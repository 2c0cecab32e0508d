"""Faults between us and Elasticsearch, and load: nothing lost, nothing twice, counts that add up."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from mediawatch import ingest
from mediawatch.feeds import Feed
from mediawatch.index import setup_indices
from mediawatch.ingest import run_ingest
from mediawatch.orchestration import prepare_run
from mediawatch.store import StoreUnavailable, WritesRefused, index_action, make_client, write_bulk

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


# --- Elasticsearch refusing writes: nothing parked in dead letters, nothing skipped ------------

# (setting, words of the reason the run reports); both blocks are real on the test distribution.
BLOCKS = {"write block": ("index.blocks.write", "write block (index.blocks.write)"),
          "flood stage": ("index.blocks.read_only_allow_delete", "disk flood stage")}
FEED_IDS = ("alpha", "beta", "gamma")
PUBLISHED = datetime.now(UTC).replace(microsecond=0)  # recent, so clustering looks at them; fixed per session


def rss(feed_id: str, items: int) -> bytes:
    """A feed with ``items`` English Russia–Syria stories; a later version adds to the earlier."""
    entries = "".join(
        f"<item><title>{feed_id}: Russia and Syria discuss wheat, part {n}</title>"
        f"<link>https://{feed_id}.example.test/news/{n}</link>"
        f"<description>Moscow and Damascus discussed wheat deliveries ({feed_id}, part {n}).</description>"
        f"<pubDate>{format_datetime(PUBLISHED - timedelta(hours=n))}</pubDate></item>" for n in range(1, items + 1))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{feed_id}</title>"
            f"{entries}</channel></rss>").encode()


def serve_three_feeds(feed_server, items: int, version: str) -> list[Feed]:
    for feed_id in FEED_IDS:
        feed_server.routes[f"/{feed_id}.xml"] = Route(body=rss(feed_id, items), etag=f'"{feed_id}-{version}"')
    return [feed(feed_id, feed_server.url(f"/{feed_id}.xml"), "en") for feed_id in FEED_IDS]


def feed_states(es, settings) -> dict[str, dict]:
    found = es.mget(index=settings.index("feeds"), ids=list(FEED_IDS))["docs"]
    return {doc["_id"]: doc["_source"] for doc in found if doc.get("found")}


def dead_letters(es, settings) -> int:
    es.indices.refresh(index=settings.index("deadletter"))
    return es.count(index=settings.index("deadletter"))["count"]


def article_urls(es, settings) -> list[str]:
    es.indices.refresh(index=settings.index("articles"))
    hits = es.search(index=settings.index("articles"), size=100, source=["url"])["hits"]["hits"]
    return sorted(hit["_source"]["url"] for hit in hits)


def expected_urls(items: int) -> list[str]:
    return sorted(f"https://{f}.example.test/news/{n}" for f in FEED_IDS for n in range(1, items + 1))


@pytest.fixture
def blocked(es, settings):
    """``blocked(setting)`` puts a real index block on the articles index; lifted after the test."""
    applied: list[str] = []

    def apply(setting: str, value: bool | None = True) -> None:
        es.indices.put_settings(index=settings.index("articles"), settings={setting: value})
        applied.append(setting)

    yield apply
    for setting in applied:
        es.indices.put_settings(index=settings.index("articles"), settings={setting: None})


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_a_block_in_place_stops_the_run_before_any_fetch_and_the_next_run_catches_up(
        settings, es, feed_server, blocked, block) -> None:
    setting, words = BLOCKS[block]
    run_ingest(settings, es, feeds=serve_three_feeds(feed_server, 2, "v1"))
    feeds = serve_three_feeds(feed_server, 3, "v2")
    before, requests = feed_states(es, settings), len(feed_server.requests)
    blocked(setting)

    started = time.monotonic()
    summary = run_ingest(settings, es, feeds=feeds, force=True)
    assert time.monotonic() - started < 10
    assert words in summary.refused and settings.index("articles") in summary.refused
    assert summary.feeds == {"ok": 0, "not_modified": 0, "failed": 0, "skipped": 3}
    assert len(feed_server.requests) == requests, "no feed was fetched"
    assert dead_letters(es, settings) == 0
    assert feed_states(es, settings) == before, "validators and health untouched"

    blocked(setting, None)
    again = run_ingest(settings, es, feeds=feeds, force=True)
    assert again.refused is None and again.articles["new"] == 3 and again.articles["duplicate"] == 6
    assert article_urls(es, settings) == expected_urls(3), "every article exactly once"
    assert {s["etag"] for s in feed_states(es, settings).values()} == {f'"{f}-v2"' for f in FEED_IDS}


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_a_block_met_by_the_bulk_write_fails_the_feed_and_stops_the_run(settings, es, feed_server, blocked,
                                                                         block) -> None:
    setting, words = BLOCKS[block]
    settings = settings.with_overrides(bulk_max_retries=2)  # 1 s + 2 s of backoff; the default 5 waits 31 s
    run_ingest(settings, es, feeds=serve_three_feeds(feed_server, 2, "v1"))
    feeds = serve_three_feeds(feed_server, 3, "v2")
    before = feed_states(es, settings)

    def block_after_the_first_feed(outcome) -> None:
        if outcome.feed_id == "alpha":
            blocked(setting)

    started = time.monotonic()
    summary = run_ingest(settings, es, feeds=feeds, force=True, on_feed=block_after_the_first_feed)
    assert time.monotonic() - started < 60
    assert words in summary.refused
    assert summary.feeds == {"ok": 1, "not_modified": 0, "failed": 2, "skipped": 0}
    assert summary.articles == {"seen": 3, "new": 1, "updated": 0, "duplicate": 2, "rejected": 0}
    assert dead_letters(es, settings) == 0, "refused by the cluster: not the documents' fault"
    states = feed_states(es, settings)
    assert states["alpha"]["etag"] == '"alpha-v2"' and states["alpha"]["status"] == "ok"
    for feed_id in ("beta", "gamma"):
        assert states[feed_id]["etag"] == before[feed_id]["etag"] == f'"{feed_id}-v1"', "validators kept"
        assert states[feed_id]["status"] == "failed" and words in states[feed_id]["last_error"]
        assert states[feed_id]["consecutive_failures"] == 0, "the feed is not to blame: no backoff"

    blocked(setting, None)
    again = run_ingest(settings, es, feeds=feeds)  # not forced: the refused feeds are due at once
    assert again.refused is None
    assert again.feeds == {"ok": 2, "not_modified": 0, "failed": 0, "skipped": 1}
    assert again.articles["new"] == 2
    assert article_urls(es, settings) == expected_urls(3), "every article exactly once"
    assert dead_letters(es, settings) == 0


def test_bulk_answering_503_fails_the_run_without_dead_letters_and_the_next_run_catches_up(
        settings, proxy, feed_server) -> None:
    via_proxy = settings.with_overrides(es_url=proxy.url, bulk_max_retries=2)
    es = make_client(via_proxy)
    setup_indices(es, via_proxy)
    run_ingest(via_proxy, es, feeds=serve_three_feeds(feed_server, 2, "v1"))
    feeds = serve_three_feeds(feed_server, 3, "v2")
    before = feed_states(es, settings)
    proxy.bulk_status = 503

    started = time.monotonic()
    summary = run_ingest(via_proxy, es, feeds=feeds, force=True)
    assert time.monotonic() - started < 60
    assert "HTTP 503" in summary.refused and "unavailable_shards_exception" in summary.refused
    assert summary.feeds["ok"] == 0 and summary.feeds["failed"] + summary.feeds["skipped"] == 3
    assert dead_letters(es, settings) == 0
    assert feed_states(es, settings) == before, "the state writes were refused too: validators unchanged"
    assert article_urls(es, settings) == expected_urls(2)

    proxy.bulk_status = None
    again = run_ingest(via_proxy, es, feeds=feeds, force=True)
    assert again.refused is None and again.articles["new"] == 3
    assert article_urls(es, settings) == expected_urls(3), "every article exactly once"


def test_the_dag_path_refuses_before_mapping_and_a_refused_feed_task_is_retried(
        settings, es, feed_server, blocked, tmp_path) -> None:
    from mediawatch.orchestration import FeedFailed, ingest_batch_task

    registry = tmp_path / "feeds.yaml"
    serve_three_feeds(feed_server, 2, "v1")
    registry.write_text("feeds:\n" + "".join(
        f"  - {{id: {f}, name: {f}, url: '{feed_server.url(f'/{f}.xml')}', language: en, country: SY,"
        " kind: state}\n" for f in FEED_IDS))
    settings = settings.with_overrides(feeds_file=registry, bulk_max_retries=1)
    blocked("index.blocks.write")
    with pytest.raises(WritesRefused, match=r"index\.blocks\.write"):
        prepare_run(settings)
    with pytest.raises(WritesRefused, match="write block") as refused:
        ingest_batch_task(settings, ["alpha"], "run-dag")
    assert not isinstance(refused.value, FeedFailed), "not final: Airflow retries the task"
    assert dead_letters(es, settings) == 0
