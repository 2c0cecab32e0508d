"""
### MediaWatch ingest

Fetches every due feed of `seeds/feeds.yaml` (conditional GET, backoff for failing feeds),
normalizes, enriches and indexes the articles into `<prefix>-articles`, and records feed
health in `<prefix>-feeds`.

* **Schedule:** `MEDIAWATCH_INGEST_SCHEDULE` (cron, default every 15 minutes), one run at a time.
* **Mapping:** one `ingest_feed` task per due feed; a failing feed is one failed map index,
  its reason is in the task log and in the Feed health dashboard; the run still completes.
* **Params:** `force` fetches every feed now, ignoring poll intervals and backoff.
* **Produces:** the `mediawatch_articles` asset, with the run's counts as event extra.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset, Param, TriggerRule, dag, task
from mediawatch import airflow_adapter, orchestration
from mediawatch.settings import load_settings

SETTINGS = load_settings()  # schedule and pool only; tasks read connections at run time

ARTICLES = Asset("mediawatch_articles")


@dag(
    dag_id=Path(__file__).stem,
    description="Fetch, enrich and index the monitored feeds",
    doc_md=__doc__,
    schedule=SETTINGS.ingest_schedule,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args={"owner": "mediawatch", "retries": 2, "retry_delay": timedelta(minutes=1),
                  "retry_exponential_backoff": True, "execution_timeout": timedelta(minutes=15)},
    tags=["mediawatch", "ingest"],
    params={"force": Param(False, type="boolean", title="Fetch all feeds now",
                           description="Ignore poll intervals and backoff and fetch every enabled feed.")},
)
def mediawatch_ingest():
    @task
    def due_feeds(params=None) -> list[str]:
        return orchestration.prepare_run(airflow_adapter.task_settings(), force=params["force"])

    @task(retries=1, pool=SETTINGS.fetch_pool, max_active_tis_per_dagrun=SETTINGS.fetch_concurrency)
    def ingest_feed(feed_id: str, run_id=None) -> dict:
        with airflow_adapter.airflow_errors():  # a failed feed fails its map index, without retries
            return orchestration.ingest_feed_task(airflow_adapter.task_settings(), feed_id, run_id)

    @task(outlets=[ARTICLES], trigger_rule=TriggerRule.ALL_DONE)
    def summarize(due: list[str], run_id=None, dag_run=None, outlet_events=None) -> dict:
        summary = orchestration.finish_run(airflow_adapter.task_settings(), run_id,
                                           dag_run.start_date.isoformat(), len(due), dag_run.run_type)
        outlet_events[ARTICLES].extra = {**summary["feeds"], **summary["articles"]}
        return summary

    due = due_feeds()
    summarize(due).set_upstream(ingest_feed.expand(feed_id=due))


mediawatch_ingest()
