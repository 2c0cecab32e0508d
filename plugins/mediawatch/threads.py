"""One BLAS thread per process on the ingest paths (the CLI and the DAG tasks).

numpy's matrix products (natasha's slovnet NER, run on every Russian article) go through OpenBLAS,
which by default starts a thread per core and keeps them spinning. Measured on 2 cores, one process
enriching 100 feeds x 30 items: 40.3 s wall / 47.8 s CPU with OpenBLAS's threads, 22.8 s / 18.4 s with
one. Several task processes on the same cores (mapped DAG tasks) each spinning their own threads
made every task about four times slower. OpenBLAS reads the variable when numpy is first imported,
so this runs at the entry points before anything imports numpy (``python -m mediawatch``, the ingest
DAG's mapped task); a value the operator set wins. Training (``mediawatch.learn``) keeps its threads.
"""

from __future__ import annotations

import os

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS",)


def one_blas_thread() -> None:
    """Ask OpenBLAS for one thread in this process, unless the environment says otherwise."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
