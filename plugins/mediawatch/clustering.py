"""Grouping near-duplicate articles (the same wire story on several outlets) under one cluster_id."""

from __future__ import annotations

from collections import defaultdict

from elasticsearch import Elasticsearch

from .fingerprint import is_near_duplicate
from .records import Article
from .settings import Settings

# Wire copies appear within days of each other; older matches are a different story.
LOOKBACK = "now-7d"


def _candidate_query(article: Article) -> dict:
    return {
        "size": 20,
        "_source": ["fingerprint", "cluster_id"],
        "sort": [{"published_at": "asc"}],
        "query": {"bool": {
            "must_not": [{"ids": {"values": [article.id]}}],
            "filter": [{"terms": {"fingerprint_bands": article.fingerprint_bands}},
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
        searches += [{"index": index}, _candidate_query(article)]
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
