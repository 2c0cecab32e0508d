"""The searches of a detection run, as pure body builders and response parsers.

Per language, a run counts stories for every key of every :class:`KeySpec` (all articles, each
entity, each topic, each entity co-mentioned with Russia or Syria) in the window and in each
baseline window, the hourly volume over the baseline span, and the mean tone toward each side.
The shared parts (story counts, tone metrics, the hourly histogram, top stories) come from
:mod:`mediawatch.esqueries`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..constants import COUNTRY_IDS, COUNTRY_NAMES, TONE_FIELDS
from ..esqueries import (
    HOURLY,
    STORY_COUNT,
    hourly_counts,
    parse_story,
    per_language,
    published_range,
    story_count,
    story_terms,
    tone_metrics,
)
from .model import Alert, Window, history_start, pair_key, pair_members

MAX_KEYS = 500  # candidate keys per kind and language
TOP_STORIES = 5


@dataclass(frozen=True)
class KeySpec:
    """One family of count series: a terms field (None for all articles), an optional anchor filter."""

    kind: str
    field: str | None = None
    anchor_id: str | None = None

    @property
    def anchor_name(self) -> str | None:
        return COUNTRY_NAMES.get(self.anchor_id) if self.anchor_id else None

    def filters(self) -> list[dict[str, Any]]:
        return [{"term": {"entity_ids": self.anchor_id}}] if self.anchor_id else []

    def key_for(self, term: str) -> str:
        return pair_key(self.anchor_name, term) if self.anchor_name else term


# Co-mention pairs are anchored on the two sides (by watchlist id).
KEY_SPECS = (KeySpec("volume"), KeySpec("entity", "entity_names"), KeySpec("topic", "topics"),
             *(KeySpec("pair", "entity_names", anchor_id) for anchor_id in COUNTRY_NAMES))


def _keys_agg(spec: KeySpec, min_count: int = 1, include: list[str] | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": spec.field, "size": MAX_KEYS, "min_doc_count": min_count}
    if spec.anchor_name:
        terms["exclude"] = [spec.anchor_name]
    if include is not None:
        terms["include"] = include
    return {"terms": terms}


def candidates_body(spec: KeySpec, window: Window, min_count: int) -> dict[str, Any]:
    """Keys with at least ``min_count`` articles in the window, per language (only those can alert)."""
    keys = {"keys": _keys_agg(spec, min_count)} if spec.field else None
    return {"size": 0, "query": {"bool": {"filter": [published_range(window.start, window.end), *spec.filters()]}},
            "aggs": {"languages": per_language(keys, min_doc_count=min_count)}}


def volume_history_body(window: Window, baseline_days: int) -> dict[str, Any]:
    """Hourly article counts per language over the baseline span (for the daily-profile test)."""
    query = {"bool": {"filter": [published_range(history_start(window, baseline_days), window.start)]}}
    return {"size": 0, "query": query, "aggs": {"languages": per_language({"hours": HOURLY})}}


def samples_body(spec: KeySpec, language: str, keys: list[str], window: Window,
                 baselines: list[Window]) -> dict[str, Any]:
    """Articles and stories of each key in the window and in each baseline window (one language)."""
    ranges = [{"key": "window", "from": window.start.isoformat(), "to": window.end.isoformat()}]
    ranges += [{"key": f"b{i}", "from": w.start.isoformat(), "to": w.end.isoformat()} for i, w in enumerate(baselines)]
    periods = {"date_range": {"field": "published_at", "ranges": ranges, "keyed": True}, "aggs": STORY_COUNT}
    aggs = {"keys": {**_keys_agg(spec, 1, keys), "aggs": {"periods": periods}}} if spec.field \
        else {"periods": periods}
    filters = [{"term": {"language": language}}, published_range(baselines[0].start, window.end), *spec.filters()]
    return {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": aggs}


def tone_body(window: Window, baseline_days: int) -> dict[str, Any]:
    """Mean tone and article count toward each country, window versus baseline, per language."""
    start = history_start(window, baseline_days)
    periods = {"filters": {"filters": {"window": published_range(window.start, window.end),
                                       "baseline": published_range(start, window.start)}},
               "aggs": tone_metrics()}
    return {"size": 0, "query": {"bool": {"filter": [published_range(start, window.end)]}},
            "aggs": {"languages": per_language({"periods": periods})}}


def key_filters(kind: str, key: str) -> list[dict[str, Any]]:
    """The article filter that selects one series' articles (used for the evidence stories)."""
    if kind == "entity":
        return [{"term": {"entity_names": key}}]
    if kind == "topic":
        return [{"term": {"topics": key}}]
    if kind == "tone":
        return [{"exists": {"field": TONE_FIELDS[key]}}]
    if kind == "pair":
        return [{"term": {"entity_ids": COUNTRY_IDS[name]}} if name in COUNTRY_IDS
                else {"term": {"entity_names": name}} for name in sorted(pair_members(key))]
    return []


def stories_body(alert: Alert, size: int = TOP_STORIES) -> dict[str, Any]:
    """The window's stories for an alert: one bucket per cluster_id (a wire story and its copies),
    biggest first (lowest tone first for tone alerts), with its first copy and its outlets."""
    filters = [published_range(alert.window.start, alert.window.end), {"term": {"language": alert.language}},
               *key_filters(alert.kind, alert.key)]
    order = [{"_count": "desc"}, {"_key": "asc"}]
    extra = None
    if alert.kind == "tone":
        extra = {"tone": {"avg": {"field": TONE_FIELDS[alert.key]}}}
        order = [{"tone": "asc"}, {"_key": "asc"}]
    return {"size": 0, "query": {"bool": {"filter": filters}},
            "aggs": {"stories": story_terms(size, order, outlets=10, extra=extra)}}


# --- Responses to series (pure) ------------------------------------------------------------------

def parse_candidates(response: dict[str, Any], spec: KeySpec) -> dict[str, list[str]]:
    """language -> keys (terms as they are in the index) that may alert."""
    result: dict[str, list[str]] = {}
    for language in response["aggregations"]["languages"]["buckets"]:
        if spec.field:
            result[language["key"]] = [b["key"] for b in language["keys"]["buckets"]]
        else:
            result[language["key"]] = [""]
    return {lang: keys for lang, keys in result.items() if keys}


def parse_volume_history(response: dict[str, Any], start: datetime, hours: int) -> dict[str, list[int]]:
    """language -> dense hourly article counts."""
    return {language["key"]: hourly_counts(language["hours"]["buckets"], start, hours)
            for language in response["aggregations"]["languages"]["buckets"]}


@dataclass(frozen=True)
class Counts:
    articles: int
    stories: int


def _period_counts(periods: dict[str, Any]) -> dict[str, Counts]:
    return {key: Counts(b["doc_count"], story_count(b)) for key, b in periods["buckets"].items()}


def parse_samples(response: dict[str, Any], spec: KeySpec) -> dict[str, dict[str, Counts]]:
    """term ("" for all-article volume) -> period key ("window", "b0", "b1"...) -> counts."""
    aggs = response["aggregations"]
    if not spec.field:
        return {"": _period_counts(aggs["periods"])}
    return {bucket["key"]: _period_counts(bucket["periods"]) for bucket in aggs["keys"]["buckets"]}


def parse_stories(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The evidence stories of :func:`stories_body`, as stored in the alert (with the tone if asked)."""
    stories = []
    for bucket in response["aggregations"]["stories"]["buckets"]:
        story = asdict(parse_story(bucket))
        if "tone" in bucket:
            story["tone"] = bucket["tone"]["value"]
        stories.append(story)
    return stories
