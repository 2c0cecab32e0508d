"""
### MediaWatch backfill

Re-fetches chosen feeds now, ignoring their poll interval and failure backoff — for example
after fixing a feed's URL in `seeds/feeds.yaml`, or to fill a gap after an outage. Articles
already indexed are recognised by their stable id and not duplicated.

* **Schedule:** none; trigger it from the UI with the form.
* **Params:** the feeds to re-fetch (choose from the registry).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, TriggerRule, dag, get_current_context, task
from mediawatch import airflow_adapter, orchestration
from mediawatch.settings import load_settings

SETTINGS = load_settings()  # schedule and pool only; tasks read connections at run time

FEED_IDS = orchestration.registry_feed_ids(SETTINGS)


@dag(
    dag_id=Path(__file__).stem,
    description="Re-fetch chosen feeds now, ignoring poll intervals and backoff",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mediawatch", "retries": 1, "retry_delay": timedelta(minutes=1),
                  "execution_timeout": timedelta(minutes=15)},
    tags=["mediawatch", "ingest", "manual"],
    params={"feeds": Param(FEED_IDS[:1], type="array", minItems=1, items={"type": "string", "enum": FEED_IDS},
                           examples=FEED_IDS, title="Feeds", description="Feeds to re-fetch now.")},
)
def mediawatch_backfill():
    @task
    def chosen_feeds(params=None) -> list[list[str]]:
        return orchestration.prepare_batches(airflow_adapter.task_settings(), force=True, feed_ids=params["feeds"])

    @task(pool=SETTINGS.fetch_pool, max_active_tis_per_dagrun=SETTINGS.fetch_concurrency,
          map_index_template="{{ batch_feeds }}")
    def ingest_feeds(feed_ids: list[str], run_id=None) -> dict:
        get_current_context()["batch_feeds"] = orchestration.batch_label(feed_ids)
        with airflow_adapter.airflow_errors():  # a failed feed fails its batch's map index, without retries
            return orchestration.ingest_batch_task(airflow_adapter.task_settings(), feed_ids, run_id)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def summarize(due: list[list[str]], run_id=None, dag_run=None) -> dict:
        return orchestration.finish_run(airflow_adapter.task_settings(), run_id, dag_run.start_date.isoformat(),
                                        sum(map(len, due)), "backfill")

    due = chosen_feeds()
    summarize(due).set_upstream(ingest_feeds.expand(feed_ids=due))


mediawatch_backfill()
