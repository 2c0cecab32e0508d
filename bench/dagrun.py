"""The path users run: ``mediawatch_ingest`` under a real scheduler and executor, against the CLI.

N feeds served on loopback (:mod:`bench.feedserver`) go once through ``python -m mediawatch ingest``
and once through a *scheduled* run of ``mediawatch_ingest`` in ``airflow standalone`` (scheduler,
LocalExecutor, one process per task instance, each parsing the DAG file and loading the enricher),
each into its own index prefix so both fetch and index everything. Rows: DAG wall / CLI wall, and
the DAG's summed task durations / the CLI's CPU time (user + system), absolute figures beside them.

    python -m bench.dagrun [--feeds 50] [--items 30] [--feeds-per-task N] [--registry FILE]

Needs ``MEDIAWATCH_ES_URL`` (``make bench`` sets it). Airflow is stopped, its home and the indices
deleted, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from mediawatch.dev import devstack
from mediawatch.index import delete_prefix, setup_indices
from mediawatch.settings import load_settings
from mediawatch.store import make_client

from . import rss
from .endtoend import run_cli, write_registry
from .feedserver import FeedServer
from .report import Result, table

DAG_ID = "mediawatch_ingest"
# Issue 15: a new task process may spend at most this on loading the enricher.
MAX_COLD_START_S = 0.3
COLD_START = ("import time; t = time.perf_counter(); from mediawatch.enrich import {fn}; "
              "from mediawatch.settings import DEFAULT_SEEDS_DIR; {fn}(DEFAULT_SEEDS_DIR); "
              "print(time.perf_counter() - t)")
# Issue 15's targets at N = 200.
MAX_WALL_RATIO = 1.5
MAX_TASK_TIME_RATIO = 2.0
RUN_TIMEOUT_S = 900
ITEMS = 30  # the 29 real feeds of issue 15 averaged 31 items


@dataclass(frozen=True)
class DagRun:
    wall_s: float
    task_s: float
    tasks: int
    mapped: int
    state: str
    by_task: str  # seconds per task id, e.g. "due_feeds 3.1, ingest_feeds 2 x 16.0 max 17.2, summarize 4.0"


def cli_run(registry: Path, env: dict[str, str], workdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the command's own) of one CLI ingest."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = run_cli(["ingest", "--feeds", str(registry), "--force"], env, workdir / "cli.log")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return run.seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _client(url: str) -> httpx.Client:
    token = httpx.post(f"{url}/auth/token", json={"username": devstack.LOCAL_USER,
                                                  "password": devstack.LOCAL_PASSWORD}, timeout=30)
    token.raise_for_status()
    return httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def _wait_for_dag(http: httpx.Client, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while http.get(f"/api/v2/dags/{DAG_ID}").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{DAG_ID} not parsed within {timeout_s}s")
        time.sleep(1)


def _first_scheduled_run(http: httpx.Client) -> str:
    """Unpause and return the id of the first scheduled run (a paused DAG's runs do not progress,
    so the DAG stays unpaused until that run ends; ``max_active_runs=1`` keeps the next one waiting)."""
    http.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        runs = http.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"order_by": "run_after"}).json()["dag_runs"]
        if runs:
            return runs[0]["dag_run_id"]
        time.sleep(1)
    raise RuntimeError("no scheduled run within 180 s of unpausing")


def _finished(http: httpx.Client, run_id: str) -> tuple[dict, list[dict]]:
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}"
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run = http.get(path).json()
    while run["state"] not in {"success", "failed"} and time.monotonic() < deadline:
        time.sleep(1)
        run = http.get(path).json()
    http.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": True}).raise_for_status()
    if run["state"] not in {"success", "failed"}:
        raise RuntimeError(f"run {run_id} still {run['state']} after {RUN_TIMEOUT_S} s")
    return run, http.get(f"{path}/taskInstances", params={"limit": 1000}).json()["task_instances"]


def dag_run(registry: Path, es_url: str, prefix: str, home: Path, feeds_per_task: int | None) -> DagRun:
    extra = {"MEDIAWATCH_INDEX_PREFIX": prefix, "MEDIAWATCH_FEEDS_FILE": str(registry),
             "MEDIAWATCH_INGEST_SCHEDULE": "* * * * *", "AIRFLOW__CORE__PARALLELISM": "8"}
    if feeds_per_task:
        extra["MEDIAWATCH_FEEDS_PER_TASK"] = str(feeds_per_task)
    stack = devstack.start_airflow(home, es_url, _free_port(), extra)
    try:
        with _client(stack.airflow_url) as http:
            _wait_for_dag(http)
            run, instances = _finished(http, _first_scheduled_run(http))
    finally:
        devstack.stop_process_group(stack.pid)
    wall = (datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds()
    return DagRun(wall_s=wall, task_s=sum(ti.get("duration") or 0.0 for ti in instances), tasks=len(instances),
                  mapped=sum(ti["map_index"] >= 0 for ti in instances), state=run["state"], by_task=_by_task(instances))


def _by_task(instances: list[dict]) -> str:
    durations: dict[str, list[float]] = {}
    for ti in instances:
        durations.setdefault(ti["task_id"], []).append(ti.get("duration") or 0.0)
    return ", ".join(f"{task} {sum(d) / len(d):.1f} s" if len(d) == 1 else
                     f"{task} {len(d)} x {sum(d) / len(d):.1f} s (max {max(d):.1f})" for task, d in durations.items())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def count_articles(es_url: str, prefix: str) -> int:
    settings = load_settings().with_overrides(es_url=es_url, index_prefix=prefix)
    es = make_client(settings)
    es.indices.refresh(index=settings.index("articles"))
    return es.count(index=settings.index("articles"))["count"]


def run(es_url: str, prefix: str, feeds: int = 50, items: int = ITEMS, feeds_per_task: int | None = None
        ) -> list[Result]:
    """N generated feeds of ``items`` items each, served by :class:`FeedServer`."""
    specs = rss.feed_specs(feeds)
    bodies = {f"/feeds/{s.feed_id}.xml": rss.feed_xml(s, items, salt="dag-") for s in specs}
    with tempfile.TemporaryDirectory(prefix="mwbench-dag-") as tmp, \
            FeedServer(bodies, 4 * feeds, RUN_TIMEOUT_S * 2) as server:
        registry = Path(tmp) / "feeds.yaml"
        write_registry(registry, server, specs)
        return compare(registry, es_url, prefix, f"{feeds} feeds x {items} items", feeds * items, feeds_per_task)


def compare(registry: Path, es_url: str, prefix: str, subject: str, expected: int | None,
            feeds_per_task: int | None = None) -> list[Result]:
    """The feeds of ``registry`` through the CLI and through a scheduled DAG run; ``expected`` articles
    (None: whatever the CLI indexed) must be in both indices for the ratios to count."""
    cli_prefix, dag_prefix = f"{prefix}-cli", f"{prefix}-dag"
    env = {**os.environ, "MEDIAWATCH_ES_URL": es_url, "MEDIAWATCH_INDEX_PREFIX": cli_prefix}
    settings = load_settings().with_overrides(es_url=es_url)
    es = make_client(settings)
    with tempfile.TemporaryDirectory(prefix="mwbench-dag-") as tmp:
        workdir = Path(tmp)
        try:
            setup_indices(es, settings.with_overrides(index_prefix=dag_prefix))
            cli_wall, cli_cpu = cli_run(registry, env, workdir)
            dag = dag_run(registry, es_url, dag_prefix, workdir / "airflow", feeds_per_task)
            counts = (count_articles(es_url, cli_prefix), count_articles(es_url, dag_prefix))
        finally:
            for name in (cli_prefix, dag_prefix):
                delete_prefix(es, settings.with_overrides(index_prefix=name))
    valid = dag.state == "success" and counts[0] == counts[1] == (counts[0] if expected is None else expected)
    invalid = "" if valid else f"; INVALID: run {dag.state}, articles CLI/DAG {counts}"
    per_task = feeds_per_task or load_settings().feeds_per_task
    label = f"DAG path: {subject}, {dag.mapped} mapped tasks ({per_task} feeds/task)"
    return [
        Result(f"{label}, wall", f"{dag.wall_s:.1f} s", f"CLI {cli_wall:.1f} s",
               dag.wall_s / cli_wall if valid else float("inf"), f"<= {MAX_WALL_RATIO:g}",
               note=f"scheduled run start to end vs the CLI subprocess; {counts[1]} articles" + invalid),
        Result(f"{label}, task time", f"{dag.task_s:.1f} s summed over {dag.tasks} tasks",
               f"CLI CPU {cli_cpu:.1f} s", dag.task_s / cli_cpu if valid else float("inf"),
               f"<= {MAX_TASK_TIME_RATIO:g}",
               note=f"summed task durations ({dag.by_task}) vs CLI user+system CPU" + invalid),
    ]


def _seconds_in_new_process(fn: str) -> float:
    done = subprocess.run([sys.executable, "-c", COLD_START.format(fn=fn)], capture_output=True, text=True,
                          timeout=300, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def cold_start() -> Result:
    """Import + enricher in a new process, as every task pays it: from the compiled cache (best of 3,
    after one warm-up that builds it) against an uncached build."""
    _seconds_in_new_process("load_enricher")
    cached = min(_seconds_in_new_process("load_enricher") for _ in range(3))
    built = min(_seconds_in_new_process("build_enricher") for _ in range(2))
    return Result("enricher cold start in a new process (s)", f"{cached:.2f} s from the compiled cache",
                  f"uncached build {built:.2f} s", cached, f"<= {MAX_COLD_START_S:g}",
                  note="import of mediawatch.enrich included; camel-tools' charsets module alone walks all "
                       "1.1 M code points at import (~0.4-0.6 s here), natasha's navec/slovnet unpickle ~0.1-0.3 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--feeds-per-task", type=int, default=None)
    parser.add_argument("--registry", type=Path, default=None,
                        help="feeds of this registry instead (e.g. ../shared/tools/serve-realfeeds --out FILE)")
    args = parser.parse_args(argv)
    es_url = load_settings().es_url
    prefix = f"mwbench-{uuid.uuid4().hex[:8]}"
    results = (compare(args.registry, es_url, prefix, f"registry {args.registry.name}", None, args.feeds_per_task)
               if args.registry else run(es_url, prefix, args.feeds, args.items, args.feeds_per_task))
    print(table(results))
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
