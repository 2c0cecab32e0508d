"""Alert windows, the alert record and its id, and which alerts are news (pure).

Alert ids are deterministic (kind + key + language + window), so a re-run finds the alert it
stored; a key alerted in an overlapping window is ongoing, and an entity or volume spike that a
more specific alert explains is not alerted separately.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..constants import LANGUAGE_NAMES
from ..settings import Settings
from .stats import TONE_MIN_COUNT

BASELINE_DAYS = 14  # issue 6
# An entity (or volume) alert is dropped when a more specific alert explains this share of its excess.
EXPLAINED_SHARE = 0.5
WEBHOOK_TRIES = 3
WEBHOOK_BACKOFF_S = 2.0
PAIR_SEPARATOR = " + "


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds and channels of one run; :func:`alert_config` fills it from the settings."""

    window_h: int
    min_count: int
    p_value: float
    tone_margin: float
    webhook_url: str = ""
    email_to: tuple[str, ...] = ()
    tone_min_count: int = TONE_MIN_COUNT
    baseline_days: int = BASELINE_DAYS
    webhook_tries: int = WEBHOOK_TRIES
    webhook_backoff_s: float = WEBHOOK_BACKOFF_S


def alert_config(settings: Settings, **overrides: Any) -> AlertConfig:
    """The alert thresholds and channels from the MEDIAWATCH_ALERT_* settings (``overrides`` win)."""
    config = AlertConfig(
        window_h=settings.alert_window_h, min_count=settings.alert_min_count, p_value=settings.alert_p_value,
        tone_margin=settings.alert_tone_margin, webhook_url=settings.alert_webhook_url,
        email_to=tuple(a.strip() for a in settings.alert_email_to.split(",") if a.strip()),
    )
    return replace(config, **overrides)


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

    @property
    def excess(self) -> float:
        """Stories above the usual (0 for tone alerts, which have no story baseline)."""
        return self.count - (self.baseline_mean or 0.0)

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


def pair_members(key: str) -> set[str]:
    return set(key.split(PAIR_SEPARATOR))


def is_explained(alert: Alert, others: Iterable[Alert], share: float = EXPLAINED_SHARE) -> bool:
    """An entity or volume spike that a more specific alert in the same language mostly explains.

    A burst of "Syria + Putin" stories also raises Putin, Syria and the language's volume; the
    pair alert says it best. The entity (or volume) alert is dropped when the more specific
    alert's excess over its baseline is at least ``share`` of its own excess.
    """
    if alert.kind not in {"entity", "volume"}:
        return False

    def explains(other: Alert) -> bool:
        if other.language != alert.language or other is alert or other.window.end <= alert.window.start:
            return False
        if alert.kind == "entity" and not (other.kind == "pair" and alert.key in pair_members(other.key)):
            return False
        if alert.kind == "volume" and other.kind in {"volume", "tone"}:
            return False
        return other.excess >= share * alert.excess

    return any(explains(other) for other in others)


def select_new_alerts(candidates: list[Alert], recent: list[Alert]) -> tuple[list[Alert], int, int]:
    """Drop ongoing spikes and explained ones; returns (new alerts, ongoing, explained)."""
    context = candidates + recent
    fresh = [a for a in candidates if not is_ongoing(a, recent)]
    kept = [a for a in fresh if not is_explained(a, context)]
    return kept, len(candidates) - len(fresh), len(fresh) - len(kept)
