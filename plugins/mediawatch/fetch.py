"""HTTP for feeds: conditional GET, timeouts, a size cap, bounded redirects, honest User-Agent.

feedparser no longer does HTTP itself on its main line, and we want control anyway: the
body is streamed and cut at ``fetch_max_bytes`` (after gzip decoding, so a gzip bomb is
cut too), the whole exchange has a wall-clock deadline (a server that trickles one byte a
second never trips a read timeout), and every failure becomes a :class:`FetchResult` with a
reason instead of an exception, so one bad feed never stops the others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from .feeds import Feed
from .settings import Settings

NOT_MODIFIED = 304
# Status codes worth another try later (the backoff honours Retry-After for these).
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class FetchResult:
    """What one fetch of one feed produced: status is ok, not_modified or failed."""

    feed_id: str
    url: str
    status: str
    fetched_at: datetime
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after_s: float | None = None
    elapsed_ms: int = 0
    final_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class BodyTooLarge(Exception):
    pass


class DeadlineExceeded(Exception):
    pass


def make_client(settings: Settings) -> httpx.Client:
    """One pooled client per run; redirects are followed up to the configured limit."""
    timeout = httpx.Timeout(settings.fetch_timeout_s, connect=min(10.0, settings.fetch_timeout_s))
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=settings.fetch_max_redirects,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate",
                 "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
                           "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
    )


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        if time.monotonic() > deadline:
            raise DeadlineExceeded
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_url(client: httpx.Client, feed_id: str, url: str, settings: Settings,
              etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    """GET one feed URL; never raises for network or HTTP problems."""
    started = time.monotonic()
    now = datetime.now(UTC)
    result = FetchResult(feed_id=feed_id, url=url, status="failed", fetched_at=now)
    deadline = started + settings.fetch_timeout_s * 2
    try:
        with client.stream("GET", url, headers=conditional_headers(etag, last_modified)) as response:
            result.http_status = response.status_code
            result.final_url = str(response.url)
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code == NOT_MODIFIED:
                result.status = "not_modified"
                result.etag, result.last_modified = etag, last_modified
            elif response.status_code >= 400:
                result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code in RETRYABLE_STATUS:
                    result.retry_after_s = parse_retry_after(response.headers.get("retry-after"), now)
            else:
                result.body = read_capped(response, settings.fetch_max_bytes, deadline)
                result.status = "ok"
                result.etag = response.headers.get("etag")
                result.last_modified = response.headers.get("last-modified")
    except BodyTooLarge:
        result.error = f"body larger than the {settings.fetch_max_bytes}-byte cap; download stopped"
    except DeadlineExceeded:
        result.error = f"response still incomplete after {settings.fetch_timeout_s * 2:.0f}s; download stopped"
    except httpx.TooManyRedirects:
        result.error = f"more than {settings.fetch_max_redirects} redirects (redirect loop?)"
    except httpx.TimeoutException as exc:
        result.error = f"timeout after {settings.fetch_timeout_s:.0f}s ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    return result


def read_local(feed_id: str, path: Path) -> FetchResult:
    """A feed file on disk, as if it had been fetched (``mediawatch fetch FILE``, demos)."""
    now = datetime.now(UTC)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return FetchResult(feed_id=feed_id, url=str(path), status="failed", fetched_at=now,
                           error=f"cannot read {path}: {exc.strerror}")
    return FetchResult(feed_id=feed_id, url=path.resolve().as_uri(), status="ok", fetched_at=now, body=body)


def fetch_feed(feed: Feed, state: dict[str, Any] | None, settings: Settings, http: httpx.Client) -> FetchResult:
    """One registry feed: a conditional GET with the validators in its state, or a local file."""
    url = str(feed.url)
    if url.startswith("file://"):
        return read_local(feed.id, Path(httpx.URL(url).path))
    state = state or {}
    return fetch_url(http, feed.id, url, settings, etag=state.get("etag"), last_modified=state.get("last_modified"))
