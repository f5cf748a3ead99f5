"""A re-extraction's worker, counted in CPU instructions per record rather than timed.

    python benchmarks/instructions.py --archive ARCHIVE [--baseline CHECKOUT] [--records 100 400]

This machine's speed moves by up to 1.9x within an hour (docs/benchmarks.md), so a change of a
few percent in the parse cannot be seen in seconds. valgrind's callgrind counts the instructions
a process runs, the same count on every run: each tree (this one and, with ``--baseline``, another
checkout) harvests the first N1 and then the first N2 WARC records of ``ARCHIVE`` as reparse's
worker does (read, parse, vet), and the difference of the two counts over N2 - N1 is what one
record costs, with the interpreter's start and the imports taken out. Instructions are no time (a
cache miss costs more than an addition) but a step that removes work shows here, side by side.
Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from machine import report

REPO = Path(__file__).resolve().parents[1]

# The worker's own function over the first N records of the archive, in one process.
DRIVER = """
import sys
from pathlib import Path
from xzcrawler.store import SqliteStore
from xzcrawler.tools import reparse
archive = Path(sys.argv[1])
with SqliteStore(archive, readonly=True) as store:
    records = store.warc_responses(None)[: int(sys.argv[2])]
reparse._start_worker(Path(sys.argv[3]), {})
for at in range(0, len(records), reparse.CHUNK):
    reparse._harvest_records(records[at : at + reparse.CHUNK])
"""


def instructions(tree: Path, archive: Path, warc: Path, records: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", DRIVER]
        + [str(archive), str(records), str(warc)],
        env=env,
        cwd=tree,  # (python -c puts its working folder first on the path: the tree's own code)
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_record(tree: Path, archive: Path, warc: Path, low: int, high: int) -> float:
    return (instructions(tree, archive, warc, high) - instructions(tree, archive, warc, low)) / (high - low)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--archive", type=Path, required=True, help="an archive with its WARC files")
    parser.add_argument("--warc", type=Path, help="its WARC folder (default: warc/ beside it)")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--records", type=int, nargs=2, default=(100, 400), metavar=("N1", "N2"))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    warc = args.warc or args.archive.parent / "warc"
    low, high = args.records
    trees = [("this tree", REPO)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    counts = {name: per_record(tree, args.archive, warc, low, high) for name, tree in trees}
    lines = [
        f"{name:10s} {count / 1e6:6.2f} M instructions a record (records {low + 1}-{high})"
        for name, count in counts.items()
    ]
    figures = {"instructions_per_record": counts}
    if args.baseline:
        figures["ratio"] = round(counts["this tree"] / counts["baseline"], 3)
        lines.append(f"this tree / baseline: {figures['ratio']}")
    report(lines, figures)


if __name__ == "__main__":
    main()
