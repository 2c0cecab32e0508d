"""Alerts: the statistics without services, then detection, storage and delivery on a real node
over synthetic articles spread over 15 days (a fixed seed, built here, no enricher)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import numpy as np
import pytest
from mediawatch import cli, esqueries
from mediawatch.alerts import deliver, detect, model, queries, stats
from mediawatch.alerts.model import Alert, Window, alert_config
from mediawatch.settings import Settings
from mediawatch.store import index_action, write_bulk

from .conftest import loopback_server

SETTINGS = Settings()  # the default thresholds
DEFAULTS = alert_config(SETTINGS)

# --- A synthetic corpus: 15 days of articles in three languages -----------------------------------

END = datetime(2026, 11, 5, 12, tzinfo=UTC)
OUTLETS = {
    "ar": [("SANA", "state"), ("Enab Baladi", "opposition"), ("Al Jazeera Arabic", "international"),
           ("Asharq Al-Awsat", "private")],
    "ru": [("TASS", "state"), ("RIA Novosti", "state"), ("Kommersant", "private"), ("Meduza", "opposition")],
    "en": [("Reuters", "international"), ("Al-Monitor", "private"), ("RT", "state")],
}
RATES = {"ar": 3.0, "ru": 2.0, "en": 1.5}  # articles per hour, averaged over the day
ENTITIES = [("Q159", "Russia", 0.5), ("Q858", "Syria", 0.6), ("Q7747", "Vladimir Putin", 0.12),
            ("Q7934206", "Ahmed al-Sharaa", 0.12), ("mw:sergey-lavrov", "Sergey Lavrov", 0.06),
            ("Q43", "Turkey", 0.1), ("Q794", "Iran", 0.08)]
TOPICS = [("diplomacy", 0.3), ("military", 0.2), ("economy", 0.15), ("bases", 0.08)]
TITLES = {
    "ar": ["بوتين يستقبل الشرع في الكرملين لبحث التعاون الاقتصادي",
           "لافروف يبحث مع نظيره السوري مستقبل القواعد الروسية",
           "موسكو ودمشق توقعان اتفاقية لتوريد القمح", "الشرع: العلاقات مع روسيا استراتيجية",
           "وفد روسي يزور دمشق لبحث إعادة الإعمار", "تركيا وإيران تراقبان التقارب الروسي السوري"],
    "ru": ["Путин провёл переговоры с президентом Сирии", "Лавров обсудил с сирийским коллегой будущее баз",
           "Россия поставит в Сирию пшеницу", "Аш-Шараа назвал отношения с Россией стратегическими",
           "Российская делегация обсудила в Дамаске восстановление страны"],
    "en": ["Putin hosts al-Sharaa in the Kremlin for economic talks", "Lavrov and Syrian counterpart discuss bases",
           "Russia to ship wheat to Syria under new deal", "Syria's leader calls Russia ties strategic"],
}
SPIKE_TITLES = ["بوتين والشرع يتفقان على خارطة طريق للتعاون", "الكرملين: بوتين يتلقى اتصالا من الرئيس السوري",
                "دمشق ترحب بتصريحات بوتين حول سوريا", "بوتين: سوريا شريك موثوق في المنطقة",
                "الخارجية السورية تشيد بنتائج القمة مع بوتين", "محللون: زيارة الشرع لموسكو تفتح صفحة جديدة",
                "بوتين يؤكد دعم وحدة الأراضي السورية", "سوريا وروسيا تبحثان تعزيز التعاون العسكري",
                "موسكو: محادثات بوتين والشرع بناءة", "صحف عربية: بوتين يعيد رسم دوره في سوريا"]
SPIKE_COPIES = (4, 3, 2, 2, 1, 1, 1, 1, 1, 1)  # ten stories, seventeen articles


def _profile(hour: int, periodic: bool) -> float:
    return 1.0 + 0.8 * math.cos(2 * math.pi * (hour - 13) / 24) if periodic else 1.0


def _new_story(rng: np.random.Generator, language: str, doc_id: str) -> dict[str, Any]:
    entities = [(i, n) for i, n, p in ENTITIES if rng.random() < p]
    return {"cluster_id": doc_id, "title": TITLES[language][int(rng.integers(len(TITLES[language])))],
            "entities": entities, "topics": [t for t, p in TOPICS if rng.random() < p]}


def article(doc_id: str, language: str, published: datetime, story: dict[str, Any], outlet: tuple[str, str],
            tone_russia: float | None, tone_syria: float | None) -> dict[str, Any]:
    """A document shaped like document.article_document's output (the fields alerts and briefing read)."""
    ids = [i for i, _ in story["entities"]]
    names = [n for _, n in story["entities"]]
    return {"id": doc_id, "url": f"https://example.{language}/{doc_id}", "feed_id": f"{outlet[0].lower()}-feed",
            "source": outlet[0], "kind": outlet[1], "language": language, "title": story["title"],
            "published_at": published.isoformat(), "cluster_id": story["cluster_id"],
            "entity_ids": ids, "entity_names": names,
            "persons": [n for i, n in story["entities"] if i in {"Q7747", "Q7934206", "mw:sergey-lavrov"}],
            "locations": [n for i, n in story["entities"] if i in {"Q159", "Q858", "Q43", "Q794"}],
            "topics": story["topics"], "sentiment_score": tone_syria or 0.0,
            "tone_russia": tone_russia if "Q159" in ids else None,
            "tone_syria": tone_syria if "Q858" in ids else None,
            "relevant": "Q159" in ids and "Q858" in ids}


def _tone(rng: np.random.Generator) -> float:
    return round(float(np.clip(rng.normal(0.1, 0.25), -1, 1)), 4)


def synthetic_corpus(seed: int = 7, end: datetime = END, days: int = 15, periodic: bool = True) -> list[dict]:
    """Poisson arrivals per language and hour; a quarter of the articles are copies of a story
    published in the previous six hours (same cluster_id and title, another outlet)."""
    rng = np.random.default_rng(seed)
    docs: list[dict[str, Any]] = []
    start = end - timedelta(days=days)
    for language, rate in RATES.items():
        stories: list[tuple[datetime, dict[str, Any]]] = []
        for hour in range(days * 24):
            at = start + timedelta(hours=hour)
            for _ in range(int(rng.poisson(rate * _profile(at.hour, periodic)))):
                published = at + timedelta(seconds=int(rng.integers(3600)))
                doc_id = f"syn-{language}-{len(docs)}"
                recent = [s for t, s in stories if t > published - timedelta(hours=6)]
                story = recent[int(rng.integers(len(recent)))] if recent and rng.random() < 0.25 \
                    else _new_story(rng, language, doc_id)
                stories.append((published, story))
                outlet = OUTLETS[language][int(rng.integers(len(OUTLETS[language])))]
                docs.append(article(doc_id, language, published, story, outlet, _tone(rng), _tone(rng)))
    return docs


def spike(window: Window, copies: tuple[int, ...] = SPIKE_COPIES, language: str = "ar") -> list[dict]:
    """Wire stories about Syria + Putin in one language inside the window, one cluster per story."""
    docs = []
    for number, size in enumerate(copies):
        story = {"cluster_id": f"spike-story-{number}", "title": SPIKE_TITLES[number % len(SPIKE_TITLES)],
                 "entities": [("Q858", "Syria"), ("Q7747", "Vladimir Putin")], "topics": []}
        for copy in range(size):
            minutes = (number * 97 + copy * 31) % (window.hours * 60)
            outlet = OUTLETS[language][copy % len(OUTLETS[language])]
            docs.append(article(f"spike-{number}-{copy}", language, window.start + timedelta(minutes=minutes), story,
                                outlet, 0.1, 0.1))
    return docs


def index_docs(es, settings, docs: list[dict]) -> None:
    report = write_bulk(es, (index_action(settings.index("articles"), d["id"], d) for d in docs), settings)
    es.indices.refresh(index=settings.index("articles"))
    assert report.written == len(docs) and not report.failed


def in_range(doc: dict, start: datetime, end: datetime) -> bool:
    return start <= datetime.fromisoformat(doc["published_at"]) < end


def matching(docs: list[dict], language: str, start: datetime, end: datetime, names: set[str]) -> list[dict]:
    return [d for d in docs if d["language"] == language and in_range(d, start, end)
            and names <= set(d["entity_names"])]


def count_stories(docs: list[dict], language: str, start: datetime, end: datetime, names: set[str]) -> int:
    return len({d["cluster_id"] for d in matching(docs, language, start, end, names)})


# --- Pure statistics -------------------------------------------------------------------------------

def _poisson_tail_by_sum(k: int, mean: float) -> float:
    return sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(k, k + 400))


@pytest.mark.parametrize(("k", "mean"), [(1, 1.0), (3, 0.1), (5, 0.5), (10, 4.2), (30, 12.0), (2, 7.0), (60, 50.0)])
def test_poisson_upper_tail_matches_the_summed_probabilities(k: int, mean: float) -> None:
    assert stats.poisson_upper_tail(k, mean) == pytest.approx(_poisson_tail_by_sum(k, mean), rel=1e-9, abs=1e-15)


def test_poisson_upper_tail_edges() -> None:
    assert stats.poisson_upper_tail(0, 3.0) == 1.0
    assert stats.poisson_upper_tail(1, 0.0) == 0.0
    assert stats.poisson_upper_tail(1, 1.0) == pytest.approx(1 - math.exp(-1))
    assert stats.poisson_upper_tail(400, 1.0) < 1e-300


def test_chi_square_tail_is_close_to_tabulated_critical_values() -> None:
    # chi-square, 23 degrees of freedom: 0.05 -> 35.172, 0.01 -> 41.638 (standard tables)
    assert stats.chi_square_sf(35.172, 23) == pytest.approx(0.05, abs=0.002)
    assert stats.chi_square_sf(41.638, 23) == pytest.approx(0.01, abs=0.001)
    assert stats.chi_square_sf(0.0, 23) == 1.0


def test_daily_profile_is_detected_only_when_present_and_volume_allows() -> None:
    rng = np.random.default_rng(1)
    periodic = [int(rng.poisson(3 * _profile(h % 24, True))) for h in range(14 * 24)]
    flat = [int(rng.poisson(3)) for _ in range(14 * 24)]
    sparse = [int(rng.poisson(0.2 * _profile(h % 24, True))) for h in range(14 * 24)]
    assert stats.is_daily_periodic(periodic)
    assert not stats.is_daily_periodic(flat)
    assert not stats.is_daily_periodic(sparse)  # 67 articles: too few for 24 cells


def test_baseline_takes_the_same_hours_of_each_day_when_periodic() -> None:
    window = Window(datetime(2026, 11, 5, 6, tzinfo=UTC), datetime(2026, 11, 5, 12, tzinfo=UTC))
    same_hours = model.baseline_windows(window, periodic=True, baseline_days=3)
    assert [(w.start.day, w.start.hour, w.end.hour) for w in same_hours] == [(2, 6, 12), (3, 6, 12), (4, 6, 12)]
    blocks = model.baseline_windows(window, periodic=False, baseline_days=2)
    assert len(blocks) == 8 and blocks[-1] == Window(window.start - timedelta(hours=6), window.start)
    assert blocks[0].start == window.start - timedelta(days=2)
    long = Window(window.end - timedelta(hours=30), window.end)
    assert len(model.baseline_windows(long, periodic=True, baseline_days=14)) == 14 * 24 // 30  # never periodic


def test_spike_needs_both_significance_and_the_minimum_count() -> None:
    assert stats.spike_test(12, [2, 1, 3, 2, 2], min_count=5, p_value=0.001).significant
    assert not stats.spike_test(4, [0] * 14, min_count=5, p_value=0.001).significant  # p = 1.7e-3 and < 5
    assert not stats.spike_test(6, [3, 4, 2, 3], min_count=5, p_value=0.001).significant  # ordinary
    unseen = stats.spike_test(5, [0] * 14, min_count=5, p_value=0.001)
    assert unseen.expected == stats.BASELINE_FLOOR and unseen.significant
    assert unseen.score == pytest.approx(-math.log10(unseen.p_value), abs=1e-3)
    # with the default p-value, a key never seen before needs six stories (P(X >= 5 | 0.5) = 1.7e-4)
    defaults = {"min_count": SETTINGS.alert_min_count, "p_value": SETTINGS.alert_p_value}
    assert not stats.spike_test(5, [0] * 14, **defaults).significant
    assert stats.spike_test(6, [0] * 14, **defaults).significant


def test_tone_shift_needs_the_margin_and_enough_articles_on_both_sides() -> None:
    assert stats.tone_shift_test(8, -0.4, 120, 0.05, margin=0.3, min_count=5).significant
    assert not stats.tone_shift_test(8, -0.2, 120, 0.05, margin=0.3, min_count=5).significant
    assert not stats.tone_shift_test(3, -0.9, 120, 0.05, margin=0.3, min_count=5).significant
    assert not stats.tone_shift_test(8, -0.9, 2, 0.5, margin=0.3, min_count=5).significant
    assert not stats.tone_shift_test(8, 0.6, 120, 0.05, margin=0.3, min_count=5).significant  # a rise
    margin = SETTINGS.alert_tone_margin
    assert stats.tone_shift_test(8, -0.4, 120, 0.05, margin).drop == pytest.approx(0.45)
    assert not stats.tone_shift_test(8, -0.4, 120, 0.05, margin).significant  # default: 10 articles needed
    assert stats.tone_shift_test(10, -0.4, 120, 0.05, margin).significant


def test_window_ends_at_the_last_full_hour_so_runs_within_an_hour_agree() -> None:
    a = model.latest_window(datetime(2026, 11, 5, 12, 5, tzinfo=UTC), 6)
    b = model.latest_window(datetime(2026, 11, 5, 12, 59, tzinfo=UTC), 6)
    assert a == b == Window(datetime(2026, 11, 5, 6, tzinfo=UTC), datetime(2026, 11, 5, 12, tzinfo=UTC))
    assert model.alert_id("pair", "Syria + Vladimir Putin", "ar", a) == \
        model.alert_id("pair", "Syria + Vladimir Putin", "ar", b)
    later = model.latest_window(datetime(2026, 11, 5, 13, 1, tzinfo=UTC), 6)
    assert model.alert_id("pair", "Syria + Vladimir Putin", "ar", later) != \
        model.alert_id("pair", "Syria + Vladimir Putin", "ar", a)


def test_pair_keys_do_not_depend_on_the_anchor() -> None:
    assert model.pair_key("Syria", "Russia") == model.pair_key("Russia", "Syria") == "Russia + Syria"
    assert queries.key_filters("pair", "Syria + Vladimir Putin") == [{"term": {"entity_ids": "Q858"}},
                                                                  {"term": {"entity_names": "Vladimir Putin"}}]


def _alert(kind: str, key: str, count: int, baseline: float, language: str = "ar", hours_later: int = 0) -> Alert:
    start = datetime(2026, 11, 5, 6, tzinfo=UTC) + timedelta(hours=hours_later)
    return Alert(kind, key, language, Window(start, start + timedelta(hours=6)), count, baseline, 5.0)


def test_an_overlapping_window_of_the_same_key_is_ongoing() -> None:
    stored = _alert("pair", "Syria + Vladimir Putin", 20, 1.0)
    assert model.is_ongoing(_alert("pair", "Syria + Vladimir Putin", 21, 1.0, hours_later=5), [stored])
    assert not model.is_ongoing(_alert("pair", "Syria + Vladimir Putin", 21, 1.0, hours_later=6), [stored])
    assert not model.is_ongoing(_alert("pair", "Syria + Vladimir Putin", 21, 1.0, language="ru"), [stored])


def test_entity_and_volume_spikes_explained_by_a_pair_are_dropped() -> None:
    pair = _alert("pair", "Syria + Vladimir Putin", 19, 1.0)
    putin = _alert("entity", "Vladimir Putin", 21, 2.5)
    turkey = _alert("entity", "Turkey", 12, 1.0)
    volume = _alert("volume", "all", 40, 18.0)
    volume_ru = _alert("volume", "all", 40, 18.0, language="ru")
    new, ongoing, explained = model.select_new_alerts([pair, putin, turkey, volume, volume_ru], [])
    assert new == [pair, turkey, volume_ru] and (ongoing, explained) == (0, 2)
    # the next hour: the pair is ongoing (stored), and still explains Putin's spike
    later = [_alert("pair", "Syria + Vladimir Putin", 19, 1.0, hours_later=1),
             _alert("entity", "Vladimir Putin", 21, 2.5, hours_later=1)]
    assert model.select_new_alerts(later, [pair])[0] == []


def test_dense_hourly_counts_from_sparse_histogram_buckets() -> None:
    start = datetime(2026, 11, 5, tzinfo=UTC)
    ms = int(start.timestamp() * 1000)
    buckets = [{"key": ms + 3_600_000, "doc_count": 2}, {"key": ms + 5 * 3_600_000, "doc_count": 4},
               {"key": ms + 9 * 3_600_000, "doc_count": 1}]
    assert esqueries.hourly_counts(buckets, start, 6) == [0, 2, 0, 0, 0, 4]


def test_evaluate_series_tests_stories_and_keeps_article_counts_as_evidence() -> None:
    window = Window(datetime(2026, 11, 5, 6, tzinfo=UTC), datetime(2026, 11, 5, 12, tzinfo=UTC))
    baselines = model.baseline_windows(window, True)
    periods = {"window": queries.Counts(articles=15, stories=8), "b13": queries.Counts(articles=3, stories=1)}
    spec = queries.KeySpec("pair", "entity_names", "Q858")
    alert = detect.evaluate_series(spec, "ar", "Vladimir Putin", periods, window, baselines, "same_hours_each_day",
                                   DEFAULTS)
    assert alert is not None and alert.key == "Syria + Vladimir Putin" and alert.count == 8 and alert.articles == 15
    assert alert.evidence["baseline"]["stories"] == [0] * 13 + [1]
    assert alert.evidence["baseline"]["articles"] == [0] * 13 + [3]
    assert alert.baseline_mean == pytest.approx(1 / 14, abs=1e-4)
    assert alert.evidence["test"]["p_value"] == pytest.approx(stats.poisson_upper_tail(8, stats.BASELINE_FLOOR))
    assert "Syria + Vladimir Putin in Arabic (ar): 8 stories (15 articles) in 6h" in alert.title
    few = {"window": queries.Counts(articles=15, stories=2)}  # one wire story reprinted: not a spike
    assert detect.evaluate_series(spec, "ar", "Vladimir Putin", few, window, baselines, "x", DEFAULTS) is None


def _stored_doc() -> dict[str, Any]:
    alert = _alert("pair", "Syria + Vladimir Putin", 19, 1.0)
    alert.evidence = {"test": {"p_value": 1e-12}, "stories": [
        {"title": "بوتين والشرع يتفقان <على> خارطة طريق", "url": "https://example.ar/1", "copies": 9,
         "outlets": ["SANA", "Enab Baladi"], "language": "ar"}]}
    return alert.to_document("2026-11-05T12:10:00+00:00")


def test_slack_message_has_text_blocks_and_one_line_per_story() -> None:
    message = deliver.slack_message(_stored_doc())
    assert message["text"].startswith("MediaWatch: Syria + Vladimir Putin in Arabic (ar)")
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "section", "context"]
    stories = message["blocks"][2]["text"]["text"]
    assert "<https://example.ar/1|بوتين والشرع يتفقان &lt;على&gt; خارطة طريق> — SANA, Enab Baladi (9 copies)" \
        in stories
    json.dumps(message)  # serializable as is


def test_email_keeps_each_title_in_its_own_direction() -> None:
    subject, body = deliver.email_content(_stored_doc())
    assert subject.startswith("[MediaWatch] Syria + Vladimir Putin")
    assert 'dir="auto" lang="ar"' in body and "&lt;على&gt;" in body and 'charset="utf-8"' in body


def test_webhook_post_retries_server_errors_then_gives_up_with_the_reason() -> None:
    statuses = iter([500, 502, 200])
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(next(statuses))

    pauses: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        assert deliver.post_webhook(http, "http://hook", {"text": "x"}, tries=3, backoff_s=1.0,
                                   sleep=pauses.append) is None
        assert pauses == [1.0, 2.0] and len(seen) == 3
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400, text="invalid_blocks"))) as http:
        assert deliver.post_webhook(http, "http://hook", {}, tries=3, sleep=pauses.append) == \
            "HTTP 400: invalid_blocks"  # not retried: a bad payload stays bad


def test_delivery_update_counts_attempts_and_remembers_channels_already_reached() -> None:
    doc = {"delivered_channels": [], "delivery_attempts": 0}
    channels = deliver.Channels(http=httpx.Client(), webhook_url="http://hook", email_sender=lambda *a: None,
                               email_to=("desk@example.org",))
    first = deliver.delivery_update(doc, channels, {"email": "SMTP down"}, "t1")
    assert first == {"delivered_channels": ["webhook"], "delivered": False, "delivery_attempts": 1,
                     "last_attempt_at": "t1", "delivery_error": "email: SMTP down"}
    second = deliver.delivery_update({**doc, **first}, channels, {}, "t2")
    assert second["delivered"] and second["delivery_attempts"] == 2 and second["delivered_at"] == "t2"


def test_config_comes_from_the_alert_settings() -> None:
    config = alert_config(Settings(alert_window_h=3, alert_min_count=7, alert_p_value=0.01, alert_tone_margin=0.5,
                                   alert_webhook_url="http://hook", alert_email_to="a@example.org, b@example.org,"))
    assert (config.window_h, config.min_count, config.p_value, config.tone_margin) == (3, 7, 0.01, 0.5)
    assert config.webhook_url == "http://hook" and config.email_to == ("a@example.org", "b@example.org")
    assert alert_config(Settings(), window_h=2).window_h == 2  # an override wins


# --- Real Elasticsearch ---------------------------------------------------------------------------

@dataclass
class Receiver:
    """A loopback webhook receiver: records JSON bodies, answers with ``status``."""

    url: str = ""
    status: int = 200
    bodies: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.bodies.append(json.loads(body))
            state.statuses.append(state.status)
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with loopback_server(Handler) as base_url:
        state.url = f"{base_url}/hook"
        yield state


WINDOW = model.latest_window(END, SETTINGS.alert_window_h)
FAST = alert_config(SETTINGS, webhook_backoff_s=0.01)


def stored_alerts(es, settings) -> list[dict]:
    es.indices.refresh(index=settings.index("alerts"))
    hits = es.search(index=settings.index("alerts"), size=100, sort=[{"created_at": "asc"}])["hits"]["hits"]
    return [h["_source"] for h in hits]


SEED = 3  # any seed works; 7 happens to hold a genuine burst of Iran stories in Russian (see alerts/stats.py)


@pytest.fixture
def spiked(es, settings) -> list[dict]:
    docs = synthetic_corpus(seed=SEED) + spike(WINDOW)
    index_docs(es, settings, docs)
    return docs


@pytest.mark.es
def test_a_pair_spike_in_one_language_is_alerted_once_with_its_evidence(es, settings, spiked) -> None:
    report = detect.run_detection(es, settings, now=END + timedelta(minutes=20), config=FAST)
    docs = stored_alerts(es, settings)
    assert [(d["kind"], d["key"], d["language"]) for d in docs] == [("pair", "Syria + Vladimir Putin", "ar")]
    # Putin's own Arabic series rose with the pair and is explained by it, not alerted separately
    assert report.significant >= 2 and report.explained == report.significant - 1
    alert = docs[0]
    names = {"Syria", "Vladimir Putin"}
    assert alert["count"] == count_stories(spiked, "ar", WINDOW.start, WINDOW.end, names)
    evidence = alert["evidence"]
    assert evidence["counts"]["articles"] == alert["articles"] == len(matching(spiked, "ar", WINDOW.start, WINDOW.end,
                                                                               names))
    assert evidence["baseline"]["method"] == "same_hours_each_day"  # the corpus is daily-periodic
    days = range(14, 0, -1)
    expected = [count_stories(spiked, "ar", WINDOW.start - timedelta(days=d), WINDOW.end - timedelta(days=d), names)
                for d in days]
    assert evidence["baseline"]["stories"] == expected
    assert evidence["baseline"]["articles"] == [
        len(matching(spiked, "ar", WINDOW.start - timedelta(days=d), WINDOW.end - timedelta(days=d), names))
        for d in days]
    assert alert["baseline_mean"] == pytest.approx(sum(expected) / 14, abs=1e-4)
    assert evidence["test"]["p_value"] < SETTINGS.alert_p_value and alert["score"] > 3
    stories = evidence["stories"]
    assert [(s["cluster_id"], s["copies"]) for s in stories[:3]] == \
        [("spike-story-0", 4), ("spike-story-1", 3), ("spike-story-2", 2)]
    assert stories[0]["title"] == SPIKE_TITLES[0] and stories[0]["language"] == "ar"
    assert set(stories[0]["outlets"]) == {name for name, _ in OUTLETS["ar"]}
    assert len({s["cluster_id"] for s in stories}) == len(stories) == queries.TOP_STORIES  # one line per story
    assert alert["delivered"] is False and alert["delivery_attempts"] == 0


@pytest.mark.es
@pytest.mark.parametrize("periodic", [True, False], ids=["daily-profile", "flat-profile"])
def test_a_series_without_a_spike_raises_nothing(es, settings, periodic: bool) -> None:
    index_docs(es, settings, synthetic_corpus(seed=11, periodic=periodic))
    report = detect.run_detection(es, settings, now=END, config=FAST)
    assert report.series >= 6  # every key with enough articles in the window was tested
    assert report.significant == 0 and stored_alerts(es, settings) == []


@pytest.mark.es
def test_running_again_or_an_hour_later_does_not_repeat_the_alert(es, settings) -> None:
    late_spike = spike(Window(WINDOW.start + timedelta(hours=1), WINDOW.end))  # inside this and the next window
    index_docs(es, settings, synthetic_corpus(seed=SEED) + late_spike)
    first = detect.run_detection(es, settings, now=END, config=FAST)
    again = detect.run_detection(es, settings, now=END + timedelta(minutes=45), config=FAST)
    later = detect.run_detection(es, settings, now=END + timedelta(hours=1, minutes=5), config=FAST)
    assert len(first.stored) == 1 and again.stored == [] and later.stored == []
    assert again.ongoing == 1  # the same window: the same alert id, already stored
    assert later.ongoing == 1  # the next window still shows the spike, which was already alerted
    assert len(stored_alerts(es, settings)) == 1


@pytest.mark.es
def test_the_webhook_receiver_gets_the_alert(es, settings, spiked, receiver: Receiver) -> None:
    config = alert_config(SETTINGS, webhook_url=receiver.url, webhook_backoff_s=0.01)
    detect.run_detection(es, settings, now=END, config=config)
    report = deliver.deliver_pending(es, settings, config=config)
    assert report.to_dict() == {"pending": 1, "delivered": 1, "failed": 0, "channels": ["webhook"]}
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert "Syria + Vladimir Putin" in body["text"] and body["blocks"][0]["type"] == "header"
    assert SPIKE_TITLES[0] in json.dumps(body, ensure_ascii=False)
    [doc] = stored_alerts(es, settings)
    assert doc["delivered"] is True and doc["delivery_attempts"] == 1 and doc["delivered_channels"] == ["webhook"]
    assert deliver.deliver_pending(es, settings, config=config).pending == 0  # nothing sent twice


@pytest.mark.es
def test_a_failed_delivery_is_kept_counted_and_retried_by_a_later_run(es, settings, spiked,
                                                                       receiver: Receiver) -> None:
    config = alert_config(SETTINGS, webhook_url=receiver.url, webhook_backoff_s=0.01)
    receiver.status = 500
    detect.run_detection(es, settings, now=END, config=config)
    failed = deliver.deliver_pending(es, settings, config=config)
    assert (failed.pending, failed.delivered, failed.failed) == (1, 0, 1)
    assert receiver.statuses == [500] * config.webhook_tries  # retried with backoff within the run
    [doc] = stored_alerts(es, settings)
    assert doc["delivered"] is False and doc["delivery_attempts"] == 1 and "HTTP 500" in doc["delivery_error"]

    detect.run_detection(es, settings, now=END + timedelta(minutes=15), config=config)  # the next run
    deliver.deliver_pending(es, settings, config=config)
    [doc] = stored_alerts(es, settings)
    assert doc["delivered"] is False and doc["delivery_attempts"] == 2  # still down: kept, counted

    receiver.status = 200
    recovered = deliver.deliver_pending(es, settings, config=config)
    assert (recovered.delivered, recovered.failed) == (1, 0)
    [doc] = stored_alerts(es, settings)
    assert doc["delivered"] is True and doc["delivery_attempts"] == 3 and doc["delivery_error"] is None
    assert receiver.statuses[-1] == 200 and len(receiver.bodies) == 2 * config.webhook_tries + 1


@pytest.mark.es
def test_email_goes_through_the_injected_sender_and_a_failing_sender_is_retried(es, settings, spiked,
                                                                                receiver: Receiver) -> None:
    config = alert_config(SETTINGS, webhook_url=receiver.url, email_to=("desk@example.org",),
                          webhook_backoff_s=0.01)
    sent: list[tuple] = []

    def broken(to, subject, body):
        raise ConnectionRefusedError("SMTP server not reachable")

    detect.run_detection(es, settings, now=END, config=config)
    assert deliver.deliver_pending(es, settings, config=config, email_sender=broken).failed == 1
    [doc] = stored_alerts(es, settings)
    assert doc["delivered_channels"] == ["webhook"] and "SMTP server not reachable" in doc["delivery_error"]
    assert deliver.deliver_pending(es, settings, config=config,
                                  email_sender=lambda *a: sent.append(a)).delivered == 1
    assert len(receiver.bodies) == 1  # the webhook, reached the first time, is not sent again
    [(to, subject, body)] = sent
    assert to == ["desk@example.org"] and "Syria + Vladimir Putin" in subject and SPIKE_TITLES[0] in body


@pytest.mark.es
def test_a_tone_drop_toward_russia_in_arabic_alerts(es, settings) -> None:
    end = END + timedelta(hours=6)  # the afternoon window, when Arabic volume peaks
    window = model.latest_window(end, SETTINGS.alert_window_h)
    docs = synthetic_corpus(seed=5, end=end)
    window_docs = [d for d in docs if d["language"] == "ar" and d["tone_russia"] is not None
                   and in_range(d, window.start, window.end)]
    for doc in window_docs:
        doc["tone_russia"] = -0.6
    index_docs(es, settings, docs)
    detect.run_detection(es, settings, now=end, config=FAST)
    [alert] = stored_alerts(es, settings)
    assert (alert["kind"], alert["key"], alert["language"]) == ("tone", "Russia", "ar")
    baseline = [d["tone_russia"] for d in docs if d["language"] == "ar" and d["tone_russia"] is not None
                and in_range(d, window.start - timedelta(days=14), window.start)]
    assert alert["count"] == len(window_docs) >= stats.TONE_MIN_COUNT
    assert alert["tone"] == pytest.approx(-0.6, abs=1e-4)
    assert alert["baseline_tone"] == pytest.approx(sum(baseline) / len(baseline), abs=1e-3)
    assert alert["evidence"]["tone"]["baseline_count"] == len(baseline)
    stories = alert["evidence"]["stories"]
    assert stories and all(s["tone"] == pytest.approx(-0.6, abs=1e-4) for s in stories)


@pytest.mark.es
def test_cli_lists_recent_alerts(es, settings, spiked, capsys) -> None:
    detect.run_detection(es, settings, now=END, config=FAST)
    args = cli.build_parser().parse_args(["alerts", "--since", "1d", "--size", "10"])
    assert args.func is cli.cmd_alerts and not args.json and not args.run
    assert cli.cmd_alerts(args, settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "pair" in lines[0] and "Syria + Vladimir Putin" in lines[0] and "pending" in lines[0]
    parsed = cli.build_parser().parse_args(["alerts", "--since", "2d", "--json"])
    assert parsed.since == "2d" and parsed.json
