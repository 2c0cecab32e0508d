"""Index design: templates, versioned indices behind aliases, analysis detection, migration.

Every index the project writes is ``<prefix>-<name>-v<N>`` behind the alias ``<prefix>-<name>``.
A mapping change bumps ``N``; ``setup --migrate`` creates the new index, copies documents
with scan + bulk (the reindex module is not on every cluster), swaps the alias in one
atomic call, then copies what was written to the old index meanwhile. The alias always
points at a complete index.

The append-only logs (fetch log, dead letters, runs) are rollover-managed instead: backing
indices ``<prefix>-<name>-v<N>-000001``, ``-000002``... behind a write alias. Retention deletes
old backing indices only, never the write index (ILM's delete phase comes after its rollover;
without ILM, :mod:`mediawatch.retention` does the same by hand).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, helpers

from .settings import Settings

log = logging.getLogger(__name__)

KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
FLOAT = {"type": "float"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STORED_ONLY = {"type": "object", "enabled": False}
LANGUAGE_ANALYZERS = {"ar": "arabic", "ru": "russian", "en": "english"}


@dataclass(frozen=True)
class Analysis:
    """What the cluster can analyse; without analysis-common there are no language analyzers."""

    language_analyzers: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.missing:
            return "language analyzers available: " + ", ".join(sorted(self.language_analyzers.values()))
        return (f"cluster lacks the analyzers {', '.join(self.missing)} (analysis-common module not installed);"
                " text fields fall back to the standard analyzer and search uses MediaWatch's own"
                " Arabic light stemming / Russian lemmas in the field search_terms")


def detect_analysis(es: Elasticsearch) -> Analysis:
    """Ask the cluster which language analyzers exist (the test distribution has none)."""
    available, missing = {}, []
    for language, analyzer in LANGUAGE_ANALYZERS.items():
        try:
            es.indices.analyze(analyzer=analyzer, text="probe")
            available[language] = analyzer
        except ApiError:
            missing.append(analyzer)
    return Analysis(available, tuple(missing))


def _text_field(analysis: Analysis) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "text", "analyzer": "standard"}
    if analysis.language_analyzers:
        spec["fields"] = {lang: {"type": "text", "analyzer": name}
                          for lang, name in analysis.language_analyzers.items()}
    return spec


def articles_mapping(analysis: Analysis) -> dict[str, Any]:
    text = _text_field(analysis)
    return {
        "dynamic": False,
        "properties": {
            "id": KEYWORD, "url": KEYWORD, "original_url": {"type": "keyword", "index": False},
            "feed_id": KEYWORD, "source": KEYWORD, "domain": KEYWORD, "country": KEYWORD, "kind": KEYWORD,
            "language": KEYWORD, "title": text, "summary": text, "text": text,
            "search_terms": {"type": "text", "analyzer": "whitespace"},
            "published_at": DATE, "fetched_at": DATE, "indexed_at": DATE, "date_flag": KEYWORD,
            "authors": KEYWORD, "tags": KEYWORD, "content_hash": KEYWORD,
            "fingerprint": {"type": "keyword", "index": False, "doc_values": False},
            "fingerprint_bands": KEYWORD, "cluster_id": KEYWORD,
            "entity_ids": KEYWORD, "entity_names": KEYWORD,
            "persons": KEYWORD, "organizations": KEYWORD, "locations": KEYWORD,
            "location_points": {"type": "geo_point"},
            "entities": STORED_ONLY,
            "sentiment_label": KEYWORD, "sentiment_score": FLOAT, "sentiment_method": KEYWORD,
            "tone_russia": FLOAT, "tone_syria": FLOAT, "tone_label_russia": KEYWORD, "tone_label_syria": KEYWORD,
            "topics": KEYWORD, "relevance_score": FLOAT, "relevant": BOOL,
            "enrichment_version": KEYWORD, "enriched_at": DATE,
        },
    }


FEEDS_MAPPING = {
    "dynamic": False,
    "properties": {
        "feed_id": KEYWORD, "name": KEYWORD, "url": KEYWORD, "language": KEYWORD, "country": KEYWORD,
        "kind": KEYWORD, "enabled": BOOL, "status": KEYWORD, "http_status": INT,
        "etag": {"type": "keyword", "index": False}, "last_modified": {"type": "keyword", "index": False},
        "last_fetch_at": DATE, "last_success_at": DATE, "last_error": {"type": "keyword", "ignore_above": 2048},
        "last_error_at": DATE, "failing_since": DATE, "consecutive_failures": INT, "next_fetch_at": DATE,
        "retry_after_s": FLOAT, "entries_last_fetch": INT, "articles_last_fetch": INT,
        "bozo_reason": {"type": "keyword", "ignore_above": 2048}, "elapsed_ms": INT,
    },
}

FETCHLOG_MAPPING = {
    "dynamic": False,
    "properties": {
        "run_id": KEYWORD, "feed_id": KEYWORD, "name": KEYWORD, "language": KEYWORD, "kind": KEYWORD,
        "status": KEYWORD, "http_status": INT, "error": {"type": "keyword", "ignore_above": 2048},
        "bozo_reason": {"type": "keyword", "ignore_above": 2048}, "fetched_at": DATE, "elapsed_ms": INT,
        "entries": INT, "seen": INT, "new": INT, "updated": INT, "duplicate": INT, "rejected": INT,
    },
}

DEADLETTER_MAPPING = {
    "dynamic": False,
    "properties": {
        "stage": KEYWORD, "reason": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
        "error_type": KEYWORD, "source": KEYWORD, "doc_id": KEYWORD, "failed_at": DATE,
        "run_id": KEYWORD, "payload": STORED_ONLY,
        # set by `mediawatch deadletters replay`: replayed | superseded | failed
        "replay_status": KEYWORD, "replayed_at": DATE, "replay_run_id": KEYWORD,
        "replay_error": {"type": "keyword", "ignore_above": 2048},
    },
}

RUNS_MAPPING = {
    "dynamic": False,
    "properties": {
        "run_id": KEYWORD, "trigger": KEYWORD, "status": KEYWORD, "error": {"type": "keyword", "ignore_above": 2048},
        "started_at": DATE, "finished_at": DATE,
        "duration_s": FLOAT, "feeds_ok": INT, "feeds_not_modified": INT, "feeds_failed": INT,
        "feeds_skipped": INT, "articles_new": INT, "articles_updated": INT, "articles_duplicate": INT,
        "articles_rejected": INT, "articles_seen": INT,
    },
}

ALERTS_MAPPING = {
    "dynamic": False,
    "properties": {
        "alert_id": KEYWORD, "kind": KEYWORD, "key": KEYWORD, "language": KEYWORD, "title": KEYWORD,
        "window_start": DATE, "window_end": DATE, "created_at": DATE, "count": INT,
        "baseline_mean": FLOAT, "score": FLOAT, "tone": FLOAT, "baseline_tone": FLOAT,
        "articles": INT, "delivered": BOOL, "delivery_attempts": INT, "delivered_channels": KEYWORD,
        "delivered_at": DATE, "last_attempt_at": DATE, "delivery_error": {"type": "keyword", "ignore_above": 2048},
        "evidence": STORED_ONLY,
    },
}


# When a log's write index is rolled over (ILM's rollover action, or `mediawatch retention`):
# a month of fetch log is ~400 k lines at today's 47 feeds every 15 minutes, far below the size cap.
ROLLOVER_MAX_AGE_DAYS = 30
ROLLOVER_MAX_PRIMARY_SHARD_SIZE = "10gb"
# The rollover API names the next index by incrementing a trailing -NNNNNN.
FIRST_GENERATION = "000001"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    version: int
    mappings: dict[str, Any]
    # Append-only logs: rollover-managed backing indices, deleted ``retention_days`` after their
    # rollover, judged by ``time_field``. Articles have none on purpose: they are the archive, and
    # rollover would break in-place updates by id (an update after a rollover would land as a
    # second copy in the new write index). Alerts neither: they are updated on delivery and
    # de-duplicated by id.
    retention_days: int | None = None
    time_field: str | None = None

    @property
    def rolls_over(self) -> bool:
        return self.retention_days is not None


def index_specs(analysis: Analysis) -> list[IndexSpec]:
    """Every index the project owns. Bump a version when its mapping changes."""
    return [
        IndexSpec("articles", 2, articles_mapping(analysis)),  # v2: tone labels
        IndexSpec("feeds", 1, FEEDS_MAPPING),
        # v2 of the logs: rollover-managed; dead letters carry their replay, runs their error
        IndexSpec("fetchlog", 2, FETCHLOG_MAPPING, retention_days=90, time_field="fetched_at"),
        IndexSpec("deadletter", 2, DEADLETTER_MAPPING, retention_days=180, time_field="failed_at"),
        IndexSpec("runs", 2, RUNS_MAPPING, retention_days=365, time_field="started_at"),
        IndexSpec("alerts", 1, ALERTS_MAPPING),
    ]


def log_specs(analysis: Analysis | None = None) -> list[IndexSpec]:
    """The rollover-managed logs (their mappings do not depend on the analysis)."""
    return [spec for spec in index_specs(analysis or Analysis()) if spec.rolls_over]


def concrete_name(settings: Settings, spec: IndexSpec) -> str:
    """The index setup creates for the spec: ``-v<N>``, or ``-v<N>-000001`` for a log."""
    name = f"{settings.index(spec.name)}-v{spec.version}"
    return f"{name}-{FIRST_GENERATION}" if spec.rolls_over else name


def is_current_generation(settings: Settings, spec: IndexSpec, index: str) -> bool:
    """True for the spec's current index, or any backing index a rollover made from it."""
    if not spec.rolls_over:
        return index == concrete_name(settings, spec)
    return re.fullmatch(re.escape(f"{settings.index(spec.name)}-v{spec.version}-") + r"\d+", index) is not None


def policy_name(settings: Settings, spec: IndexSpec) -> str:
    return f"{settings.index(spec.name)}-retention"


def retention_policy(spec: IndexSpec) -> dict[str, Any]:
    """The ILM policy of a log: roll the write index over, delete backing indices after retention.

    ILM moves an index out of the hot phase only once its rollover action has completed, and
    counts the delete phase's ``min_age`` from that rollover, so the write index is never deleted.
    ``delete_searchable_snapshot`` is spelled out because Elasticsearch adds its default when it
    stores the policy.
    """
    return {
        "phases": {
            "hot": {"min_age": "0ms", "actions": {"rollover": {
                "max_age": f"{ROLLOVER_MAX_AGE_DAYS}d", "max_primary_shard_size": ROLLOVER_MAX_PRIMARY_SHARD_SIZE}}},
            "delete": {"min_age": f"{spec.retention_days}d",
                       "actions": {"delete": {"delete_searchable_snapshot": True}}},
        },
        "_meta": {"managed_by": "mediawatch"},
    }


def _normalized_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """A policy with the defaults Elasticsearch fills in when it stores one, for comparison."""
    phases = {}
    for name, phase in (policy.get("phases") or {}).items():
        actions = {key: dict(value or {}) for key, value in (phase.get("actions") or {}).items()}
        if "delete" in actions:
            actions["delete"].setdefault("delete_searchable_snapshot", True)
        phases[name] = {"min_age": phase.get("min_age", "0ms"), "actions": actions}
    return {"phases": phases, "_meta": policy.get("_meta") or {}}


def is_same_policy(stored: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    """True when the stored policy (as ``GET _ilm/policy`` returns it) already says what we want."""
    return stored is not None and _normalized_policy(stored) == _normalized_policy(wanted)


def template_body(settings: Settings, spec: IndexSpec, ilm: bool = False) -> dict[str, Any]:
    index_settings: dict[str, Any] = {"number_of_shards": settings.index_shards,
                                      "number_of_replicas": settings.index_replicas}
    managed = bool(ilm and spec.rolls_over)
    if managed:
        index_settings["index.lifecycle.name"] = policy_name(settings, spec)
        index_settings["index.lifecycle.rollover_alias"] = settings.index(spec.name)
    return {
        "index_patterns": [f"{settings.index(spec.name)}-v*"],
        "priority": 200,
        "template": {"settings": index_settings, "mappings": spec.mappings},
        "_meta": {"managed_by": "mediawatch", "version": spec.version, "ilm": managed,
                  "rollover": spec.rolls_over},
    }


def has_ilm(es: Elasticsearch) -> bool:
    """ILM is an x-pack module the test distribution lacks."""
    try:
        es.ilm.get_status()
    except ApiError:
        return False
    return True


def ensure_retention(es: Elasticsearch, settings: Settings, spec: IndexSpec, report: SetupReport) -> None:
    """The log's rollover-and-delete policy, written only when it differs in substance."""
    name = policy_name(settings, spec)
    wanted = retention_policy(spec)
    try:
        stored = es.ilm.get_lifecycle(name=name)[name]["policy"]
    except ApiError:
        stored = None
    if not is_same_policy(stored, wanted):
        es.ilm.put_lifecycle(name=name, policy=wanted)
        report.add(f"ILM policy {name}: roll over after {ROLLOVER_MAX_AGE_DAYS} days or"
                   f" {ROLLOVER_MAX_PRIMARY_SHARD_SIZE}, delete {spec.retention_days} days after rollover")


def detach_policy(es: Elasticsearch, indices: list[str], report: SetupReport) -> None:
    """Take the lifecycle policy off live indices made before rollover (``-v1``): with the new
    policy their delete phase would come without a rollover, and delete the live index."""
    for index in indices:
        managed = es.indices.get_settings(index=index, name="index.lifecycle.name", flat_settings=True)
        if managed.get(index, {}).get("settings", {}).get("index.lifecycle.name"):
            es.ilm.remove_policy(index=index)
            report.add(f"ILM policy removed from live index {index} (it would have deleted it)")


def alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    if not es.indices.exists_alias(name=alias):
        return []
    return sorted(es.indices.get_alias(name=alias).keys())


@dataclass
class SetupReport:
    analysis: str
    actions: list[str] = field(default_factory=list)
    retention: str = ""

    def add(self, action: str) -> None:
        log.info(action)
        self.actions.append(action)


def _put_template_if_changed(es: Elasticsearch, name: str, body: dict[str, Any], report: SetupReport) -> None:
    try:
        current = es.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
    except ApiError:
        current = None
    if current and current.get("_meta") == body["_meta"] and current.get("template", {}).get("mappings") == \
            body["template"]["mappings"] and current.get("index_patterns") == body["index_patterns"]:
        return
    es.indices.put_index_template(name=name, **body)
    report.add(f"index template {name} {'updated' if current else 'created'}")


def is_plain_index(es: Elasticsearch, name: str) -> bool:
    """True when ``name`` is a concrete index, e.g. one a write auto-created after its alias was lost."""
    return not es.indices.exists_alias(name=name) and bool(es.indices.exists(index=name))


def ensure_index(es: Elasticsearch, settings: Settings, spec: IndexSpec, report: SetupReport,
                 migrate: bool = False, ilm: bool = False) -> None:
    """Create the template, the versioned index and the alias; migrate older versions if asked."""
    alias = settings.index(spec.name)
    target = concrete_name(settings, spec)
    if ilm and spec.rolls_over:
        ensure_retention(es, settings, spec, report)
    _put_template_if_changed(es, f"{alias}-template", template_body(settings, spec, ilm), report)
    if is_plain_index(es, alias):
        _create_if_missing(es, target, report)
        if migrate:
            replace_plain_index(es, alias, target, report)
        else:
            report.add(f"{alias} is a plain index, not an alias (a write re-created it after its alias was"
                       f" deleted); run `mediawatch setup --migrate` to move its documents to {target} and"
                       " put the alias back")
        return
    current = alias_targets(es, alias)
    older = [name for name in current if not is_current_generation(settings, spec, name)]
    if current and not older:
        return  # a log's first index may be gone by retention: never re-create it
    _create_if_missing(es, target, report)
    if older and not migrate:
        if ilm and spec.rolls_over:
            detach_policy(es, older, report)
        report.add(f"alias {alias} still points at {', '.join(older)}; run `mediawatch setup --migrate` to move"
                   f" its documents to {target}")
        return
    if older:
        migrate_documents(es, older, target, alias, report, spec.time_field or "indexed_at")
    else:
        es.indices.put_alias(index=target, name=alias, is_write_index=True)
        report.add(f"alias {alias} -> {target}")


def _create_if_missing(es: Elasticsearch, index: str, report: SetupReport) -> None:
    if not es.indices.exists(index=index):
        es.indices.create(index=index)
        report.add(f"index {index} created")


def replace_plain_index(es: Elasticsearch, plain: str, target: str, report: SetupReport) -> None:
    """Copy a plain index that took the alias's name into ``target``, then swap it for the alias.

    Writes are blocked on it first (a writer meanwhile gets a cluster block, which fails its run
    without losing anything), and the index is removed and the alias added in one atomic call.
    """
    es.indices.put_settings(index=plain, settings={"index.blocks.write": True})
    copied = _copy(es, [plain], target)
    es.indices.update_aliases(actions=[{"remove_index": {"index": plain}},
                                       {"add": {"index": target, "alias": plain, "is_write_index": True}}])
    report.add(f"replaced the plain index {plain} by the alias {plain} -> {target}; {copied} documents copied")


def _copy(es: Elasticsearch, source: list[str], target: str, since: str | None = None,
          time_field: str = "indexed_at") -> int:
    query: dict[str, Any] = {"match_all": {}}
    if since:
        query = {"range": {time_field: {"gte": since}}}
    actions = ({"_index": target, "_id": hit["_id"], "_source": hit["_source"]}
               for hit in helpers.scan(es, index=source, query={"query": query}, size=1000))
    copied, errors = helpers.bulk(es, actions, chunk_size=1000, raise_on_error=False)
    assert isinstance(errors, list)  # stats_only=False: the failed items themselves
    if errors:
        raise RuntimeError(f"migration to {target} failed for {len(errors)} documents, e.g. {errors[0]}")
    return copied


def migrate_documents(es: Elasticsearch, older: list[str], target: str, alias: str, report: SetupReport,
                      time_field: str = "indexed_at") -> None:
    """Copy, swap the alias atomically, then copy what arrived during the first copy (by ``time_field``)."""
    started = datetime.now(UTC).isoformat()
    copied = _copy(es, older, target)
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in older]
    actions.append({"add": {"index": target, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    es.indices.refresh(index=older)
    late = _copy(es, older, target, since=started, time_field=time_field)
    report.add(f"migrated {copied} documents (+{late} written during the copy) from {', '.join(older)} to"
               f" {target}; alias {alias} swapped atomically; old index kept for rollback")


def setup_indices(es: Elasticsearch, settings: Settings, migrate: bool = False) -> SetupReport:
    """Idempotent: running it twice in a row changes nothing the second time."""
    analysis = detect_analysis(es)
    ilm = has_ilm(es)
    report = SetupReport(analysis=analysis.describe())
    logs = ", ".join(f"{spec.name} ({spec.retention_days} d)" for spec in log_specs(analysis))
    report.retention = (f"ILM rolls over and deletes old backing indices of {logs}; articles and alerts kept"
                        if ilm else f"ILM not available on this cluster: `mediawatch retention` (the"
                        f" mediawatch_retention DAG) rolls over and deletes old backing indices of {logs}")
    log.info("%s; %s", report.analysis, report.retention)
    for spec in index_specs(analysis):
        ensure_index(es, settings, spec, report, migrate=migrate, ilm=ilm)
    return report


def delete_prefix(es: Elasticsearch, settings: Settings) -> list[str]:
    """Delete every index and index template of the prefix (tests, benchmarks, a discarded deployment).

    ``action.destructive_requires_name`` forbids wildcard deletes, so the names are resolved first.
    """
    indices = sorted(es.indices.get(index=f"{settings.index_prefix}-*", expand_wildcards="all"))
    if indices:
        es.indices.delete(index=indices)
    templates = es.options(ignore_status=404).indices.get_index_template(name=f"{settings.index_prefix}-*")
    for template in templates.get("index_templates", []):
        es.indices.delete_index_template(name=template["name"])
    return indices
