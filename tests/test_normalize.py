"""Feed bytes to articles: every fixture in tests/data/feeds says in its comment what to expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mediawatch.feeds import Feed
from mediawatch.fetch import FetchResult
from mediawatch.normalize import article_id, canonical_url, entry_date, html_to_text, parse_feed

from .conftest import FEEDS

FETCHED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def feed(language: str = "en") -> Feed:
    return Feed(id="fixture", name="Fixture outlet", url="https://example.test/feed", language=language,
                country="SY", kind="state")


def parse_file(name: str, language: str = "en", headers: dict[str, str] | None = None):
    result = FetchResult(feed_id="fixture", url=name, status="ok", fetched_at=FETCHED_AT,
                         body=(FEEDS / name).read_bytes(), headers=headers or {})
    return parse_feed(result, feed(language))


@pytest.mark.parametrize(("url", "expected"), [
    ("https://Example-AR.test/news/1?utm_source=rss&id=7#top", "https://example-ar.test/news/1?id=7"),
    ("HTTP://www.Example.com:80/a?fbclid=x&gclid=y", "http://www.example.com/a"),
    ("https://example.com:8443/a?p=12&utm_medium=feed&utm_campaign=z", "https://example.com:8443/a?p=12"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/story?id=5&ref_src=twsrc", "https://example.com/story?id=5"),
])
def test_canonical_url_drops_tracking_but_keeps_meaningful_query(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_article_id_is_stable_and_tracking_insensitive() -> None:
    first = article_id(canonical_url("https://example.com/a?id=1&utm_source=x"))
    second = article_id(canonical_url("https://EXAMPLE.com/a?id=1#comments"))
    assert first == second
    assert first != article_id(canonical_url("https://example.com/a?id=2"))


def test_html_to_text_removes_scripts_styles_and_handlers() -> None:
    html = '<p onclick="steal()">Moscow &amp; <b>Damascus</b></p><script>alert(1)</script><style>p{}</style>'
    assert html_to_text(html) == "Moscow & Damascus"


def test_rss2_arabic_dates_become_utc_and_urls_canonical() -> None:
    parsed = parse_file("rss2_ar_utf8.xml", "ar")
    assert parsed.error is None and parsed.bozo_reason is None
    first, second = parsed.articles
    assert first.title == "بوتين يستقبل الشرع في الكرملين"
    assert first.url == "https://example-ar.test/news/1?id=7"
    assert first.published_at == "2026-11-28T07:00:00+00:00"
    assert second.published_at == "2026-11-28T09:30:00+00:00"
    assert {a.language for a in parsed.articles} == {"ar"}


def test_atom_entries_use_published_then_updated() -> None:
    first, second = parse_file("atom_en.xml").articles
    assert first.title == "Russian forces leave Qamishli airport"
    assert first.summary == "Russian troops withdrew from the airport in Qamishli, Syria."
    assert first.published_at == "2026-11-28T08:15:00+00:00"
    assert second.published_at == "2026-11-27T14:00:00+00:00"


def test_rdf_rss1_feed_is_parsed() -> None:
    parsed = parse_file("rdf_ru.rdf", "ru")
    assert [a.title for a in parsed.articles] == [
        "Лавров встретился с министром иностранных дел Сирии",
        "Российские военные доставили гуманитарную помощь в Латакию",
    ]
    assert parsed.articles[0].published_at == "2026-11-28T08:00:00+00:00"
    assert parsed.articles[0].language == "ru"


@pytest.mark.parametrize(("name", "title"), [
    ("rss_cp1256.xml", "لافروف: العلاقات مع سوريا استراتيجية"),
    ("rss_koi8r.xml", "Путин провёл переговоры с президентом Сирии"),
])
def test_legacy_encodings_decode_to_utf8(name: str, title: str) -> None:
    (article,) = parse_file(name).articles
    assert article.title == title
    article.title.encode("utf-8")


def test_charset_from_http_header_is_honoured() -> None:
    body = (FEEDS / "rss_koi8r.xml").read_bytes().replace(b'encoding="koi8-r"', b"")
    result = FetchResult(feed_id="fixture", url="x", status="ok", fetched_at=FETCHED_AT, body=body,
                         headers={"content-type": "application/rss+xml; charset=koi8-r"})
    (article,) = parse_feed(result, feed("ru")).articles
    assert article.title == "Путин провёл переговоры с президентом Сирии"


def test_entities_cdata_and_markup_become_plain_text() -> None:
    wheat, undated, future = parse_file("rss_entities_cdata.xml").articles
    assert wheat.title == 'Russia & Syria sign "wheat" deal — report'
    assert wheat.summary == "Moscow and Damascus signed a wheat deal."
    assert wheat.url == "https://example-en.test/2026/11/wheat-deal"
    assert (undated.date_flag, undated.published_at) == ("missing", FETCHED_AT.isoformat())
    assert (future.date_flag, future.published_at) == ("future_clamped", FETCHED_AT.isoformat())
    assert wheat.date_flag == "feed"


def test_html_page_is_not_a_feed() -> None:
    parsed = parse_file("html_page.html")
    assert parsed.articles == []
    assert parsed.error is not None and "not" in parsed.error


def test_truncated_xml_keeps_complete_items_and_records_the_bozo_reason() -> None:
    parsed = parse_file("truncated.xml", "ar")
    assert [a.title for a in parsed.articles] == ["بوتين يستقبل الشرع في الكرملين"]
    assert parsed.error is None
    assert "SAXParseException" in parsed.bozo_reason
    assert [r.reason for r in parsed.rejected] == ["entry has no http(s) link (link='')"]


def test_entry_date_within_tolerance_is_kept() -> None:
    soon = (FETCHED_AT + timedelta(minutes=30)).timetuple()
    published, flag = entry_date({"published_parsed": soon}, FETCHED_AT, timedelta(hours=1))
    assert flag == "feed" and published == FETCHED_AT + timedelta(minutes=30)


def test_wire_copies_share_a_band_and_are_near_duplicates() -> None:
    from mediawatch.fingerprint import bands, encode, is_near_duplicate, signature, similarity

    base = ("استقبل الرئيس الروسي فلاديمير بوتين نظيره السوري أحمد الشرع في الكرملين لبحث التعاون "
            "الاقتصادي والعسكري بين البلدين وملفات القواعد والقمح والديون وإعادة الإعمار")
    copy = base.replace("استقبل", "إستقبل") + " وفق ما أفادت الوكالة"
    other = "Russian troops withdrew from the airport in Qamishli, Syria, the defence ministry said on Friday."
    sig_base, sig_copy, sig_other = signature(base), signature(copy), signature(other)
    assert is_near_duplicate(encode(sig_base), encode(sig_copy)), similarity(sig_base, sig_copy)
    assert set(bands(sig_base)) & set(bands(sig_copy))
    assert not is_near_duplicate(encode(sig_base), encode(sig_other))
    assert not is_near_duplicate(encode(signature("")), encode(signature("")))
