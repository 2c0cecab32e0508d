"""Feed bytes to clean articles: parse, canonical URL, stable id, UTC dates, plain text, language."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import lxml.html
from lxml import etree

from . import fingerprint
from .feeds import Feed
from .fetch import FetchResult
from .language import detect_language
from .records import Article, Rejected

# Query parameters that only track the reader (campaign tags, click ids); everything else is kept
# because many outlets address articles by query string (?p=123, ?id=...).
TRACKING_PARAMS = {"fbclid", "gclid", "yclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga",
                   "ref_src", "at_medium", "at_campaign", "cmpid", "rss", "from", "ito", "ncid", "spm"}
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Elements whose text is code or chrome, never article prose.
DROPPED_ELEMENTS = ["script", "style", "noscript", "iframe", "object", "embed", "svg", "form", "button"]
_CODE_ELEMENTS = re.compile(r"<(script|style|noscript|iframe|svg)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ParsedFeed:
    """The outcome of parsing one fetched feed."""

    articles: list[Article] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    bozo_reason: str | None = None
    error: str | None = None
    entries_seen: int = 0


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = ""
    if parts.query:  # most links have none: skip the parse and re-encode
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
        query = urlencode(kept, doseq=True)
    # strip again: dropping an empty query or fragment can leave whitespace at the end
    return urlunsplit((scheme, host, parts.path or "/", query, "")).strip()


def article_id(canonical: str) -> str:
    """Stable id: the same canonical URL always gives the same document id."""
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def _collapse_spaces(text: str) -> str:
    """Runs of whitespace to one space, ends stripped: what ``re.sub(r"\\s+", " ", text).strip()`` gives
    (``str.split`` and ``\\s`` share one definition of whitespace), at a third of its cost."""
    return " ".join(text.split())


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: entities decoded, scripts/styles dropped, spaces collapsed."""
    if not fragment:
        return ""
    fragment = _CONTROL_CHARS.sub("", fragment)  # never text, and lxml refuses some of them
    if "<" not in fragment:
        return _collapse_spaces(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError, AssertionError):  # lxml asserts on e.g. "<html></html>"
        return _tags_to_text(fragment)
    etree.strip_elements(root, *DROPPED_ELEMENTS, with_tail=False)
    for br in root.iter("br", "p", "div", "li"):
        br.tail = " " + (br.tail or "")
    return _collapse_spaces(root.text_content())


def _tags_to_text(fragment: str) -> str:
    """Fallback for markup lxml will not take: drop code elements with their content, then tags."""
    without_code = _CODE_ELEMENTS.sub(" ", fragment)
    return _collapse_spaces(html.unescape(re.sub(r"<[^>]*>", " ", without_code)))


def _get(entry: dict[str, Any], key: str, default: Any = None) -> Any:
    """``entry.get(key, default)`` for keys feedparser does not alias (all read here but ``updated_parsed``).

    ``FeedParserDict.get`` runs Python code per call to resolve aliases; for a key without one it
    returns what the plain dict holds, as this does at a tenth of the cost.
    """
    return dict.get(entry, key, default)


def entry_date(entry: dict[str, Any], fetched_at: datetime, future_tolerance: timedelta) -> tuple[datetime, str]:
    """UTC publication date and a flag: feed, missing (fetch time used) or future_clamped."""
    parsed = _get(entry, "published_parsed") or entry.get("updated_parsed") or _get(entry, "created_parsed")
    if not parsed:
        return fetched_at, "missing"
    year, month, day, hour, minute, second = parsed[:6]
    published = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    if published > fetched_at + future_tolerance:
        return fetched_at, "future_clamped"
    return published, "feed"


def content_hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def _entry_link(entry: dict[str, Any]) -> str:
    link = _get(entry, "link") or ""
    if not link and str(_get(entry, "id", "")).startswith(("http://", "https://")):
        link = entry["id"]
    return link.strip()


def _entry_summary(entry: dict[str, Any]) -> str:
    summary = _get(entry, "summary") or ""
    if not summary and _get(entry, "content"):
        summary = entry["content"][0].get("value", "")
    return html_to_text(summary)


def normalize_entry(entry: dict[str, Any], feed: Feed, fetched_at: datetime,
                    future_tolerance: timedelta = timedelta(hours=1)) -> Article | Rejected:
    """One feedparser entry to an Article, or a Rejected with the reason."""
    link = _entry_link(entry)
    title = html_to_text(_get(entry, "title"))
    if not link.startswith(("http://", "https://")):
        return Rejected("normalize", f"entry has no http(s) link (link={link!r})", feed.id,
                        {"title": title, "link": link})
    summary = _entry_summary(entry)
    if not title and not summary:
        return Rejected("normalize", "entry has neither title nor summary", feed.id, {"link": link})
    try:
        canonical = canonical_url(link)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket in the host
        return Rejected("normalize", f"malformed link {link!r}: {exc}", feed.id, {"title": title, "link": link})
    published, flag = entry_date(entry, fetched_at, future_tolerance)
    both = f"{title} {summary}"
    language = detect_language(both, prior=feed.language)
    signature = fingerprint.signature(both)
    published_at = published.isoformat()
    return Article(
        id=article_id(canonical), url=canonical, original_url=link, feed_id=feed.id, source=feed.name,
        domain=urlsplit(canonical).hostname or "", country=feed.country, kind=feed.kind, language=language,
        title=title, summary=summary, published_at=published_at, fetched_at=fetched_at.isoformat(),
        date_flag=flag, authors=[name for a in _get(entry, "authors", []) if (name := _get(a, "name"))],
        tags=[term for t in _get(entry, "tags", []) if (term := _get(t, "term"))],
        content_hash=content_hash(title, summary, published_at),
        fingerprint=fingerprint.encode(signature), fingerprint_bands=fingerprint.bands(signature),
    )


def declares_entities(body: bytes) -> bool:
    """An internal DTD declaring entities: the XXE / billion-laughs shape; no news feed needs one."""
    prolog = body[:65536]
    return b"<!DOCTYPE" in prolog.upper() and b"<!ENTITY" in prolog.upper()


def parse_feed(result: FetchResult, feed: Feed, future_tolerance: timedelta = timedelta(hours=1)) -> ParsedFeed:
    """Parse fetched bytes with feedparser; a bozo feed that still has entries is used."""
    if declares_entities(result.body):
        return ParsedFeed(error="refused: the feed declares XML entities in a DOCTYPE (XXE/entity-expansion risk)")
    parsed = feedparser.parse(result.body, response_headers=result.headers or None)
    outcome = ParsedFeed(entries_seen=len(parsed.entries))
    if parsed.bozo:
        outcome.bozo_reason = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.entries:
        if not parsed.get("version") or parsed.bozo:  # an empty but well-formed feed is simply quiet
            outcome.error = (f"not a usable feed: {outcome.bozo_reason}" if outcome.bozo_reason
                             else "not a feed (no RSS/Atom/RDF root element)")
        return outcome
    for entry in parsed.entries:
        item = normalize_entry(entry, feed, result.fetched_at, future_tolerance)
        if isinstance(item, Article):
            outcome.articles.append(item)
        else:
            outcome.rejected.append(item)
    return outcome
