"""Feed parsing: our parse + normalize (``parse_feed``) against bare ``feedparser.parse``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import feedparser
from mediawatch.feeds import Feed
from mediawatch.fetch import FetchResult
from mediawatch.normalize import parse_feed

from . import rss
from .report import Result, best_of

FEEDS = 50
ITEMS = 1000
ROUNDS = 3
# parse + normalize may cost this many times feedparser alone (issue 7).
MAX_RATIO = 1.5


def feed_of(spec: rss.FeedSpec) -> Feed:
    return Feed(id=spec.feed_id, name=f"Bench outlet {spec.number}", url=f"https://{spec.domain}/rss",
                language=spec.language, country="SY", kind="private")


def run() -> list[Result]:
    """Per feed, reference and subject alternate for ROUNDS rounds; the best of each is summed."""
    fetched_at = datetime.now(UTC)
    ours = bare = 0.0
    for spec in rss.feed_specs(FEEDS):
        body = rss.feed_xml(spec, ITEMS)
        result = FetchResult(feed_id=spec.feed_id, url=f"https://{spec.domain}/rss", status="ok",
                             fetched_at=fetched_at, body=body)
        feed = feed_of(spec)
        best_bare, best_ours = best_of(ROUNDS, partial(feedparser.parse, body), partial(parse_feed, result, feed))
        bare += best_bare
        ours += best_ours
    items = FEEDS * ITEMS
    return [Result(f"feed parsing, {FEEDS} feeds x {ITEMS:,} items (ar/ru/en)",
                   f"parse_feed {items / ours:,.0f} items/s ({ours:.1f} s)",
                   f"feedparser.parse {items / bare:,.0f} items/s ({bare:.1f} s)", ours / bare, f"<= {MAX_RATIO:g}",
                   note=f"CPU-time ratio; per feed best of {ROUNDS} interleaved rounds, summed")]
