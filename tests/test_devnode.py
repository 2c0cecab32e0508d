"""The dev node lives outside the checkout: a clone in a private directory can start it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import urllib.request
import zipfile
from pathlib import Path

import pytest
from mediawatch.dev import devnode

REPO_ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = os.geteuid() == 0


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line or environment contains ``text`` (zombies have neither)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        for name in ("cmdline", "environ"):
            with contextlib.suppress(OSError):
                if text.encode() in (proc / name).read_bytes():
                    found.append(int(proc.name))
                    break
    return found


def _fake_distribution(home: Path, version: str) -> None:
    """A tiny zip where mvn would have put the real one, with the zip's odd modes (no exec bits, 0660)."""
    archive = home / ".m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch" / version
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / f"elasticsearch-{version}.zip", "w") as zf:
        for name, mode in (("bin/elasticsearch", 0o644), ("config/elasticsearch.yml", 0o660),
                           ("lib/server.jar", 0o600)):
            info = zipfile.ZipInfo(f"elasticsearch-{version}/{name}")
            info.external_attr = (stat.S_IFREG | mode) << 16
            zf.writestr(info, b"x" * 200_000)


def test_the_cache_is_outside_the_checkout(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MEDIAWATCH_ES_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert devnode.es_home() == tmp_path / "mediawatch" / "es"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert devnode.es_home() == devnode.ROOT_CACHE
    monkeypatch.setenv("MEDIAWATCH_ES_HOME", "")  # empty means unset, not the current directory
    assert devnode.es_home() == devnode.ROOT_CACHE
    monkeypatch.setenv("MEDIAWATCH_ES_HOME", str(tmp_path / "es"))
    assert devnode.es_home() == tmp_path / "es"


@pytest.mark.skipif(not IS_ROOT, reason="only root runs the node as another user")
def test_a_home_the_service_user_cannot_reach_stops_at_once_saying_what_to_do(monkeypatch) -> None:
    private = Path(tempfile.mkdtemp(prefix="mediawatch-private-"))  # 0700, like a home directory
    try:
        monkeypatch.setenv("MEDIAWATCH_ES_HOME", str(private / "es"))
        with pytest.raises(devnode.NodeError) as caught:
            devnode.prepare_home(devnode._run_as_user())
        message = str(caught.value)
        assert "\n" not in message
        assert str(private / "es") in message and "MEDIAWATCH_ES_HOME" in message
        assert not any((private / "es").glob("elasticsearch-*")), "nothing is unpacked before the check"
    finally:
        shutil.rmtree(private)


def test_concurrent_unpacks_leave_one_complete_readable_distribution(monkeypatch, tmp_path) -> None:
    version = "0.0-test"
    monkeypatch.setenv("HOME", str(tmp_path))
    _fake_distribution(tmp_path, version)
    cache = tmp_path / "cache"
    cache.mkdir()
    start_together = threading.Barrier(4)
    results: list[Path | BaseException] = []

    def unpack() -> None:
        start_together.wait()
        try:
            results.append(devnode.fetch_distribution(version, cache))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=unpack) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    dist = cache / f"elasticsearch-{version}"
    assert results == [dist] * 4
    assert sorted(p.name for p in cache.iterdir()) == [dist.name], "no half-unpacked leftovers"
    assert stat.S_IMODE((dist / "bin" / "elasticsearch").stat().st_mode) == 0o755
    assert stat.S_IMODE((dist / "config" / "elasticsearch.yml").stat().st_mode) == 0o644
    assert stat.S_IMODE((dist / "lib" / "server.jar").stat().st_mode) == 0o644
    assert (dist / "lib" / "server.jar").stat().st_size == 200_000


@pytest.mark.es
def test_a_clone_in_a_private_directory_starts_and_stops_the_node() -> None:
    private = Path(tempfile.mkdtemp(prefix="mediawatch-clone-"))
    try:
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        clone = private / "p"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=120)
        env = {k: v for k, v in os.environ.items() if k not in {"MEDIAWATCH_ES_HOME", "MEDIAWATCH_ES_URL"}}
        env["PYTHONPATH"] = str(clone / "plugins")

        def devnode_cli(action: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "mediawatch.dev.devnode", action], cwd=clone, env=env,
                                  capture_output=True, text=True, timeout=300)

        up = devnode_cli("up")
        assert up.returncode == 0, up.stderr
        state_file = clone / ".es" / "node.json"  # written by the clone's own devnode
        node = json.loads(state_file.read_text())
        node_dir = Path(node["data_dir"])
        try:
            assert up.stdout.strip() == node["url"]
            health = _get_json(f"{node['url']}/_cluster/health")
            assert health["status"] in {"green", "yellow"}
            versions = _get_json(f"{node['url']}/_nodes?filter_path=nodes.*.version")["nodes"]
            assert [n["version"] for n in versions.values()] == [node["version"]]
            assert not node_dir.is_relative_to(private)
            assert not list((clone / ".es").glob("elasticsearch-*")), "the distribution is not in the clone"
            if IS_ROOT:
                assert node_dir.owner() == devnode.RUN_AS_USER
            assert node["pid"] in _processes_mentioning(str(node_dir))
        finally:
            down = devnode_cli("down")
        assert down.returncode == 0, down.stderr
        assert _processes_mentioning(str(node_dir)) == []
        assert not node_dir.exists() and not state_file.exists()
    finally:
        shutil.rmtree(private, ignore_errors=True)
