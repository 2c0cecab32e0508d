"""Property tests: the normalizer never raises on arbitrary input and its output schema holds."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mediawatch.feeds import Feed
from mediawatch.fetch import FetchResult
from mediawatch.normalize import canonical_url, html_to_text, normalize_entry, parse_feed
from mediawatch.records import Article, Rejected

FEED = Feed(id="fuzz", name="Fuzz", url="https://fuzz.test/rss", language="ar", country="SY", kind="state")
NOW = datetime(2026, 11, 29, tzinfo=UTC)
# Mixed scripts, RTL marks, combining diacritics, emoji, control characters, huge tokens.
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="بوتينسورياروسيا ًٌٍَُِّْـ\u200f\u200eПутинSyria<>&;\"' \n\t", max_size=300),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(0, 20_000)),
)
URL = st.one_of(st.text(max_size=200), st.just("http://[::1/broken"),
                st.builds(lambda p, q: f"https://Ex.test/{p}?{q}", st.text(max_size=50), st.text(max_size=50)))
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(title=TEXT, summary=TEXT, link=URL, published=st.one_of(st.none(), st.datetimes().map(lambda d: d.timetuple())))
def test_normalize_entry_returns_an_article_or_a_reason(title, summary, link, published) -> None:
    entry = {"title": title, "summary": summary, "link": link, "published_parsed": published}
    result = normalize_entry(entry, FEED, NOW)
    assert isinstance(result, Article | Rejected)
    if isinstance(result, Article):
        assert result.url.startswith(("http://", "https://")) and len(result.id) == 40
        assert result.language in {"ar", "ru", "en"}
        assert result.date_flag in {"feed", "missing", "future_clamped"}
        assert datetime.fromisoformat(result.published_at) <= NOW.replace(year=NOW.year + 1)
        assert "<script" not in result.summary.lower() or "<" in summary
        result.title.encode("utf-8")
    else:
        assert result.reason


MARKUP = st.lists(st.sampled_from(["<html>", "</html>", "<body>", "</body>", "<p>", "</p>", "<br/>", "<script>",
                                   "</script>", "<!--", "-->", "بوتين", "Путин", " ", "\x1c", "\x00", "&amp;", "&#0;",
                                   "<a href='x'>", "</a>", "<![CDATA[", "]]>"]), max_size=40).map("".join)


@SLOW
@given(st.one_of(st.text(max_size=500), MARKUP))
def test_html_to_text_never_raises_and_drops_tags(fragment: str) -> None:
    text = html_to_text(fragment)
    assert isinstance(text, str) and "\n" not in text
    assert "<script" not in text and "\x00" not in text


@SLOW
@given(URL)
def test_canonical_url_is_idempotent(url: str) -> None:
    try:
        once = canonical_url(url)
    except ValueError:  # urllib refuses some malformed netlocs (e.g. bad IPv6 brackets); normalize_entry rejects
        return
    assert canonical_url(once) == once


@SLOW
@given(st.binary(max_size=2000))
def test_parse_feed_on_arbitrary_bytes_gives_articles_or_an_error(body: bytes) -> None:
    result = FetchResult(feed_id="fuzz", url="x", status="ok", fetched_at=NOW, body=body)
    parsed = parse_feed(result, FEED)
    assert parsed.error is None or not parsed.articles  # a feed that is not usable gives no articles
    assert len(parsed.articles) + len(parsed.rejected) == parsed.entries_seen  # every entry is accounted for
    assert all(a.url.startswith(("http://", "https://")) and len(a.id) == 40 for a in parsed.articles)
