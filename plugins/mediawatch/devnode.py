"""A real single-node Elasticsearch for tests and local runs, without Docker.

It is the Elasticsearch *test distribution* from Maven Central, fetched with ``mvn``,
unpacked under ``.es/`` in the checkout, and run with the newest JDK found under
/usr/lib/jvm (9.x needs Java 21+). Elasticsearch refuses to run as root, so as root the
node runs as a dedicated system user. Security is off, the node listens on a free
loopback port and keeps its data in a temporary directory removed by ``down``.

    python -m mediawatch.devnode up      # prints the URL once the cluster is yellow/green
    python -m mediawatch.devnode down    # stops it and removes its data
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Newest 9.x integ-test-zip that Maven Central served here (9.3+ were refused on 2026-11-29).
DEFAULT_VERSION = "9.2.4"
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
RUN_AS_USER = "mediawatch-es"
MIN_JAVA = 21


class NodeError(RuntimeError):
    """The node could not be fetched, started or reached; the message says which step."""


@dataclass
class NodeInfo:
    url: str
    pid: int
    version: str
    data_dir: str
    log_file: str


def _es_home() -> Path:
    return Path(os.environ.get("MEDIAWATCH_ES_HOME", REPO_ROOT / ".es"))


def _state_file() -> Path:
    return _es_home() / "node.json"


def _java_major(java_home: Path) -> int:
    release = java_home / "release"
    if not release.exists():
        return 0
    match = re.search(r'JAVA_VERSION="(\d+)', release.read_text())
    return int(match.group(1)) if match else 0


def find_java() -> Path:
    """The newest JDK with Java 21+; ``MEDIAWATCH_JAVA_HOME`` or ``JAVA_HOME`` win if new enough."""
    candidates = [Path(p) for p in (os.environ.get("MEDIAWATCH_JAVA_HOME"), os.environ.get("JAVA_HOME")) if p]
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        candidates += sorted(jvm_dir.iterdir(), key=_java_major, reverse=True)
    for home in candidates:
        if _java_major(home) >= MIN_JAVA and (home / "bin" / "java").exists():
            return home
    raise NodeError(f"no JDK {MIN_JAVA}+ found (looked at $JAVA_HOME and /usr/lib/jvm/*)")


def fetch_distribution(version: str) -> Path:
    """Unpacked distribution directory, fetching the zip with mvn on first use."""
    target = _es_home() / f"elasticsearch-{version}"
    if (target / "bin" / "elasticsearch").exists():
        return target
    m2 = Path.home() / ".m2" / "repository" / "org/elasticsearch/distribution/integ-test-zip/elasticsearch"
    archive = m2 / version / f"elasticsearch-{version}.zip"
    if not archive.exists():
        print(f"fetching Elasticsearch test distribution {version} with mvn ...", file=sys.stderr)
        cmd = ["mvn", "-q", "-B", "dependency:get", f"-Dartifact={ARTIFACT.format(version=version)}",
               "-Dtransitive=false"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not archive.exists():
            raise NodeError(f"mvn could not fetch {ARTIFACT.format(version=version)}:\n{done.stdout}{done.stderr}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target.parent)
    for script in (target / "bin").iterdir():
        script.chmod(0o755)
    # The JDK's launcher is not in the zip's executable bits either.
    for path in target.rglob("*"):
        if path.is_file() and path.parent.name == "bin":
            path.chmod(0o755)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as_user() -> str | None:
    """Elasticsearch refuses root: as root, run the node as a system user created on demand."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS_USER],
                       check=True)
    return RUN_AS_USER


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def wait_for_health(url: str, timeout_s: float = 120.0, proc: subprocess.Popen | None = None,
                    log_file: Path | None = None) -> dict:
    """Poll ``_cluster/health`` until yellow or green; raise with the log tail otherwise."""
    deadline = time.monotonic() + timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=yellow&timeout=2s",
                                        timeout=5) as resp:
                health = json.load(resp)
            if health.get("status") in {"yellow", "green"}:
                return health
        except OSError as exc:
            last_error = str(exc)
        time.sleep(1)
    tail = log_file.read_text(errors="replace")[-3000:] if log_file and log_file.exists() else ""
    raise NodeError(f"Elasticsearch at {url} did not become healthy ({last_error}).\n{tail}")


def start(version: str | None = None, heap: str | None = None) -> NodeInfo:
    """Start a node (or return the running one recorded in the state file)."""
    running = status()
    if running:
        return running
    version = version or os.environ.get("MEDIAWATCH_ES_VERSION", DEFAULT_VERSION)
    heap = heap or os.environ.get("MEDIAWATCH_ES_HEAP", "512m")
    java_home = find_java()
    dist = fetch_distribution(version)
    data_dir = Path(tempfile.mkdtemp(prefix="mediawatch-es-"))
    conf_dir = data_dir / "config"
    shutil.copytree(dist / "config", conf_dir)
    (data_dir / "data").mkdir()
    (data_dir / "logs").mkdir()
    port, transport_port = _free_port(), _free_port()
    user = _run_as_user()
    if user:
        _chown_tree(data_dir, user)
        data_dir.chmod(0o755)
    env = {**os.environ, "ES_JAVA_HOME": str(java_home), "ES_PATH_CONF": str(conf_dir),
           "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}"}
    env.pop("JAVA_HOME", None)
    cmd = [str(dist / "bin" / "elasticsearch"),
           "-Ediscovery.type=single-node", "-Expack.security.enabled=false",
           "-Enetwork.host=127.0.0.1", f"-Ehttp.port={port}", f"-Etransport.port={transport_port}",
           f"-Epath.data={data_dir / 'data'}", f"-Epath.logs={data_dir / 'logs'}",
           "-Ecluster.name=mediawatch-dev", "-Ecluster.routing.allocation.disk.threshold_enabled=false"]
    log_file = data_dir / "stdout.log"
    with open(log_file, "wb") as log:
        if user:
            os.chown(log_file, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, user=user,
                                cwd=data_dir, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    info = NodeInfo(url=url, pid=proc.pid, version=version, data_dir=str(data_dir), log_file=str(log_file))
    try:
        wait_for_health(url, proc=proc, log_file=log_file)
    except NodeError:
        stop_process_group(proc.pid)
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    _state_file().parent.mkdir(parents=True, exist_ok=True)
    _state_file().write_text(json.dumps(asdict(info)))
    return info


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status() -> NodeInfo | None:
    """The node recorded in the state file, if it still answers."""
    state = _state_file()
    if not state.exists():
        return None
    info = NodeInfo(**json.loads(state.read_text()))
    if not _is_alive(info.pid):
        return None
    try:
        wait_for_health(info.url, timeout_s=5)
    except NodeError:
        return None
    return info


def stop_process_group(pid: int, grace_s: float = 30.0) -> None:
    """SIGTERM a process group, wait for all of it to go, SIGKILL what is left after ``grace_s``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a child of ours would otherwise linger as a zombie
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def stop() -> bool:
    """Stop the recorded node and remove its data; True if something was stopped."""
    state = _state_file()
    if not state.exists():
        return False
    info = NodeInfo(**json.loads(state.read_text()))
    stop_process_group(info.pid)
    shutil.rmtree(info.data_dir, ignore_errors=True)
    state.unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediawatch.devnode", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "status", "url"])
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            info = start()
            print(f"Elasticsearch {info.version} is up at {info.url} (pid {info.pid}, data {info.data_dir})",
                  file=sys.stderr)
            print(info.url)
        elif args.action == "down":
            print("stopped" if stop() else "no node was running", file=sys.stderr)
        else:
            info = status()
            if info is None:
                print("no node running", file=sys.stderr)
                return 1
            print(info.url if args.action == "url" else json.dumps(asdict(info)))
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
