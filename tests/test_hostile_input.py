"""Hostile feeds and article URLs: refused or cut with a reason, bounded time and memory."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime

import pytest
from mediawatch.feeds import Feed
from mediawatch.fetch import FetchResult, fetch_url, make_client
from mediawatch.fulltext import BlockedURL, PageFetcher, check_url
from mediawatch.normalize import html_to_text, parse_feed
from mediawatch.settings import Settings

from .conftest import Route

SETTINGS = Settings(fetch_timeout_s=2.0, fetch_max_bytes=1024 * 1024, fetch_max_redirects=3,
                    fulltext_per_domain_s=0.0)
FEED = Feed(id="hostile", name="Hostile", url="https://evil.test/rss", language="en", country="ZZ",
            kind="private")
SECRET = "top-secret-line-7f3a"


def parse_bytes(body: bytes):
    result = FetchResult(feed_id="hostile", url="x", status="ok", fetched_at=datetime.now(UTC), body=body)
    return parse_feed(result, FEED)


def test_external_entity_never_reads_a_local_file(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
            '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
            '<link>https://evil.test/1</link><description>x &xxe;</description></item></channel></rss>')
    parsed = parse_bytes(body.encode())
    assert parsed.articles == [] and "declares XML entities" in parsed.error
    assert SECRET not in repr(parsed)


def test_entity_expansion_stays_bounded() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>t</title>'
            '<item><title>&l9;</title><link>https://evil.test/2</link></item></channel></rss>')
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    parsed = parse_bytes(body.encode())
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
    assert parsed.articles == [] and "declares XML entities" in parsed.error


def test_invalid_utf8_is_decoded_with_replacement_not_crash() -> None:
    body = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item>'
            b'<title>Bad \xff\xfe bytes \xc3</title><link>https://evil.test/3</link></item></channel></rss>')
    parsed = parse_bytes(body)
    assert parsed.error is None or parsed.articles == []
    for article in parsed.articles:
        article.title.encode("utf-8")


def test_script_style_and_handlers_are_stripped() -> None:
    html = ('<div onload="x()"><img src=x onerror="alert(1)">Real <a href="javascript:alert(2)">text</a>'
            '<script>document.cookie</script><style>*{}</style><iframe src="https://evil.test"></iframe></div>')
    text = html_to_text(html)
    assert text == "Real text"


@pytest.mark.parametrize(("fragment", "expected"), [
    ("<html></html>", ""),
    ("a</body>b<body>c", "a b c"),
    ("<p>x\x1cy</p><script>steal()</script>", "xy"),
    ("<html><body><script>steal()</script>text</body></html><body>", "text"),
])
def test_markup_lxml_refuses_still_becomes_text(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


def test_fifty_megabyte_body_is_cut_early(feed_server) -> None:
    feed_server.routes["/huge"] = Route(body=b"<rss>" + b"a" * (50 * 1024 * 1024))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with make_client(SETTINGS) as http:
        result = fetch_url(http, "f", feed_server.url("/huge"), SETTINGS)
    assert result.status == "failed" and "cap" in result.error
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 60_000  # KiB: never the whole body


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.1", "169.254.169.254",
                                     "[::1]", "0.0.0.0"])
def test_private_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedURL, match="non-public"):
        check_url(f"http://{address}/article", SETTINGS)


def test_localhost_name_is_refused_after_resolution() -> None:
    with pytest.raises(BlockedURL, match="127.0.0.1|::1"):
        check_url("http://localhost/article", SETTINGS)


def test_allow_list_lets_loopback_through() -> None:
    for url, allowed in (("http://127.0.0.1:8000/a", "127.0.0.0/8"), ("http://localhost:8000/a", "localhost")):
        with pytest.raises(BlockedURL):
            check_url(url, SETTINGS)
        assert check_url(url, SETTINGS.with_overrides(allow_private_hosts=allowed)) is None  # no BlockedURL


def test_redirect_to_a_private_address_is_refused_on_the_hop(feed_server) -> None:
    allowed = SETTINGS.with_overrides(allow_private_hosts="127.0.0.1")
    feed_server.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n")
    feed_server.routes["/story"] = Route(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    with make_client(allowed) as http:
        text, reason = PageFetcher(allowed, http).text(feed_server.url("/story"))
    assert text == "" and "169.254.169.254" in reason


def test_robots_disallow_is_respected_and_allowed_pages_extracted(feed_server) -> None:
    allowed = SETTINGS.with_overrides(allow_private_hosts="127.0.0.1")
    feed_server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n")
    paragraph = "The Russian delegation arrived in Damascus for talks on wheat, energy and reconstruction. " * 6
    page = f"<html><body><nav>menu</nav><article><h1>Talks</h1><p>{paragraph}</p></article></body></html>"
    feed_server.routes["/news/1"] = Route(body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    feed_server.routes["/private/2"] = Route(body=page.encode())
    with make_client(allowed) as http:
        pages = PageFetcher(allowed, http)
        text, reason = pages.text(feed_server.url("/news/1"))
        assert reason is None and "Russian delegation arrived in Damascus" in text and "menu" not in text
        assert pages.text(feed_server.url("/private/2")) == ("", "disallowed by robots.txt")
    assert feed_server.requests_to("/private/2") == []


def test_requests_to_one_domain_are_spaced(feed_server) -> None:
    spaced = SETTINGS.with_overrides(allow_private_hosts="127.0.0.1", fulltext_per_domain_s=0.4)
    feed_server.routes["/robots.txt"] = Route(body=b"")
    for n in range(3):
        feed_server.routes[f"/p{n}"] = Route(body=b"<html><body><p>short</p></body></html>")
    with make_client(spaced) as http:
        pages = PageFetcher(spaced, http)
        started = time.monotonic()
        for n in range(3):
            pages.text(feed_server.url(f"/p{n}"))
    assert time.monotonic() - started >= 0.4 * 3  # robots.txt + three pages, four requests, three gaps
