"""The compiled enricher on disk: keyed on its inputs, written atomically, read back identical."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import time
from pathlib import Path

from mediawatch.enrich import build_enricher
from mediawatch.enrich.cache import cache_key, load_or_build
from mediawatch.settings import DEFAULT_SEEDS_DIR

SAMPLE = ("Путин и аш-Шараа обсудили в Москве поставки пшеницы",
          "Президент России Владимир Путин провел переговоры с президентом Сирии Ахмедом аш-Шараа.")


def _slow_build(cache_dir: str, results) -> None:
    def build() -> dict:
        time.sleep(0.3)  # both processes are building at once
        return {"built": True, "payload": list(range(50_000))}

    results.put(load_or_build("concurrent", build, Path(cache_dir)))


def test_second_load_reads_the_file_and_never_rebuilds(tmp_path: Path) -> None:
    calls = []
    first = load_or_build("k1", lambda: calls.append(1) or {"a": 1}, tmp_path)
    second = load_or_build("k1", lambda: calls.append(1) or {"a": 2}, tmp_path)
    assert first == second == {"a": 1} and calls == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["enricher-k1.pickle"]


def test_a_new_key_replaces_the_old_file_and_a_broken_file_is_rebuilt(tmp_path: Path) -> None:
    load_or_build("old", lambda: 1, tmp_path)
    load_or_build("new", lambda: 2, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["enricher-new.pickle"]
    (tmp_path / "enricher-new.pickle").write_bytes(b"\x80\x05truncated")
    assert load_or_build("new", lambda: 3, tmp_path) == 3
    assert load_or_build("new", lambda: 4, tmp_path) == 3


def test_processes_building_at_once_both_succeed_and_leave_one_whole_file(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_slow_build, args=(str(tmp_path), results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    got = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(value["built"] and len(value["payload"]) == 50_000 for value in got)
    assert [p.name for p in tmp_path.iterdir()] == ["enricher-concurrent.pickle"], "no temporary files left"
    assert pickle.loads((tmp_path / "enricher-concurrent.pickle").read_bytes())["payload"][-1] == 49_999


def test_the_key_follows_the_seed_files_bytes(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    inputs = [seeds / "entities.yaml", seeds / "topics.yaml"]
    before = cache_key(inputs)
    assert cache_key(inputs) == before
    (seeds / "topics.yaml").write_text((seeds / "topics.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache_key(inputs) != before


def test_the_cached_enricher_enriches_exactly_as_a_fresh_one(tmp_path: Path) -> None:
    fresh = load_or_build("real", lambda: build_enricher(DEFAULT_SEEDS_DIR), tmp_path)
    cached = load_or_build("real", lambda: None, tmp_path)
    assert cached is not None and cached is not fresh
    for lang in ("ru", None):
        assert cached.enrich(*SAMPLE, lang).to_dict() == fresh.enrich(*SAMPLE, lang).to_dict()
    assert cached.enrich(*SAMPLE).entities, "the watchlist came through"
