"""``python -m mediawatch.kibana``: regenerate seeds/kibana/ (NDJSON and panel table)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..settings import Settings
from .docs import KIBANA_DIR, write_files


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate seeds/kibana/ (NDJSON and panel table) for the default settings."""
    parser = argparse.ArgumentParser(prog="python -m mediawatch.kibana", description=main.__doc__)
    parser.add_argument("--out-dir", type=Path, default=KIBANA_DIR)
    for path in write_files(Settings(), parser.parse_args(argv).out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
