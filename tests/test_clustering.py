"""Near-duplicate clusters that do not depend on timing: wire copies of one story ingested by
concurrent processes (the DAG's mapped tasks) end in one cluster, whatever the order."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from mediawatch.orchestration import finish_run, ingest_batch_task, prepare_run
from mediawatch.settings import Settings
from mediawatch.store import now_iso

from .conftest import Route

pytestmark = pytest.mark.es

TEXT = ("استقبل الرئيس الروسي فلاديمير بوتين نظيره السوري أحمد الشرع في الكرملين لبحث التعاون "
        "الاقتصادي والعسكري بين البلدين وملفات القواعد والقمح والديون")
RSS = "<rss version='2.0'><channel><title>t</title>{}</channel></rss>"
ITEM = "<item><title>{}</title><link>{}</link><description>{}</description><pubDate>{}</pubDate></item>"


def serve_two_copies(feed_server, tmp_path: Path, settings: Settings) -> Settings:
    """Feed ``a`` carries the story published two hours ago, feed ``b`` a re-edited copy from one hour
    ago plus an unrelated item (recent: clustering looks back seven days)."""
    now = datetime.now(UTC)
    first = ITEM.format("بوتين يستقبل الشرع", "https://a.test/1", TEXT, format_datetime(now - timedelta(hours=2)))
    copy = ITEM.format("بوتين يستقبل الشرع في موسكو", "https://b.test/x", TEXT + " وفق الوكالة",
                       format_datetime(now - timedelta(hours=1)))
    other = ITEM.format("أمطار غزيرة في حلب", "https://b.test/y",
                        "هطلت أمطار غزيرة على مدينة حلب اليوم وتسببت في انقطاع بعض الطرق", format_datetime(now))
    feed_server.routes["/a"] = Route(body=RSS.format(first).encode())
    feed_server.routes["/b"] = Route(body=RSS.format(copy + other).encode())
    registry = tmp_path / "feeds.yaml"
    registry.write_text("feeds:\n" + "".join(
        f"  - {{id: {f}, name: {f}, url: '{feed_server.url(f'/{f}')}', language: ar, country: SY, kind: state}}\n"
        for f in ("a", "b")), encoding="utf-8")
    settings = settings.with_overrides(feeds_file=registry)
    assert prepare_run(settings, force=True) == ["a", "b"]
    return settings


def clusters(es, settings: Settings) -> dict[str, tuple[str, str]]:
    es.indices.refresh(index=settings.index("articles"))
    hits = es.search(index=settings.index("articles"), size=10)["hits"]["hits"]
    return {hit["_source"]["url"]: (hit["_id"], hit["_source"]["cluster_id"]) for hit in hits}


def _task(settings: Settings, feed_id: str, run_id: str, ready) -> None:
    """One mapped task in its own process; the enricher is loaded before the barrier so that both
    processes classify and cluster at the same moment."""
    from mediawatch.enrich import load_enricher

    load_enricher(settings.seeds_dir)
    ready.wait(timeout=120)
    ingest_batch_task(settings, [feed_id], run_id)


def test_copies_ingested_by_two_concurrent_processes_end_in_one_cluster(es, settings, feed_server,
                                                                        tmp_path) -> None:
    settings = serve_two_copies(feed_server, tmp_path, settings)
    started_at = now_iso()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(2)
    workers = [ctx.Process(target=_task, args=(settings, feed_id, "run-concurrent", ready)) for feed_id in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    assert [worker.exitcode for worker in workers] == [0, 0]
    before = clusters(es, settings)
    print(f"\n[clustering] before reconciliation: {len({c for _, c in before.values()})} clusters for 3 articles")

    summary = finish_run(settings, "run-concurrent", started_at, 2, "test")

    assert summary["articles"]["new"] == 3
    after = clusters(es, settings)
    first_id = after["https://a.test/1"][0]
    assert after["https://a.test/1"][1] == after["https://b.test/x"][1] == first_id, "one story, one cluster"
    assert after["https://b.test/y"][1] == after["https://b.test/y"][0], "the unrelated item stays alone"


@pytest.mark.parametrize("order", [["a", "b"], ["b", "a"]])
def test_the_same_input_gives_the_same_clusters_whatever_the_task_order(es, settings, feed_server, tmp_path,
                                                                         order) -> None:
    settings = serve_two_copies(feed_server, tmp_path, settings)
    started_at = now_iso()
    for feed_id in order:
        ingest_batch_task(settings, [feed_id], "run-ordered")
    finish_run(settings, "run-ordered", started_at, 2, "test")
    after = clusters(es, settings)
    assert after["https://b.test/x"][1] == after["https://a.test/1"][1] == after["https://a.test/1"][0], (
        "the earliest-published copy names the cluster, whichever task ran first")


def test_a_later_run_joins_the_cluster_already_indexed(es, settings, feed_server, tmp_path) -> None:
    settings = serve_two_copies(feed_server, tmp_path, settings)
    ingest_batch_task(settings, ["b"], "run-1")  # the later copy alone: its own cluster
    first_run = clusters(es, settings)
    assert first_run["https://b.test/x"][1] == first_run["https://b.test/x"][0]
    started_at = now_iso()
    ingest_batch_task(settings, ["a"], "run-2")
    finish_run(settings, "run-2", started_at, 1, "test")
    after = clusters(es, settings)
    assert after["https://a.test/1"][1] == after["https://b.test/x"][1] == first_run["https://b.test/x"][1], (
        "a cluster already indexed keeps its id; only the run's own articles are relabelled")
