"""Refresh cost: a full crawl of a large mirror, then a refresh with nothing changed, in one run.

    python benchmarks/refresh.py [--articles 10000]

Prints requests and seconds of each and their ratio (goal: the refresh issues <= 3 % of the
full crawl's requests).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from machine import report

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite


def crawl(base: str, work: Path, *extra: str) -> dict:
    command = crawl_command(
        base, str(work / "a.db"), str(work / "a.jsonl"), [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING", *extra]
    )
    started = time.perf_counter()
    result = subprocess.run(command, cwd=work, env=ENV, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    stats = json.loads(
        sqlite3.connect(work / "a.db").execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    )
    return {
        "seconds": seconds,
        "requests": stats["downloader/request_count"],
        "articles": stats.get("xz/articles_stored", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    server, base = serve_in_thread(MirrorSite(args.articles))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            full = crawl(base, Path(tmp))
            refresh = crawl(base, Path(tmp))
    finally:
        server.shutdown()
    ratio = refresh["requests"] / full["requests"]
    lines = [f"mirror: {args.articles} articles"]
    for name, row in (("full crawl", full), ("refresh", refresh)):
        lines.append(
            f"{name:11s}: {row['requests']:6d} requests {row['seconds']:7.1f} s  ({row['articles']} articles stored)"
        )
    lines.append(f"requests ratio: {ratio:.2%} (goal <= 3%), time ratio: {refresh['seconds'] / full['seconds']:.2%}")
    report(lines, {"full": full, "refresh": refresh, "ratio": ratio})


if __name__ == "__main__":
    main()
