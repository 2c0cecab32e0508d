"""``python -m mediawatch.kibana``: the same as ``python -m mediawatch kibana`` (regenerate seeds/kibana/)."""

import sys

from ..cli import main

if __name__ == "__main__":
    raise SystemExit(main(["kibana", *sys.argv[1:]]))
