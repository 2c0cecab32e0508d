"""Elasticsearch queries over the articles that alerts and the briefing share.

Both count *stories* (a ``cluster_id``: a wire story and its copies), read the mean tone toward
Russia and Syria, bin articles by the hour and list a period's top stories with their first copy
and outlets. Each of those is built and parsed here once; alerts and the briefing compose them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from .constants import TONE_FIELDS
from .settings import Settings

HOURLY = {"date_histogram": {"field": "published_at", "fixed_interval": "1h", "min_doc_count": 1}}
# A story is a cluster_id; an article without one (not clustered) is a story of its own. Counts up to
# the precision threshold (Elasticsearch's maximum) are close to exact.
STORY_COUNT = {"story_count": {"cardinality": {"field": "cluster_id", "precision_threshold": 40000}},
               "unclustered": {"missing": {"field": "cluster_id"}}}
STORY_FIELDS = ["title", "url", "source", "published_at", "language"]
LANGUAGE_BUCKETS = 20  # more than the languages there are: none is cut off


def search(es: Elasticsearch, settings: Settings, body: dict[str, Any], index: str = "articles") -> dict[str, Any]:
    """One search on one of the project's aliases; the response body as a plain dict."""
    return es.search(index=settings.index(index), body=body).body


def published_range(start: datetime, end: datetime) -> dict[str, Any]:
    return {"range": {"published_at": {"gte": start.isoformat(), "lt": end.isoformat()}}}


def per_language(aggs: dict[str, Any] | None = None, min_doc_count: int | None = None) -> dict[str, Any]:
    """A terms aggregation on ``language`` with ``aggs`` under each language."""
    terms: dict[str, Any] = {"field": "language", "size": LANGUAGE_BUCKETS}
    if min_doc_count is not None:
        terms["min_doc_count"] = min_doc_count
    return {"terms": terms, "aggs": aggs} if aggs else {"terms": terms}


def hourly_counts(buckets: list[dict[str, Any]], start: datetime, hours: int) -> list[int]:
    """Dense hourly counts from the sparse buckets of :data:`HOURLY` (min_doc_count 1)."""
    counts = [0] * hours
    origin = int(start.timestamp() * 1000)
    for bucket in buckets:
        index = (bucket["key"] - origin) // 3_600_000
        if 0 <= index < hours:
            counts[index] += bucket["doc_count"]
    return counts


# --- Tone -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ToneStat:
    mean: float | None
    count: int


def tone_metrics() -> dict[str, Any]:
    """Mean tone and the number of articles with a tone, toward each side."""
    metrics = {}
    for side, tone_field in TONE_FIELDS.items():
        metrics[f"{side}_mean"] = {"avg": {"field": tone_field}}
        metrics[f"{side}_count"] = {"value_count": {"field": tone_field}}
    return metrics


def tone_stats(bucket: dict[str, Any]) -> dict[str, ToneStat]:
    """Side -> its :func:`tone_metrics` in one bucket."""
    return {side: ToneStat(bucket[f"{side}_mean"]["value"], int(bucket[f"{side}_count"]["value"]))
            for side in TONE_FIELDS}


# --- Stories --------------------------------------------------------------------------------------

def story_count(bucket: dict[str, Any]) -> int:
    """The stories of a bucket that has the :data:`STORY_COUNT` aggregations."""
    return int(bucket["story_count"]["value"]) + bucket["unclustered"]["doc_count"]


def story_terms(size: int, order: list[dict[str, str]], outlets: int = 10,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The top ``size`` stories: one bucket per cluster_id with its first copy and its outlets."""
    first = {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}], "_source": STORY_FIELDS}}
    aggs = {"first": first, "outlets": {"terms": {"field": "source", "size": outlets}}, **(extra or {})}
    return {"terms": {"field": "cluster_id", "size": size, "order": order}, "aggs": aggs}


@dataclass
class Story:
    cluster_id: str
    title: str
    url: str
    language: str
    source: str
    published_at: str
    copies: int
    outlets: list[str]


def parse_story(bucket: dict[str, Any]) -> Story:
    """One bucket of :func:`story_terms`."""
    first = bucket["first"]["hits"]["hits"][0]["_source"]
    return Story(bucket["key"], first.get("title", ""), first.get("url", ""), first.get("language", ""),
                 first.get("source", ""), first.get("published_at", ""), bucket["doc_count"],
                 [b["key"] for b in bucket["outlets"]["buckets"]])
