"""The briefing: periods, chart text (Arabic shaping and direction, glyph coverage), parsing and
HTML without services; then a seeded day on a real node, checked against direct count queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from mediawatch import cli
from mediawatch.alerts.detect import run_detection
from mediawatch.alerts.model import Window
from mediawatch.briefing import charts, data, files, html, text
from mediawatch.briefing.data import Period
from mediawatch.constants import COUNTRY_IDS, NATIVE_NAMES
from mediawatch.esqueries import ToneStat, published_range

from .test_alerts import OUTLETS, SPIKE_TITLES, TITLES, in_range, index_docs, spike, synthetic_corpus

DAY = date(2026, 11, 5)
PERIOD = data.period_for_day(DAY)

# --- Periods ---------------------------------------------------------------------------------------


def test_periods_for_a_day_and_for_since() -> None:
    assert data.period_for_day(DAY) == Period(datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC),
                                                "2026-11-05")
    now = datetime(2026, 11, 5, 9, 30, 12, tzinfo=UTC)
    since = data.period_since("12h", now)
    assert (since.start, since.end) == (datetime(2026, 11, 4, 21, 30, tzinfo=UTC), datetime(2026, 11, 5, 9, 30,
                                                                                             tzinfo=UTC))
    assert data.period_since("2w", now).start == now.replace(second=0) - timedelta(days=14)
    month = data.period_since("1m", datetime(2026, 3, 31, 8, tzinfo=UTC))  # search's grammar: calendar months
    assert month.start == datetime(2026, 2, 28, 8, tzinfo=UTC)
    for bad in ("0d", "1y", "yesterday", ""):
        with pytest.raises(ValueError, match="--since"):
            data.period_since(bad, now)


def test_the_dag_reports_the_param_day_or_the_day_before_the_logical_date() -> None:
    assert data.day_to_report("2026-10-01") == date(2026, 10, 1)
    assert data.day_to_report(None, datetime(2026, 11, 6, 3, tzinfo=UTC)) == DAY


def test_trend_ranges_are_fourteen_contiguous_days_then_the_period() -> None:
    ranges = data.trend_ranges(PERIOD)
    assert len(ranges) == 15 and ranges[0]["key"] == "10-22" and ranges[-1]["key"] == "report"
    assert all(a["to"] == b["from"] for a, b in zip(ranges, ranges[1:], strict=False))
    assert ranges[-1] == {"key": "report", "from": PERIOD.start.isoformat(), "to": PERIOD.end.isoformat()}


# --- Chart text ------------------------------------------------------------------------------------

def _drawn(label: str) -> list:
    """The glyphs matplotlib draws for a chart label: (char, glyph index, x), as its renderer lays them out."""
    from matplotlib._text_helpers import layout
    from matplotlib.ft2font import FT2Font

    font = FT2Font(text.chart_font_path())
    font.set_size(12, 72)
    return [(item.char, item.glyph_index, item.x, font.get_char_index(ord(item.char)))
            for item in layout(text.chart_label(label), font)]


def test_matplotlib_draws_arabic_labels_shaped_and_right_to_left() -> None:
    assert text.matplotlib_shapes_arabic(), "matplotlib 3.11 lays out text with libraqm"
    drawn = _drawn("بوتين يستقبل الشرع")
    x = {}
    for char, _, pos, _ in drawn:
        x.setdefault(char, []).append(pos)
    # words right to left: ن only occurs in بوتين, ق in يستقبل, ش in الشرع
    assert x["ن"][0] > x["ق"][0] > x["ش"][0]
    assert x["ب"] == sorted(x["ب"]) and x["ن"][0] < max(x["ب"])  # inside بوتين, ب (first) is right of ن (last)
    shaped = [char for char, glyph, _, plain in drawn if glyph != plain]
    assert len(shaped) >= 12  # joined letters use their initial/medial/final glyphs, not the plain ones
    assert text.chart_label("بوتين يستقبل الشرع") == "بوتين يستقبل الشرع"  # left to libraqm, untouched
    cyrillic = _drawn("Путин")
    assert [c for c, *_ in cyrillic] == list("Путин") and all(g == p for _, g, _, p in cyrillic)


def test_without_matplotlib_shaping_labels_are_shaped_and_reordered_here(monkeypatch) -> None:
    monkeypatch.setattr(text, "matplotlib_shapes_arabic", lambda: False)
    # بوتين = beh waw teh yeh noon -> initial beh, final waw, initial teh, medial yeh, final noon, in visual
    # (reversed) order because such a matplotlib draws left to right as given
    assert text.chart_label("بوتين") == "\ufee6\ufef4\ufe97\ufeee\ufe91"
    # روسيا: reh and waw do not join leftwards, so both stay isolated (the base letter is the isolated glyph)
    assert text.chart_label("روسيا") == "\ufe8e\ufef4\ufeb3\u0648\u0631"
    label = text.chart_label("بوتين يستقبل الشرع")
    assert label.split(" ") == [text.chart_label(w) for w in ("الشرع", "يستقبل", "بوتين")]  # first word rightmost
    assert "\ufefb" in text.chart_label("لا")  # lam-alef ligature, which the font has
    assert text.missing_glyphs(text.chart_label("الله أكبر لإعادة الإعمار")) == set()
    truncated = text.chart_label("بوتين يستقبل الشرع في الكرملين", 12)
    assert truncated.startswith("…") and len(truncated) == 12  # the cut end is on the left in RTL


def test_non_arabic_labels_are_unchanged_and_truncation_happens_in_logical_order() -> None:
    assert text.chart_label("Путин провёл переговоры") == "Путин провёл переговоры"
    assert text.chart_label("Putin  hosts\nal-Sharaa", 10) == "Putin hos…"
    assert text.chart_label("بوتين يستقبل الشرع في الكرملين", 12) == "بوتين يستقب…"


def test_the_chart_font_has_every_glyph_of_the_labels_we_draw() -> None:
    assert Path(text.chart_font_path()).name == "DejaVuSans.ttf"
    texts = [t for titles in TITLES.values() for t in titles] + SPIKE_TITLES + list(NATIVE_NAMES.values())
    texts += ["الله أكبر", "لإعادة الإعمار", "قمة بوتين 2026 Putin", "Ахмед аш-Шараа", "…"]
    for label in texts:
        assert text.missing_glyphs(text.chart_label(label)) == set(), label


# --- Responses to a Briefing, and HTML ---------------------------------------------------------------

def _tone(mean: float | None, count: int) -> dict:
    return {"Russia_mean": {"value": mean}, "Russia_count": {"value": count},
            "Syria_mean": {"value": None}, "Syria_count": {"value": 0}}


def _summary_response() -> dict:
    start_ms = int(PERIOD.start.timestamp() * 1000)
    story = {"key": "c1", "doc_count": 3, "outlet_count": {"value": 2},
             "first": {"hits": {"hits": [{"_source": {"title": "بوتين <يستقبل> الشرع", "url": "https://x/1?a=1&b=2",
                                                      "source": "SANA", "published_at": "2026-11-05T08:00:00+00:00",
                                                      "language": "ar"}}]}},
             "outlets": {"buckets": [{"key": "SANA", "doc_count": 2}, {"key": "Enab Baladi", "doc_count": 1}]}}
    return {"hits": {"total": {"value": 5}}, "aggregations": {
        "languages": {"buckets": [{"key": "ar", "doc_count": 5,
                                   "kinds": {"buckets": [{"key": "state", "doc_count": 5}]},
                                   "hours": {"buckets": [{"key": start_ms + 3_600_000 * 8, "doc_count": 5}]},
                                   **_tone(-0.25, 4)}]},
        "kinds": {"buckets": [{"key": "state", "doc_count": 5}]}, "relevant": {"doc_count": 2},
        "story_count": {"value": 3}, "unclustered": {"doc_count": 0},
        "entities": {"buckets": [{"key": "Russia", "doc_count": 4, "languages": {"buckets": [
            {"key": "ar", "doc_count": 4}]}}]},
        "co_Russia": {"names": {"buckets": [{"key": "Syria", "doc_count": 2}]}},
        "co_Syria": {"names": {"buckets": []}}, "stories": {"buckets": [{"key": "ar", "doc_count": 3,
                                                                        "stories": {"buckets": [story]}}]}}}


def _trend_response() -> dict:
    days = [{"key": r["key"], "from_as_string": r["from"], "doc_count": 4,
             "languages": {"buckets": [{"key": "ar", "doc_count": 4, **_tone(0.2 if i % 2 else 0.1, 2)}]}}
            for i, r in enumerate(data.trend_ranges(PERIOD))]
    return {"aggregations": {"days": {"buckets": days}}}


def _briefing() -> data.Briefing:
    alert = {"window_end": "2026-11-05T18:00:00+00:00", "kind": "pair", "language": "ar", "score": 7.1,
             "title": "Syria + Vladimir Putin in Arabic (ar): 9 stories", "delivered": False}
    return data.briefing_from_responses(PERIOD, _summary_response(), _trend_response(),
                                          {"hits": {"hits": [{"_source": alert}]}})


def test_briefing_from_responses() -> None:
    b = _briefing()
    assert (b.total, b.relevant, b.stories_total) == (5, 2, 3)
    assert b.languages == {"ar": 5} and b.language_kinds == {"ar": {"state": 5}}
    assert len(b.hourly["ar"]) == 24 and b.hourly["ar"][8] == 5 and sum(b.hourly["ar"]) == 5
    assert b.tone["Russia"]["ar"] == ToneStat(-0.25, 4) and b.tone["Syria"]["ar"] == ToneStat(None, 0)
    assert len(b.trend) == 14 and b.trend_mean("Russia", "ar") == ToneStat(0.15, 28)
    assert b.entities == [("Russia", 4, {"ar": 4})] and b.co_mentions == {"Russia": [("Syria", 2)], "Syria": []}
    assert b.stories[0].outlets == ["SANA", "Enab Baladi"] and b.stories[0].copies == 3
    assert json.loads(json.dumps(b.to_dict()))["period"]["label"] == "2026-11-05"


def test_html_is_self_contained_escaped_and_marks_language_and_direction() -> None:
    page = html.render_html(_briefing(), {name: b"\x89PNG fake" for name in charts.CHART_NAMES})
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert page.count('src="data:image/png;base64,') == 4 and "http" not in page.split("<body>")[0]
    assert '<div lang="ar" dir="auto"><a href="https://x/1?a=1&amp;b=2">بوتين &lt;يستقبل&gt; الشرع</a></div>' in page
    assert '<span lang="ar" dir="auto">العربية</span>' in page
    assert "Syria + Vladimir Putin in Arabic (ar): 9 stories" in page
    assert "-0.25 <small>(n=4)</small>" in page and "+0.15 <small>(n=28)</small>" in page  # period vs 14 days
    assert "{{" not in page and "{%" not in page  # every template expression was rendered


# --- A seeded day on a real node ------------------------------------------------------------------

END = datetime(2026, 11, 6, tzinfo=UTC)
SPIKE_WINDOW = Window(datetime(2026, 11, 5, 12, tzinfo=UTC), datetime(2026, 11, 5, 18, tzinfo=UTC))


@pytest.fixture
def seeded(es, settings) -> list[dict]:
    """15 days of articles ending with the reported day, and a spike (and its alert) that day."""
    docs = synthetic_corpus(seed=3, end=END) + spike(SPIKE_WINDOW)
    index_docs(es, settings, docs)
    stored = run_detection(es, settings, now=SPIKE_WINDOW.end + timedelta(minutes=5))
    assert len(stored.stored) == 1
    return docs


def _count(es, settings, *filters: dict) -> int:
    query = {"bool": {"filter": [published_range(PERIOD.start, PERIOD.end), *filters]}}
    return es.count(index=settings.index("articles"), query=query)["count"]


def _term(field: str, value: object) -> dict:
    return {"term": {field: value}}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.mark.es
def test_briefing_numbers_match_direct_counts(es, settings, seeded) -> None:
    b = data.collect_briefing(es, settings, PERIOD)
    day_docs = [d for d in seeded if in_range(d, PERIOD.start, PERIOD.end)]
    assert b.total == _count(es, settings) == len(day_docs)
    assert b.relevant == _count(es, settings, _term("relevant", True))
    assert b.stories_total == len({d["cluster_id"] for d in day_docs})
    assert set(b.languages) == {"ar", "ru", "en"}
    for lang, count in b.languages.items():
        assert count == _count(es, settings, _term("language", lang))
        assert sum(b.hourly[lang]) == count
        for kind, n in b.language_kinds[lang].items():
            assert n == _count(es, settings, _term("language", lang), _term("kind", kind))
    assert b.kinds == {kind: _count(es, settings, _term("kind", kind)) for kind in b.kinds}
    assert sum(b.kinds.values()) == b.total
    for name, count, by_language in b.entities:
        assert count == _count(es, settings, _term("entity_names", name)) == sum(by_language.values())
    assert b.entities[0][1] == max(_count(es, settings, _term("entity_names", n)) for n in ("Russia", "Syria"))
    for anchor, anchor_id in COUNTRY_IDS.items():
        assert b.co_mentions[anchor]
        for name, count in b.co_mentions[anchor]:
            assert count == _count(es, settings, _term("entity_ids", anchor_id), _term("entity_names", name))
    for story in b.stories:
        copies = [d for d in day_docs if d["cluster_id"] == story.cluster_id]
        assert story.copies == _count(es, settings, _term("cluster_id", story.cluster_id)) == len(copies)
        assert set(story.outlets) == {d["source"] for d in copies}
        assert story.title == copies[0]["title"]
    assert [s.language for s in b.stories] == ["ar"] * 5 + ["ru"] * 5 + ["en"] * 5  # top 5 of each language
    for lang in ("ar", "ru", "en"):
        outlets = [len(s.outlets) for s in b.stories if s.language == lang]
        assert outlets == sorted(outlets, reverse=True)
    assert b.stories[0].cluster_id == "spike-story-0"  # the only Arabic story on four outlets
    for lang in b.languages:
        tones = [d["tone_russia"] for d in day_docs if d["language"] == lang and d["tone_russia"] is not None]
        assert b.tone["Russia"][lang].count == len(tones)
        assert b.tone["Russia"][lang].mean == pytest.approx(_mean(tones), abs=1e-3)
    first_day = b.trend[0]
    assert first_day.label == "10-22" and len(b.trend) == 14
    day_start = PERIOD.start - timedelta(days=14)
    assert first_day.articles["ru"] == len([d for d in seeded if d["language"] == "ru"
                                            and in_range(d, day_start, day_start + timedelta(days=1))])
    assert [(a["kind"], a["key"], a["language"]) for a in b.alerts] == [("pair", "Syria + Vladimir Putin", "ar")]


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def _distinct_colours(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])


@pytest.mark.es
def test_briefing_files_are_written_and_the_charts_are_not_empty(es, settings, seeded, tmp_path: Path) -> None:
    written = files.make_briefing(es, settings, PERIOD, tmp_path / "out")
    assert set(written.pngs) == set(charts.CHART_NAMES)
    for name, path in written.pngs.items():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert path.stat().st_size > 20_000, name
        width, height = _png_size(path)
        assert width >= 1000 and height >= 300, name
        assert _distinct_colours(path) > 50, name  # text, bars and lines, not a blank canvas
    page = written.html.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert f'<div lang="ar" dir="auto"><a href="https://example.ar/spike-0-0">{SPIKE_TITLES[0]}</a></div>' in page
    assert "Syria + Vladimir Putin in Arabic (ar)" in page  # the day's alert
    assert any(outlet in page for outlet, _ in OUTLETS["ru"]) and 'lang="ru" dir="auto">' in page
    numbers = json.loads(written.data.read_text(encoding="utf-8"))
    assert numbers["total"] == _count(es, settings)


@pytest.mark.es
def test_cli_writes_the_briefing_for_a_date(es, settings, seeded, tmp_path: Path, capsys) -> None:
    args = cli.build_parser().parse_args(["briefing", "--date", "2026-11-05", "--out", str(tmp_path / "cli")])
    assert args.func is cli.cmd_briefing
    assert cli.cmd_briefing(args, settings) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["period"] == "2026-11-05" and Path(printed["html"]).is_file()
    parsed = cli.build_parser().parse_args(["briefing", "--since", "1m", "--out", "x"])
    assert parsed.since == "1m" and parsed.date is None


@pytest.mark.es
def test_a_day_without_articles_still_gets_a_briefing(es, settings, tmp_path: Path) -> None:
    written = files.make_briefing(es, settings, PERIOD, tmp_path / "empty")
    page = written.html.read_text(encoding="utf-8")
    assert "<b>0</b>articles" in page and "No alerts in this period." in page
    assert set(written.pngs) == set(charts.CHART_NAMES)
    assert all(path.stat().st_size > 5_000 for path in written.pngs.values())
