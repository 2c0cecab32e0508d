"""The briefing's numbers: a period, three searches, and the pure turn of their responses into a
:class:`Briefing` (the period's summary, the 14-day trend, the alerts of the period).

Story counts, tone metrics, the hourly histogram and the top stories are the ones alerts use
(:mod:`mediawatch.esqueries`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from ..constants import COUNTRY_IDS, LANGUAGES, TONE_FIELDS
from ..esqueries import (
    HOURLY,
    STORY_COUNT,
    Story,
    ToneStat,
    hourly_counts,
    parse_story,
    per_language,
    published_range,
    search,
    story_count,
    story_terms,
    tone_metrics,
    tone_stats,
)
from ..search import since_start
from ..settings import Settings

TREND_DAYS = 14  # issue 6: tone "against the 14-day trend"
TOP_ENTITIES = 15
TOP_CO_MENTIONS = 10
TOP_STORIES = 5  # per language
MAX_ALERTS = 50


# --- Periods -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


def period_for_day(day: date) -> Period:
    """One UTC day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Period(start, start + timedelta(days=1), day.isoformat())


def period_since(since: str, now: datetime | None = None) -> Period:
    """The period ending now (to the minute) that ``--since`` (12h, 1d, 2w, 1m) names."""
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    start = since_start(since, end)
    return Period(start, end, f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC")


def day_to_report(day: str | None, logical_date: datetime | None = None) -> date:
    """The DAG's day: the Param if given, else the UTC day before the run's logical date."""
    if day:
        return date.fromisoformat(day)
    return ((logical_date or datetime.now(UTC)).astimezone(UTC) - timedelta(days=1)).date()


# --- The Briefing ------------------------------------------------------------------------------

@dataclass
class TrendDay:
    label: str
    start: str
    articles: dict[str, int]  # language -> articles
    tone: dict[str, dict[str, ToneStat]]  # target -> language -> tone


@dataclass
class Briefing:
    period: Period
    total: int
    relevant: int
    stories_total: int
    languages: dict[str, int]
    kinds: dict[str, int]
    language_kinds: dict[str, dict[str, int]]
    hourly: dict[str, list[int]]
    tone: dict[str, dict[str, ToneStat]]
    trend: list[TrendDay]
    entities: list[tuple[str, int, dict[str, int]]]
    co_mentions: dict[str, list[tuple[str, int]]]
    stories: list[Story]
    alerts: list[dict[str, Any]] = field(default_factory=list)
    generated_at: str = ""

    def trend_mean(self, target: str, language: str) -> ToneStat:
        """Article-weighted mean tone over the trend days before the period."""
        stats = [s for day in self.trend if (s := day.tone.get(target, {}).get(language))]
        weighted = [(s.mean, s.count) for s in stats if s.count and s.mean is not None]
        count = sum(n for _, n in weighted)
        return ToneStat(round(sum(mean * n for mean, n in weighted) / count, 4) if count else None, count)

    def ordered_languages(self) -> list[str]:
        """The period's languages, the monitored ones first in their usual order."""
        known = [code for code in LANGUAGES if code in self.languages]
        return known + sorted(set(self.languages) - set(known))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


# --- Queries (pure) ----------------------------------------------------------------------------

def _co_mention_aggs() -> dict[str, Any]:
    return {f"co_{name}": {"filter": {"term": {"entity_ids": entity_id}},
                           "aggs": {"names": {"terms": {"field": "entity_names", "size": TOP_CO_MENTIONS,
                                                        "exclude": [name]}}}}
            for name, entity_id in COUNTRY_IDS.items()}


def _stories_agg() -> dict[str, Any]:
    """Per language, the stories seen on most outlets."""
    order = [{"outlet_count": "desc"}, {"_count": "desc"}, {"_key": "asc"}]
    stories = story_terms(TOP_STORIES, order, outlets=20, extra={"outlet_count": {"cardinality": {"field": "source"}}})
    return per_language({"stories": stories})


def summary_body(period: Period) -> dict[str, Any]:
    """Everything about the period itself, in one search."""
    kinds = {"terms": {"field": "kind", "size": 20}}
    languages = per_language({"kinds": kinds, "hours": HOURLY, **tone_metrics()})
    entities = {"terms": {"field": "entity_names", "size": TOP_ENTITIES}, "aggs": {"languages": per_language()}}
    query = {"bool": {"filter": [published_range(period.start, period.end)]}}
    return {"size": 0, "track_total_hits": True, "query": query,
            "aggs": {"languages": languages, "kinds": kinds, "relevant": {"filter": {"term": {"relevant": True}}},
                     **STORY_COUNT, "entities": entities, **_co_mention_aggs(), "stories": _stories_agg()}}


def trend_ranges(period: Period, days: int = TREND_DAYS) -> list[dict[str, str]]:
    """One range per day before the period (labelled by date), then the period ("report")."""
    ranges = []
    for back in range(days, 0, -1):
        start = period.start - timedelta(days=back)
        ranges.append({"key": f"{start:%m-%d}", "from": start.isoformat(),
                       "to": (start + timedelta(days=1)).isoformat()})
    ranges.append({"key": "report", "from": period.start.isoformat(), "to": period.end.isoformat()})
    return ranges


def trend_body(period: Period, days: int = TREND_DAYS) -> dict[str, Any]:
    days_agg = {"date_range": {"field": "published_at", "ranges": trend_ranges(period, days)},
                "aggs": {"languages": per_language(tone_metrics())}}
    query = {"bool": {"filter": [published_range(period.start - timedelta(days=days), period.end)]}}
    return {"size": 0, "query": query, "aggs": {"days": days_agg}}


def alerts_body(period: Period) -> dict[str, Any]:
    """Alerts whose window ended within the period, strongest first."""
    window_end = {"range": {"window_end": {"gt": period.start.isoformat(), "lte": period.end.isoformat()}}}
    return {"size": MAX_ALERTS, "query": window_end, "sort": [{"score": "desc"}, {"window_end": "asc"}],
            "_source": {"excludes": ["evidence.baseline", "evidence.filter"]}}


# --- Responses to a Briefing (pure) -------------------------------------------------------------

def _buckets(agg: dict[str, Any]) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in agg["buckets"]}


def _rounded_tone(bucket: dict[str, Any]) -> dict[str, ToneStat]:
    return {side: ToneStat(round(stat.mean, 4) if stat.mean is not None else None, stat.count)
            for side, stat in tone_stats(bucket).items()}


def _by_target(per_lang: dict[str, dict[str, ToneStat]]) -> dict[str, dict[str, ToneStat]]:
    return {target: {lang: stats[target] for lang, stats in per_lang.items()} for target in TONE_FIELDS}


def parse_stories(agg: dict[str, Any]) -> list[Story]:
    """The top stories of each language, languages in the usual order."""
    by_language = {b["key"]: [parse_story(s) for s in b["stories"]["buckets"]] for b in agg["buckets"]}
    order = [code for code in LANGUAGES if code in by_language] + sorted(set(by_language) - set(LANGUAGES))
    return [story for code in order for story in by_language[code]]


def parse_trend(response: dict[str, Any]) -> list[TrendDay]:
    days = []
    for bucket in response["aggregations"]["days"]["buckets"]:
        languages = bucket["languages"]["buckets"]
        tone = _by_target({lang["key"]: _rounded_tone(lang) for lang in languages})
        days.append(TrendDay(bucket["key"], bucket.get("from_as_string", ""), _buckets(bucket["languages"]), tone))
    return days


def briefing_from_responses(period: Period, summary: dict[str, Any], trend: dict[str, Any],
                            alerts: dict[str, Any]) -> Briefing:
    aggs = summary["aggregations"]
    languages = aggs["languages"]["buckets"]
    hours = int((period.end - period.start).total_seconds() // 3600)
    entities = [(b["key"], b["doc_count"], _buckets(b["languages"])) for b in aggs["entities"]["buckets"]]
    co_mentions = {name: [(b["key"], b["doc_count"]) for b in aggs[f"co_{name}"]["names"]["buckets"]]
                   for name in COUNTRY_IDS}
    return Briefing(
        period=period, total=summary["hits"]["total"]["value"], relevant=aggs["relevant"]["doc_count"],
        stories_total=story_count(aggs), languages=_buckets(aggs["languages"]),
        kinds=_buckets(aggs["kinds"]), language_kinds={b["key"]: _buckets(b["kinds"]) for b in languages},
        hourly={b["key"]: hourly_counts(b["hours"]["buckets"], period.start, hours) for b in languages},
        tone=_by_target({b["key"]: _rounded_tone(b) for b in languages}),
        trend=[day for day in parse_trend(trend) if day.label != "report"], entities=entities,
        co_mentions=co_mentions, stories=parse_stories(aggs["stories"]),
        alerts=[hit["_source"] for hit in alerts["hits"]["hits"]],
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"))


def collect_briefing(es: Elasticsearch, settings: Settings, period: Period) -> Briefing:
    summary = search(es, settings, summary_body(period))
    trend = search(es, settings, trend_body(period))
    alerts = es.options(ignore_status=404).search(index=settings.index("alerts"), body=alerts_body(period)).body
    if "hits" not in alerts:  # no alerts index yet
        alerts = {"hits": {"hits": []}}
    return briefing_from_responses(period, summary, trend, alerts)
