"""Export speed: `xzcrawler export` of one archive by this tree and by a baseline checkout, side by
side in one run, and this tree's CSV beside its JSONL.

    python benchmarks/export.py --archive data/xzcrawler.db [--baseline CHECKOUT] [--rounds 3]

Rounds alternate (baseline, this tree, ...) so drift on the machine hits both; the best of each
is reported. The JSONL files of both must be byte for byte the same.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import report

from xzcrawler.mirror.crawl import ENV


def export(archive: Path, out: Path, code: Path | None, *extra: str) -> float:
    env = dict(ENV)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "xzcrawler.cli", "export", "--db", str(archive), "--out", str(out), *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=code or Path.cwd(), env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    archive = args.archive.resolve()
    times: dict[str, list[float]] = {}
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs = [("baseline jsonl", args.baseline.resolve(), "a.jsonl", ())] if args.baseline else []
        runs += [("this tree jsonl", None, "b.jsonl", ()), ("this tree csv", None, "b.csv", ("--format", "csv"))]
        for _ in range(args.rounds):
            for name, code, out, extra in runs:
                times.setdefault(name, []).append(export(archive, work / out, code, *extra))
                digests[name] = hashlib.sha256((work / out).read_bytes()).hexdigest()
    lines = [f"{name:16s} best {min(v):6.2f} s  runs: {', '.join(f'{x:.2f}' for x in v)}" for name, v in times.items()]
    if args.baseline:
        same = digests["baseline jsonl"] == digests["this tree jsonl"]
        lines.append(
            f"ratio this tree / baseline (JSONL): {min(times['this tree jsonl']) / min(times['baseline jsonl']):.2f}"
        )
        lines.append(f"the JSONL files are {'identical' if same else 'DIFFERENT'}")
    report(lines, {"times": times, "archive": str(archive)})


if __name__ == "__main__":
    sys.exit(main())
