"""
### MediaWatch re-enrichment

Re-runs entity, sentiment, tone, topic and relevance enrichment over indexed articles, for
example after the watchlist (`seeds/entities.yaml`) or a lexicon changed. Pages through the
index with a point in time and updates documents in bulk; the task log shows progress counts.

* **Schedule:** none; trigger it from the UI with the form.
* **Params:** a date range (publication dates, inclusive), languages, "only documents with an
  older enrichment version", and a dry run that only counts what would change.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, task
from mediawatch import airflow_adapter, constants, orchestration

LANGUAGES = list(constants.LANGUAGES)


@dag(
    dag_id=Path(__file__).stem,
    description="Re-enrich indexed articles after a rule or watchlist change",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mediawatch", "retries": 1, "retry_delay": timedelta(minutes=2),
                  "execution_timeout": timedelta(hours=2)},
    tags=["mediawatch", "enrichment", "manual"],
    params={
        "start_date": Param(None, type=["null", "string"], format="date", title="From (publication date)",
                            description="First day to re-enrich, inclusive. Empty: from the oldest article."),
        "end_date": Param(None, type=["null", "string"], format="date", title="To (publication date)",
                          description="Last day to re-enrich, inclusive. Empty: up to now."),
        "languages": Param(LANGUAGES, type="array", items={"type": "string", "enum": LANGUAGES},
                           examples=LANGUAGES, title="Languages", description="Only articles in these languages."),
        "only_older": Param(True, type="boolean", title="Only older enrichment versions",
                            description="Skip documents already enriched by the current version."),
        "dry_run": Param(False, type="boolean", title="Dry run", description="Count matching documents only."),
    },
)
def mediawatch_reenrich():
    @task
    def reenrich(params=None, run_id=None) -> dict:
        return orchestration.reenrich_task(airflow_adapter.task_settings(), params, run_id)

    reenrich()


mediawatch_reenrich()
