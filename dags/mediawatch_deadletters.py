"""
### MediaWatch dead letters

Replays the articles the index refused for their content, once the cause is fixed (for example a
mapping repaired with `mediawatch setup --migrate`): each stored payload is enriched again with the
current watchlist and rules, indexed, and its letter marked `replayed` (or `superseded` when a later
run indexed the article meanwhile, or `failed` with the new reason). A second run changes nothing.
The same as `python -m mediawatch deadletters replay`.

* **Schedule:** none; trigger it from the UI with the form.
* **Params:** how far back (`since`), words of the rejection reason, and a dry run that only counts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, task
from mediawatch import airflow_adapter, orchestration


@dag(
    dag_id=Path(__file__).stem,
    description="Replay dead-lettered articles into the index",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mediawatch", "retries": 1, "retry_delay": timedelta(minutes=2),
                  "execution_timeout": timedelta(hours=1)},
    tags=["mediawatch", "deadletters", "manual"],
    params={
        "since": Param("7d", type=["null", "string"], pattern=r"^\d+[hdwm]$", title="Failed within",
                       description="Only letters written this long ago or later: 12h, 7d, 2w, 1m. Empty: all."),
        "reason": Param(None, type=["null", "string"], title="Reason contains",
                        description="Only letters whose rejection reason contains these words, e.g. "
                                    "'failed to parse field [published_at]'. Empty: any reason."),
        "dry_run": Param(False, type="boolean", title="Dry run",
                         description="Count the letters that would be replayed; write nothing."),
    },
)
def mediawatch_deadletters():
    @task
    def replay(params=None, run_id=None) -> dict:
        return orchestration.deadletters_task(airflow_adapter.task_settings(), params, run_id)

    replay()


mediawatch_deadletters()
