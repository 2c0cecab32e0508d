"""
### MediaWatch retention

Keeps the append-only logs (`<prefix>-fetchlog` 90 days, `-deadletter` 180, `-runs` 365) bounded on
clusters without ILM: rolls each log's write index over once it holds a month of documents and
deletes backing indices whose newest document is older than the retention. The write index is never
deleted. Where the cluster has ILM, the policies `mediawatch setup` installs do this and the task
only says so. The same as `python -m mediawatch retention`.

* **Schedule:** daily at 02:30 UTC.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from mediawatch import airflow_adapter, orchestration


@dag(
    dag_id=Path(__file__).stem,
    description="Roll over the logs and delete their old backing indices (clusters without ILM)",
    doc_md=__doc__,
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mediawatch", "retries": 2, "retry_delay": timedelta(minutes=10),
                  "execution_timeout": timedelta(minutes=15)},
    tags=["mediawatch", "maintenance"],
)
def mediawatch_retention():
    @task
    def retention() -> dict:
        return orchestration.retention_task(airflow_adapter.task_settings())

    retention()


mediawatch_retention()
