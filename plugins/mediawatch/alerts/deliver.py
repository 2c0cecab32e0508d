"""Delivery of stored alerts: a Slack-compatible webhook and e-mail through an injected sender.

Delivery runs over every stored alert with ``delivered: false``; a failure is logged, counted in
``delivery_attempts`` and retried by the next run, and the alert stays stored whatever happens.
The e-mail sender is a plain callable (Airflow's SMTP in DAGs, see :mod:`mediawatch.airflow_adapter`).
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from elasticsearch import Elasticsearch

from ..esqueries import search
from ..search import since_expression
from ..settings import Settings
from ..store import connect, now_iso
from .model import WEBHOOK_BACKOFF_S, WEBHOOK_TRIES, AlertConfig, alert_config

log = logging.getLogger(__name__)

# Undelivered alerts are retried for this long; after that they stay stored, visible in the CLI/Kibana.
RETRY_HOURS = 48
WEBHOOK_TIMEOUT_S = 10.0

EmailSender = Callable[[list[str], str, str], None]
"""``sender(to, subject, html_body)``; raises on failure."""


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
    if channel == "webhook" and channels.http is not None:
        return post_webhook(channels.http, channels.webhook_url, slack_message(doc), channels.tries,
                            channels.backoff_s)
    if channel != "email" or channels.email_sender is None:
        return f"no {channel} channel configured"
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
    update = delivery_update(doc, channels, errors, now_iso())
    es.update(index=settings.index("alerts"), id=doc["alert_id"], doc=update, refresh="wait_for")
    return update["delivered"]


def pending_alerts(es: Elasticsearch, settings: Settings, now: datetime | None = None) -> list[dict[str, Any]]:
    """Undelivered alerts created within ``RETRY_HOURS``, oldest first."""
    since = (now or datetime.now(UTC)) - timedelta(hours=RETRY_HOURS)
    body = {"size": 200, "sort": [{"created_at": "asc"}],
            "query": {"bool": {"filter": [{"term": {"delivered": False}},
                                          {"range": {"created_at": {"gte": since.isoformat()}}}]}}}
    return [hit["_source"] for hit in search(es, settings, body, "alerts")["hits"]["hits"]]


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


def deliver_task(settings: Settings, email_sender: EmailSender | None = None) -> dict[str, Any]:
    """The alerts DAG's delivery task."""
    return deliver_pending(connect(settings), settings, email_sender=email_sender).to_dict()


# --- Listing -------------------------------------------------------------------------------------

def list_alerts(es: Elasticsearch, settings: Settings, since: str = "1d", size: int = 50) -> list[dict[str, Any]]:
    """Alerts created within ``since`` (12h, 1d, 2w...), newest first."""
    body = {"size": size, "sort": [{"created_at": "desc"}],
            "query": {"range": {"created_at": {"gte": since_expression(since)}}}}
    return [hit["_source"] for hit in search(es, settings, body, "alerts")["hits"]["hits"]]


def format_alert_line(doc: dict[str, Any]) -> str:
    status = "delivered" if doc.get("delivered") else f"pending ({doc.get('delivery_attempts', 0)} attempts)"
    return f"{doc['created_at'][:16]}  {doc['kind']:7} {doc['language']:3} {doc['title']}  [{status}]"
