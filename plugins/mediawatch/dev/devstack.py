"""The local stack without Docker: the dev Elasticsearch node plus ``airflow standalone``.

    python -m mediawatch.dev.devstack up     # `make run`
    python -m mediawatch.dev.devstack down   # `make stop`

Airflow runs with this checkout's dags/ and plugins/, its own AIRFLOW_HOME (``.airflow/``),
and the SimpleAuthManager with a pre-seeded passwords file, so the local login is fixed
(admin / mediawatch-local) instead of a new random password on every start. Those
credentials are for this local stack only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import devnode
from .devnode import stop_process_group

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_USER = "admin"
LOCAL_PASSWORD = "mediawatch-local"


@dataclass
class Stack:
    airflow_url: str
    es_url: str
    pid: int
    home: Path
    log_file: Path


def airflow_env(home: Path, es_url: str, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an Airflow that serves this checkout's DAGs against ``es_url``."""
    passwords = home / "simple_auth_manager_passwords.json"
    home.mkdir(parents=True, exist_ok=True)
    passwords.write_text(json.dumps({LOCAL_USER: LOCAL_PASSWORD}))
    env = {
        **os.environ,
        # standalone starts its components as `airflow ...` subprocesses: the venv must be on PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOCAL_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "MEDIAWATCH_ES_URL": es_url,
    }
    env.update(extra or {})
    return env


def wait_for_airflow(url: str, timeout_s: float = 240.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"airflow standalone exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:
                health = json.load(response)
            if health.get("scheduler", {}).get("status") == "healthy":
                return
        except OSError:
            pass
        time.sleep(2)
    raise RuntimeError(f"Airflow at {url} did not become healthy within {timeout_s:.0f}s")


def start_airflow(home: Path, es_url: str, port: int = 8080, extra_env: dict[str, str] | None = None) -> Stack:
    """Start ``airflow standalone`` in its own process group and wait until it is healthy."""
    log_file = home / "standalone.log"
    env = airflow_env(home, es_url, port, extra_env)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=home)
    url = f"http://localhost:{port}"
    try:
        wait_for_airflow(url, proc=proc)
    except RuntimeError:
        stop_process_group(proc.pid)
        raise RuntimeError(f"Airflow did not start; see {log_file}:\n{log_file.read_text()[-3000:]}") from None
    return Stack(airflow_url=url, es_url=es_url, pid=proc.pid, home=home, log_file=log_file)


def _state_file(home: Path) -> Path:
    return home / "stack.json"


def up(home: Path) -> Stack:
    """Start (or reuse) the dev node, then Airflow; a node started here is stopped if Airflow fails."""
    node_was_up = devnode.status() is not None
    node = devnode.start()
    try:
        stack = start_airflow(home, node.url)
    except RuntimeError:
        if not node_was_up:
            devnode.stop()
        raise
    _state_file(home).write_text(json.dumps({"pid": stack.pid, "airflow_url": stack.airflow_url}))
    return stack


def down(home: Path) -> None:
    state = _state_file(home)
    if state.exists():
        stop_process_group(json.loads(state.read_text())["pid"])
        state.unlink()
    devnode.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediawatch.dev.devstack", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--home", default=str(REPO_ROOT / ".airflow"), help="AIRFLOW_HOME for the local stack")
    args = parser.parse_args(argv)
    home = Path(args.home)
    if args.action == "down":
        down(home)
        print("local stack stopped", file=sys.stderr)
        return 0
    try:
        stack = up(home)
    except RuntimeError as exc:  # devnode.NodeError included: one line that says what to do
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Airflow:       {stack.airflow_url}  (login {LOCAL_USER} / {LOCAL_PASSWORD};"
          f" passwords file {home / 'simple_auth_manager_passwords.json'})")
    print(f"Elasticsearch: {stack.es_url}")
    print(f"Airflow log:   {stack.log_file}")
    print("The DAGs start paused: unpause mediawatch_ingest in the UI to let it run on its schedule.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
