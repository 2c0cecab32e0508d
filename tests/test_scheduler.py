"""The scheduler runs ``mediawatch_ingest`` on its own, on the schedule from the environment.

The session's Airflow runs with ``MEDIAWATCH_INGEST_SCHEDULE="* * * * *"`` and a registry of local
feed files. Nobody triggers anything here: the test unpauses the DAG and waits for articles to appear
in Elasticsearch, then checks that the run that wrote them is a ``scheduled`` one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.airflow_stack import AirflowStack

pytestmark = [pytest.mark.airflow, pytest.mark.es]
INGEST = "mediawatch_ingest"
WAIT_S = 240  # a scheduled run starts within a minute of unpausing, and takes well under one more


def test_scheduler_runs_ingest_on_its_schedule(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    es = stack.es()
    articles = stack.settings.index("articles")
    from_feeds = {"terms": {"feed_id": list(stack.feed_ids)}}
    dag = stack.get_json(f"/api/v2/dags/{INGEST}")
    assert dag["is_paused"], "new DAGs start paused: nothing may have run before this test"
    assert dag["timetable_summary"] == stack.ingest_schedule, dag["timetable_summary"]
    assert stack.runs(INGEST) == []
    assert es.count(index=articles, query=from_feeds)["count"] == 0

    stack.set_paused(INGEST, False)
    started = time.monotonic()
    try:
        count = 0
        while time.monotonic() - started < WAIT_S:
            es.indices.refresh(index=articles)
            count = es.count(index=articles, query=from_feeds)["count"]
            if count:
                break
            time.sleep(2)
        assert count, f"no articles from the local feeds after {WAIT_S}s; runs: {stack.runs(INGEST)}"
        appeared_s = time.monotonic() - started
        runs = stack.runs(INGEST)
        assert runs, "articles appeared without a run of mediawatch_ingest"
        first = runs[-1]  # oldest: the one that wrote the articles
        finished = stack.wait_for_run(INGEST, first["dag_run_id"], timeout_s=max(30.0, WAIT_S - appeared_s))
    finally:
        stack.set_paused(INGEST, True)  # no more runs for the rest of the session
    print(f"\n[scheduler] articles after {appeared_s:.0f}s, run finished after {time.monotonic() - started:.0f}s")

    assert {run["run_type"] for run in stack.runs(INGEST)} == {"scheduled"}, stack.runs(INGEST)
    assert finished["run_type"] == "scheduled" and finished["triggered_by"] != "rest_api"
    assert finished["conf"] in ({}, None), finished["conf"]
    instances = stack.task_instances(INGEST, finished["dag_run_id"])
    tasks = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in instances}
    assert set(tasks.values()) == {"success"}, tasks
    assert {task_id for task_id, _ in tasks} == {"due_feeds", "ingest_feeds", "summarize"}
    batches = [ti["rendered_map_index"] for ti in instances if ti["task_id"] == "ingest_feeds"]
    assert sorted(", ".join(batches).split(", ")) == sorted(stack.feed_ids), "each batch is labelled with its feeds"

    es.indices.refresh(index=articles)
    hits = es.search(index=articles, query=from_feeds, size=100)["hits"]["hits"]
    assert {hit["_source"]["feed_id"] for hit in hits} == set(stack.feed_ids)
    assert {hit["_source"]["language"] for hit in hits} == {"ar", "en", "ru"}
    assert {hit["_source"]["enrichment_version"] for hit in hits} == {stack.current_enrichment_version()}
    # The run's summary document records how it was triggered.
    summary = es.search(index=stack.settings.index("runs"), query={"term": {"run_id": finished["dag_run_id"]}})
    assert [hit["_source"]["trigger"] for hit in summary["hits"]["hits"]] == ["scheduled"]
