"""
### MediaWatch daily briefing

Writes the briefing of one UTC day: a self-contained HTML page and its PNG charts (volume by
language and outlet kind, tone toward Russia and Syria against the 14-day trend, top entities
and co-mentions, top stories with outlets and links, the day's alerts).

* **Schedule:** `MEDIAWATCH_BRIEFING_SCHEDULE` (cron, default 03:00 UTC = 06:00 in Damascus and
  Moscow), reporting on the previous UTC day.
* **Params:** `date` picks another day (empty: the day before the run's logical date).
* **Output:** `<MEDIAWATCH_BRIEFING_DIR>/<day>/briefing.html` plus `*.png` and `briefing.json`;
  the task's return value has the paths. Same as `python -m mediawatch briefing --date DAY --out DIR`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, task
from mediawatch import airflow_adapter
from mediawatch.briefing import briefing_task
from mediawatch.settings import load_settings

SETTINGS = load_settings()  # the schedule only; tasks read connections at run time


@dag(
    dag_id=Path(__file__).stem,
    description="Daily HTML briefing with charts of the Russia–Syria coverage",
    doc_md=__doc__,
    schedule=SETTINGS.briefing_schedule,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    default_args={"owner": "mediawatch", "retries": 2, "retry_delay": timedelta(minutes=2),
                  "execution_timeout": timedelta(minutes=15)},
    tags=["mediawatch", "briefing", "report"],
    params={"date": Param(None, type=["null", "string"], format="date", title="Day (UTC)",
                          description="The day to report on. Empty: the day before the run's logical date.")},
)
def mediawatch_briefing():
    @task
    def briefing(params=None, logical_date=None) -> dict:
        return briefing_task(airflow_adapter.task_settings(), params.get("date"), logical_date)

    briefing()


mediawatch_briefing()
