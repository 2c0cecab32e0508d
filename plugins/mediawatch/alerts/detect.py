"""Detection: run the searches, test every series, drop what is ongoing or explained, store.

A run looks at the latest window (``window_h`` whole hours ending at the last full hour) and,
per language, compares each series' story count with its baseline from the previous 14 days
(the same hours of each day where volume has a daily profile). A significant excess above a
minimum count becomes an alert document in ``<prefix>-alerts`` with its evidence; alerts are
*created* (never overwritten), so running again is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ConflictError, Elasticsearch

from ..esqueries import search, tone_stats
from ..settings import Settings
from ..store import connect, now_iso
from .model import (
    Alert,
    AlertConfig,
    Window,
    alert_config,
    alert_from_document,
    baseline_windows,
    history_start,
    latest_window,
    select_new_alerts,
)
from .queries import (
    KEY_SPECS,
    Counts,
    KeySpec,
    candidates_body,
    key_filters,
    parse_candidates,
    parse_samples,
    parse_stories,
    parse_volume_history,
    samples_body,
    stories_body,
    tone_body,
    volume_history_body,
)
from .stats import is_daily_periodic, spike_test, tone_shift_test

log = logging.getLogger(__name__)


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


def fetch_candidates(es: Elasticsearch, settings: Settings, spec: KeySpec, window: Window,
                     config: AlertConfig) -> dict[str, list[str]]:
    """language -> keys with at least ``min_count`` articles in the window (fewer stories cannot alert)."""
    return parse_candidates(search(es, settings, candidates_body(spec, window, config.min_count)), spec)


def fetch_samples(es: Elasticsearch, settings: Settings, spec: KeySpec, language: str, keys: list[str],
                  window: Window, baselines: list[Window]) -> dict[str, dict[str, Counts]]:
    body = samples_body(spec, language, [k for k in keys if k], window, baselines)
    return parse_samples(search(es, settings, body), spec)


def periodic_languages(es: Elasticsearch, settings: Settings, window: Window, config: AlertConfig) -> set[str]:
    """Languages whose hourly article volume over the baseline span has a daily profile."""
    start = history_start(window, config.baseline_days)
    response = search(es, settings, volume_history_body(window, config.baseline_days))
    history = parse_volume_history(response, start, 24 * config.baseline_days)
    return {lang for lang, counts in history.items() if is_daily_periodic(counts)}


def tone_alerts(response: dict[str, Any], window: Window, config: AlertConfig) -> list[Alert]:
    alerts = []
    for language in response["aggregations"]["languages"]["buckets"]:
        periods = language["periods"]["buckets"]
        now, base = tone_stats(periods["window"]), tone_stats(periods["baseline"])
        for side in now:
            test = tone_shift_test(now[side].count, now[side].mean, base[side].count, base[side].mean,
                                   config.tone_margin, config.tone_min_count)
            if test.significant and test.tone is not None and test.baseline_tone is not None:
                evidence = {"tone": {"window_mean": test.tone, "window_count": test.count,
                                     "baseline_mean": test.baseline_tone, "baseline_count": test.baseline_count,
                                     "drop": test.drop, "margin": config.tone_margin,
                                     "min_count": config.tone_min_count, "baseline_days": config.baseline_days}}
                alerts.append(Alert("tone", side, language["key"], window, test.count, None, test.drop,
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
    tones = tone_alerts(search(es, settings, tone_body(window, config.baseline_days)), window, config)
    return list(found.values()) + tones, tested


def recent_alerts(es: Elasticsearch, settings: Settings, window: Window) -> list[Alert]:
    """Stored alerts whose window overlaps or follows this window's start."""
    body = {"size": 1000, "query": {"range": {"window_end": {"gt": window.start.isoformat()}}},
            "_source": {"excludes": ["evidence.stories"]}}
    hits = search(es, settings, body, "alerts")["hits"]["hits"]
    return [alert_from_document(hit["_source"]) for hit in hits]


def add_stories(es: Elasticsearch, settings: Settings, alert: Alert) -> Alert:
    alert.evidence["stories"] = parse_stories(search(es, settings, stories_body(alert)))
    alert.evidence["filter"] = key_filters(alert.kind, alert.key)
    return alert


def store_alert(es: Elasticsearch, settings: Settings, alert: Alert) -> bool:
    """Create the alert document; False if that exact alert already exists (never overwritten)."""
    try:
        es.create(index=settings.index("alerts"), id=alert.alert_id, document=alert.to_document(now_iso()),
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


def detect_task(settings: Settings) -> dict[str, Any]:
    """The alerts DAG's detection task: connect, ensure the alerts index is there, detect and store."""
    from ..index import setup_indices

    es = connect(settings)
    setup_indices(es, settings)
    return run_detection(es, settings).to_dict()
