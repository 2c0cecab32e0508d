"""Articles and their enrichment as flat Elasticsearch documents (pure functions).

Facets an analyst filters on (persons, organizations, locations, topics, tone) become flat
keyword/number fields; the full entity detail is kept un-indexed in ``entities``.
"""

from __future__ import annotations

from typing import Any

from .analysis import search_terms
from .records import Article

ENTITY_TYPE_FIELDS = {"person": "persons", "organization": "organizations", "location": "locations"}


def enrichment_fields(enrichment: dict[str, Any], enriched_at: str) -> dict[str, Any]:
    """The indexed fields derived from one enrichment result (``Enrichment.to_dict()``)."""
    entities = enrichment.get("entities", [])
    fields: dict[str, Any] = {
        "entities": entities,
        "entity_ids": [e["id"] for e in entities],
        "entity_names": [e["name"] for e in entities],
        "location_points": [{"lat": e["coords"][0], "lon": e["coords"][1]} for e in entities if e.get("coords")],
        "sentiment_label": enrichment["sentiment"]["label"],
        "sentiment_score": enrichment["sentiment"]["score"],
        "sentiment_method": enrichment["sentiment"]["method"],
        "tone_russia": enrichment["tone"].get("Russia"),
        "tone_syria": enrichment["tone"].get("Syria"),
        "topics": enrichment.get("topics", []),
        "relevance_score": enrichment["relevance"]["score"],
        "relevant": enrichment["relevance"]["relevant"],
        "enrichment_version": enrichment["enrichment_version"],
        "enriched_at": enriched_at,
    }
    for entity_type, field_name in ENTITY_TYPE_FIELDS.items():
        fields[field_name] = [e["name"] for e in entities if e["type"] == entity_type]
    return fields


def article_document(article: Article, indexed_at: str) -> dict[str, Any]:
    """The ``_source`` of an article document."""
    doc = article.to_dict()
    enrichment = doc.pop("enrichment")
    doc["indexed_at"] = indexed_at
    doc["search_terms"] = search_terms(" ".join((article.title, article.summary, article.text)), article.language)
    if enrichment:
        doc.update(enrichment_fields(enrichment, indexed_at))
    return doc
