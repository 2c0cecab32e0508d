"""What the DAG tasks call: small functions with plain inputs and outputs (ids and counts only).

Large payloads never travel through XCom: tasks hand each other feed ids and counts, and the
articles go through Elasticsearch. Nothing here imports Airflow: the DAGs build their settings and
translate errors with :mod:`mediawatch.airflow_adapter`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from .feeds import load_feeds
from .index import setup_indices
from .ingest import (
    WRITTEN_INDICES,
    FeedOutcome,
    ingest_one,
    load_states,
    outcomes_from_log,
    record_run,
    select_due,
    summarize,
)
from .settings import Settings
from .store import connect
from .writefaults import WritesRefused, check_writable

log = logging.getLogger(__name__)


class FeedFailed(RuntimeError):
    """A feed failed; its state and reason are recorded already, so retrying the task now is no use."""


def registry_feed_ids(settings: Settings) -> list[str]:
    """Enabled feed ids, for trigger-form choices (read at DAG parse time: one small YAML file)."""
    return [feed.id for feed in load_feeds(settings.feeds_path)]


def prepare_run(settings: Settings, force: bool = False, feed_ids: list[str] | None = None) -> list[str]:
    """Ensure indices exist and return the ids of the feeds due now (or the chosen ones).

    Raises :class:`WritesRefused` (the task fails and Airflow retries it) when an index the run
    writes has a write block, so no feed task starts against a cluster that refuses writes.
    """
    es = connect(settings)
    report = setup_indices(es, settings)
    log.info("index setup: %s; %s", report.analysis, "; ".join(report.actions) or "nothing to change")
    check_writable(es, [settings.index(name) for name in WRITTEN_INDICES])
    feeds = load_feeds(settings.feeds_path)
    if feed_ids:
        unknown = set(feed_ids) - {f.id for f in feeds}
        if unknown:
            raise ValueError(f"unknown or disabled feed ids: {', '.join(sorted(unknown))}")
        feeds = [f for f in feeds if f.id in feed_ids]
    due = select_due(feeds, load_states(es, settings, [f.id for f in feeds]), datetime.now(UTC), force=force)
    log.info("%d feeds in the registry, %d due now", len(feeds), len(due))
    return [f.id for f in due]


def ingest_feed_task(settings: Settings, feed_id: str, run_id: str) -> dict[str, Any]:
    """One mapped task: fetch, process and index one feed; a failed feed fails the task (no retry).

    When Elasticsearch refused the feed's articles the task raises :class:`WritesRefused` instead,
    which Airflow retries: the feed kept its validators, so the retry fetches it in full.
    """
    feeds = {f.id: f for f in load_feeds(settings.feeds_path)}
    outcome: FeedOutcome = ingest_one(feeds[feed_id], settings, connect(settings), run_id)
    if outcome.refused:
        raise WritesRefused(f"feed {feed_id} not stored: {outcome.refused}")
    if outcome.status == "failed":
        raise FeedFailed(f"feed {feed_id} failed: {outcome.error} (recorded in {settings.index('feeds')})")
    return {"feed_id": feed_id, "status": outcome.status, "new": outcome.new, "updated": outcome.updated}


def finish_run(settings: Settings, run_id: str, started_at: str, due: int, trigger: str) -> dict[str, Any]:
    """Sum up what the mapped tasks recorded and store the run document."""
    es = connect(settings)
    outcomes = outcomes_from_log(es, settings, run_id)
    missing = due - len(outcomes)
    summary = summarize(run_id, started_at, outcomes)
    if missing:
        log.warning("%d feeds recorded no outcome (task crashed before Elasticsearch was reached?)", missing)
    record_run(es, settings, summary, trigger)
    return summary.public()


def reenrich_task(settings: Settings, params: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The re-enrichment DAG's one task, with the trigger form's values."""
    from datetime import date

    from .enrich import load_enricher
    from .reenrich import reenrich

    start = date.fromisoformat(params["start_date"]) if params.get("start_date") else None
    end = date.fromisoformat(params["end_date"]) if params.get("end_date") else None
    if start and end and start > end:
        raise ValueError(f"start_date {start} is after end_date {end}")
    es = connect(settings)
    setup_indices(es, settings)  # a fresh deployment has no articles index yet: nothing to do, no error
    report = reenrich(es, settings, load_enricher(settings.seeds_dir), start=start, end=end,
                      languages=params.get("languages") or None, only_older=params.get("only_older", True),
                      dry_run=params.get("dry_run", False), run_id=run_id)
    return report.to_dict()


def deadletters_task(settings: Settings, params: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The dead-letter DAG's one task: replay with the trigger form's values (as the CLI's
    ``deadletters replay``)."""
    from .deadletters import replay

    es = connect(settings)
    setup_indices(es, settings)
    report = replay(es, settings, since=params.get("since") or None, reason=params.get("reason") or None,
                    dry_run=params.get("dry_run", False), run_id=run_id)
    return report.to_dict()


def retention_task(settings: Settings) -> dict[str, Any]:
    """The retention DAG's one task: roll the logs over and delete old backing indices (no-op under ILM)."""
    from .retention import apply_retention

    report = apply_retention(connect(settings), settings)
    log.info("retention: %s", report.to_dict())
    return report.to_dict()
