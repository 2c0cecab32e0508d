"""MediaWatch benchmarks: each figure is a ratio against a reference measured in the same run.

``make bench`` (or ``python -m bench.run`` with ``MEDIAWATCH_ES_URL`` set) prints one table and
writes it, with the machine it ran on, to ``bench/RESULTS.md``. Corpora are generated with a
fixed seed from the project's own texts (see :mod:`bench.corpus`).
"""
