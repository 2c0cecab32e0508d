"""Grouping near-duplicate articles (the same wire story on several outlets) under one cluster_id.

:func:`assign_clusters` labels a feed's articles as they are indexed, from what the index holds
then. Feeds processed at the same time (the DAG's mapped tasks, several workers) cannot see each
other's articles, so :func:`reconcile` re-derives the labels of the articles a run indexed once all
its tasks are done, from the fingerprints alone: near-duplicates form one group whatever the order
they arrived in, and a group takes the cluster of its earliest-published earlier-indexed member,
else the id of its earliest-published member (ties: the smaller id).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from elasticsearch import Elasticsearch, helpers

from .fingerprint import is_near_duplicate
from .records import Article
from .settings import Settings

log = logging.getLogger(__name__)

# Wire copies appear within days of each other; older matches are a different story.
LOOKBACK = "now-7d"
# Candidate searches per msearch request during reconciliation.
MSEARCH_CHUNK = 200
RECONCILE_FIELDS = ("fingerprint", "fingerprint_bands", "cluster_id", "published_at", "indexed_at")
# Candidates read per article during reconciliation (a story rarely has more copies in a week).
RECONCILE_CANDIDATES = 50


def _candidate_query(doc_id: str, bands: list[str], size: int = 20,
                     fields: tuple[str, ...] = ("fingerprint", "cluster_id")) -> dict:
    return {
        "size": size,
        "_source": list(fields),
        "sort": [{"published_at": "asc"}],
        "query": {"bool": {
            "must_not": [{"ids": {"values": [doc_id]}}],
            "filter": [{"terms": {"fingerprint_bands": bands}},
                       {"range": {"published_at": {"gte": LOOKBACK}}}],
        }},
    }


def _indexed_matches(es: Elasticsearch, settings: Settings, articles: list[Article]) -> dict[str, str]:
    """cluster_id of the earliest indexed near-duplicate of each article, if any."""
    if not articles:
        return {}
    index = settings.index("articles")
    searches: list[dict] = []
    for article in articles:
        searches += [{"index": index}, _candidate_query(article.id, article.fingerprint_bands)]
    responses = es.msearch(searches=searches)["responses"]
    matches = {}
    for article, response in zip(articles, responses, strict=True):
        for hit in response.get("hits", {}).get("hits", []):
            if is_near_duplicate(article.fingerprint, hit["_source"].get("fingerprint", "")):
                matches[article.id] = hit["_source"].get("cluster_id") or hit["_id"]
                break
    return matches


def assign_clusters(es: Elasticsearch, settings: Settings, articles: list[Article]) -> None:
    """Set ``cluster_id`` on articles that have none: an indexed twin's cluster, a batch twin's, or their own id."""
    pending = [a for a in articles if not a.cluster_id]
    indexed = _indexed_matches(es, settings, pending)
    by_band: dict[str, list[Article]] = defaultdict(list)
    for article in pending:
        article.cluster_id = indexed.get(article.id) or _batch_match(article, by_band) or article.id
        for band in article.fingerprint_bands:
            by_band[band].append(article)


def _batch_match(article: Article, by_band: dict[str, list[Article]]) -> str | None:
    for band in article.fingerprint_bands:
        for other in by_band.get(band, []):
            if is_near_duplicate(article.fingerprint, other.fingerprint):
                return other.cluster_id
    return None



def reconcile(es: Elasticsearch, settings: Settings, since: str) -> int:
    """Re-derive the cluster ids of the articles indexed at or after ``since``; returns how many changed.

    Only those articles are rewritten (a partial update of ``cluster_id``); earlier ones keep theirs.
    """
    recent = _recent_articles(es, settings, since)
    if not recent:
        return 0
    edges, older = _near_duplicates(es, settings, recent)
    groups = _groups(list(recent) + list(older), edges)
    changes = {}
    for members in groups:
        label = _group_label(members, recent, older)
        changes.update({m: label for m in members if m in recent and recent[m].get("cluster_id") != label})
    actions = ({"_op_type": "update", "_index": recent[doc_id]["_index"], "_id": doc_id, "doc": {"cluster_id": label}}
               for doc_id, label in changes.items())
    helpers.bulk(es, actions, refresh=True)
    log.info("clusters reconciled: %d articles since %s, %d relabelled", len(recent), since, len(changes))
    return len(changes)


def _recent_articles(es: Elasticsearch, settings: Settings, since: str) -> dict[str, dict[str, Any]]:
    """Articles indexed at or after ``since``, by id, with the backing index each lives in."""
    es.indices.refresh(index=settings.index("articles"))
    hits = helpers.scan(es, index=settings.index("articles"), _source=list(RECONCILE_FIELDS),
                        query={"query": {"range": {"indexed_at": {"gte": since}}}})
    return {hit["_id"]: {**hit["_source"], "_index": hit["_index"]} for hit in hits}


def _near_duplicates(es: Elasticsearch, settings: Settings, recent: dict[str, dict[str, Any]]
                     ) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """Near-duplicate pairs from each recent article, and the sources of the earlier-indexed ones met."""
    edges: list[tuple[str, str]] = []
    older: dict[str, dict[str, Any]] = {}
    ids = list(recent)
    for start in range(0, len(ids), MSEARCH_CHUNK):
        chunk = ids[start:start + MSEARCH_CHUNK]
        searches: list[dict] = []
        for doc_id in chunk:
            query = _candidate_query(doc_id, recent[doc_id].get("fingerprint_bands") or [], RECONCILE_CANDIDATES,
                                     RECONCILE_FIELDS)
            searches += [{"index": settings.index("articles")}, query]
        for doc_id, response in zip(chunk, es.msearch(searches=searches)["responses"], strict=True):
            for hit in response.get("hits", {}).get("hits", []):
                if is_near_duplicate(recent[doc_id].get("fingerprint", ""), hit["_source"].get("fingerprint", "")):
                    edges.append((doc_id, hit["_id"]))
                    if hit["_id"] not in recent:
                        older[hit["_id"]] = hit["_source"]
    return edges, older


def _groups(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Connected groups of ``ids`` under ``edges`` (union-find)."""
    parent = {doc_id: doc_id for doc_id in ids}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in ids:
        groups[root(doc_id)].append(doc_id)
    return list(groups.values())


def _group_label(members: list[str], recent: dict[str, dict[str, Any]], older: dict[str, dict[str, Any]]) -> str:
    """The earliest-published earlier-indexed member's cluster, else the earliest-published member's id."""
    def published(doc_id: str) -> tuple[str, str]:
        source = older.get(doc_id) or recent[doc_id]
        return (source.get("published_at") or "", doc_id)

    indexed_before = [m for m in members if m in older]
    if indexed_before:
        first = min(indexed_before, key=published)
        return older[first].get("cluster_id") or first
    return min(members, key=published)
