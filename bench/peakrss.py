"""``python -m bench.peakrss RESULT -- COMMAND...``: run COMMAND, write its exit code and peak RSS to RESULT.

The peak RSS of a command has to be read by a small parent. At exec, Linux credits the new
program with the resident size of the process it was forked from (``ru_maxrss`` keeps the
larger), so a child of the benchmark process, which holds corpora and 50,000 documents, would
report at least the benchmark's own size. This launcher imports almost nothing.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    result, command = argv[0], argv[argv.index("--") + 1:]
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    with open(result, "w", encoding="utf-8") as out:
        json.dump({"exit_code": os.waitstatus_to_exitcode(status), "peak_rss_kb": usage.ru_maxrss}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
