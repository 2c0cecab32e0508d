"""DAG files load cleanly, and the ingest DAG runs end to end (dag.test) into the real node."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated metadata DB in a temp AIRFLOW_HOME; env set before Airflow is first imported."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__UNIT_TEST_MODE": "False", "MEDIAWATCH_KIBANA_URL": "http://localhost:5601"}
    os.environ.update(env)
    if "airflow" in sys.modules:
        pytest.fail("Airflow was imported before its test environment was set up")
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return home


@pytest.fixture(scope="session")
def dagbag(airflow_home: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    files = {p.stem for p in DAGS.glob("*.py")}
    assert files <= set(dagbag.dag_ids), files - set(dagbag.dag_ids)


def test_dags_are_documented_owned_and_tagged(dagbag) -> None:
    assert {f"mediawatch_{name}" for name in ("ingest", "backfill", "reenrich", "alerts", "briefing")} <= set(
        dagbag.dag_ids)
    for dag_id, dag in dagbag.dags.items():
        # The UI docs are the DAG file's own docstring, titled after the DAG ("### MediaWatch re-enrichment"
        # for mediawatch_reenrich): letters only, the title contains the id's name.
        assert dag.doc_md == ast.get_docstring(ast.parse(Path(dag.fileloc).read_text(encoding="utf-8")), clean=False)
        title = dag.doc_md.strip().splitlines()[0]
        assert title.startswith("### MediaWatch "), (dag_id, title)
        assert dag_id.removeprefix("mediawatch_").replace("_", "") in re.sub(r"[^a-z]", "", title.lower()), dag_id
        assert "mediawatch" in dag.tags, dag_id
        assert dag.tasks and all(task.owner == "mediawatch" for task in dag.tasks), dag_id


def test_kibana_links_plugin_loads_in_airflow(airflow_home) -> None:
    from airflow import plugins_manager

    assert plugins_manager.get_import_errors() == {}
    info = {plugin["name"]: plugin for plugin in plugins_manager.get_plugin_info()}
    views = info["mediawatch_kibana_links"]["external_views"]
    assert [view["name"] for view in views] == ["Russia–Syria coverage", "Feed health", "Feeds of this run (Kibana)"]


def test_task_settings_read_the_elasticsearch_connection_whole(airflow_home, monkeypatch) -> None:
    from mediawatch.airflow_adapter import task_settings

    connection = {"conn_type": "elasticsearch", "host": "es.internal", "port": 9243, "schema": "https",
                  "login": "elastic", "password": "s3cret",
                  "extra": {"ca_certs": "/etc/ssl/es-ca.pem", "verify_certs": False}}
    monkeypatch.setenv("AIRFLOW_CONN_ELASTICSEARCH_DEFAULT", json.dumps(connection))
    settings = task_settings()
    assert settings.es_url == "https://es.internal:9243"
    assert (settings.es_user, settings.es_password) == ("elastic", "s3cret")
    assert settings.es_ca_file == "/etc/ssl/es-ca.pem" and settings.es_verify_certs is False


def test_final_library_errors_fail_the_task_without_retries(airflow_home) -> None:
    from airflow.sdk.exceptions import AirflowFailException
    from mediawatch.airflow_adapter import airflow_errors
    from mediawatch.orchestration import FeedFailed
    from mediawatch.settings import SettingsError

    for error in (FeedFailed("feed x failed: HTTP 404"), SettingsError("MEDIAWATCH_X is unknown")):
        with pytest.raises(AirflowFailException, match=str(error)), airflow_errors():
            raise error
    with pytest.raises(ConnectionError), airflow_errors():  # anything else keeps Airflow's retries
        raise ConnectionError("Elasticsearch unreachable")


def test_parsing_the_ingest_dag_imports_nothing_heavy(airflow_home) -> None:
    """Every task process parses its DAG file first: the pipeline's imports belong inside the tasks."""
    heavy = ["mediawatch.enrich", "mediawatch.ingest", "elasticsearch", "numpy", "camel_tools"]
    code = (f"import sys; sys.path[:0] = [{str(REPO / 'plugins')!r}, {str(DAGS)!r}]; import mediawatch_ingest; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_ingest_dag_shape(dagbag) -> None:
    dag = dagbag.dags["mediawatch_ingest"]
    assert dag.max_active_runs == 1
    assert {t.task_id for t in dag.tasks} == {"due_feeds", "ingest_feeds", "summarize"}
    assert dag.task_dict["ingest_feeds"].map_index_template == "{{ batch_feeds }}"
    assert dag.task_dict["summarize"].trigger_rule == "all_done"
    assert [o.name for o in dag.task_dict["summarize"].outlets] == ["mediawatch_articles"]


@pytest.mark.es
def test_ingest_dag_runs_end_to_end_into_elasticsearch(airflow_home, settings, feed_server, tmp_path,
                                                        monkeypatch) -> None:
    from mediawatch.store import make_client

    ok_url = feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml", etag='"v1"')
    registry = tmp_path / "feeds.yaml"
    registry.write_text(f"""feeds:
  - {{id: good-ar, name: Good AR, url: "{ok_url}", language: ar, country: SY, kind: state}}
  - {{id: broken, name: Broken, url: "{feed_server.url('/missing.xml')}", language: en, country: US,
      kind: private}}
  - {{id: atom-en, name: Atom EN, url: "{(REPO / 'tests/data/feeds/atom_en.xml').as_uri()}", language: en,
      country: GB, kind: private}}
""", encoding="utf-8")
    monkeypatch.setenv("MEDIAWATCH_ES_URL", settings.es_url)
    monkeypatch.setenv("MEDIAWATCH_INDEX_PREFIX", settings.index_prefix)
    monkeypatch.setenv("MEDIAWATCH_FEEDS_FILE", str(registry))
    monkeypatch.setenv("MEDIAWATCH_FEEDS_PER_TASK", "2")
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS / "mediawatch_ingest.py")).dags["mediawatch_ingest"]
    dag_run = dag.test(run_conf={"force": True})

    states = {ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): ti.state
              for ti in dag_run.get_task_instances()}
    assert states["due_feeds"] == "success" and states["summarize"] == "success"
    batches = {ti.rendered_map_index: ti.state for ti in dag_run.get_task_instances() if ti.task_id == "ingest_feeds"}
    assert batches == {"good-ar, broken": "failed", "atom-en": "success"}, states

    es = make_client(settings)
    es.indices.refresh(index=settings.index("articles"))
    assert es.count(index=settings.index("articles"))["count"] == 4
    broken = es.get(index=settings.index("feeds"), id="broken")["_source"]
    assert broken["status"] == "failed" and broken["last_error"] == "HTTP 404 Not Found"
    fetchlog = es.search(index=settings.index("fetchlog"), query={"term": {"run_id": dag_run.run_id}})["hits"]["hits"]
    assert sorted((hit["_source"]["feed_id"], hit["_source"]["status"]) for hit in fetchlog) == [
        ("atom-en", "ok"), ("broken", "failed"), ("good-ar", "ok")], "one fetch-log line per feed, not per batch"
    run = es.search(index=settings.index("runs"), query={"term": {"run_id": dag_run.run_id}})["hits"]["hits"]
    assert len(run) == 1
    assert (run[0]["_source"]["feeds_ok"], run[0]["_source"]["feeds_failed"]) == (2, 1)
    assert run[0]["_source"]["articles_new"] == 4


@pytest.mark.es
def test_deadletters_dag_replays_with_the_cli_options_as_its_form(airflow_home, settings, feed_server,
                                                                  monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from mediawatch.cli import build_parser
    from mediawatch.feeds import Feed
    from mediawatch.index import setup_indices
    from mediawatch.ingest import run_ingest
    from mediawatch.store import make_client

    from .test_deadletters import broken_articles_index

    dag = DagBag(dag_folder=str(DAGS / "mediawatch_deadletters.py")).dags["mediawatch_deadletters"]
    cli = vars(build_parser().parse_args(["deadletters", "replay"]))
    assert set(dag.params) == set(cli) - {"func", "command", "action", "verbose"} == {"since", "reason", "dry_run"}

    es = make_client(settings)
    broken_articles_index(es, settings)
    setup_indices(es, settings)
    url = feed_server.serve_file("/ar.xml", "rss2_ar_utf8.xml")
    refused = run_ingest(settings, es, feeds=[Feed(id="ar", name="ar", url=url, language="ar", country="SY",
                                                   kind="state")])
    assert refused.articles["rejected"] == 2
    setup_indices(es, settings, migrate=True)
    monkeypatch.setenv("MEDIAWATCH_ES_URL", settings.es_url)
    monkeypatch.setenv("MEDIAWATCH_INDEX_PREFIX", settings.index_prefix)
    dag_run = dag.test(run_conf={"since": "1d", "reason": "failed to parse field", "dry_run": False})
    assert {ti.task_id: ti.state for ti in dag_run.get_task_instances()} == {"replay": "success"}
    es.indices.refresh(index=[settings.index("articles"), settings.index("deadletter")])
    assert es.count(index=settings.index("articles"))["count"] == 2
    letters = es.search(index=settings.index("deadletter"))["hits"]["hits"]
    assert [hit["_source"]["replay_status"] for hit in letters] == ["replayed", "replayed"]


@pytest.mark.es
def test_retention_dag_runs_the_retention_pass(airflow_home, settings, es, monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS / "mediawatch_retention.py")).dags["mediawatch_retention"]
    assert dag.schedule == "30 2 * * *" and dag.max_active_runs == 1
    monkeypatch.setenv("MEDIAWATCH_ES_URL", settings.es_url)
    monkeypatch.setenv("MEDIAWATCH_INDEX_PREFIX", settings.index_prefix)
    dag_run = dag.test()
    (ti,) = dag_run.get_task_instances()
    assert ti.state == "success"
    assert ti.xcom_pull(task_ids="retention") == {"managed_by": "mediawatch", "rolled_over": {}, "deleted": [],
                                                  "skipped": {}, "dry_run": False}
