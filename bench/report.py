"""Results, the table, the machine they ran on, and ``bench/RESULTS.md``."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = ("benchmark", "measured", "reference", "ratio", "target", "result")


@dataclass(frozen=True)
class Result:
    """One row: the subject and its reference in absolute numbers, their ratio and its target."""

    name: str
    measured: str
    reference: str
    ratio: float | None = None  # None: context only, no target
    target: str = ""  # "<= 4" or ">= 0.7"
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.ratio is None or not self.target:
            return None
        op, limit = self.target.split()
        return self.ratio <= float(limit) if op == "<=" else self.ratio >= float(limit)

    def row(self) -> tuple[str, ...]:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[self.passed]
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        return (self.name, self.measured, self.reference, ratio, self.target or "-", verdict)


def failed(name: str, error: BaseException) -> Result:
    """A benchmark that could not run is a failure with its reason, not a missing row."""
    return Result(name, f"error: {type(error).__name__}: {error}"[:120], "-", float("inf"), "<= 0",
                  note=f"did not run: {type(error).__name__}: {error}")


def cpu_seconds(subject: Callable[[], object]) -> float:
    """CPU time of the process while ``subject`` runs.

    The in-process benchmarks are single-threaded and CPU-bound; on a shared two-core machine
    their wall time also counts the time other processes held the CPU, which is noise.
    """
    start = time.process_time()
    subject()
    return time.process_time() - start


def best_of(repeats: int, *subjects: Callable[[], object]) -> list[float]:
    """Best CPU time of each callable over ``repeats`` rounds, run interleaved (A B, B A, A B...)."""
    best = [float("inf")] * len(subjects)
    for round_no in range(repeats):
        order = list(range(len(subjects)))
        if round_no % 2:
            order.reverse()
        for i in order:
            best[i] = min(best[i], cpu_seconds(subjects[i]))
    return best


def table(results: list[Result]) -> str:
    """A Markdown table, readable in a terminal as well."""
    rows = [HEADER, *(r.row() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows[1:])])


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(es_version: str) -> dict[str, str]:
    load = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "Python": platform.python_version(),
        "Elasticsearch": es_version,
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
    }


def _memory() -> str:
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal"):
                return f"{int(text.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def write_results(results: list[Result], info: dict[str, str], elapsed_s: float, path: Path = RESULTS_FILE) -> None:
    notes = [f"- **{r.name}**: {r.note}" for r in results if r.note]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`). Every ratio compares the subject with a reference",
        "measured in the same run. In-process benchmarks (enrichment, parsing) alternate subject and reference",
        "and keep each one's best CPU time, which other load on the two cores does not inflate; indexing and",
        "end to end are wall time. Corpora are generated with a fixed seed from the project's own texts",
        "(`bench/corpus.py`).",
        "",
        table(results),
        "",
        *(["Notes:", "", *notes, ""] if notes else []),
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        f"- whole run: {elapsed_s / 60:.1f} min",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
