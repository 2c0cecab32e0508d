"""Re-enrichment: page through indexed articles (point in time + search_after) and update them.

Used after a watchlist, lexicon or rule change: every document records the
``enrichment_version`` that produced it, so "only older versions" picks exactly the stale ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from elasticsearch import Elasticsearch

from . import store
from .document import enrich_text, enrichment_fields
from .enrich import Enricher
from .settings import Settings

log = logging.getLogger(__name__)
SOURCE_FIELDS = ["title", "summary", "text", "language", "enrichment_version"]


@dataclass
class ReenrichReport:
    matched: int = 0
    updated: int = 0
    failed: int = 0
    dry_run: bool = False
    enrichment_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def selection_query(start: date | None = None, end: date | None = None, languages: list[str] | None = None,
                    older_than_version: str | None = None) -> dict[str, Any]:
    """Which documents to re-enrich: a date range (inclusive days), languages, stale versions."""
    filters: list[dict[str, Any]] = []
    if start or end:
        bounds = {}
        if start:
            bounds["gte"] = start.isoformat()
        if end:
            bounds["lte"] = f"{end.isoformat()}||/d"
        filters.append({"range": {"published_at": bounds}})
    if languages:
        filters.append({"terms": {"language": languages}})
    must_not = [{"term": {"enrichment_version": older_than_version}}] if older_than_version else []
    return {"bool": {"filter": filters, "must_not": must_not}}


def iter_pages(es: Elasticsearch, index: str, query: dict[str, Any], page_size: int) -> Iterator[list[dict]]:
    """Stable pages over a point in time, so concurrent writes neither skip nor repeat documents."""
    pit = es.open_point_in_time(index=index, keep_alive="2m")["id"]
    try:
        search_after = None
        while True:
            response = es.search(pit={"id": pit, "keep_alive": "2m"}, query=query, size=page_size,
                                 sort=[{"_shard_doc": "asc"}], search_after=search_after,
                                 source={"includes": SOURCE_FIELDS})
            hits = response["hits"]["hits"]
            if not hits:
                return
            pit = response.get("pit_id", pit)
            search_after = hits[-1]["sort"]
            yield hits
    finally:
        es.close_point_in_time(id=pit)


def update_action(index: str, hit: dict[str, Any], enricher: Enricher, enriched_at: str) -> dict[str, Any]:
    source = hit["_source"]
    enrichment = enrich_text(enricher, source.get("title", ""), source.get("summary", ""), source.get("text", ""),
                             source.get("language"))
    return {"_op_type": "update", "_index": hit["_index"], "_id": hit["_id"],
            "doc": enrichment_fields(enrichment, enriched_at)}


def reenrich(es: Elasticsearch, settings: Settings, enricher: Enricher, start: date | None = None,
             end: date | None = None, languages: list[str] | None = None, only_older: bool = False,
             dry_run: bool = False, page_size: int = 500, run_id: str = "") -> ReenrichReport:
    """Re-enrich the selected documents in bulk; logs progress with counts after every page."""
    index = settings.index("articles")
    query = selection_query(start, end, languages, enricher.version if only_older else None)
    report = ReenrichReport(matched=es.count(index=index, query=query)["count"], dry_run=dry_run,
                            enrichment_version=enricher.version)
    log.info("re-enrich: %d documents match (version now %s)%s", report.matched, enricher.version,
             "; dry run, nothing will be written" if dry_run else "")
    if dry_run or not report.matched:
        return report
    for hits in iter_pages(es, index, query, page_size):
        actions = [update_action(index, hit, enricher, store.now_iso()) for hit in hits]
        bulk = store.write_bulk(es, actions, settings, run_id=run_id)
        report.updated += bulk.written
        report.failed += len(bulk.failed)
        log.info("re-enrich progress: %d/%d updated, %d failed", report.updated, report.matched, report.failed)
    es.indices.refresh(index=index)
    return report
