"""Per-feed health state: pure functions from (previous state, fetch outcome) to the next state.

The state document lives in ``<prefix>-feeds`` (one per feed id), so feed health shows in
Kibana and survives restarts. Failures back off exponentially with jitter (so a hundred
feeds that failed together do not retry together) and never sooner than Retry-After.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .feeds import DEFAULT_POLL_MINUTES, Feed
from .fetch import FetchResult
from .settings import Settings


def is_due(state: dict[str, Any] | None, now: datetime) -> bool:
    """A feed is due when it has never been fetched or its next allowed fetch has passed."""
    if not state or not state.get("next_fetch_at"):
        return True
    return datetime.fromisoformat(state["next_fetch_at"]) <= now


def backoff_seconds(failures: int, settings: Settings, rng: random.Random,
                    retry_after_s: float | None = None) -> float:
    """base * 2^(n-1), capped, times a jitter in [0.8, 1.2); at least Retry-After."""
    delay = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, failures - 1))
    delay *= rng.uniform(0.8, 1.2)
    return max(delay, retry_after_s or 0.0)


def _fetch_fields(feed: Feed, result: FetchResult, bozo_reason: str | None = None, entries: int = 0,
                  articles: int = 0) -> dict[str, Any]:
    return {
        "feed_id": feed.id, "name": feed.name, "url": str(feed.url), "language": feed.language,
        "country": feed.country, "kind": feed.kind, "enabled": feed.enabled,
        "http_status": result.http_status, "last_fetch_at": result.fetched_at.isoformat(),
        "elapsed_ms": result.elapsed_ms, "entries_last_fetch": entries, "articles_last_fetch": articles,
        "bozo_reason": bozo_reason, "retry_after_s": result.retry_after_s,
    }


def refused_state(previous: dict[str, Any] | None, feed: Feed, result: FetchResult, reason: str) -> dict[str, Any]:
    """The feed's state when Elasticsearch refused to store its articles.

    ``failed`` with the reason, but the feed is not to blame: ETag and Last-Modified stay as
    they were (the next run downloads the articles again), the failure count and backoff are
    untouched, and the feed is due again at once.
    """
    previous = previous or {}
    now = result.fetched_at.isoformat()
    state = _fetch_fields(feed, result)
    state.update(status="failed", last_error=reason, last_error_at=now,
                 failing_since=previous.get("failing_since") or now,
                 consecutive_failures=int(previous.get("consecutive_failures") or 0),
                 last_success_at=previous.get("last_success_at"), etag=previous.get("etag"),
                 last_modified=previous.get("last_modified"), next_fetch_at=now)
    return state


def next_state(previous: dict[str, Any] | None, feed: Feed, result: FetchResult, settings: Settings,
               error: str | None = None, bozo_reason: str | None = None, entries: int = 0, articles: int = 0,
               rng: random.Random | None = None) -> dict[str, Any]:
    """The feed's state after this fetch. ``error`` overrides a fetch that parsed badly."""
    previous = previous or {}
    now = result.fetched_at
    error = error or result.error
    state = _fetch_fields(feed, result, bozo_reason, entries, articles)
    if error:
        failures = int(previous.get("consecutive_failures") or 0) + 1
        delay = backoff_seconds(failures, settings, rng or random.Random(), result.retry_after_s)
        delay = max(delay, (feed.poll_minutes or DEFAULT_POLL_MINUTES) * 60)
        state.update(status="failed", last_error=error, last_error_at=now.isoformat(),
                     failing_since=previous.get("failing_since") or now.isoformat(),
                     consecutive_failures=failures, last_success_at=previous.get("last_success_at"),
                     etag=previous.get("etag"), last_modified=previous.get("last_modified"),
                     next_fetch_at=(now + timedelta(seconds=delay)).isoformat())
        return state
    state.update(status=result.status, last_success_at=now.isoformat(), consecutive_failures=0,
                 failing_since=None, last_error=previous.get("last_error"),
                 last_error_at=previous.get("last_error_at"),
                 etag=result.etag if result.status == "ok" else previous.get("etag"),
                 last_modified=result.last_modified if result.status == "ok" else previous.get("last_modified"),
                 next_fetch_at=(now + timedelta(minutes=feed.poll_minutes or DEFAULT_POLL_MINUTES)).isoformat())
    return state
