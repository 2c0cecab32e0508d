"""Generated RSS 2.0 feeds shaped like the outlets in ``seeds/feeds.yaml`` (see the fixtures in tests/data/feeds).

Items carry what real feeds carry: tracking parameters on links, summaries as plain text, as
escaped HTML and as CDATA markup, RFC 822 dates with offsets, categories and authors. A feed has
one language; a share of items come in another one, as on aggregators.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

from . import corpus

# Share of items in another language than the feed's (aggregators, wire re-publication).
FOREIGN_SHARE = 0.1
# Summary length range in bytes (feeds carry a lead paragraph, not the article).
SUMMARY_BYTES = (250, 700)
TRACKING = ("utm_source=rss&utm_medium=feed", "utm_campaign=daily&fbclid=IwAR0x", "at_medium=RSS&ref_src=twsrc")
# Dates lie in the week before this instant: inside clustering's 7-day lookback, never in the future.
EPOCH = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FeedSpec:
    number: int
    language: str

    @property
    def feed_id(self) -> str:
        return f"bench-{self.number:03d}"

    @property
    def domain(self) -> str:
        return f"outlet{self.number:03d}.bench.invalid"


def feed_specs(count: int) -> list[FeedSpec]:
    return [FeedSpec(n, corpus.LANGS[n % len(corpus.LANGS)]) for n in range(count)]


def _summary(rng: random.Random, vocab: corpus.Vocabulary) -> str:
    text = corpus.body(rng, vocab, rng.randint(*SUMMARY_BYTES))
    style = rng.random()
    if style < 0.4:
        return escape(text, quote=False)
    if style < 0.75:
        return escape(f"<p>{text}</p>", quote=False)
    middle = len(text) // 2
    return (f'<![CDATA[<p><img src="https://cdn.bench.invalid/{rng.randrange(10**6)}.jpg" alt=""/>'
            f'{text[:middle]}</p><p><a href="https://bench.invalid/more">{text[middle:]}</a></p>]]>')


def item_xml(spec: FeedSpec, number: int, rng: random.Random, salt: str = "") -> str:
    lang = spec.language
    if rng.random() < FOREIGN_SHARE:
        lang = rng.choice([x for x in corpus.LANGS if x != lang])
    vocab = corpus.vocabulary(lang)
    link = f"https://{spec.domain}/{lang}/2026/11/{salt}story-{number}"
    if rng.random() < 0.3:
        link += "?" + rng.choice(TRACKING)
    published = EPOCH - timedelta(minutes=rng.randrange(7 * 24 * 60))
    offset = timedelta(hours=rng.choice((0, 2, 3)))
    categories = "".join(f"<category>{escape(rng.choice(vocab.keywords))}</category>" for _ in range(rng.randint(0, 3)))
    return (f"<item><title>{escape(corpus.headline(rng, vocab), quote=False)}</title>"
            f"<link>{escape(link)}</link><guid isPermaLink=\"true\">{escape(link)}</guid>"
            f"<description>{_summary(rng, vocab)}</description>"
            f"<pubDate>{format_datetime(published.astimezone(timezone(offset)))}</pubDate>"
            f"<author>desk@{spec.domain} (Newsdesk)</author>{categories}</item>\n")


def feed_xml(spec: FeedSpec, items: int, seed: int = corpus.SEED, salt: str = "") -> bytes:
    """One RSS document with ``items`` items; the same bytes for the same arguments."""
    rng = random.Random(f"{seed}-rss-{spec.number}-{items}-{salt}")
    head = (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Bench outlet {spec.number}</title><link>https://{spec.domain}/</link>"
            f"<description>generated for MediaWatch benchmarks</description><language>{spec.language}</language>\n")
    body = "".join(item_xml(spec, n, rng, salt) for n in range(items))
    return (head + body + "</channel></rss>\n").encode("utf-8")
