"""Triggering a DAG through Airflow's REST API v2, as scripts and other systems do.

Airflow 3.3.2 validates a trigger's ``conf`` against the DAG's Params on the server: a value that
breaks a Param's JSON schema (``format: date``, an ``enum``, a ``type``) is refused with
400 and the Param's name in ``detail``, and no run is created. A valid conf reaches the task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.airflow_stack import AirflowStack

pytestmark = [pytest.mark.airflow, pytest.mark.es]
REENRICH = "mediawatch_reenrich"

BAD_CONFS = [
    ({"start_date": "2026-13-45"}, "start_date"),  # no 13th month: refused by `format: date`
    ({"end_date": "31/01/2026"}, "end_date"),
    ({"languages": ["de"]}, "languages"),  # not one of the enum's choices
    ({"dry_run": "yes"}, "dry_run"),  # a string is not a boolean
]


def test_token_is_required(airflow_stack: AirflowStack) -> None:
    wrong = httpx.post(f"{airflow_stack.url}/auth/token", json={"username": "admin", "password": "wrong"})
    assert wrong.status_code == 401, wrong.text
    anonymous = httpx.post(f"{airflow_stack.url}/api/v2/dags/{REENRICH}/dagRuns",
                           json={"logical_date": None, "conf": {}})
    assert anonymous.status_code == 401, anonymous.text


def test_trigger_refuses_bad_conf_and_runs_good_conf(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    docs = stack.index_articles({
        "rest-en-in": ("en", "2026-01-15T09:00:00Z"),
        "rest-ar-in": ("ar", "2026-01-20T09:00:00Z"),  # in the range, another language
        "rest-en-out": ("en", "2026-02-03T09:00:00Z"),  # after the range
    })
    stack.set_paused(REENRICH, False)
    runs_before = {run["dag_run_id"] for run in stack.runs(REENRICH)}

    for conf, param in BAD_CONFS:
        refused = stack.trigger(REENRICH, conf)
        assert refused.status_code == 400, (conf, refused.status_code, refused.text)
        assert f"Invalid input for param {param}" in refused.json()["detail"], refused.text
    assert {run["dag_run_id"] for run in stack.runs(REENRICH)} == runs_before, "a refused conf created a run"

    conf = {"start_date": "2026-01-01", "end_date": "2026-01-31", "languages": ["en"], "dry_run": False}
    accepted = stack.trigger(REENRICH, conf)
    assert accepted.status_code == 200, accepted.text
    run = accepted.json()
    assert (run["run_type"], run["triggered_by"], run["conf"]) == ("manual", "rest_api", conf)

    finished = stack.wait_for_run(REENRICH, run["dag_run_id"], timeout_s=180)
    assert finished["state"] == "success"
    version = stack.current_enrichment_version()
    result = stack.xcom(REENRICH, run["dag_run_id"], "reenrich")
    assert result == {"matched": 1, "updated": 1, "failed": 0, "dry_run": False, "enrichment_version": version}

    after = stack.articles(list(docs))
    assert after["rest-en-in"]["enrichment_version"] == version
    assert "Q7747" in after["rest-en-in"]["entity_ids"]  # Vladimir Putin, linked by the real enricher
    assert after["rest-en-in"]["sentiment_method"] != "hand-written"
    assert after["rest-ar-in"] == docs["rest-ar-in"]  # filtered out by language
    assert after["rest-en-out"] == docs["rest-en-out"]  # filtered out by date
