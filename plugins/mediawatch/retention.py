"""Retention of the append-only logs where the cluster has no ILM: roll over, then delete old backing indices.

The logs (fetch log, dead letters, runs) are written through a write alias over backing indices
``<prefix>-<name>-v<N>-000001``, ``-000002``... (see :mod:`mediawatch.index`). Where ILM exists,
its policy does the work and this module stands aside. Elsewhere (the test distribution has no ILM
and no delete-by-query, which lives in the reindex module) it does what ILM would:

* the write index is rolled over once its oldest document is older than the rollover age, and
* a backing index that is no longer written is deleted once its newest document is older than the
  log's retention.

The write index is never deleted: it is never a candidate, and the decision is a pure function
(:func:`plan`) tested on its own.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from .index import ROLLOVER_MAX_AGE_DAYS, IndexSpec, has_ilm, is_current_generation, log_specs
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backing:
    """One backing index of a log, with the time span of its documents (None when empty)."""

    name: str
    is_write: bool
    oldest: datetime | None
    newest: datetime | None
    created: datetime


@dataclass
class Plan:
    rollover: bool = False
    delete: list[str] = field(default_factory=list)


@dataclass
class RetentionReport:
    managed_by: str = "mediawatch"  # or "ilm": the cluster's policies do it
    rolled_over: dict[str, str] = field(default_factory=dict)  # alias -> new write index
    deleted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # alias -> why nothing was done
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan(backing: list[Backing], retention_days: int, now: datetime,
         rollover_days: int = ROLLOVER_MAX_AGE_DAYS) -> Plan:
    """What to do with one log: roll its write index over? which read-only indices to delete?"""
    result = Plan()
    for index in backing:
        if index.is_write:
            result.rollover = index.oldest is not None and index.oldest < now - timedelta(days=rollover_days)
            continue
        last_written = index.newest or index.created
        if last_written < now - timedelta(days=retention_days):
            result.delete.append(index.name)
    return result


def _epoch_ms(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value) / 1000, UTC)


def backing_indices(es: Elasticsearch, alias: str, time_field: str) -> list[Backing]:
    """The indices behind a log's alias, which one is written, and the span of their documents."""
    aliases = es.indices.get_alias(name=alias)
    created = es.indices.get_settings(index=list(aliases), name="index.creation_date", flat_settings=True)
    stats = es.search(index=alias, size=0, aggs={"per_index": {
        "terms": {"field": "_index", "size": 1000},
        "aggs": {"oldest": {"min": {"field": time_field}}, "newest": {"max": {"field": time_field}}}}})
    spans = {bucket["key"]: (bucket["oldest"]["value"], bucket["newest"]["value"])
             for bucket in stats["aggregations"]["per_index"]["buckets"]}
    only_one = len(aliases) == 1
    result = []
    for name, body in sorted(aliases.items()):
        flag = body["aliases"][alias].get("is_write_index")
        oldest, newest = spans.get(name, (None, None))
        result.append(Backing(name=name, is_write=bool(flag) or (flag is None and only_one),
                              oldest=_epoch_ms(oldest), newest=_epoch_ms(newest),
                              created=datetime.fromtimestamp(
                                  float(created[name]["settings"]["index.creation_date"]) / 1000, UTC)))
    return result


def _retain_log(es: Elasticsearch, settings: Settings, spec: IndexSpec, now: datetime, dry_run: bool,
                report: RetentionReport) -> None:
    alias = settings.index(spec.name)
    if not es.indices.exists_alias(name=alias):
        report.skipped[alias] = "no such alias (run `mediawatch setup`)"
        return
    assert spec.time_field and spec.retention_days  # only logs with retention come here
    backing = backing_indices(es, alias, spec.time_field)
    writers = [index for index in backing if index.is_write]
    if len(writers) != 1 or not is_current_generation(settings, spec, writers[0].name):
        report.skipped[alias] = "not a rollover alias of the current version (run `mediawatch setup --migrate`)"
        return
    todo = plan(backing, spec.retention_days, now)
    if todo.rollover and not dry_run:
        response = es.indices.rollover(alias=alias)
        report.rolled_over[alias] = response["new_index"]
        log.info("retention: %s rolled over from %s to %s", alias, response["old_index"], response["new_index"])
    elif todo.rollover:
        report.rolled_over[alias] = "(dry run)"
    if todo.delete and not dry_run:
        es.indices.delete(index=todo.delete)
        log.info("retention: deleted %s (older than %d days)", ", ".join(todo.delete), spec.retention_days)
    report.deleted += todo.delete


def apply_retention(es: Elasticsearch, settings: Settings, now: datetime | None = None,
                    dry_run: bool = False) -> RetentionReport:
    """One retention pass over every log; with ILM on the cluster, nothing to do here."""
    if has_ilm(es):
        return RetentionReport(managed_by="ilm", dry_run=dry_run)
    report = RetentionReport(dry_run=dry_run)
    for spec in log_specs():
        _retain_log(es, settings, spec, now or datetime.now(UTC), dry_run, report)
    return report
