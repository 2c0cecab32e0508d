"""What the DAG tasks call: small functions with plain inputs and outputs (ids and counts only).

Large payloads never travel through XCom: tasks hand each other feed ids and counts, and the
articles go through Elasticsearch. Nothing here imports Airflow: the DAGs build their settings and
translate errors with :mod:`mediawatch.airflow_adapter`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from . import clustering
from .feeds import load_feeds
from .index import setup_indices
from .ingest import (
    WRITTEN_INDICES,
    ingest_feeds,
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

# Airflow keeps a mapped task's label (``rendered_map_index``) in a 250-character column.
MAX_BATCH_LABEL = 250


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


def batch_feeds(feed_ids: list[str], per_task: int) -> list[list[str]]:
    """``feed_ids`` cut into ceil(n / per_task) batches of near-equal size, in registry order."""
    if not feed_ids:
        return []
    count = -(-len(feed_ids) // max(1, per_task))
    size, extra = divmod(len(feed_ids), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [feed_ids[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def prepare_batches(settings: Settings, force: bool = False, feed_ids: list[str] | None = None) -> list[list[str]]:
    """:func:`prepare_run`, the due feeds cut into batches of ``settings.feeds_per_task``: one mapped task each."""
    batches = batch_feeds(prepare_run(settings, force, feed_ids), settings.feeds_per_task)
    log.info("%d batches of up to %d feeds", len(batches), max(map(len, batches), default=0))
    return batches


def batch_label(feed_ids: list[str]) -> str:
    """The batch's feed ids as the mapped task's label in the Airflow grid, shortened to fit its column."""
    label = ", ".join(feed_ids)
    for shown in range(len(feed_ids) - 1, 0, -1):
        if len(label) <= MAX_BATCH_LABEL:
            break
        label = f"{', '.join(feed_ids[:shown])} … (+{len(feed_ids) - shown} more)"
    return label[:MAX_BATCH_LABEL]


def ingest_batch_task(settings: Settings, feed_ids: list[str], run_id: str) -> dict[str, Any]:
    """One mapped task: fetch a batch of feeds concurrently, process them one by one, index.

    Every feed's outcome is in the task log, the fetch log and the feed state, whatever the others
    did. A failed feed fails the task (no retry) once the whole batch is done, naming the feeds and
    their reasons; when Elasticsearch refused articles the task raises :class:`WritesRefused`
    instead, which Airflow retries: the feeds kept their validators, so the retry fetches them in full.
    """
    registry = {f.id: f for f in load_feeds(settings.feeds_path)}
    es = connect(settings)
    outcomes = ingest_feeds(settings, es, [registry[i] for i in feed_ids], load_states(es, settings, feed_ids),
                            run_id)
    refused = next((o for o in outcomes if o.refused), None)
    if refused:
        raise WritesRefused(f"feed {refused.feed_id} not stored: {refused.refused}")
    result = {"feeds": {o.feed_id: o.status for o in outcomes},
              "new": sum(o.new for o in outcomes), "updated": sum(o.updated for o in outcomes)}
    log.info("batch of %d feeds: %s", len(feed_ids), result)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        reasons = "; ".join(f"feed {o.feed_id} failed: {o.error}" for o in failed)
        raise FeedFailed(f"{reasons} (recorded in {settings.index('feeds')}; the batch's other"
                         f" {len(outcomes) - len(failed)} feeds are stored)")
    return result


def finish_run(settings: Settings, run_id: str, started_at: str, due: int, trigger: str) -> dict[str, Any]:
    """Reconcile the clusters of the articles the mapped tasks indexed (they ran concurrently, see
    :func:`~mediawatch.clustering.reconcile`), sum up what they recorded and store the run document."""
    es = connect(settings)
    clustering.reconcile(es, settings, started_at)
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
