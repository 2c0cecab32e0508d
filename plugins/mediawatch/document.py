"""Articles and their enrichment as flat Elasticsearch documents (pure functions).

Facets an analyst filters on (persons, organizations, locations, topics, tone) become flat
keyword/number fields; the full entity detail is kept un-indexed in ``entities``.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any

from .analysis import search_terms
from .constants import TONE_FIELDS, TONE_LABEL_FIELDS
from .records import Article

if TYPE_CHECKING:
    from .enrich import Enricher

ENTITY_TYPE_FIELDS = {"person": "persons", "organization": "organizations", "location": "locations"}
_ARTICLE_FIELDS = tuple(f.name for f in dataclasses.fields(Article))
_IMMUTABLE_LEAVES = (str, int, float, type(None))  # bool is an int


def _plain(value: Any) -> Any:
    """``value`` as ``dataclasses.asdict`` copies it: new dicts, lists and tuples, the same leaves.

    asdict deep-copies every leaf, which for strings and numbers hands back the leaf itself
    after a memo dict and a dispatch per call; on enriched articles that was half the cost of
    building the document. Article fields and enrichment dicts hold only these JSON-like values;
    anything else still goes through ``copy.deepcopy``.
    """
    if isinstance(value, _IMMUTABLE_LEAVES):
        return value
    if type(value) is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    return copy.deepcopy(value)


def _article_fields(article: Article) -> dict[str, Any]:
    """What ``article.to_dict()`` returns, built without ``dataclasses.asdict``."""
    return {name: _plain(getattr(article, name)) for name in _ARTICLE_FIELDS}


def enrich_text(enricher: Enricher, title: str, summary: str, text: str, language: str | None) -> dict[str, Any]:
    """An article's enrichment, computed the same way at ingest and at re-enrichment."""
    return enricher.enrich(title, f"{summary}\n{text}".strip(), language=language).to_dict()


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
        **{field: enrichment["tone"].get(side) for side, field in TONE_FIELDS.items()},
        **{field: enrichment.get("tone_labels", {}).get(side) for side, field in TONE_LABEL_FIELDS.items()},
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
    doc = _article_fields(article)
    enrichment = doc.pop("enrichment")
    doc["indexed_at"] = indexed_at
    doc["search_terms"] = search_terms(" ".join((article.title, article.summary, article.text)), article.language)
    if enrichment:
        doc.update(enrichment_fields(enrichment, indexed_at))
    return doc
