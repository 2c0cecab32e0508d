"""The daily briefing: Elasticsearch aggregations -> a Briefing (pure) -> PNG charts + one HTML file.

Numbers come from three searches (the period's summary, the 14-day trend, the alerts of the
period) turned into a :class:`Briefing` by pure functions; charts and HTML only render it.

Arabic in charts: matplotlib 3.11 lays text out with libraqm (HarfBuzz shaping + FriBiDi), so
Arabic labels are passed through as they are; reshaping and reordering them beforehand, as older
matplotlib needed, makes libraqm reverse them a second time (checked: letters come out reversed
and disjoined). Whether matplotlib shapes is probed once (:func:`matplotlib_shapes_arabic`); only
if it does not are labels shaped with arabic_reshaper (configured for the chart font's glyphs) and
put in visual order with python-bidi. The chart font is DejaVu Sans (bundled with matplotlib,
Arabic and Cyrillic glyphs). The HTML leaves both to the browser: ``lang`` and ``dir="auto"`` on
every title, UTF-8.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import logging
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from elasticsearch import Elasticsearch

from .alerts import ANCHORS, TONE_FIELDS, hourly_counts, published_range
from .settings import Settings
from .store import connect

log = logging.getLogger(__name__)

TREND_DAYS = 14  # issue 6: tone "against the 14-day trend"
TOP_ENTITIES = 15
TOP_CO_MENTIONS = 10
TOP_STORIES = 5  # per language
MAX_ALERTS = 50
# Settings field proposed as MEDIAWATCH_BRIEFING_DIR; read with getattr until Settings has it.
BRIEFING_DIR = Path(tempfile.gettempdir()) / "mediawatch-briefings"
LANGUAGES = {"ar": "العربية", "ru": "Русский", "en": "English"}
LANGUAGE_COLORS = {"ar": "#1b7837", "ru": "#2166ac", "en": "#b2182b"}
KIND_COLORS = {"state": "#4d4d4d", "private": "#4393c3", "opposition": "#d6604d", "international": "#92c5de",
               "search": "#f4a582"}
# DejaVu Sans ships with matplotlib and covers Arabic presentation forms and Cyrillic.
CHART_FONT = "DejaVu Sans"
ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
TEMPLATE = Path(__file__).parent / "templates" / "briefing.html"
CHART_NAMES = ("volume", "tone", "entities", "stories")


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


_SINCE = re.compile(r"^(\d+)([hdw])$")


def parse_since(text: str) -> timedelta:
    """``12h``, ``1d``, ``2w`` -> a timedelta."""
    match = _SINCE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--since must look like 12h, 1d or 2w, not {text!r}")
    unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def period_since(since: str, now: datetime | None = None) -> Period:
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    start = end - parse_since(since)
    return Period(start, end, f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC")


def day_to_report(day: str | None, logical_date: datetime | None = None) -> date:
    """The DAG's day: the Param if given, else the UTC day before the run's logical date."""
    if day:
        return date.fromisoformat(day)
    return ((logical_date or datetime.now(UTC)).astimezone(UTC) - timedelta(days=1)).date()


# --- The Briefing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ToneStat:
    mean: float | None
    count: int


@dataclass
class TrendDay:
    label: str
    start: str
    articles: dict[str, int]  # language -> articles
    tone: dict[str, dict[str, ToneStat]]  # target -> language -> tone


@dataclass
class Story:
    cluster_id: str
    title: str
    url: str
    language: str
    source: str
    published_at: str
    copies: int
    outlets: list[str]


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
        stats = [day.tone.get(target, {}).get(language) for day in self.trend]
        stats = [s for s in stats if s and s.count and s.mean is not None]
        count = sum(s.count for s in stats)
        return ToneStat(round(sum(s.mean * s.count for s in stats) / count, 4) if count else None, count)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


# --- Queries (pure) ----------------------------------------------------------------------------

def _tone_metrics() -> dict[str, Any]:
    metrics = {}
    for target, tone_field in TONE_FIELDS.items():
        metrics[f"{target}_mean"] = {"avg": {"field": tone_field}}
        metrics[f"{target}_count"] = {"value_count": {"field": tone_field}}
    return metrics


def _co_mention_aggs() -> dict[str, Any]:
    return {f"co_{name}": {"filter": {"term": {"entity_ids": entity_id}},
                           "aggs": {"names": {"terms": {"field": "entity_names", "size": TOP_CO_MENTIONS,
                                                        "exclude": [name]}}}}
            for entity_id, name in ANCHORS.items()}


def _stories_agg() -> dict[str, Any]:
    first = {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}],
                          "_source": ["title", "url", "source", "published_at", "language"]}}
    stories = {"terms": {"field": "cluster_id", "size": TOP_STORIES,
                         "order": [{"outlet_count": "desc"}, {"_count": "desc"}, {"_key": "asc"}]},
               "aggs": {"outlet_count": {"cardinality": {"field": "source"}}, "first": first,
                        "outlets": {"terms": {"field": "source", "size": 20}}}}
    return {"terms": {"field": "language", "size": 20}, "aggs": {"stories": stories}}


def summary_body(period: Period) -> dict[str, Any]:
    """Everything about the period itself, in one search."""
    hourly = {"date_histogram": {"field": "published_at", "fixed_interval": "1h", "min_doc_count": 1}}
    languages = {"terms": {"field": "language", "size": 20},
                 "aggs": {"kinds": {"terms": {"field": "kind", "size": 20}}, "hours": hourly, **_tone_metrics()}}
    entities = {"terms": {"field": "entity_names", "size": TOP_ENTITIES},
                "aggs": {"languages": {"terms": {"field": "language", "size": 20}}}}
    query = {"bool": {"filter": [published_range(period.start, period.end)]}}
    return {"size": 0, "track_total_hits": True, "query": query,
            "aggs": {"languages": languages, "kinds": {"terms": {"field": "kind", "size": 20}},
                     "relevant": {"filter": {"term": {"relevant": True}}},
                     "stories_total": {"cardinality": {"field": "cluster_id", "precision_threshold": 40000}},
                     "entities": entities, **_co_mention_aggs(), "stories": _stories_agg()}}


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
                "aggs": {"languages": {"terms": {"field": "language", "size": 20}, "aggs": _tone_metrics()}}}
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


def _tone_stats(bucket: dict[str, Any]) -> dict[str, ToneStat]:
    stats = {}
    for target in TONE_FIELDS:
        mean = bucket[f"{target}_mean"]["value"]
        stats[target] = ToneStat(round(mean, 4) if mean is not None else None,
                                 int(bucket[f"{target}_count"]["value"]))
    return stats


def _by_target(per_language: dict[str, dict[str, ToneStat]]) -> dict[str, dict[str, ToneStat]]:
    return {target: {lang: stats[target] for lang, stats in per_language.items()} for target in TONE_FIELDS}


def parse_story(bucket: dict[str, Any]) -> Story:
    first = bucket["first"]["hits"]["hits"][0]["_source"]
    return Story(bucket["key"], first.get("title", ""), first.get("url", ""), first.get("language", ""),
                 first.get("source", ""), first.get("published_at", ""), bucket["doc_count"],
                 [b["key"] for b in bucket["outlets"]["buckets"]])


def parse_stories(agg: dict[str, Any]) -> list[Story]:
    """The top stories of each language, languages in the usual order."""
    by_language = {b["key"]: [parse_story(s) for s in b["stories"]["buckets"]] for b in agg["buckets"]}
    order = [code for code in LANGUAGES if code in by_language] + sorted(set(by_language) - set(LANGUAGES))
    return [story for code in order for story in by_language[code]]


def parse_trend(response: dict[str, Any]) -> list[TrendDay]:
    days = []
    for bucket in response["aggregations"]["days"]["buckets"]:
        languages = bucket["languages"]["buckets"]
        tone = _by_target({lang["key"]: _tone_stats(lang) for lang in languages})
        days.append(TrendDay(bucket["key"], bucket.get("from_as_string", ""), _buckets(bucket["languages"]), tone))
    return days


def briefing_from_responses(period: Period, summary: dict[str, Any], trend: dict[str, Any],
                            alerts: dict[str, Any]) -> Briefing:
    aggs = summary["aggregations"]
    languages = aggs["languages"]["buckets"]
    hours = int((period.end - period.start).total_seconds() // 3600)
    entities = [(b["key"], b["doc_count"], _buckets(b["languages"])) for b in aggs["entities"]["buckets"]]
    co_mentions = {name: [(b["key"], b["doc_count"]) for b in aggs[f"co_{name}"]["names"]["buckets"]]
                   for name in ANCHORS.values()}
    return Briefing(
        period=period, total=summary["hits"]["total"]["value"], relevant=aggs["relevant"]["doc_count"],
        stories_total=int(aggs["stories_total"]["value"]), languages=_buckets(aggs["languages"]),
        kinds=_buckets(aggs["kinds"]), language_kinds={b["key"]: _buckets(b["kinds"]) for b in languages},
        hourly={b["key"]: hourly_counts(b["hours"]["buckets"], period.start, hours) for b in languages},
        tone=_by_target({b["key"]: _tone_stats(b) for b in languages}),
        trend=[day for day in parse_trend(trend) if day.label != "report"], entities=entities,
        co_mentions=co_mentions, stories=parse_stories(aggs["stories"]),
        alerts=[hit["_source"] for hit in alerts["hits"]["hits"]],
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"))


def collect_briefing(es: Elasticsearch, settings: Settings, period: Period) -> Briefing:
    articles = settings.index("articles")
    summary = es.search(index=articles, body=summary_body(period)).body
    trend = es.search(index=articles, body=trend_body(period)).body
    alerts = es.options(ignore_status=404).search(index=settings.index("alerts"), body=alerts_body(period)).body
    if "hits" not in alerts:  # no alerts index yet
        alerts = {"hits": {"hits": []}}
    return briefing_from_responses(period, summary, trend, alerts)


# --- Chart text ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def chart_font_path() -> str:
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(family=CHART_FONT), fallback_to_default=False)


@lru_cache(maxsize=1)
def _reshaper():
    import arabic_reshaper

    config = arabic_reshaper.config_for_true_type_font(chart_font_path(), arabic_reshaper.ENABLE_ALL_LIGATURES)
    return arabic_reshaper.ArabicReshaper(configuration=config)


def is_arabic(text: str) -> bool:
    return bool(ARABIC.search(text))


@lru_cache(maxsize=1)
def matplotlib_shapes_arabic() -> bool:
    """Whether matplotlib shapes Arabic and orders it right to left by itself (libraqm, 3.11+).

    Probed, not assumed from a version: lay out beh + teh and check that beh got a contextual
    glyph (not its plain one) and sits to the right of teh.
    """
    try:
        from matplotlib._text_helpers import layout
        from matplotlib.ft2font import FT2Font

        font = FT2Font(chart_font_path())
        font.set_size(12, 72)
        items = {item.char: item for item in layout("\u0628\u062a", font)}
        beh, teh = items["\u0628"], items["\u062a"]
        glyph = getattr(beh, "glyph_index", getattr(beh, "glyph_idx", None))
        return glyph != font.get_char_index(0x0628) and beh.x > teh.x
    except (ImportError, AttributeError, KeyError, TypeError):
        return False


def chart_label(text: str, width: int = 0) -> str:
    """A label matplotlib draws correctly. ``width`` truncates (in logical order) first.

    Arabic is left to matplotlib when it shapes text itself; otherwise it is shaped (contextual
    forms, lam-alef) and put in visual right-to-left order here. Other text is unchanged.
    """
    text = " ".join(text.split())
    if width and len(text) > width:
        text = text[:width - 1].rstrip() + "…"
    if not is_arabic(text) or matplotlib_shapes_arabic():
        return text
    from bidi import get_display

    return get_display(_reshaper().reshape(text))


def missing_glyphs(text: str) -> set[str]:
    """Characters of a (display) label the chart font cannot draw: they would show as boxes."""
    charmap = _charmap(chart_font_path())
    return {c for c in text if not c.isspace() and ord(c) not in charmap}


@lru_cache(maxsize=2)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def language_label(code: str) -> str:
    return f"{code} · {chart_label(LANGUAGES.get(code, code))}"


# --- Charts (matplotlib Figure objects; no pyplot, no global state) -----------------------------

def _figure(width: float, height: float, rows: int = 1, cols: int = 1, **kwargs: Any):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)


def _png(fig) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [CHART_FONT]}):
        fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _legend(ax, **kwargs: Any) -> None:
    """A legend only where something is labelled (an empty day has no lines)."""
    if ax.get_legend_handles_labels()[0] or kwargs.get("handles"):
        ax.legend(fontsize=8, **kwargs)


def _ordered_languages(briefing: Briefing) -> list[str]:
    known = [code for code in LANGUAGES if code in briefing.languages]
    return known + sorted(set(briefing.languages) - set(known))


def volume_chart(briefing: Briefing) -> bytes:
    """Articles per language split by outlet kind, and the hourly volume per language."""
    fig, axes = _figure(11, 4.2, 1, 2, width_ratios=[1, 1.4])
    bars, lines = axes[0]
    languages = _ordered_languages(briefing)[::-1]
    kinds = sorted(briefing.kinds, key=lambda k: -briefing.kinds[k])
    left = [0] * len(languages)
    for kind in kinds:
        values = [briefing.language_kinds.get(lang, {}).get(kind, 0) for lang in languages]
        bars.barh(range(len(languages)), values, left=left, label=kind, color=KIND_COLORS.get(kind))
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        bars.text(total, y, f" {total}", va="center", fontsize=9)
    bars.set_yticks(range(len(languages)), [language_label(lang) for lang in languages])
    bars.set_xlabel("articles")
    bars.set_title("Articles by language and outlet kind")
    _legend(bars, loc="lower right")
    bars.margins(x=0.15)
    for lang in languages[::-1]:
        lines.plot(briefing.hourly.get(lang, []), label=language_label(lang), color=LANGUAGE_COLORS.get(lang))
    lines.set_xlabel(f"hours since {briefing.period.start:%Y-%m-%d %H:%M} UTC")
    lines.set_ylabel("articles per hour")
    lines.set_title("Hourly volume")
    _legend(lines)
    return _png(fig)


def tone_chart(briefing: Briefing) -> bytes:
    """Daily mean tone toward Russia and Syria per language: 14 days, then the report period."""
    fig, axes = _figure(11, 4.2, 1, 2, sharey=True)
    labels = [day.label for day in briefing.trend] + ["report"]
    for ax, target in zip(axes[0], TONE_FIELDS, strict=True):
        for lang in _ordered_languages(briefing):
            points = [day.tone.get(target, {}).get(lang) for day in briefing.trend] + \
                     [briefing.tone.get(target, {}).get(lang)]
            values = [p.mean if p and p.count else float("nan") for p in points]
            color = LANGUAGE_COLORS.get(lang)
            ax.plot(range(len(values)), values, marker="o", markersize=3, label=language_label(lang), color=color)
            ax.plot([len(values) - 1], [values[-1]], marker="o", markersize=9, color=color)
        ax.axvspan(len(labels) - 1.5, len(labels) - 0.5, color="#fee08b", alpha=0.5)
        ax.axhline(0, color="#888", linewidth=0.8)
        ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
        ax.set_title(f"Tone toward {target} (mean per day, −1 … +1)")
    axes[0][0].set_ylabel("mean tone")
    _legend(axes[0][0])
    return _png(fig)


def entities_chart(briefing: Briefing) -> bytes:
    """Top entities split by language, and the entities most co-mentioned with Russia and Syria."""
    fig, axes = _figure(13, 5, 1, 3, width_ratios=[1.3, 1, 1])
    top = axes[0][0]
    names = [name for name, _, _ in briefing.entities][::-1]
    left = [0] * len(names)
    for lang in _ordered_languages(briefing):
        values = [dict((n, by) for n, _, by in briefing.entities)[name].get(lang, 0) for name in names]
        top.barh(range(len(names)), values, left=left, color=LANGUAGE_COLORS.get(lang), label=language_label(lang))
        left = [a + b for a, b in zip(left, values, strict=True)]
    top.set_yticks(range(len(names)), [chart_label(n, 28) for n in names], fontsize=8)
    top.set_title("Most mentioned entities")
    _legend(top, loc="lower right")
    for ax, (anchor, pairs) in zip(axes[0][1:], briefing.co_mentions.items(), strict=True):
        pairs = pairs[::-1]
        ax.barh(range(len(pairs)), [c for _, c in pairs], color="#762a83")
        ax.set_yticks(range(len(pairs)), [chart_label(n, 28) for n, _ in pairs], fontsize=8)
        ax.set_title(f"Co-mentioned with {anchor}")
    for ax in axes[0]:
        ax.set_xlabel("articles")
    return _png(fig)


def _language_patches(briefing: Briefing) -> list:
    from matplotlib.patches import Patch

    return [Patch(color=LANGUAGE_COLORS.get(code, "#999"), label=language_label(code))
            for code in _ordered_languages(briefing)]


def stories_chart(briefing: Briefing) -> bytes:
    """The top stories (clusters) of each language by number of outlets; titles in their own script."""
    stories = briefing.stories[::-1]
    fig, axes = _figure(11, 0.45 * max(len(stories), 3) + 1.2)
    ax = axes[0][0]
    ax.barh(range(len(stories)), [len(s.outlets) for s in stories],
            color=[LANGUAGE_COLORS.get(s.language, "#999") for s in stories])
    for y, story in enumerate(stories):
        ax.text(len(story.outlets), y, f"  {story.copies} articles", va="center", fontsize=8)
    ax.set_yticks(range(len(stories)), [chart_label(s.title, 60) for s in stories], fontsize=9)
    ax.set_xlabel("outlets")
    ax.set_title("Top stories per language (one bar per story and its copies)")
    _legend(ax, handles=_language_patches(briefing), loc="lower right")
    ax.margins(x=0.2)
    return _png(fig)


def render_charts(briefing: Briefing) -> dict[str, bytes]:
    charts = {"volume": volume_chart, "tone": tone_chart, "entities": entities_chart, "stories": stories_chart}
    return {name: draw(briefing) for name, draw in charts.items()}


# --- HTML ---------------------------------------------------------------------------------------

def _e(value: object) -> str:
    return html.escape(str(value))


def _lang_span(code: str) -> str:
    return f'<span lang="{_e(code)}" dir="auto">{_e(LANGUAGES.get(code, code))}</span> <small>{_e(code)}</small>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tone_cell(stat: ToneStat | None) -> str:
    if not stat or stat.mean is None:
        return "–"
    return f"{stat.mean:+.2f} <small>(n={stat.count})</small>"


def volume_html(b: Briefing) -> str:
    kinds = sorted(b.kinds, key=lambda k: -b.kinds[k])
    rows = [[_lang_span(lang), str(b.languages[lang]), *[str(b.language_kinds[lang].get(k, 0)) for k in kinds]]
            for lang in _ordered_languages(b)]
    return _table(["Language", "Articles", *map(_e, kinds)], rows)


def tone_html(b: Briefing) -> str:
    rows = []
    for target in TONE_FIELDS:
        for lang in _ordered_languages(b):
            now, before = b.tone.get(target, {}).get(lang), b.trend_mean(target, lang)
            change = f"{now.mean - before.mean:+.2f}" if now and now.mean is not None and before.mean is not None \
                else "–"
            rows.append([_e(target), _lang_span(lang), _tone_cell(now), _tone_cell(before), change])
    return _table(["Toward", "Language", "This period", f"Previous {TREND_DAYS} days", "Change"], rows)


def entities_html(b: Briefing) -> str:
    rows = [[_e(name), str(count), ", ".join(f"{_e(k)} {v}" for k, v in by.items())] for name, count, by in b.entities]
    co = "".join(f"<p><b>Co-mentioned with {_e(anchor)}:</b> "
                 + (", ".join(f"{_e(n)} ({c})" for n, c in pairs) or "none") + "</p>"
                 for anchor, pairs in b.co_mentions.items())
    return _table(["Entity", "Articles", "By language"], rows) + co


def stories_html(b: Briefing) -> str:
    rows = [[f'<div lang="{_e(s.language)}" dir="auto"><a href="{_e(s.url)}">{_e(s.title)}</a></div>', _e(s.language),
             str(len(s.outlets)), str(s.copies), f'<div dir="auto">{_e(", ".join(s.outlets))}</div>',
             _e(s.published_at[:16].replace("T", " "))] for s in b.stories]
    return _table(["Story", "Lang", "Outlets", "Articles", "Seen on", "First seen (UTC)"], rows)


def alerts_html(b: Briefing) -> str:
    if not b.alerts:
        return "<p>No alerts in this period.</p>"
    rows = [[_e(a.get("window_end", "")[:16].replace("T", " ")), _e(a.get("kind", "")), _e(a.get("language", "")),
             f'<span dir="auto">{_e(a.get("title", ""))}</span>', f'{a.get("score", 0):.1f}',
             "yes" if a.get("delivered") else "no"] for a in b.alerts]
    return _table(["Window end (UTC)", "Kind", "Lang", "Alert", "Score", "Delivered"], rows)


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}" title="{_e(name)}.png">'


def render_html(b: Briefing, charts: dict[str, bytes]) -> str:
    """One self-contained page: inline CSS, charts embedded as base64 PNG."""
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=_e(f"MediaWatch briefing — {b.period.label}"), period=_e(b.period.label),
        start=_e(b.period.start.isoformat()), end=_e(b.period.end.isoformat()), generated=_e(b.generated_at),
        total=b.total, relevant=b.relevant, stories_total=b.stories_total, alert_count=len(b.alerts),
        volume_chart=_img("volume", charts["volume"], "Articles by language and outlet kind; hourly volume"),
        volume_table=volume_html(b),
        tone_chart=_img("tone", charts["tone"], "Tone toward Russia and Syria, 14 days and this period"),
        tone_table=tone_html(b),
        entities_chart=_img("entities", charts["entities"], "Top entities and co-mentions"),
        entities_table=entities_html(b),
        stories_chart=_img("stories", charts["stories"], "Top stories by number of outlets"),
        stories_table=stories_html(b), alerts_table=alerts_html(b))


# --- Files and entry points ---------------------------------------------------------------------

@dataclass
class BriefingFiles:
    html: Path
    pngs: dict[str, Path]
    data: Path

    def to_dict(self) -> dict[str, Any]:
        return {"html": str(self.html), "pngs": {k: str(v) for k, v in self.pngs.items()}, "data": str(self.data)}


def write_briefing(briefing: Briefing, out_dir: Path) -> BriefingFiles:
    """briefing.html (self-contained), one PNG per chart next to it, and briefing.json (the numbers)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(briefing)
    pngs = {}
    for name, png in charts.items():
        pngs[name] = out_dir / f"{name}.png"
        pngs[name].write_bytes(png)
    page = out_dir / "briefing.html"
    page.write_text(render_html(briefing, charts), encoding="utf-8")
    data = out_dir / "briefing.json"
    data.write_text(json.dumps(briefing.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("briefing %s: %d articles, %d stories, %d alerts -> %s", briefing.period.label, briefing.total,
             briefing.stories_total, len(briefing.alerts), page)
    return BriefingFiles(page, pngs, data)


def make_briefing(es: Elasticsearch, settings: Settings, period: Period, out_dir: Path) -> BriefingFiles:
    return write_briefing(collect_briefing(es, settings, period), out_dir)


def briefing_dir(settings: Settings) -> Path:
    return settings.briefing_dir


def briefing_task(settings: Settings, day: str | None = None, logical_date: datetime | None = None) -> dict:
    """The briefing DAG's task: the report for one UTC day into ``<briefing dir>/<day>/``."""
    period = period_for_day(day_to_report(day, logical_date))
    files = make_briefing(connect(settings), settings, period, briefing_dir(settings) / period.label)
    return {"day": period.label, **files.to_dict()}


def cmd_briefing(args: argparse.Namespace, settings: Settings) -> int:
    """Write the briefing (HTML + PNG charts) for a UTC day (--date) or the last --since."""
    period = period_for_day(date.fromisoformat(args.date)) if args.date else period_since(args.since)
    files = make_briefing(connect(settings), settings, period, Path(args.out))
    print(json.dumps({"period": period.label, **files.to_dict()}, ensure_ascii=False))
    return 0


def add_briefing_command(sub: Any) -> argparse.ArgumentParser:
    """Register ``briefing`` on the CLI's subparsers."""
    parser = sub.add_parser("briefing", help=cmd_briefing.__doc__, description=cmd_briefing.__doc__)
    parser.set_defaults(func=cmd_briefing)
    parser.add_argument("--since", default="1d", help="period ending now, e.g. 12h, 1d, 1w (default 1d)")
    parser.add_argument("--date", help="a whole UTC day instead, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    return parser
