"""HTTP against a real local server: conditional GET, gzip, caps, timeouts, redirects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mediawatch.fetch import fetch_url, make_client, parse_retry_after
from mediawatch.settings import Settings

from .conftest import FEEDS, Route

SETTINGS = Settings(fetch_timeout_s=2.0, fetch_max_bytes=64 * 1024, fetch_max_redirects=3)


@pytest.fixture
def http():
    with make_client(SETTINGS) as client:
        yield client


def test_ok_response_keeps_body_and_validators(feed_server, http) -> None:
    url = feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml", etag='"v1"',
                                 headers={"Last-Modified": "Sat, 28 Nov 2026 10:00:00 GMT"})
    result = fetch_url(http, "f", url, SETTINGS)
    assert (result.status, result.http_status, result.etag) == ("ok", 200, '"v1"')
    assert result.last_modified == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert result.body == (FEEDS / "rss2_ar_utf8.xml").read_bytes()
    sent = feed_server.requests_to("/ar.xml")[0]
    assert sent["user-agent"].startswith("MediaWatch/")
    assert "gzip" in sent["accept-encoding"]


def test_conditional_get_sends_validators_and_304_is_not_modified(feed_server, http) -> None:
    url = feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml", etag='"v1"')
    result = fetch_url(http, "f", url, SETTINGS, etag='"v1"', last_modified="Sat, 28 Nov 2026 10:00:00 GMT")
    assert (result.status, result.http_status, result.body) == ("not_modified", 304, b"")
    sent = feed_server.requests_to("/ar.xml")[0]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Sat, 28 Nov 2026 10:00:00 GMT"


def test_gzip_body_is_decoded(feed_server, http) -> None:
    url = feed_server.serve_file("/gz.xml", "rss_koi8r.xml", gzip=True)
    result = fetch_url(http, "f", url, SETTINGS)
    assert result.ok and result.body == (FEEDS / "rss_koi8r.xml").read_bytes()


@pytest.mark.parametrize(("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")])
def test_http_errors_become_failed_results(feed_server, http, status: int, reason: str) -> None:
    feed_server.routes["/x"] = Route(status=status)
    result = fetch_url(http, "f", feed_server.url("/x"), SETTINGS)
    assert (result.status, result.error) == ("failed", reason)


def test_retry_after_is_read_from_429(feed_server, http) -> None:
    feed_server.routes["/busy"] = Route(status=429, headers={"Retry-After": "120"})
    result = fetch_url(http, "f", feed_server.url("/busy"), SETTINGS)
    assert (result.error, result.retry_after_s) == ("HTTP 429 Too Many Requests", 120.0)


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 29 Nov 2026 12:05:00 GMT", now) == 300.0
    assert parse_retry_after("garbage", now) is None


def test_oversize_body_is_cut_with_reason(feed_server, http) -> None:
    feed_server.routes["/big"] = Route(body=b"<rss>" + b"x" * (200 * 1024))
    result = fetch_url(http, "f", feed_server.url("/big"), SETTINGS)
    assert result.status == "failed" and "cap" in result.error and result.body == b""


def test_gzip_bomb_is_cut_after_decoding(feed_server, http) -> None:
    feed_server.routes["/bomb"] = Route(body=b"\0" * (5 * 1024 * 1024), gzip=True)
    result = fetch_url(http, "f", feed_server.url("/bomb"), SETTINGS)
    assert result.status == "failed" and "cap" in result.error


def test_server_that_never_answers_times_out(feed_server, http) -> None:
    feed_server.routes["/slow"] = Route(body=b"<rss/>", delay_s=4)
    result = fetch_url(http, "f", feed_server.url("/slow"), SETTINGS)
    assert result.status == "failed" and result.error.startswith("timeout")
    assert result.elapsed_ms < 3500


def test_trickling_body_hits_the_wall_clock_deadline(feed_server, http) -> None:
    feed_server.routes["/trickle"] = Route(trickle_s=0.05)
    result = fetch_url(http, "f", feed_server.url("/trickle"), SETTINGS)
    assert result.status == "failed" and "incomplete" in result.error
    assert result.elapsed_ms < 6000


def test_redirect_loop_is_refused(feed_server, http) -> None:
    feed_server.routes["/a"] = Route(status=302, headers={"Location": "/b"})
    feed_server.routes["/b"] = Route(status=302, headers={"Location": "/a"})
    result = fetch_url(http, "f", feed_server.url("/a"), SETTINGS)
    assert result.status == "failed" and "redirects" in result.error


def test_redirect_within_limit_is_followed(feed_server, http) -> None:
    feed_server.serve_file("/new.xml", "atom_en.xml")
    feed_server.routes["/old.xml"] = Route(status=301, headers={"Location": "/new.xml"})
    result = fetch_url(http, "f", feed_server.url("/old.xml"), SETTINGS)
    assert result.ok and result.final_url == feed_server.url("/new.xml")


def test_connection_refused_is_a_failed_result(http) -> None:
    result = fetch_url(http, "f", "http://127.0.0.1:9/feed", SETTINGS)
    assert result.status == "failed" and "ConnectError" in result.error
