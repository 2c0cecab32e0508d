"""Bulk indexing: the project's writer (``store.write_bulk``) against raw ``_bulk`` requests.

Both send the same documents in the same chunk sizes, each into its own fresh index made from
the articles template; the reference sends NDJSON serialized before the clock starts, so the
ratio is what the writer adds (serialization, per-item bookkeeping, dead-letter handling) to
the node's own indexing time. The node's speed drifts (merges, JIT, other load), so the two
alternate in blocks of a few thousand documents (writer, raw, raw, writer, ...) and each side's
time is the sum of its blocks; the better of two rounds counts.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from elasticsearch import Elasticsearch
from mediawatch import store
from mediawatch.document import article_document
from mediawatch.enrich import load_enricher
from mediawatch.fetch import FetchResult
from mediawatch.normalize import parse_feed
from mediawatch.settings import Settings

from . import corpus, rss
from .parsing import feed_of
from .report import Result

DOCUMENTS = 50_000
# Distinct enriched articles the documents are varied from (6 feeds x 50 items, ar/ru/en).
BASE_FEEDS, BASE_ITEMS = 6, 50
# The writer must reach this share of the raw _bulk rate (issue 7).
MIN_RATE_SHARE = 0.7
ROUNDS = 2
BLOCK = 10_000  # documents per alternation: twenty requests of the default chunk size


def base_documents() -> list[dict]:
    """Enriched article documents, built the way ingest builds them."""
    enricher = load_enricher(corpus.SEEDS)
    fetched_at = datetime.now(UTC)
    docs = []
    for spec in rss.feed_specs(BASE_FEEDS):
        fetched = FetchResult(feed_id=spec.feed_id, url=f"https://{spec.domain}/rss", status="ok",
                              fetched_at=fetched_at, body=rss.feed_xml(spec, BASE_ITEMS, salt="index-"))
        for article in parse_feed(fetched, feed_of(spec)).articles:
            article.enrichment = enricher.enrich(article.title, article.summary, language=article.language).to_dict()
            article.cluster_id = article.id
            docs.append(article_document(article, fetched_at.isoformat()))
    return docs


def vary(base: list[dict], count: int) -> list[dict]:
    """``count`` documents: new ids, URLs, titles, dates and hashes over the base documents."""
    docs = []
    for n in range(count):
        doc = dict(base[n % len(base)])
        doc_id = hashlib.sha1(f"{doc['id']}-{n}".encode()).hexdigest()
        published = datetime.fromisoformat(doc["published_at"]) - timedelta(minutes=n)
        doc.update(id=doc_id, cluster_id=doc_id, url=f"{doc['url']}?v={n}", title=f"{doc['title']} ({n})",
                   published_at=published.isoformat(), content_hash=hashlib.sha1(doc_id.encode()).hexdigest())
        docs.append(doc)
    return docs


def _chunks(docs: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(docs), size):
        yield docs[start:start + size]


def ndjson_chunks(es: Elasticsearch, index: str, docs: list[dict], size: int) -> list[bytes]:
    """The request bodies ``streaming_bulk`` would send, serialized with the client's own serializer."""
    dumps = es.transport.serializers.get_serializer("application/json").dumps
    return [b"".join(dumps({"index": {"_index": index, "_id": d["id"]}}) + b"\n" + dumps(d) + b"\n" for d in chunk)
            for chunk in _chunks(docs, size)]


def send_raw(es: Elasticsearch, bodies: list[bytes]) -> int:
    """POST each body to _bulk; returns how many items the node refused."""
    refused = 0
    for body in bodies:
        response = es.bulk(operations=body)
        if response["errors"]:
            refused += sum(1 for item in response["items"] if "error" in item["index"])
    return refused


def send_writer(es: Elasticsearch, settings: Settings, index: str, docs: list[dict]) -> int:
    report = store.write_bulk(es, (store.index_action(index, d["id"], d) for d in docs), settings)
    return len(report.failed)


def _timed(send: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    refused = send()
    return time.perf_counter() - start, refused


def timed_round(es: Elasticsearch, settings: Settings, docs: list[dict], number: int) -> dict[str, float]:
    """One round: writer and raw alternate block by block, each into its own fresh index."""
    # "<prefix>-articles-v1NN" matches the articles template, so each index gets the real mapping.
    index = {kind: f"{settings.index('articles')}-v{100 + 2 * number + n}" for n, kind in enumerate(("writer", "raw"))}
    seconds = {"writer": 0.0, "raw": 0.0}
    refused = 0
    for name in index.values():
        es.indices.create(index=name)
    try:
        for block_no, block in enumerate(_chunks(docs, BLOCK)):
            bodies = ndjson_chunks(es, index["raw"], block, settings.bulk_chunk_size)
            sends = {"writer": partial(send_writer, es, settings, index["writer"], block),
                     "raw": partial(send_raw, es, bodies)}
            for kind in ("writer", "raw") if block_no % 2 == 0 else ("raw", "writer"):
                elapsed, failed = _timed(sends[kind])
                seconds[kind] += elapsed
                refused += failed
        es.indices.refresh(index=list(index.values()))
        stored = {kind: es.count(index=name)["count"] for kind, name in index.items()}
    finally:
        es.indices.delete(index=list(index.values()))
    if refused or any(count != len(docs) for count in stored.values()):
        raise RuntimeError(f"round {number} stored {stored} of {len(docs)} documents each ({refused} refused)")
    return seconds


def run(es: Elasticsearch, settings: Settings) -> list[Result]:
    docs = vary(base_documents(), DOCUMENTS)
    size_kb = sum(len(b) for b in ndjson_chunks(es, "x", docs[:500], 500)) / 500 / 1024
    rounds = [timed_round(es, settings, docs, number) for number in range(ROUNDS)]
    best = max(rounds, key=lambda r: r["raw"] / r["writer"])
    writer, raw = DOCUMENTS / best["writer"], DOCUMENTS / best["raw"]
    ratios = ", ".join(f"{r['raw'] / r['writer']:.2f}" for r in rounds)
    return [Result(f"indexing, {DOCUMENTS:,} enriched docs (~{size_kb:.1f} KB each)",
                   f"write_bulk {writer:,.0f} docs/s", f"raw _bulk NDJSON {raw:,.0f} docs/s", writer / raw,
                   f">= {MIN_RATE_SHARE:g}",
                   note=(f"rate ratio writer/raw; chunks of {settings.bulk_chunk_size}; alternating blocks of "
                         f"{BLOCK:,} documents into two fresh indices; best of {ROUNDS} rounds (ratios {ratios}); "
                         "wall time"))]
