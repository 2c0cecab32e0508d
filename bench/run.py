"""``python -m bench.run``: every benchmark, one table, ``bench/RESULTS.md``.

Needs ``MEDIAWATCH_ES_URL`` (``make bench`` starts the local node and sets it). Indices and
templates go under a fresh ``mwbench-<random>`` prefix and are deleted at the end. Exits 1 when
a target is missed (the table and the results file are written either way).
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Callable

from mediawatch.index import delete_prefix, setup_indices
from mediawatch.settings import load_settings
from mediawatch.store import check_reachable, make_client

from . import dagrun, endtoend, enrichment, indexing, parsing
from .report import Result, failed, machine, table, write_results


def _step(name: str, bench: Callable[[], list[Result]], results: list[Result]) -> None:
    """Run one benchmark; a crash becomes a failing row, the others still run."""
    start = time.perf_counter()
    print(f"-- {name} ...", file=sys.stderr, flush=True)
    try:
        rows = bench()
    except Exception as exc:  # reported in the table, with the reason
        logging.getLogger("bench").exception("%s failed", name)
        rows = [failed(name, exc)]
    results.extend(rows)
    print(f"   {time.perf_counter() - start:.0f} s: " + "; ".join(f"{r.name}: {r.row()[3]} {r.row()[5]}" for r in rows),
          file=sys.stderr, flush=True)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    prefix = f"mwbench-{uuid.uuid4().hex[:8]}"
    settings = load_settings().with_overrides(index_prefix=prefix)
    es = make_client(settings)
    info = machine(check_reachable(es, settings))
    results: list[Result] = []
    try:
        setup_indices(es, settings)
        _step("enrichment", enrichment.run, results)
        _step("feed parsing", parsing.run, results)
        _step("indexing", lambda: indexing.run(es, settings), results)
        _step("end to end", lambda: endtoend.run(settings.es_url, f"{prefix}-e2e"), results)
        _step("enricher cold start", lambda: [dagrun.cold_start()], results)
        for feeds in (50, 200):
            _step(f"DAG path, {feeds} feeds", lambda n=feeds: dagrun.run(settings.es_url, f"{prefix}-dag{n}", n),
                  results)
    finally:
        delete_prefix(es, settings)  # the end-to-end indices share the prefix too
    elapsed = time.perf_counter() - started
    print(table(results))
    write_results(results, info, elapsed)
    print(f"\n{sum(r.passed is False for r in results)} of {sum(r.passed is not None for r in results)} targets "
          f"missed; {elapsed / 60:.1f} min; written to bench/RESULTS.md", file=sys.stderr)
    return 1 if any(r.passed is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
