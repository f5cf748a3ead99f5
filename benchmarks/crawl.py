"""Crawl throughput: the full pipeline against a no-op spider, side by side, same mirror, same run.

    python benchmarks/crawl.py [--articles 2000] [--rounds 3] [--baseline CHECKOUT]

Both crawls run as `scrapy` subprocesses with the same settings (robots.txt, AutoThrottle,
loopback concurrency) against one mirror served from this process. Rounds alternate
(full, noop, full, noop, ...) so drift on the machine hits both; medians are reported.

With ``--baseline`` (a checkout of another commit, a git worktree), the full crawl of this tree is
set against the full crawl of that code instead of the no-op spider, each round in turn starting
with the other (issue 30: "the crawl is no slower").
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

HERE = Path(__file__).resolve().parent


def _stats(cwd: Path) -> dict:
    """The run's Scrapy stats: the archive's crawl_runs row, or the baseline's JSON file."""
    if (cwd / "noop-stats.json").exists():
        return json.loads((cwd / "noop-stats.json").read_text("utf-8"))
    row = sqlite3.connect(cwd / "a.db").execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(row[0])


def run(command: list[str], cwd: Path, code: Path | None = None) -> dict:
    """One crawl, timed; ``code``: the checkout whose code runs it (None: this tree)."""
    env = {**ENV, "PYTHONPATH": str(code)} if code is not None else ENV
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    stats = _stats(cwd)
    pages = stats.get("response_received_count", 0)
    return {
        "seconds": seconds,
        "pages": pages,
        "pages_per_s": pages / seconds,
        "rss_mb": stats.get("memusage/max", 0) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    args = parser.parse_args()
    if args.baseline:
        return against_baseline(args.articles, args.rounds, args.baseline.resolve())

    server, base = serve_in_thread(MirrorSite(args.articles))
    results = {"full": [], "noop": []}
    try:
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                full = crawl_command(base, str(work / "a.db"), str(work / "a.jsonl"), list(LOOPBACK_SETTINGS))
                results["full"].append(run(full, work))
                noop = [
                    sys.executable,
                    "-m",
                    "scrapy",
                    "runspider",
                    str(HERE / "noop_spider.py"),
                    "-a",
                    f"site={base}",
                    "-a",
                    f"articles={args.articles}",
                    "-a",
                    f"stats_out={work / 'noop-stats.json'}",
                    *LOOPBACK_SETTINGS,
                ]
                results["noop"].append(run(noop, work))
    finally:
        server.shutdown()

    summary = {}
    for name, rows in results.items():
        summary[name] = {
            "pages": rows[0]["pages"],
            "pages_per_s": statistics.median(r["pages_per_s"] for r in rows),
            "seconds": statistics.median(r["seconds"] for r in rows),
            "rss_mb": max(r["rss_mb"] for r in rows),
        }
    ratio = summary["full"]["pages_per_s"] / summary["noop"]["pages_per_s"]
    print(machine())
    print(f"mirror: {args.articles} articles, {args.rounds} alternating rounds, medians")
    for name in ("full", "noop"):
        s = summary[name]
        print(
            f"{name:5s} {s['pages']:6d} pages  {s['seconds']:7.2f} s  {s['pages_per_s']:8.1f} pages/s  max RSS {s['rss_mb']:.0f} MB"
        )
    print(f"ratio full/noop: {ratio:.2f}  (goal >= 0.8)")
    print(json.dumps({"summary": summary, "ratio": ratio}))


def against_baseline(articles: int, rounds: int, baseline: Path) -> None:
    """The full crawl of this tree and of ``baseline`` on one mirror, alternated, each round
    starting with the other code."""
    server, base = serve_in_thread(MirrorSite(articles))
    codes = {"this tree": None, "baseline": baseline}
    results: dict[str, list[dict]] = {name: [] for name in codes}
    try:
        for round_ in range(rounds):
            for name in list(codes)[:: 1 if round_ % 2 == 0 else -1]:
                with tempfile.TemporaryDirectory() as tmp:
                    work = Path(tmp)
                    command = crawl_command(base, str(work / "a.db"), str(work / "a.jsonl"), list(LOOPBACK_SETTINGS))
                    results[name].append(run(command, work, codes[name]))
    finally:
        server.shutdown()
    print(machine())
    print(f"mirror: {articles} articles, {rounds} rounds, the two codes alternated")
    for name, rows in results.items():
        seconds = [r["seconds"] for r in rows]
        print(
            f"{name:9s} {rows[0]['pages']:6d} pages  runs {', '.join(f'{s:.1f}' for s in seconds)} s  "
            f"median {statistics.median(seconds):.1f} s  best {min(seconds):.1f} s"
        )
    ratio = statistics.median(r["seconds"] for r in results["this tree"]) / statistics.median(
        r["seconds"] for r in results["baseline"]
    )
    print(f"this tree / baseline, median seconds: {ratio:.2f}")
    print(json.dumps({name: [r["seconds"] for r in rows] for name, rows in results.items()}))


if __name__ == "__main__":
    main()
