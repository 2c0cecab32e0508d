"""
### MediaWatch alerts

Looks for coverage spikes and tone drops each time new articles are indexed, stores them in
`<prefix>-alerts` and delivers them.

* **Schedule:** on the `mediawatch_articles` asset (after every ingest run), one run at a time.
* **detect:** per language, counts stories (distinct `cluster_id`: a wire story and its copies
  count once) for each watched entity, each entity co-mentioned with Russia or Syria, each topic
  and all articles over the last `MEDIAWATCH_ALERT_WINDOW_H` hours, against the previous 14 days
  (same hours of the day where volume is daily-periodic); Poisson upper-tail test
  (`MEDIAWATCH_ALERT_P_VALUE`, at least `MEDIAWATCH_ALERT_MIN_COUNT` stories). Tone toward
  Russia/Syria alerts when its mean drops by `MEDIAWATCH_ALERT_TONE_MARGIN`. An alert is stored
  once: re-runs and overlapping windows do not repeat it, and an entity spike that a co-mention
  spike explains is not alerted separately.
* **deliver:** Slack-compatible webhook (`MEDIAWATCH_ALERT_WEBHOOK_URL`) and e-mail through
  Airflow's SMTP (`MEDIAWATCH_ALERT_EMAIL_TO`). Failures stay stored with `delivered: false`
  and are retried by the next run.
* **CLI:** `python -m mediawatch alerts --since 1d` lists recent alerts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset, TriggerRule, dag, task
from mediawatch import airflow_adapter, alerts

ARTICLES = Asset("mediawatch_articles")


@dag(
    dag_id=Path(__file__).stem,
    description="Alert on coverage spikes and tone drops; deliver by webhook and e-mail",
    doc_md=__doc__,
    schedule=[ARTICLES],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    default_args={"owner": "mediawatch", "retries": 2, "retry_delay": timedelta(minutes=1),
                  "retry_exponential_backoff": True, "execution_timeout": timedelta(minutes=10)},
    tags=["mediawatch", "alerts"],
)
def mediawatch_alerts():
    @task
    def detect() -> dict:
        return alerts.detect_task(airflow_adapter.task_settings())

    @task(trigger_rule=TriggerRule.ALL_DONE)  # earlier alerts still wait for delivery if detection failed
    def deliver() -> dict:
        return alerts.deliver_task(airflow_adapter.task_settings(), email_sender=airflow_adapter.email_sender())

    detect() >> deliver()


mediawatch_alerts()
