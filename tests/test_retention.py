"""Retention that never deletes a live index: the policy bodies as data, rollover and deletion on the real node.

The test distribution has no ILM, so the ILM policies are checked as data (what ILM would do with
them), and the retention this project runs itself where ILM is missing (rollover + delete of old
backing indices) is run against the real node.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from mediawatch.index import (
    ROLLOVER_MAX_AGE_DAYS,
    Analysis,
    alias_targets,
    concrete_name,
    has_ilm,
    index_specs,
    is_same_policy,
    log_specs,
    policy_name,
    retention_policy,
    setup_indices,
    template_body,
)
from mediawatch.retention import Backing, apply_retention, plan
from mediawatch.settings import Settings
from mediawatch.store import make_client

from .test_cli import mediawatch

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LOGS = {"fetchlog": 90, "deadletter": 180, "runs": 365}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# ---------------------------------------------------------------- the ILM policies, as data

def test_every_log_and_only_the_logs_have_a_retention_policy() -> None:
    assert {spec.name: spec.retention_days for spec in log_specs()} == LOGS
    kept = {spec.name for spec in index_specs(Analysis()) if not spec.rolls_over}
    assert kept == {"articles", "feeds", "alerts"}, "updated in place by id: never rolled over or deleted"


@pytest.mark.parametrize("spec", log_specs(), ids=lambda spec: spec.name)
def test_a_policy_deletes_only_after_a_rollover(spec) -> None:
    """ILM leaves the hot phase only once its rollover action completed, and counts the delete
    phase's min_age from that rollover: with rollover in hot, the write index is never deleted."""
    phases = retention_policy(spec)["phases"]
    assert list(phases) == ["hot", "delete"]
    assert phases["hot"]["actions"]["rollover"] == {"max_age": f"{ROLLOVER_MAX_AGE_DAYS}d",
                                                    "max_primary_shard_size": "10gb"}
    assert phases["delete"]["min_age"] == f"{spec.retention_days}d"
    assert set(phases["delete"]["actions"]) == {"delete"}


@pytest.mark.parametrize("spec", log_specs(), ids=lambda spec: spec.name)
def test_with_ilm_a_log_template_names_its_policy_and_rollover_alias(spec) -> None:
    settings = Settings(index_prefix="mw")
    body = template_body(settings, spec, ilm=True)
    index_settings = body["template"]["settings"]
    assert index_settings["index.lifecycle.name"] == policy_name(settings, spec) == f"mw-{spec.name}-retention"
    assert index_settings["index.lifecycle.rollover_alias"] == f"mw-{spec.name}"
    assert body["index_patterns"] == [f"mw-{spec.name}-v*"]
    assert concrete_name(settings, spec) == f"mw-{spec.name}-v{spec.version}-000001", "rollover needs -NNNNNN"
    assert "index.lifecycle.name" not in template_body(settings, spec, ilm=False)["template"]["settings"]


def test_indices_kept_for_good_get_no_policy() -> None:
    settings = Settings(index_prefix="mw")
    for spec in index_specs(Analysis()):
        if not spec.rolls_over:
            assert "index.lifecycle.name" not in template_body(settings, spec, ilm=True)["template"]["settings"]
            assert concrete_name(settings, spec) == f"mw-{spec.name}-v{spec.version}"


def test_policies_are_compared_by_meaning_so_a_second_setup_writes_nothing() -> None:
    spec = next(s for s in log_specs() if s.name == "fetchlog")
    wanted = retention_policy(spec)
    # What GET _ilm/policy/<name> returns: Elasticsearch fills delete_searchable_snapshot in.
    stored = {"phases": {"hot": {"min_age": "0ms", "actions": {"rollover": {"max_age": "30d",
                                                                             "max_primary_shard_size": "10gb"}}},
                         "delete": {"min_age": "90d", "actions": {"delete": {"delete_searchable_snapshot": True}}}},
              "_meta": {"managed_by": "mediawatch"}}
    assert is_same_policy(stored, wanted)
    without_default = json.loads(json.dumps(stored))
    del without_default["phases"]["delete"]["actions"]["delete"]["delete_searchable_snapshot"]
    assert is_same_policy(without_default, wanted)
    # The policy earlier versions installed: a delete phase with no rollover before it.
    old = {"phases": {"hot": {"min_age": "0ms", "actions": {}},
                      "delete": {"min_age": "90d", "actions": {"delete": {"delete_searchable_snapshot": True}}}}}
    assert not is_same_policy(old, wanted), "replaced by setup"
    assert not is_same_policy(None, wanted)


# ---------------------------------------------------------------- retention without ILM, as a plan

def test_plan_never_deletes_the_write_index() -> None:
    ancient_writer = Backing("log-v2-000003", True, days_ago(900), days_ago(800), days_ago(900))
    assert plan([ancient_writer], retention_days=90, now=NOW).delete == []


def test_plan_deletes_read_only_indices_whose_newest_document_is_past_retention() -> None:
    backing = [Backing("log-v2-000001", False, days_ago(200), days_ago(120), days_ago(200)),
               Backing("log-v2-000002", False, days_ago(120), days_ago(60), days_ago(120)),
               Backing("log-v2-000003", False, None, None, days_ago(100)),
               Backing("log-v2-000004", False, None, None, days_ago(10)),
               Backing("log-v2-000005", True, days_ago(40), days_ago(0), days_ago(40))]
    result = plan(backing, retention_days=90, now=NOW)
    assert result.delete == ["log-v2-000001", "log-v2-000003"], "by newest document, empty ones by creation"
    assert result.rollover, "the write index holds documents older than the rollover age"
    assert not plan(backing[-1:], 90, NOW, rollover_days=41).rollover
    assert not plan([Backing("log-v2-000001", True, None, None, days_ago(400))], 90, NOW).rollover, "empty"


# ---------------------------------------------------------------- against the real node

def fetchlog_line(run_id: str, when: datetime) -> dict:
    return {"run_id": run_id, "feed_id": "f", "status": "ok", "fetched_at": when.isoformat()}


@pytest.mark.es
def test_setup_puts_each_log_behind_a_write_alias_and_a_second_run_changes_nothing(settings) -> None:
    es = make_client(settings)
    first = setup_indices(es, settings)
    assert not has_ilm(es) and "ILM not available" in first.retention and "mediawatch retention" in first.retention
    for spec in log_specs():
        alias = settings.index(spec.name)
        assert alias_targets(es, alias) == [f"{alias}-v{spec.version}-000001"]
        aliases = es.indices.get_alias(name=alias)
        assert aliases[f"{alias}-v{spec.version}-000001"]["aliases"][alias]["is_write_index"] is True
    assert setup_indices(es, settings).actions == []


@pytest.mark.es
def test_retention_rolls_over_and_deletes_old_backing_indices_never_the_live_one(settings, es) -> None:
    alias = settings.index("fetchlog")
    first = f"{alias}-v2-000001"
    for n in range(5):
        es.index(index=alias, id=f"old-{n}", document=fetchlog_line(f"old-{n}", days_ago(200 + n)))
    es.indices.refresh(index=alias)

    report = apply_retention(es, settings, now=NOW)
    assert report.managed_by == "mediawatch"
    assert report.rolled_over == {alias: f"{alias}-v2-000002"}
    assert report.deleted == [], "the index that was the write index at planning time waits a pass"
    es.index(index=alias, id="new", document=fetchlog_line("new", NOW), refresh="wait_for")
    (hit,) = es.search(index=alias, query={"ids": {"values": ["new"]}})["hits"]["hits"]
    assert hit["_index"] == f"{alias}-v2-000002", "writes go to the new write index"

    second = apply_retention(es, settings, now=NOW)
    assert second.deleted == [first] and second.rolled_over == {}
    assert alias_targets(es, alias) == [f"{alias}-v2-000002"]
    assert es.count(index=alias)["count"] == 1, "the live index and its document are untouched"
    for spec in log_specs():
        if spec.name != "fetchlog":
            assert alias_targets(es, settings.index(spec.name)) == [concrete_name(settings, spec)]

    assert setup_indices(es, settings).actions == [], "setup does not re-create the deleted first index"
    assert not es.indices.exists(index=first)
    assert apply_retention(es, settings, now=NOW).deleted == []

    env = {"MEDIAWATCH_ES_URL": settings.es_url, "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix}
    done = mediawatch("retention", "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"managed_by": "mediawatch", "rolled_over": {}, "deleted": [],
                                       "skipped": {}, "dry_run": True}


@pytest.mark.es
def test_a_plain_index_that_took_the_alias_name_is_reported_then_replaced(settings, es) -> None:
    """What happened when a delete-only ILM policy deleted a whole log index: the next write
    auto-created a plain index under the alias's name, and setup failed from then on."""
    alias = settings.index("runs")
    spec = next(s for s in log_specs() if s.name == "runs")
    es.indices.delete(index=concrete_name(settings, spec))
    es.index(index=alias, id="r1", document={"run_id": "r1", "status": "finished",
                                             "started_at": NOW.isoformat()}, refresh="wait_for")
    assert not es.indices.exists_alias(name=alias)

    plain = setup_indices(es, settings)
    assert any(f"{alias} is a plain index" in action and "--migrate" in action for action in plain.actions)
    migrated = setup_indices(es, settings, migrate=True)
    assert any("replaced the plain index" in action and "1 documents copied" in action
               for action in migrated.actions)
    assert alias_targets(es, alias) == [concrete_name(settings, spec)]
    assert es.get(index=alias, id="r1")["_source"]["status"] == "finished"
    assert setup_indices(es, settings).actions == []


@pytest.mark.es
def test_a_log_index_from_before_rollover_moves_with_migrate(settings) -> None:
    es = make_client(settings)
    alias = settings.index("deadletter")
    legacy = f"{alias}-v1"
    es.indices.create(index=legacy, aliases={alias: {"is_write_index": True}})
    es.index(index=alias, id="l1", refresh="wait_for",
             document={"stage": "index", "reason": "r", "failed_at": NOW.isoformat()})
    plain = setup_indices(es, settings)
    assert any(f"still points at {legacy}" in action for action in plain.actions)
    assert alias_targets(es, alias) == [legacy], "setup alone never moves data"
    assert apply_retention(es, settings, now=NOW).skipped == {
        alias: "not a rollover alias of the current version (run `mediawatch setup --migrate`)"}
    setup_indices(es, settings, migrate=True)
    assert alias_targets(es, alias) == [f"{alias}-v2-000001"]
    assert es.get(index=alias, id="l1")["_index"] == f"{alias}-v2-000001"
    assert apply_retention(es, settings, now=NOW).skipped == {}
