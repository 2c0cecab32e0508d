"""One real ``airflow standalone`` per pytest session, shared by the UI, REST API and scheduler tests.

``tests/conftest.py`` registers it with ``pytest_plugins`` (so the session fixture below is
one instance however many modules ask for it) and a test takes the argument ``airflow_stack``;
it imports this module only under ``TYPE_CHECKING`` (an earlier import would keep pytest from
rewriting the asserts here) and reaches the helpers through the stack object.
The stack is started lazily, the first time a test asks for it, with:

* a fresh AIRFLOW_HOME and a free port, this checkout's dags/ and plugins/, the fixed local login;
* its own index prefix (the Airflow processes read ``MEDIAWATCH_INDEX_PREFIX`` once, at start, so
  the tests use ``airflow_stack.settings`` rather than the per-test ``settings`` fixture) with the
  indices set up before the first run, and deleted when the session ends;
* a registry of local feed files and ``MEDIAWATCH_INGEST_SCHEDULE="* * * * *"`` so the scheduler
  test sees a scheduled ingest run within a minute of unpausing the DAG.

Tests that share the prefix keep apart by document ids and publication-date ranges.
At the end of the session the whole process group is stopped and the test checks that none of the
processes it started (API server, scheduler, DAG processor, triggerer, task runners) is left.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil
import pytest
from mediawatch.dev import devstack
from mediawatch.settings import Settings

REPO = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).parent / "data" / "feeds"
REENRICH = "mediawatch_reenrich"
INGEST = "mediawatch_ingest"
INGEST_SCHEDULE = "* * * * *"
# feed id -> (file in tests/data/feeds, language, country)
LOCAL_FEEDS = {
    "af-ar": ("rss2_ar_utf8.xml", "ar", "SY"),
    "af-en": ("atom_en.xml", "en", "GB"),
    "af-ru": ("rdf_ru.rdf", "ru", "RU"),
}
FINISHED = {"success", "failed"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_local_registry(folder: Path) -> Path:
    """A feed registry whose URLs are files next to it (read from disk, no network)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["defaults:", "  poll_minutes: 15", "feeds:"]
    for feed_id, (name, language, country) in LOCAL_FEEDS.items():
        shutil.copy(FEEDS / name, folder / name)
        lines.append(f"  - {{id: {feed_id}, name: Local {feed_id}, url: {name}, language: {language},"
                     f" country: {country}, kind: private}}")
    registry = folder / "feeds.yaml"
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return registry


def article_source(doc_id: str, title: str, text: str, language: str, published_at: str) -> dict[str, Any]:
    """An article document as an old enrichment version left it, with deliberately odd values."""
    return {
        "id": doc_id, "url": f"https://example.test/{doc_id}", "feed_id": "hand-written", "source": "Test wire",
        "domain": "example.test", "language": language, "title": title, "summary": title, "text": text,
        "published_at": published_at, "fetched_at": published_at, "indexed_at": published_at,
        "enrichment_version": "old", "enriched_at": published_at,
        "sentiment_label": "odd", "sentiment_score": 7.5, "sentiment_method": "hand-written",
        "tone_russia": 42.0, "tone_syria": -42.0, "topics": ["odd-topic"],
        "entity_ids": [], "entity_names": [], "persons": [], "relevance_score": 0.0, "relevant": False,
    }


ARTICLE_TEXTS = {
    "en": ("Putin and al-Sharaa discuss wheat and the Russian bases in Syria",
           "Russian President Vladimir Putin met Syrian President Ahmed al-Sharaa in Moscow to talk about trade, "
           "wheat and reconstruction."),
    "ar": ("بوتين يستقبل الشرع في موسكو",
           "استقبل الرئيس الروسي فلاديمير بوتين الرئيس السوري أحمد الشرع في الكرملين لبحث التعاون الاقتصادي"
           " وإعادة الإعمار."),
    "ru": ("Путин принял аш-Шараа в Кремле",
           "Президент России Владимир Путин провёл переговоры с президентом Сирии Ахмедом аш-Шараа о поставках"
           " пшеницы и восстановлении."),
}


def make_article(doc_id: str, language: str, published_at: str) -> dict[str, Any]:
    title, text = ARTICLE_TEXTS[language]
    return article_source(doc_id, title, text, language, published_at)


@dataclass
class AirflowStack:
    url: str
    settings: Settings
    home: Path
    pid: int
    registry: Path
    http: httpx.Client = field(repr=False)
    feed_ids: tuple[str, ...] = tuple(LOCAL_FEEDS)
    ingest_schedule: str = INGEST_SCHEDULE

    # --- Elasticsearch ----------------------------------------------------------------------
    def es(self):
        from mediawatch.store import make_client

        return make_client(self.settings)

    def index_articles(self, wanted: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """Index hand-made articles ``{id: (language, published_at)}`` as an old version left them."""
        from mediawatch.store import index_action, write_bulk

        docs = {doc_id: make_article(doc_id, language, published) for doc_id, (language, published) in wanted.items()}
        index = self.settings.index("articles")
        report = write_bulk(self.es(), [index_action(index, i, d) for i, d in docs.items()], self.settings,
                            refresh=True)
        assert report.written == len(docs) and not report.failed, report
        return docs

    def articles(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        hits = self.es().search(index=self.settings.index("articles"), query={"ids": {"values": ids}},
                                size=len(ids))["hits"]["hits"]
        return {hit["_id"]: hit["_source"] for hit in hits}

    def current_enrichment_version(self) -> str:
        from mediawatch.enrich import load_enricher

        return load_enricher(self.settings.seeds_dir).version

    # --- REST API v2 ------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def get_json(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params or None)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def set_paused(self, dag_id: str, paused: bool) -> None:
        response = self.http.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": paused})
        assert response.status_code == 200, response.text
        assert response.json()["is_paused"] is paused

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> httpx.Response:
        """POST a manual run; the body must carry the ``logical_date`` key (null: no logical date)."""
        return self.http.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.get_json(f"/api/v2/dags/{dag_id}/dagRuns", order_by="-run_after", limit=100)["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.get_json(f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.get_json(f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances")[
            "task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.get_json(path)["value"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float = 180.0) -> dict[str, Any]:
        """Poll until the run finishes; a failed or stuck run fails the test with its task logs."""
        deadline = time.monotonic() + timeout_s
        run = self.run(dag_id, run_id)
        while run["state"] not in FINISHED and time.monotonic() < deadline:
            time.sleep(1.0)
            run = self.run(dag_id, run_id)
        if run["state"] != "success":
            states = [(ti["task_id"], ti["map_index"], ti["state"], ti["try_number"])
                      for ti in self.task_instances(dag_id, run_id)]
            pytest.fail(f"{dag_id} run {run_id} is {run['state']} after {timeout_s:.0f}s; tasks {states}\n"
                        f"{self.task_logs(dag_id, run_id)}")
        return run

    def task_logs(self, dag_id: str, run_id: str, tail_chars: int = 3000) -> str:
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        parts = [f"--- {log.relative_to(folder)}\n{log.read_text(errors='replace')[-tail_chars:]}"
                 for log in sorted(folder.rglob("*.log"))]
        return "\n".join(parts) or f"(no task logs under {folder})"


def _token(url: str) -> str:
    response = httpx.post(f"{url}/auth/token", json={"username": devstack.LOCAL_USER,
                                                     "password": devstack.LOCAL_PASSWORD}, timeout=30)
    assert response.status_code in (200, 201), f"/auth/token: {response.status_code} {response.text}"
    return response.json()["access_token"]


def _wait_for_dags(stack: AirflowStack, dag_ids: list[str], timeout_s: float = 120.0) -> None:
    """The DAG processor has parsed our files (and reported no import errors)."""
    deadline = time.monotonic() + timeout_s
    missing = list(dag_ids)
    while time.monotonic() < deadline:
        errors = stack.get_json("/api/v2/importErrors")["import_errors"]
        assert not errors, f"DAG import errors: {errors}"
        missing = [d for d in dag_ids if stack.api("GET", f"/api/v2/dags/{d}").status_code != 200]
        if not missing:
            return
        time.sleep(1.0)
    pytest.fail(f"DAGs {missing} were not parsed within {timeout_s:.0f}s; see {stack.home / 'standalone.log'}")


def _stop_and_check(pid: int) -> list[str]:
    """Stop the process group and return what is still alive of the processes it had."""
    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    devstack.stop_process_group(pid)
    _, alive = psutil.wait_procs(family, timeout=10)
    leftovers = []
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftovers.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
            proc.kill()  # one of ours that left the process group: still ours to end
    return leftovers


@pytest.fixture(scope="session")
def airflow_stack(es_node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowStack]:
    from mediawatch.index import delete_prefix, setup_indices
    from mediawatch.store import make_client

    home = tmp_path_factory.mktemp("airflow_standalone")
    settings = Settings(es_url=es_node, index_prefix=f"mwaf-{uuid.uuid4().hex[:8]}")
    setup_indices(make_client(settings), settings)
    registry = write_local_registry(home / "feeds")
    port = free_port()
    extra_env = {
        "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix,
        "MEDIAWATCH_FEEDS_FILE": str(registry),
        "MEDIAWATCH_INGEST_SCHEDULE": INGEST_SCHEDULE,
        # LocalExecutor forks one worker per parallelism slot (32 by default): 8 are plenty here.
        "AIRFLOW__CORE__PARALLELISM": "8",
    }
    pid = None
    http = None
    started = time.monotonic()
    try:
        info = devstack.start_airflow(home, es_node, port, extra_env)
        pid = info.pid
        http = httpx.Client(base_url=info.airflow_url, timeout=30,
                            headers={"Authorization": f"Bearer {_token(info.airflow_url)}"})
        stack = AirflowStack(url=info.airflow_url, settings=settings, home=home, pid=pid, registry=registry,
                             http=http)
        _wait_for_dags(stack, [REENRICH, INGEST])
        print(f"\n[airflow] standalone at {stack.url} ready in {time.monotonic() - started:.0f}s "
              f"(home {home}, prefix {settings.index_prefix})")
        yield stack
    finally:
        if http is not None:
            http.close()
        leftovers = _stop_and_check(pid) if pid is not None else []
        delete_prefix(make_client(settings), settings)
    assert not leftovers, f"processes left after stopping airflow standalone (now killed): {leftovers}"
