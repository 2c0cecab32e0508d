"""
### MediaWatch ingest

Fetches every due feed of `seeds/feeds.yaml` (conditional GET, backoff for failing feeds),
normalizes, enriches and indexes the articles into `<prefix>-articles`, and records feed
health in `<prefix>-feeds`.

* **Schedule:** `MEDIAWATCH_INGEST_SCHEDULE` (cron, default every 15 minutes), one run at a time.
* **Mapping:** one `ingest_feeds` task per batch of up to `MEDIAWATCH_FEEDS_PER_TASK` due feeds,
  fetched concurrently; each map index is labelled with its feeds. Every feed's outcome is in the
  task log, the fetch log and the Feed health dashboard; a failing feed fails its batch's map index
  (naming the feed and why) after the other feeds are stored, and the run still completes.
* **Params:** `force` fetches every feed now, ignoring poll intervals and backoff.
* **Produces:** the `mediawatch_articles` asset, with the run's counts as event extra.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset, Param, TriggerRule, dag, get_current_context, task
from mediawatch import airflow_adapter  # light: the pipeline (Elasticsearch, numpy, models) loads inside tasks
from mediawatch.settings import load_settings
from mediawatch.threads import one_blas_thread

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
    def due_feeds(params=None) -> list[list[str]]:
        from mediawatch import orchestration

        return orchestration.prepare_batches(airflow_adapter.task_settings(), force=params["force"])

    @task(retries=1, pool=SETTINGS.fetch_pool, max_active_tis_per_dagrun=SETTINGS.fetch_concurrency,
          map_index_template="{{ batch_feeds }}")
    def ingest_feeds(feed_ids: list[str], run_id=None) -> dict:
        one_blas_thread()  # before numpy loads: the batches' processes share the cores
        from mediawatch import orchestration

        get_current_context()["batch_feeds"] = orchestration.batch_label(feed_ids)
        with airflow_adapter.airflow_errors():  # a failed feed fails its batch's map index, without retries
            return orchestration.ingest_batch_task(airflow_adapter.task_settings(), feed_ids, run_id)

    @task(outlets=[ARTICLES], trigger_rule=TriggerRule.ALL_DONE)
    def summarize(due: list[list[str]], run_id=None, dag_run=None, outlet_events=None) -> dict:
        from mediawatch import orchestration

        summary = orchestration.finish_run(airflow_adapter.task_settings(), run_id, dag_run.start_date.isoformat(),
                                           sum(map(len, due)), dag_run.run_type)
        outlet_events[ARTICLES].extra = {**summary["feeds"], **summary["articles"]}
        return summary

    due = due_feeds()
    summarize(due).set_upstream(ingest_feeds.expand(feed_ids=due))


mediawatch_ingest()
