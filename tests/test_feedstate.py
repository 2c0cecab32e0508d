"""Feed health transitions, backoff with jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from mediawatch.feeds import Feed
from mediawatch.feedstate import backoff_seconds, is_due, next_state
from mediawatch.fetch import FetchResult
from mediawatch.settings import Settings

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FEED = Feed(id="f", name="F", url="https://example.test/rss", language="en", country="GB", kind="private",
            poll_minutes=15)
SETTINGS = Settings(backoff_base_s=600, backoff_max_s=3600)


def fetched(status: str = "ok", error: str | None = None, **kwargs) -> FetchResult:
    return FetchResult(feed_id="f", url="u", status=status, fetched_at=NOW, error=error, **kwargs)


def test_success_stores_validators_and_schedules_next_poll() -> None:
    state = next_state(None, FEED, fetched(etag='"a"', last_modified="lm", http_status=200), SETTINGS)
    assert (state["status"], state["etag"], state["last_modified"]) == ("ok", '"a"', "lm")
    assert state["next_fetch_at"] == (NOW + timedelta(minutes=15)).isoformat()
    assert state["consecutive_failures"] == 0 and state["failing_since"] is None


def test_not_modified_keeps_previous_validators() -> None:
    previous = next_state(None, FEED, fetched(etag='"a"', last_modified="lm"), SETTINGS)
    state = next_state(previous, FEED, fetched("not_modified"), SETTINGS)
    assert (state["status"], state["etag"], state["last_modified"]) == ("not_modified", '"a"', "lm")


def test_failures_count_up_keep_since_and_validators() -> None:
    ok = next_state(None, FEED, fetched(etag='"a"'), SETTINGS)
    first = next_state(ok, FEED, fetched("failed", "HTTP 500"), SETTINGS, rng=random.Random(1))
    later = next_state(first, FEED, fetched("failed", "timeout"), SETTINGS, rng=random.Random(1))
    assert (later["consecutive_failures"], later["last_error"], later["etag"]) == (2, "timeout", '"a"')
    assert later["failing_since"] == first["failing_since"] == NOW.isoformat()
    assert later["last_success_at"] == ok["last_success_at"]
    recovered = next_state(later, FEED, fetched(), SETTINGS)
    assert (recovered["consecutive_failures"], recovered["failing_since"]) == (0, None)
    assert recovered["last_error"] == "timeout", "the last error stays visible after recovery"


def test_parse_error_counts_as_failure() -> None:
    state = next_state(None, FEED, fetched(), SETTINGS, error="not a feed")
    assert (state["status"], state["last_error"]) == ("failed", "not a feed")


def test_backoff_doubles_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    delays = [backoff_seconds(n, SETTINGS, rng) for n in (1, 2, 3, 10)]
    assert 480 <= delays[0] <= 720 and 960 <= delays[1] <= 1440 and 1920 <= delays[2] <= 2880
    assert 2880 <= delays[3] <= 4320
    spread = {round(backoff_seconds(3, SETTINGS, random.Random(seed))) for seed in range(20)}
    assert len(spread) > 10, "jitter spreads retries of feeds that failed together"


def test_retry_after_is_a_lower_bound() -> None:
    assert backoff_seconds(1, SETTINGS, random.Random(0), retry_after_s=7200) == 7200


def test_failed_feed_is_not_due_until_backoff_passes() -> None:
    state = next_state(None, FEED, fetched("failed", "HTTP 503", retry_after_s=3000.0), SETTINGS)
    assert not is_due(state, NOW + timedelta(minutes=49))
    assert is_due(state, NOW + timedelta(hours=2))
    assert is_due(None, NOW)
