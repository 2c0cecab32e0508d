"""Full-text search over articles, with the same analysis the index uses."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from .analysis import search_terms
from .settings import Settings

# The one ``--since`` grammar (search, alerts, candidates, briefing): a positive count of hours, days,
# weeks or calendar months.
_SINCE = re.compile(r"^([1-9]\d*)([hdwm])$")
_UNITS = {"h": "h", "d": "d", "w": "w", "m": "M"}
_DELTAS = {"h": "hours", "d": "days", "w": "weeks"}
TEXT_FIELDS = ["title^3", "summary", "text"]


@dataclass
class Hit:
    published_at: str
    source: str
    language: str
    title: str
    url: str
    score: float


def _since_parts(since: str) -> tuple[int, str]:
    match = _SINCE.match(since.strip())
    if not match:
        raise ValueError(f"--since must look like 12h, 7d, 2w or 1m (months), not {since!r}")
    return int(match.group(1)), match.group(2)


def since_expression(since: str) -> str:
    """``7d`` -> ``now-7d`` (h, d, w, m=months): Elasticsearch date math for a range query."""
    amount, unit = _since_parts(since)
    return f"now-{amount}{_UNITS[unit]}"


def since_start(since: str, now: datetime) -> datetime:
    """The instant ``since`` before ``now``, as Elasticsearch reads :func:`since_expression`:
    months are calendar months, the day kept or clamped to the month's last day."""
    amount, unit = _since_parts(since)
    if unit != "m":
        return now - timedelta(**{_DELTAS[unit]: amount})
    months = now.year * 12 + now.month - 1 - amount
    year, month = divmod(months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def build_query(text: str, since: str | None = None, language: str | None = None,
                entity: str | None = None, fields: list[str] | None = None) -> dict[str, Any]:
    """Text matches either the stored text fields or the pre-analysed ``search_terms``."""
    must: list[dict[str, Any]] = []
    if text.strip():
        must.append({"bool": {"should": [
            {"multi_match": {"query": text, "fields": fields or TEXT_FIELDS}},
            {"match": {"search_terms": {"query": search_terms(text), "operator": "and"}}},
        ], "minimum_should_match": 1}})
    filters: list[dict[str, Any]] = []
    if since:
        filters.append({"range": {"published_at": {"gte": since_expression(since)}}})
    if language:
        filters.append({"term": {"language": language}})
    if entity:
        filters.append({"bool": {"should": [{"term": {"entity_names": entity}}, {"term": {"entity_ids": entity}}],
                                 "minimum_should_match": 1}})
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


def language_fields(es: Elasticsearch, settings: Settings) -> list[str]:
    """Text fields plus their per-language sub-fields, where the cluster has the analyzers."""
    caps = es.field_caps(index=settings.index("articles"), fields="title.*,summary.*,text.*")
    subfields = sorted(caps.get("fields", {}))
    return TEXT_FIELDS + subfields


def search(es: Elasticsearch, settings: Settings, text: str, since: str | None = None,
           language: str | None = None, entity: str | None = None, size: int = 10) -> list[Hit]:
    query = build_query(text, since, language, entity, fields=language_fields(es, settings))
    response = es.search(index=settings.index("articles"), query=query, size=size,
                         source={"includes": ["published_at", "source", "language", "title", "url"]})
    return [Hit(h["_source"].get("published_at", ""), h["_source"].get("source", ""),
                h["_source"].get("language", ""), h["_source"].get("title", ""), h["_source"].get("url", ""),
                h["_score"] or 0.0) for h in response["hits"]["hits"]]
