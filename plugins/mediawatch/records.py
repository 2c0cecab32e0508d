"""The plain records that travel between stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Article:
    """A normalized feed item; enrichment fields are filled by the enrich stage."""

    id: str
    url: str
    original_url: str
    feed_id: str
    source: str
    domain: str
    country: str
    kind: str
    language: str
    title: str
    summary: str
    published_at: str
    fetched_at: str
    date_flag: str = "feed"  # feed | missing | future_clamped
    text: str = ""
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    content_hash: str = ""
    fingerprint: str = ""
    fingerprint_bands: list[str] = field(default_factory=list)
    cluster_id: str = ""
    enrichment: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Rejected:
    """An input that could not become an article, kept with the reason (dead letter)."""

    stage: str
    reason: str
    source: str
    payload: dict[str, Any]
