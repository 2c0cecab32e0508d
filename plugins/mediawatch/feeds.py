"""The feed registry (``seeds/feeds.yaml``): which outlets we poll, validated on load."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .constants import Language
from .seedfile import SeedError, line_of, load_entries

# Poll interval of a feed whose entry and registry (``defaults: poll_minutes``) name none.
DEFAULT_POLL_MINUTES = 15
Kind = Literal["state", "private", "opposition", "international", "search"]


class Feed(BaseModel):
    """One outlet feed. ``confirmed`` is false for URLs taken from public sources, not fetched live."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    url: AnyUrl
    language: Language
    country: str = Field(pattern=r"^[A-Z]{2}$")
    kind: Kind
    poll_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    enabled: bool = True
    confirmed: bool = False
    confidence: Literal["high", "medium", "low"] | None = None
    note: str = ""

    @field_validator("url", mode="before")
    @classmethod
    def _relative_path_to_file_url(cls, value: object, info: ValidationInfo) -> object:
        # A bare path (the offline demo feeds) is relative to the registry file.
        base_dir = (info.context or {}).get("base_dir")
        if isinstance(value, str) and "://" not in value and base_dir is not None:
            return (Path(base_dir) / value).resolve().as_uri()
        return value

    @field_validator("url")
    @classmethod
    def _http_or_file(cls, url: AnyUrl) -> AnyUrl:
        # file:// serves the offline demo feeds in seeds/demo/
        if url.scheme not in {"http", "https", "file"}:
            raise ValueError(f"unsupported URL scheme {url.scheme!r} (http, https or file)")
        return url


def load_feeds(path: Path, only_enabled: bool = True) -> list[Feed]:
    """Load and validate the registry; ids and URLs must be unique. Errors name the line."""
    entries, node, document = load_entries(path, "feeds", Feed, extra_keys=("defaults",),
                                           context={"base_dir": path.parent})
    default_poll = int((document.get("defaults") or {}).get("poll_minutes", DEFAULT_POLL_MINUTES))
    seen_ids: dict[str, int | None] = {}
    seen_urls: dict[str, int | None] = {}
    feeds: list[Feed] = []
    for index, feed in enumerate(entries):
        line = line_of(node, ["feeds", index])
        for seen, value, what in ((seen_ids, feed.id, "id"), (seen_urls, str(feed.url), "url")):
            if value in seen:
                raise SeedError(path, line, f"duplicate feed {what} {value!r} (first on line {seen[value]})")
            seen[value] = line
        if feed.poll_minutes is None:
            feed = feed.model_copy(update={"poll_minutes": default_poll})
        if feed.enabled or not only_enabled:
            feeds.append(feed)
    return feeds


def feed_from_url(url: str, language: Language = "en") -> Feed:
    """An ad-hoc feed for ``mediawatch fetch URL`` (no registry entry needed)."""
    slug = "adhoc"
    return Feed.model_validate({"id": slug, "name": url, "url": url, "language": language, "country": "ZZ",
                                "kind": "international"})
