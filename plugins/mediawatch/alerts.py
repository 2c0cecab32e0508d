"""Alerts on coverage spikes and tone shifts: pure statistics, thin Elasticsearch I/O, delivery.

A run looks at the latest window (``window_h`` whole hours ending at the last full hour) and,
per language, counts *stories* (distinct ``cluster_id``: a wire story and its copies count once)
for every watched entity, every entity co-mentioned with Russia or Syria, every topic, and all
articles together. Each count is compared with a baseline from the previous 14 days; a
significant excess above a minimum count becomes an alert document in
``<prefix>-alerts``, with its evidence (counts, baseline samples, the test, the top stories
collapsed by ``cluster_id``). Tone toward Russia and Syria alerts when its mean drops by a
margin. Alert ids are deterministic (kind + key + language + window), alerts are *created*
(never overwritten), and a key already alerted in an overlapping window is not alerted again.

Delivery (Slack-compatible webhook, e-mail through a sender the DAG injects) runs over every
stored alert with ``delivered: false``; a failure is logged, counted in ``delivery_attempts``
and retried by the next run, and the alert stays stored whatever happens.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from elasticsearch import ConflictError, Elasticsearch

from .settings import Settings
from .store import connect

log = logging.getLogger(__name__)

# --- Settings (MEDIAWATCH_ALERT_*; read with getattr until Settings has the fields) -------------
# Window: long enough to hold a developing story on hourly-or-slower feeds, short enough to be news.
WINDOW_H = 6
# Fewer stories than this never alert, however improbable: 3 stories against a baseline of 0.1
# are "significant" for any test, and not worth waking anyone for.
MIN_COUNT = 5
# Poisson tail probability at or below which a count is a spike. Strict because news is bursty and
# one run tests tens to hundreds of series: on spike-free synthetic corpora, 3 of 96 runs raised an
# alert at 1e-3, none at 1e-4 (tests/test_alerts.py builds the corpora).
P_VALUE = 0.0001
# Drop of mean tone (scale [-1, 1], enrich/sentiment.py) versus the 14-day mean that alerts.
TONE_MARGIN = 0.3
# Articles with a tone needed on each side: per-article tone spreads ~0.25, so the mean of 10 has a
# standard error ~0.08 and a 0.3 drop is ~4 of them; with 5, chance drops alerted on synthetic data.
TONE_MIN_COUNT = 10
WEBHOOK_URL = ""
EMAIL_TO = ""

# --- Fixed parameters --------------------------------------------------------------------------
BASELINE_DAYS = 14  # issue 6
# Expected count assumed for a key absent from the baseline: half a story per window, so a brand-new
# key is not infinitely surprising; with the default p-value it alerts from 6 stories (p = 1.4e-5).
BASELINE_FLOOR = 0.5
# Hour-of-day profile test (chi-square, 23 df): below this p-value volume is daily-periodic.
PERIODIC_P = 0.01
# The chi-square approximation needs about 5 expected articles per hour-of-day cell.
PERIODIC_MIN_PER_HOUR = 5
# An entity (or volume) alert is dropped when a more specific alert explains this share of its excess.
EXPLAINED_SHARE = 0.5
MAX_KEYS = 500  # candidate keys per kind and language
TOP_STORIES = 5
# Undelivered alerts are retried for this long; after that they stay stored, visible in the CLI/Kibana.
RETRY_HOURS = 48
WEBHOOK_TRIES = 3
WEBHOOK_BACKOFF_S = 2.0
WEBHOOK_TIMEOUT_S = 10.0
# Anchors of the co-mention pairs, by watchlist id (seeds/entities.yaml) and canonical name.
ANCHORS = {"Q159": "Russia", "Q858": "Syria"}
TONE_FIELDS = {"Russia": "tone_russia", "Syria": "tone_syria"}
LANGUAGE_NAMES = {"ar": "Arabic", "ru": "Russian", "en": "English"}
PAIR_SEPARATOR = " + "

EmailSender = Callable[[list[str], str, str], None]
"""``sender(to, subject, html_body)``; raises on failure."""


@dataclass(frozen=True)
class AlertConfig:
    window_h: int = WINDOW_H
    min_count: int = MIN_COUNT
    p_value: float = P_VALUE
    tone_margin: float = TONE_MARGIN
    tone_min_count: int = TONE_MIN_COUNT
    webhook_url: str = WEBHOOK_URL
    email_to: tuple[str, ...] = ()
    baseline_days: int = BASELINE_DAYS
    webhook_tries: int = WEBHOOK_TRIES
    webhook_backoff_s: float = WEBHOOK_BACKOFF_S


def alert_config(settings: Settings) -> AlertConfig:
    """The alert thresholds and channels from the MEDIAWATCH_ALERT_* settings."""
    return AlertConfig(
        window_h=settings.alert_window_h, min_count=settings.alert_min_count, p_value=settings.alert_p_value,
        tone_margin=settings.alert_tone_margin, webhook_url=settings.alert_webhook_url,
        email_to=tuple(a.strip() for a in settings.alert_email_to.split(",") if a.strip()),
    )


# --- Pure statistics ---------------------------------------------------------------------------

def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean): the spike test.

    Why Poisson and not a z-score: stories about a key arrive as (roughly) independent events,
    so a window's count is Poisson with the baseline mean. The counts tested are small (an entity
    pair in one language: 0-5 per window), where the normal approximation behind a z-score is
    badly wrong (count 3 against mean 0.1 gives z = 9.2, p ~ 1e-20; the exact tail is 1.5e-4).

    Why stories (distinct cluster_id) and not articles: wire copies are not independent, so
    article counts are overdispersed and a plain Poisson test on them alerts on every story that
    five outlets reprint. On 40 synthetic 15-day corpora without spikes, articles raised false
    alerts in 11 runs at p = 0.001; stories in 1 of 60. The alert keeps both counts.

    The remaining burstiness (follow-ups, several outlets writing their own piece) is why
    ``P_VALUE`` is strict, why ``MIN_COUNT`` stories are required however small the p-value,
    and why a key absent from the baseline is given ``BASELINE_FLOOR`` expected stories.
    """
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if k <= mean:  # upper tail is large: 1 - lower tail loses nothing
        term = math.exp(-mean)
        lower = term
        for i in range(1, k):
            term *= mean / i
            lower += term
        return max(0.0, 1.0 - lower)
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
    total, i = term, k
    while term > total * 1e-17:
        i += 1
        term *= mean / i
        total += term
    return min(1.0, total)


def chi_square_sf(statistic: float, df: int) -> float:
    """Upper tail of the chi-square distribution (Wilson-Hilferty cube-root normal approximation)."""
    if statistic <= 0:
        return 1.0
    scale = 2.0 / (9.0 * df)
    z = ((statistic / df) ** (1.0 / 3.0) - (1.0 - scale)) / math.sqrt(scale)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def is_daily_periodic(hourly: Sequence[int], p_value: float = PERIODIC_P) -> bool:
    """Whether hourly counts (whole days, starting at any hour) have an hour-of-day profile.

    Chi-square test of the 24 hour-of-day totals against a flat profile; too little volume
    (fewer than ``PERIODIC_MIN_PER_HOUR`` expected per cell) counts as not periodic.
    """
    days = len(hourly) // 24
    cells = [sum(hourly[h + 24 * d] for d in range(days)) for h in range(24)]
    total = sum(cells)
    if days == 0 or total < 24 * PERIODIC_MIN_PER_HOUR:
        return False
    expected = total / 24
    statistic = sum((c - expected) ** 2 / expected for c in cells)
    return chi_square_sf(statistic, 23) < p_value


@dataclass(frozen=True)
class SpikeTest:
    count: int
    baseline_mean: float
    expected: float
    p_value: float
    significant: bool

    @property
    def score(self) -> float:
        """-log10 of the p-value (capped at 300): 3 means p = 0.001."""
        return round(min(300.0, -math.log10(max(self.p_value, 1e-300))), 3)


def spike_test(count: int, samples: Sequence[int], min_count: int = MIN_COUNT,
               p_value: float = P_VALUE) -> SpikeTest:
    """Poisson upper-tail test of ``count`` against the mean of the baseline samples."""
    mean = sum(samples) / len(samples) if samples else 0.0
    expected = max(mean, BASELINE_FLOOR)
    p = poisson_upper_tail(count, expected)
    return SpikeTest(count, round(mean, 4), expected, p, count >= min_count and p <= p_value)


@dataclass(frozen=True)
class ToneTest:
    count: int
    tone: float | None
    baseline_count: int
    baseline_tone: float | None
    significant: bool

    @property
    def drop(self) -> float:
        if self.tone is None or self.baseline_tone is None:
            return 0.0
        return round(self.baseline_tone - self.tone, 4)


def tone_shift_test(count: int, tone: float | None, baseline_count: int, baseline_tone: float | None,
                    margin: float = TONE_MARGIN, min_count: int = TONE_MIN_COUNT) -> ToneTest:
    """A drop of the window's mean tone below the 14-day mean by ``margin``, both means resting on
    at least ``min_count`` articles (the mean of a handful of articles moves by a margin on its own)."""
    test = ToneTest(count, tone, baseline_count, baseline_tone, False)
    enough = count >= min_count and baseline_count >= min_count
    return replace(test, significant=enough and test.drop >= margin)


# --- Windows, keys, alert records --------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


def latest_window(now: datetime, window_h: int) -> Window:
    """The last ``window_h`` whole hours before ``now``: runs within one hour see the same window."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return Window(end - timedelta(hours=window_h), end)


def history_start(window: Window, baseline_days: int = BASELINE_DAYS) -> datetime:
    return window.start - timedelta(days=baseline_days)


def baseline_windows(window: Window, periodic: bool, baseline_days: int = BASELINE_DAYS) -> list[Window]:
    """The windows whose counts form the baseline, oldest first.

    Daily-periodic volume: the same hours on each of the previous days. Otherwise every
    non-overlapping window of the same length in the baseline span. A window longer than a day
    is never treated as periodic.
    """
    if periodic and window.hours <= 24:
        return [Window(window.start - timedelta(days=d), window.end - timedelta(days=d))
                for d in range(baseline_days, 0, -1)]
    length = timedelta(hours=window.hours)
    blocks = baseline_days * 24 // window.hours
    return [Window(window.start - length * i, window.end - length * i) for i in range(blocks, 0, -1)]


def pair_key(a: str, b: str) -> str:
    """One key per unordered pair, so Russia+Syria found from either anchor is one series."""
    return PAIR_SEPARATOR.join(sorted((a, b)))


def alert_id(kind: str, key: str, language: str, window: Window) -> str:
    raw = "|".join((kind, key, language, window.start.isoformat(), window.end.isoformat()))
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


@dataclass
class Alert:
    kind: str  # volume | entity | pair | topic | tone
    key: str
    language: str
    window: Window
    count: int
    baseline_mean: float | None
    score: float
    tone: float | None = None
    baseline_tone: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    articles: int = 0

    @property
    def alert_id(self) -> str:
        return alert_id(self.kind, self.key, self.language, self.window)

    @property
    def title(self) -> str:
        return alert_title(self)

    def to_document(self, created_at: str) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "kind": self.kind, "key": self.key, "language": self.language,
                "title": self.title, "window_start": self.window.start.isoformat(),
                "window_end": self.window.end.isoformat(), "created_at": created_at, "count": self.count,
                "articles": self.articles, "baseline_mean": self.baseline_mean, "score": self.score, "tone": self.tone,
                "baseline_tone": self.baseline_tone, "delivered": False, "delivery_attempts": 0,
                "delivered_channels": [], "evidence": self.evidence}


def alert_from_document(doc: dict[str, Any]) -> Alert:
    window = Window(datetime.fromisoformat(doc["window_start"]), datetime.fromisoformat(doc["window_end"]))
    evidence = doc.get("evidence") or {}
    return Alert(doc["kind"], doc["key"], doc["language"], window, doc.get("count", 0),
                 doc.get("baseline_mean", 0.0), doc.get("score", 0.0), doc.get("tone"), doc.get("baseline_tone"),
                 evidence, evidence.get("counts", {}).get("articles", 0))


def alert_title(alert: Alert) -> str:
    language = f"{LANGUAGE_NAMES.get(alert.language, alert.language)} ({alert.language})"
    if alert.kind == "tone":
        return (f"Tone toward {alert.key} in {language} coverage fell to {alert.tone:+.2f}"
                f" (14-day mean {alert.baseline_tone:+.2f}, {alert.count} articles in {alert.window.hours}h)")
    subject = {"volume": "All coverage", "entity": alert.key, "pair": alert.key, "topic": f"Topic {alert.key}"}
    return (f"{subject.get(alert.kind, alert.key)} in {language}: {alert.count} stories ({alert.articles} articles)"
            f" in {alert.window.hours}h vs {alert.baseline_mean:.1f} usual")


def is_ongoing(alert: Alert, recent: Iterable[Alert]) -> bool:
    """The same key was alerted for a window overlapping this one: the spike is not news again."""
    return any(r.kind == alert.kind and r.key == alert.key and r.language == alert.language
               and r.window.end > alert.window.start and r.window.start < alert.window.end for r in recent)


def _pair_members(key: str) -> set[str]:
    return set(key.split(PAIR_SEPARATOR))


def is_explained(alert: Alert, others: Iterable[Alert], share: float = EXPLAINED_SHARE) -> bool:
    """An entity or volume spike that a more specific alert in the same language mostly explains.

    A burst of "Syria + Putin" stories also raises Putin, Syria and the language's volume; the
    pair alert says it best. The entity (or volume) alert is dropped when the more specific
    alert's excess over its baseline is at least ``share`` of its own excess.
    """
    if alert.kind not in {"entity", "volume"}:
        return False
    excess = alert.count - alert.baseline_mean

    def explains(other: Alert) -> bool:
        if other.language != alert.language or other is alert or other.window.end <= alert.window.start:
            return False
        if alert.kind == "entity" and not (other.kind == "pair" and alert.key in _pair_members(other.key)):
            return False
        if alert.kind == "volume" and other.kind in {"volume", "tone"}:
            return False
        return other.count - other.baseline_mean >= share * excess

    return any(explains(other) for other in others)


def select_new_alerts(candidates: list[Alert], recent: list[Alert]) -> tuple[list[Alert], int, int]:
    """Drop ongoing spikes and explained ones; returns (new alerts, ongoing, explained)."""
    context = candidates + recent
    fresh = [a for a in candidates if not is_ongoing(a, recent)]
    kept = [a for a in fresh if not is_explained(a, context)]
    return kept, len(candidates) - len(fresh), len(fresh) - len(kept)


# --- Elasticsearch queries (pure builders) ------------------------------------------------------

@dataclass(frozen=True)
class KeySpec:
    """One family of count series: a terms field (None for all articles), an optional anchor filter."""

    kind: str
    field: str | None = None
    anchor_id: str | None = None

    @property
    def anchor_name(self) -> str | None:
        return ANCHORS.get(self.anchor_id) if self.anchor_id else None

    def filters(self) -> list[dict[str, Any]]:
        return [{"term": {"entity_ids": self.anchor_id}}] if self.anchor_id else []

    def key_for(self, term: str) -> str:
        return pair_key(self.anchor_name, term) if self.anchor_name else term


KEY_SPECS = (KeySpec("volume"), KeySpec("entity", "entity_names"), KeySpec("topic", "topics"),
             *(KeySpec("pair", "entity_names", anchor_id) for anchor_id in ANCHORS))


def published_range(start: datetime, end: datetime) -> dict[str, Any]:
    return {"range": {"published_at": {"gte": start.isoformat(), "lt": end.isoformat()}}}


def _keys_agg(spec: KeySpec, min_count: int = 1, include: list[str] | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": spec.field, "size": MAX_KEYS, "min_doc_count": min_count}
    if spec.anchor_name:
        terms["exclude"] = [spec.anchor_name]
    if include is not None:
        terms["include"] = include
    return {"terms": terms}


def candidates_body(spec: KeySpec, window: Window, min_count: int) -> dict[str, Any]:
    """Keys with at least ``min_count`` articles in the window, per language (only those can alert)."""
    languages: dict[str, Any] = {"terms": {"field": "language", "size": 20, "min_doc_count": min_count}}
    if spec.field:
        languages["aggs"] = {"keys": _keys_agg(spec, min_count)}
    return {"size": 0, "query": {"bool": {"filter": [published_range(window.start, window.end), *spec.filters()]}},
            "aggs": {"languages": languages}}


HOURLY = {"date_histogram": {"field": "published_at", "fixed_interval": "1h", "min_doc_count": 1}}
# A story is a cluster_id; an article without one (not clustered) is a story of its own.
STORY_METRICS = {"stories": {"cardinality": {"field": "cluster_id", "precision_threshold": 3000}},
                 "unclustered": {"missing": {"field": "cluster_id"}}}


def volume_history_body(window: Window, baseline_days: int) -> dict[str, Any]:
    """Hourly article counts per language over the baseline span (for the daily-profile test)."""
    query = {"bool": {"filter": [published_range(history_start(window, baseline_days), window.start)]}}
    return {"size": 0, "query": query,
            "aggs": {"languages": {"terms": {"field": "language", "size": 20}, "aggs": {"hours": HOURLY}}}}


def samples_body(spec: KeySpec, language: str, keys: list[str], window: Window,
                 baselines: list[Window]) -> dict[str, Any]:
    """Articles and stories of each key in the window and in each baseline window (one language)."""
    ranges = [{"key": "window", "from": window.start.isoformat(), "to": window.end.isoformat()}]
    ranges += [{"key": f"b{i}", "from": w.start.isoformat(), "to": w.end.isoformat()} for i, w in enumerate(baselines)]
    periods = {"date_range": {"field": "published_at", "ranges": ranges, "keyed": True}, "aggs": STORY_METRICS}
    aggs = {"keys": {**_keys_agg(spec, 1, keys), "aggs": {"periods": periods}}} if spec.field \
        else {"periods": periods}
    filters = [{"term": {"language": language}}, published_range(baselines[0].start, window.end), *spec.filters()]
    return {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": aggs}


def tone_body(window: Window, baseline_days: int) -> dict[str, Any]:
    """Mean tone and article count toward each country, window versus baseline, per language."""
    metrics = {}
    for name, tone_field in TONE_FIELDS.items():
        metrics[f"{name}_mean"] = {"avg": {"field": tone_field}}
        metrics[f"{name}_count"] = {"value_count": {"field": tone_field}}
    periods = {"filters": {"filters": {"window": published_range(window.start, window.end),
                                       "baseline": published_range(history_start(window, baseline_days),
                                                                   window.start)}},
               "aggs": metrics}
    return {"size": 0,
            "query": {"bool": {"filter": [published_range(history_start(window, baseline_days), window.end)]}},
            "aggs": {"languages": {"terms": {"field": "language", "size": 20}, "aggs": {"periods": periods}}}}


def key_filters(kind: str, key: str) -> list[dict[str, Any]]:
    """The article filter that selects one series' articles (used for the evidence stories)."""
    if kind in {"entity"}:
        return [{"term": {"entity_names": key}}]
    if kind == "topic":
        return [{"term": {"topics": key}}]
    if kind == "tone":
        return [{"exists": {"field": TONE_FIELDS[key]}}]
    if kind == "pair":
        by_name = {name: entity_id for entity_id, name in ANCHORS.items()}
        return [{"term": {"entity_ids": by_name[name]}} if name in by_name else {"term": {"entity_names": name}}
                for name in sorted(_pair_members(key))]
    return []


def stories_body(alert: Alert, size: int = TOP_STORIES) -> dict[str, Any]:
    """The window's stories for an alert: one bucket per cluster_id (a wire story and its copies),
    biggest first (lowest tone first for tone alerts), with its first copy and its outlets."""
    filters = [published_range(alert.window.start, alert.window.end), {"term": {"language": alert.language}},
               *key_filters(alert.kind, alert.key)]
    first = {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}],
                          "_source": ["title", "url", "source", "published_at", "language"]}}
    aggs: dict[str, Any] = {"first": first, "outlets": {"terms": {"field": "source", "size": 10}}}
    order: dict[str, Any] | list[dict[str, Any]] = [{"_count": "desc"}, {"_key": "asc"}]
    if alert.kind == "tone":
        aggs["tone"] = {"avg": {"field": TONE_FIELDS[alert.key]}}
        order = [{"tone": "asc"}, {"_key": "asc"}]
    return {"size": 0, "query": {"bool": {"filter": filters}},
            "aggs": {"stories": {"terms": {"field": "cluster_id", "size": size, "order": order}, "aggs": aggs}}}


# --- Responses to series (pure) ------------------------------------------------------------------

def hourly_counts(buckets: list[dict[str, Any]], start: datetime, hours: int) -> list[int]:
    """Dense hourly counts from sparse date_histogram buckets (min_doc_count 1)."""
    counts = [0] * hours
    origin = int(start.timestamp() * 1000)
    for bucket in buckets:
        index = (bucket["key"] - origin) // 3_600_000
        if 0 <= index < hours:
            counts[index] += bucket["doc_count"]
    return counts


def parse_candidates(response: dict[str, Any], spec: KeySpec) -> dict[str, list[str]]:
    """language -> keys (terms as they are in the index) that may alert."""
    result: dict[str, list[str]] = {}
    for language in response["aggregations"]["languages"]["buckets"]:
        if spec.field:
            result[language["key"]] = [b["key"] for b in language["keys"]["buckets"]]
        else:
            result[language["key"]] = [""]
    return {lang: keys for lang, keys in result.items() if keys}


def parse_volume_history(response: dict[str, Any], start: datetime, hours: int) -> dict[str, list[int]]:
    """language -> dense hourly article counts."""
    return {language["key"]: hourly_counts(language["hours"]["buckets"], start, hours)
            for language in response["aggregations"]["languages"]["buckets"]}


@dataclass(frozen=True)
class Counts:
    articles: int
    stories: int


def _period_counts(periods: dict[str, Any]) -> dict[str, Counts]:
    return {key: Counts(b["doc_count"], int(b["stories"]["value"]) + b["unclustered"]["doc_count"])
            for key, b in periods["buckets"].items()}


def parse_samples(response: dict[str, Any], spec: KeySpec) -> dict[str, dict[str, Counts]]:
    """term ("" for all-article volume) -> period key ("window", "b0", "b1"...) -> counts."""
    aggs = response["aggregations"]
    if not spec.field:
        return {"": _period_counts(aggs["periods"])}
    return {bucket["key"]: _period_counts(bucket["periods"]) for bucket in aggs["keys"]["buckets"]}


def parse_stories(response: dict[str, Any]) -> list[dict[str, Any]]:
    stories = []
    for bucket in response["aggregations"]["stories"]["buckets"]:
        first = bucket["first"]["hits"]["hits"][0]["_source"]
        story = {"cluster_id": bucket["key"], "copies": bucket["doc_count"], "title": first.get("title", ""),
                 "url": first.get("url", ""), "source": first.get("source", ""),
                 "published_at": first.get("published_at", ""), "language": first.get("language", ""),
                 "outlets": [b["key"] for b in bucket["outlets"]["buckets"]]}
        if "tone" in bucket:
            story["tone"] = bucket["tone"]["value"]
        stories.append(story)
    return stories


# --- Detection -----------------------------------------------------------------------------------

def evaluate_series(spec: KeySpec, language: str, term: str, periods: dict[str, Counts], window: Window,
                    baselines: list[Window], method: str, config: AlertConfig) -> Alert | None:
    """One series' spike test on story counts; an Alert (without its stories yet) when significant."""
    empty = Counts(0, 0)
    samples = [periods.get(f"b{i}", empty) for i in range(len(baselines))]
    now = periods.get("window", empty)
    test = spike_test(now.stories, [c.stories for c in samples], config.min_count, config.p_value)
    if not test.significant:
        return None
    key = spec.key_for(term) if spec.field else "all"
    evidence = {
        "counts": {"stories": now.stories, "articles": now.articles},
        "baseline": {"method": method, "days": config.baseline_days, "windows": len(baselines),
                     "stories": [c.stories for c in samples], "articles": [c.articles for c in samples],
                     "mean": test.baseline_mean, "expected": test.expected,
                     "first_window_start": baselines[0].start.isoformat()},
        "test": {"name": "poisson_upper_tail", "unit": "stories", "p_value": test.p_value,
                 "threshold": config.p_value, "min_count": config.min_count},
    }
    return Alert(spec.kind, key, language, window, test.count, test.baseline_mean, test.score,
                 evidence=evidence, articles=now.articles)


def _search(es: Elasticsearch, settings: Settings, body: dict[str, Any], index: str = "articles") -> dict[str, Any]:
    return es.search(index=settings.index(index), body=body).body


def fetch_candidates(es: Elasticsearch, settings: Settings, spec: KeySpec, window: Window,
                     config: AlertConfig) -> dict[str, list[str]]:
    """language -> keys with at least ``min_count`` articles in the window (fewer stories cannot alert)."""
    return parse_candidates(_search(es, settings, candidates_body(spec, window, config.min_count)), spec)


def fetch_samples(es: Elasticsearch, settings: Settings, spec: KeySpec, language: str, keys: list[str],
                  window: Window, baselines: list[Window]) -> dict[str, dict[str, Counts]]:
    body = samples_body(spec, language, [k for k in keys if k], window, baselines)
    return parse_samples(_search(es, settings, body), spec)


def periodic_languages(es: Elasticsearch, settings: Settings, window: Window, config: AlertConfig) -> set[str]:
    """Languages whose hourly article volume over the baseline span has a daily profile."""
    start = history_start(window, config.baseline_days)
    response = _search(es, settings, volume_history_body(window, config.baseline_days))
    history = parse_volume_history(response, start, 24 * config.baseline_days)
    return {lang for lang, counts in history.items() if is_daily_periodic(counts)}


def tone_alerts(response: dict[str, Any], window: Window, config: AlertConfig) -> list[Alert]:
    alerts = []
    for language in response["aggregations"]["languages"]["buckets"]:
        periods = language["periods"]["buckets"]
        for name in TONE_FIELDS:
            now, base = periods["window"], periods["baseline"]
            test = tone_shift_test(int(now[f"{name}_count"]["value"]), now[f"{name}_mean"]["value"],
                                   int(base[f"{name}_count"]["value"]), base[f"{name}_mean"]["value"],
                                   config.tone_margin, config.tone_min_count)
            if test.significant:
                evidence = {"tone": {"window_mean": test.tone, "window_count": test.count,
                                     "baseline_mean": test.baseline_tone, "baseline_count": test.baseline_count,
                                     "drop": test.drop, "margin": config.tone_margin,
                                     "min_count": config.tone_min_count, "baseline_days": config.baseline_days}}
                alerts.append(Alert("tone", name, language["key"], window, test.count, None, test.drop,
                                    round(test.tone, 4), round(test.baseline_tone, 4), evidence))
    return alerts


def detect(es: Elasticsearch, settings: Settings, window: Window, config: AlertConfig) -> tuple[list[Alert], int]:
    """Every significant spike and tone drop in the window; returns (alerts, count series tested)."""
    periodic = periodic_languages(es, settings, window, config)
    found: dict[tuple[str, str, str], Alert] = {}
    tested = 0
    for spec in KEY_SPECS:
        for language, keys in fetch_candidates(es, settings, spec, window, config).items():
            is_periodic = language in periodic and window.hours <= 24
            baselines = baseline_windows(window, is_periodic, config.baseline_days)
            method = "same_hours_each_day" if is_periodic else "all_windows"
            for term, periods in fetch_samples(es, settings, spec, language, keys, window, baselines).items():
                tested += 1
                alert = evaluate_series(spec, language, term, periods, window, baselines, method, config)
                if alert:
                    found.setdefault((alert.kind, alert.key, alert.language), alert)
    tones = tone_alerts(_search(es, settings, tone_body(window, config.baseline_days)), window, config)
    return list(found.values()) + tones, tested


def recent_alerts(es: Elasticsearch, settings: Settings, window: Window) -> list[Alert]:
    """Stored alerts whose window overlaps or follows this window's start."""
    body = {"size": 1000, "query": {"range": {"window_end": {"gt": window.start.isoformat()}}},
            "_source": {"excludes": ["evidence.stories"]}}
    hits = _search(es, settings, body, "alerts")["hits"]["hits"]
    return [alert_from_document(hit["_source"]) for hit in hits]


def add_stories(es: Elasticsearch, settings: Settings, alert: Alert) -> Alert:
    alert.evidence["stories"] = parse_stories(_search(es, settings, stories_body(alert)))
    alert.evidence["filter"] = key_filters(alert.kind, alert.key)
    return alert


def store_alert(es: Elasticsearch, settings: Settings, alert: Alert) -> bool:
    """Create the alert document; False if that exact alert already exists (never overwritten)."""
    try:
        es.create(index=settings.index("alerts"), id=alert.alert_id, document=alert.to_document(_now_iso()),
                  refresh="wait_for")
    except ConflictError:
        return False
    return True


@dataclass
class DetectionReport:
    window_start: str
    window_end: str
    series: int = 0
    significant: int = 0
    ongoing: int = 0
    explained: int = 0
    stored: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"window_start": self.window_start, "window_end": self.window_end, "series": self.series,
                "significant": self.significant, "ongoing": self.ongoing, "explained": self.explained,
                "stored": len(self.stored), "alert_ids": self.stored}


def run_detection(es: Elasticsearch, settings: Settings, now: datetime | None = None,
                  config: AlertConfig | None = None) -> DetectionReport:
    """Detect, drop what is ongoing or explained, add the evidence stories, store. Idempotent."""
    config = config or alert_config(settings)
    window = latest_window(now or datetime.now(UTC), config.window_h)
    candidates, tested = detect(es, settings, window, config)
    new, ongoing, explained = select_new_alerts(candidates, recent_alerts(es, settings, window))
    report = DetectionReport(window.start.isoformat(), window.end.isoformat(), tested, len(candidates),
                             ongoing, explained)
    for alert in new:
        if store_alert(es, settings, add_stories(es, settings, alert)):
            report.stored.append(alert.alert_id)
            log.info("alert %s: %s", alert.alert_id[:12], alert.title)
    log.info("alerts for %s..%s: %d series tested, %d significant, %d ongoing, %d explained, %d stored",
             report.window_start, report.window_end, tested, len(candidates), ongoing, explained, len(report.stored))
    return report


# --- Delivery ------------------------------------------------------------------------------------

def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _story_line(story: dict[str, Any]) -> str:
    title = _slack_escape(story.get("title") or "(no title)")[:200]
    link = f"<{story['url']}|{title}>" if story.get("url") else title
    copies = f" ({story['copies']} copies)" if story.get("copies", 1) > 1 else ""
    return f"• {link} — {_slack_escape(', '.join(story.get('outlets') or [story.get('source', '')]))}{copies}"


def _alert_facts(doc: dict[str, Any]) -> str:
    if doc["kind"] == "tone":
        return (f"*Mean tone:* {doc['tone']:+.2f} over {doc['count']} articles; 14-day mean"
                f" {doc['baseline_tone']:+.2f}")
    evidence = doc.get("evidence", {})
    articles = evidence.get("counts", {}).get("articles", doc["count"])
    return (f"*Stories:* {doc['count']} ({articles} articles) in the window; usual {doc['baseline_mean']:.2f}"
            f" stories (Poisson p = {evidence.get('test', {}).get('p_value', 0):.2g})")


def slack_message(doc: dict[str, Any]) -> dict[str, Any]:
    """Slack-compatible webhook payload: ``text`` for notifications, ``blocks`` for the layout."""
    stories = doc.get("evidence", {}).get("stories", [])
    window = f"{doc['window_start'][:16]} – {doc['window_end'][:16]} UTC"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": doc["title"][:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{_alert_facts(doc)}\n*Window:* {window}"}},
    ]
    if stories:
        lines = "\n".join(_story_line(s) for s in stories)[:2900]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Top stories*\n{lines}"}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"MediaWatch alert `{doc['alert_id'][:12]}` · {doc['kind']} · {doc['language']}"}]})
    return {"text": f"MediaWatch: {doc['title']}", "blocks": blocks}


def email_content(doc: dict[str, Any]) -> tuple[str, str]:
    """(subject, HTML body) of an alert e-mail; titles keep their own direction (dir=auto)."""
    rows = "".join(
        f'<li><a href="{html.escape(s.get("url", ""))}" dir="auto" lang="{html.escape(s.get("language", ""))}">'
        f'{html.escape(s.get("title", ""))}</a> — {html.escape(", ".join(s.get("outlets", [])))}'
        f' ({s.get("copies", 1)} copies)</li>'
        for s in doc.get("evidence", {}).get("stories", []))
    facts = html.escape(_alert_facts(doc).replace("*", ""))
    body = (f'<html><head><meta charset="utf-8"></head><body><h2>{html.escape(doc["title"])}</h2>'
            f'<p>{facts}<br>Window: {html.escape(doc["window_start"])} – {html.escape(doc["window_end"])}</p>'
            f'<ol>{rows}</ol><p style="color:#666">alert {html.escape(doc["alert_id"])}</p></body></html>')
    return f"[MediaWatch] {doc['title']}", body


def post_webhook(http: httpx.Client, url: str, payload: dict[str, Any], tries: int = WEBHOOK_TRIES,
                 backoff_s: float = WEBHOOK_BACKOFF_S, sleep: Callable[[float], None] = time.sleep) -> str | None:
    """POST with retries on network errors, 429 and 5xx (doubling pauses); None or the last error."""
    error = "not attempted"
    for attempt in range(tries):
        if attempt:
            sleep(backoff_s * 2 ** (attempt - 1))
        try:
            response = http.post(url, json=payload)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            continue
        if response.status_code < 300:
            return None
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code != 429 and response.status_code < 500:
            break  # a 4xx other than 429 will not get better by retrying now
    return error


@dataclass
class Channels:
    """The delivery channels of this run: a webhook client and/or an e-mail sender."""

    http: httpx.Client | None = None
    webhook_url: str = ""
    email_sender: EmailSender | None = None
    email_to: tuple[str, ...] = ()
    tries: int = WEBHOOK_TRIES
    backoff_s: float = WEBHOOK_BACKOFF_S

    def names(self) -> list[str]:
        return (["webhook"] if self.webhook_url and self.http else []) + \
               (["email"] if self.email_to and self.email_sender else [])


def send_on(channel: str, doc: dict[str, Any], channels: Channels) -> str | None:
    """Send one alert on one channel; None on success, else the reason."""
    if channel == "webhook":
        return post_webhook(channels.http, channels.webhook_url, slack_message(doc), channels.tries,
                            channels.backoff_s)
    subject, body = email_content(doc)
    try:
        channels.email_sender(list(channels.email_to), subject, body)
    except Exception as exc:  # any SMTP/backend failure is a reason to retry, never to lose the alert
        return f"{type(exc).__name__}: {exc}"
    return None


def delivery_update(doc: dict[str, Any], channels: Channels, errors: dict[str, str], attempted_at: str) -> dict:
    """The partial document recording one delivery round (pure)."""
    done = sorted(set(doc.get("delivered_channels") or []) | {c for c in channels.names() if c not in errors})
    delivered = all(c in done for c in channels.names())
    update = {"delivered_channels": done, "delivered": delivered,
              "delivery_attempts": int(doc.get("delivery_attempts") or 0) + 1, "last_attempt_at": attempted_at,
              "delivery_error": "; ".join(f"{c}: {e}" for c, e in sorted(errors.items())) or None}
    if delivered:
        update["delivered_at"] = attempted_at
    return update


def deliver_one(es: Elasticsearch, settings: Settings, doc: dict[str, Any], channels: Channels) -> bool:
    errors = {}
    for channel in channels.names():
        if channel in (doc.get("delivered_channels") or []):
            continue
        error = send_on(channel, doc, channels)
        if error:
            errors[channel] = error
            log.warning("alert %s: %s delivery failed (attempt %d): %s", doc["alert_id"][:12], channel,
                        int(doc.get("delivery_attempts") or 0) + 1, error)
    update = delivery_update(doc, channels, errors, _now_iso())
    es.update(index=settings.index("alerts"), id=doc["alert_id"], doc=update, refresh="wait_for")
    return update["delivered"]


def pending_alerts(es: Elasticsearch, settings: Settings, now: datetime | None = None) -> list[dict[str, Any]]:
    """Undelivered alerts created within ``RETRY_HOURS``, oldest first."""
    since = (now or datetime.now(UTC)) - timedelta(hours=RETRY_HOURS)
    body = {"size": 200, "sort": [{"created_at": "asc"}],
            "query": {"bool": {"filter": [{"term": {"delivered": False}},
                                          {"range": {"created_at": {"gte": since.isoformat()}}}]}}}
    return [hit["_source"] for hit in _search(es, settings, body, "alerts")["hits"]["hits"]]


@dataclass
class DeliveryReport:
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    channels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"pending": self.pending, "delivered": self.delivered, "failed": self.failed,
                "channels": self.channels}


def make_channels(config: AlertConfig, http: httpx.Client | None = None,
                  email_sender: EmailSender | None = None) -> Channels:
    if config.webhook_url and http is None:
        http = httpx.Client(timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False)
    return Channels(http, config.webhook_url, email_sender, config.email_to, config.webhook_tries,
                    config.webhook_backoff_s)


def deliver_pending(es: Elasticsearch, settings: Settings, config: AlertConfig | None = None,
                    http: httpx.Client | None = None, email_sender: EmailSender | None = None) -> DeliveryReport:
    """Send every undelivered alert on every configured channel it has not reached yet."""
    config = config or alert_config(settings)
    if config.email_to and email_sender is None:
        log.warning("MEDIAWATCH_ALERT_EMAIL_TO is set but no e-mail sender is available here (Airflow SMTP);"
                    " e-mail skipped this run")
    channels = make_channels(config, http, email_sender)
    report = DeliveryReport(channels=channels.names())
    if not report.channels:
        log.info("no alert delivery channel configured; alerts are stored in %s only", settings.index("alerts"))
        return report
    try:
        for doc in pending_alerts(es, settings):
            report.pending += 1
            if deliver_one(es, settings, doc, channels):
                report.delivered += 1
            else:
                report.failed += 1
    finally:
        if http is None and channels.http is not None:
            channels.http.close()
    log.info("alert delivery via %s: %d pending, %d delivered, %d failed (kept for retry)",
             "+".join(report.channels), report.pending, report.delivered, report.failed)
    return report


def airflow_email_sender() -> EmailSender:
    """An EmailSender backed by Airflow's configured e-mail backend (SMTP); Airflow imported lazily."""
    from airflow.utils.email import send_email

    def send(to: list[str], subject: str, body: str) -> None:
        send_email(to=to, subject=subject, html_content=body)

    return send


# --- Listing and entry points ---------------------------------------------------------------------

def list_alerts(es: Elasticsearch, settings: Settings, since: str = "1d", size: int = 50) -> list[dict[str, Any]]:
    """Alerts created within ``since`` (12h, 1d, 2w...), newest first."""
    from .search import since_expression

    body = {"size": size, "sort": [{"created_at": "desc"}],
            "query": {"range": {"created_at": {"gte": since_expression(since)}}}}
    return [hit["_source"] for hit in _search(es, settings, body, "alerts")["hits"]["hits"]]


def format_alert_line(doc: dict[str, Any]) -> str:
    status = "delivered" if doc.get("delivered") else f"pending ({doc.get('delivery_attempts', 0)} attempts)"
    return f"{doc['created_at'][:16]}  {doc['kind']:7} {doc['language']:3} {doc['title']}  [{status}]"


def detect_task(settings: Settings) -> dict[str, Any]:
    """The alerts DAG's detection task: connect, ensure the alerts index is there, detect and store."""
    from .index import setup_indices

    es = connect(settings)
    setup_indices(es, settings)
    return run_detection(es, settings).to_dict()


def deliver_task(settings: Settings, email_sender: EmailSender | None = None) -> dict[str, Any]:
    return deliver_pending(connect(settings), settings, email_sender=email_sender).to_dict()


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """List recent alerts (with --run: detect and deliver first)."""
    es = connect(settings)
    if args.run:
        from .index import setup_indices

        setup_indices(es, settings)
        print(json.dumps(run_detection(es, settings).to_dict(), ensure_ascii=False), flush=True)
        print(json.dumps(deliver_pending(es, settings, email_sender=_optional_airflow_sender()).to_dict()),
              flush=True)
    docs = list_alerts(es, settings, since=args.since, size=args.size)
    for doc in docs:
        print(json.dumps(doc, ensure_ascii=False, default=str) if args.json else format_alert_line(doc))
    log.info("%d alerts since %s", len(docs), args.since)
    return 0


def _optional_airflow_sender() -> EmailSender | None:
    try:
        return airflow_email_sender()
    except ImportError:
        return None


def add_alerts_command(sub: Any) -> argparse.ArgumentParser:
    """Register ``alerts`` on the CLI's subparsers."""
    parser = sub.add_parser("alerts", help=cmd_alerts.__doc__, description=cmd_alerts.__doc__)
    parser.set_defaults(func=cmd_alerts)
    parser.add_argument("--since", default="1d", help="created within, e.g. 12h, 1d, 2w (default 1d)")
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print whole alert documents as JSON lines")
    parser.add_argument("--run", action="store_true", help="run detection and delivery once before listing")
    return parser
