"""Names the enricher found that are not on the watchlist, ranked for an analyst to review.

``python -m mediawatch candidates --since 7d`` lists the most frequent unlinked entities (ids
``ner:<type>:<folded name>``) with their article counts, languages and example URLs, so a new
minister or armed group can be added to ``seeds/entities.yaml`` with its Wikidata id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from .constants import LANGUAGES, UNLINKED_PREFIX
from .search import since_expression
from .settings import Settings

EXAMPLES = 3


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    type: str
    articles: int
    languages: dict[str, int]
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "articles": self.articles,
                "languages": self.languages, "examples": self.examples}


def candidates_query(since: str | None, language: str | None, size: int) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"prefix": {"entity_ids": UNLINKED_PREFIX}}]
    if since:
        filters.append({"range": {"published_at": {"gte": since_expression(since)}}})
    if language:
        filters.append({"term": {"language": language}})
    return {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {"names": {
            "terms": {"field": "entity_ids", "include": f"{UNLINKED_PREFIX}.*", "size": size},
            "aggs": {
                "languages": {"terms": {"field": "language", "size": len(LANGUAGES)}},
                "examples": {"top_hits": {"size": EXAMPLES, "_source": ["url", "entities"],
                                          "sort": [{"published_at": {"order": "desc"}}]}},
            },
        }},
    }


def parse_candidates(response: dict[str, Any]) -> list[Candidate]:
    out = []
    for bucket in response["aggregations"]["names"]["buckets"]:
        hits = bucket["examples"]["hits"]["hits"]
        mentions = (e for h in hits for e in h["_source"].get("entities", []) if e.get("id") == bucket["key"])
        entity: dict[str, Any] = next(mentions, {})
        out.append(Candidate(
            id=bucket["key"],
            name=entity.get("name", bucket["key"].split(":", 2)[-1]),
            type=entity.get("type", bucket["key"].split(":")[1]),
            articles=bucket["doc_count"],
            languages={b["key"]: b["doc_count"] for b in bucket["languages"]["buckets"]},
            examples=[h["_source"].get("url", "") for h in hits],
        ))
    return out


def top_candidates(es: Elasticsearch, settings: Settings, since: str | None = "7d", language: str | None = None,
                   size: int = 25) -> list[Candidate]:
    body = candidates_query(since, language, size)
    return parse_candidates(es.search(index=settings.index("articles"), **body).body)
