"""A real single-node Elasticsearch for tests and local runs, without Docker.

It is the Elasticsearch *test distribution* from Maven Central, fetched with ``mvn`` and
run with the newest JDK found under /usr/lib/jvm (9.x needs Java 21+). Elasticsearch refuses
to run as root, so as root the node runs as a dedicated system user, which may not be able
to enter the checkout (a clone in a 0700 directory). So the distribution, unpacked once per
machine, and each node's config, data and logs live in a cache outside the checkout:
/var/cache/mediawatch/es for root, $XDG_CACHE_HOME/mediawatch/es (~/.cache) otherwise, or
``MEDIAWATCH_ES_HOME``. Only the state of the running node (URL, pid) stays in the checkout,
in ``.es/node.json``. Security is off, the node listens on a free loopback port, and ``down``
removes its data.

    python -m mediawatch.dev.devnode up      # prints the URL once the cluster is yellow/green
    python -m mediawatch.dev.devnode down    # stops it and removes its data
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

REPO_ROOT = Path(__file__).resolve().parents[3]
# Per-machine cache when started by root: the service user must be able to reach it (FHS /var/cache).
ROOT_CACHE = Path("/var/cache/mediawatch/es")
# Newest 9.x integ-test-zip that Maven Central served here (9.3+ were refused on 2026-11-29).
DEFAULT_VERSION = "9.2.4"
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
RUN_AS_USER = "mediawatch-es"
MIN_JAVA = 21
# An unpack directory this old was left by a process that died half-way through.
STALE_UNPACK_S = 3600


class NodeError(RuntimeError):
    """The node could not be fetched, started or reached; the message says which step."""


@dataclass
class NodeInfo:
    url: str
    pid: int
    version: str
    data_dir: str
    log_file: str


def es_home() -> Path:
    """Where the distribution and the nodes' data live: ``MEDIAWATCH_ES_HOME`` or a per-machine cache."""
    if os.environ.get("MEDIAWATCH_ES_HOME"):
        return Path(os.environ["MEDIAWATCH_ES_HOME"]).absolute()
    if os.geteuid() == 0:
        return ROOT_CACHE
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).absolute() / "mediawatch" / "es"


def _state_file() -> Path:
    """The running node of this checkout (URL, pid, data directory)."""
    return REPO_ROOT / ".es" / "node.json"


def _make_dirs(path: Path, mode: int) -> None:
    """``mkdir -p`` that gives every directory it creates ``mode`` whatever the umask."""
    for directory in [*reversed(path.parents), path]:
        if not directory.exists():
            with contextlib.suppress(FileExistsError):
                directory.mkdir()
            directory.chmod(mode)


def _as_user(user: str | None) -> dict:
    """``subprocess`` arguments that run a child as ``user`` with only that user's group."""
    if not user:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _is_reachable_by(user: str, path: Path) -> bool:
    """True if ``user`` can search ``path`` (and so every directory above it)."""
    return subprocess.run(["test", "-x", str(path)], capture_output=True, **_as_user(user)).returncode == 0


def prepare_home(user: str | None) -> Path:
    """Create the cache with modes the service user can traverse, or fail with what to do."""
    home = es_home()
    advice = "set MEDIAWATCH_ES_HOME to a directory you can write" + (
        f" and user {user} can reach (e.g. {ROOT_CACHE})" if user else "")
    try:
        _make_dirs(home / "nodes", 0o755 if user else 0o700)
        if user and home == ROOT_CACHE:
            home.chmod(0o755)
            (home / "nodes").chmod(0o755)
    except OSError as exc:
        raise NodeError(f"cannot create the Elasticsearch cache {home} ({exc.strerror}); {advice}") from None
    if user and not _is_reachable_by(user, home / "nodes"):
        raise NodeError(f"user {user} cannot reach {home} (a directory above it is private, e.g. a 0700 "
                        f"clone or home); {advice}, or chmod o+x the private directory")
    return home


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


def _maven_archive(version: str) -> Path:
    """The distribution zip in the local Maven repository, fetched with mvn on first use."""
    repository = Path.home() / ".m2" / "repository"
    folder = repository / "org/elasticsearch/distribution/integ-test-zip/elasticsearch" / version
    archive = folder / f"elasticsearch-{version}.zip"
    if archive.exists():
        return archive
    print(f"fetching Elasticsearch test distribution {version} with mvn ...", file=sys.stderr)
    # mvn takes its home from the password database, not $HOME: name the repository we look in.
    cmd = ["mvn", "-q", "-B", "dependency:get", f"-Dartifact={ARTIFACT.format(version=version)}",
           "-Dtransitive=false", f"-Dmaven.repo.local={repository}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not archive.exists():
        raise NodeError(f"mvn could not fetch {ARTIFACT.format(version=version)}:\n{done.stdout}{done.stderr}")
    return archive


def _unpack(archive: Path, into: Path) -> None:
    """Extract with modes anyone may read, whatever the umask: directories 0755, programs 0755
    (executable in the zip, or in a bin/: the zip misses some), other files 0644."""
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
        for info in zf.infolist():
            path = into / info.filename
            is_program = (info.external_attr >> 16) & 0o111 or path.parent.name == "bin"
            path.chmod(0o755 if info.is_dir() or is_program else 0o644)
    for root, _dirs, _files in os.walk(into):
        os.chmod(root, 0o755)


def _remove_stale_unpacks(home: Path) -> None:
    for leftover in home.glob(".unpack-*"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > STALE_UNPACK_S:
                shutil.rmtree(leftover, ignore_errors=True)


def fetch_distribution(version: str, home: Path | None = None) -> Path:
    """Unpacked distribution directory in the cache, fetching and unpacking it on first use.

    It is unpacked into a private temporary directory and renamed into place, so processes
    starting at the same time never see (or leave) a half-unpacked distribution.
    """
    home = home or es_home()
    target = home / f"elasticsearch-{version}"
    if (target / "bin" / "elasticsearch").exists():
        return target
    archive = _maven_archive(version)
    _remove_stale_unpacks(home)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=home))
    try:
        _unpack(archive, staging)
        try:
            (staging / target.name).rename(target)
        except OSError:  # another process renamed its copy first
            if not (target / "bin" / "elasticsearch").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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


def _remove_dead_nodes(home: Path) -> None:
    """Delete node directories whose process is gone without ``down`` (killed, machine rebooted)."""
    for pid_file in (home / "nodes").glob("*/pid"):
        with contextlib.suppress(OSError, ValueError):
            if not _is_alive(int(pid_file.read_text())):
                shutil.rmtree(pid_file.parent, ignore_errors=True)


def _make_node_dir(home: Path, dist: Path, user: str | None) -> Path:
    """A fresh directory for one node: its config (copied), data, logs and JVM temp files."""
    node_dir = Path(tempfile.mkdtemp(prefix="node-", dir=home / "nodes"))
    shutil.copytree(dist / "config", node_dir / "config")
    for name in ("data", "logs", "tmp"):
        (node_dir / name).mkdir()
    (node_dir / "stdout.log").touch()
    if user:
        _chown_tree(node_dir, user)
    node_dir.chmod(0o755)
    return node_dir


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
    user = _run_as_user()
    home = prepare_home(user)
    dist = fetch_distribution(version, home)
    _remove_dead_nodes(home)
    data_dir = _make_node_dir(home, dist, user)
    port, transport_port = _free_port(), _free_port()
    env = {**os.environ, "ES_JAVA_HOME": str(java_home), "ES_PATH_CONF": str(data_dir / "config"),
           "ES_TMPDIR": str(data_dir / "tmp"), "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}"}
    env.pop("JAVA_HOME", None)
    cmd = [str(dist / "bin" / "elasticsearch"),
           "-Ediscovery.type=single-node", "-Expack.security.enabled=false",
           "-Enetwork.host=127.0.0.1", f"-Ehttp.port={port}", f"-Etransport.port={transport_port}",
           f"-Epath.data={data_dir / 'data'}", f"-Epath.logs={data_dir / 'logs'}",
           "-Ecluster.name=mediawatch-dev", "-Ecluster.routing.allocation.disk.threshold_enabled=false"]
    log_file = data_dir / "stdout.log"
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir,
                                start_new_session=True, **_as_user(user))
    (data_dir / "pid").write_text(str(proc.pid))
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
    parser = argparse.ArgumentParser(prog="python -m mediawatch.dev.devnode", description=__doc__.splitlines()[0])
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
            running = status()
            if running is None:
                print("no node running", file=sys.stderr)
                return 1
            print(running.url if args.action == "url" else json.dumps(asdict(running)))
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
