"""Peak memory of a first crawl against the size of the site: 10,000 against 100,000 articles.

    python benchmarks/memory.py [--small 10000] [--large 100000]

Each crawl runs the full pipeline (`scrapy crawl articles`, WARC and search index on) as a
subprocess against the mirror served from this process; its peak RSS is the child's
``ru_maxrss`` (the whole life of the process, not Scrapy's once-a-minute sample). The figure is
the ratio large/small, measured side by side in the same run: memory that grows with the site
(request queues, caches, per-article state) shows as a ratio near large/small; a crawl whose
state is bounded stays near 1. Goal (issue 8): at most 2.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import report

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

MEASURE = (
    "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def crawl(articles: int) -> dict:
    server, base = serve_in_thread(MirrorSite(articles))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            command = crawl_command(
                base, str(work / "a.db"), str(work / "a.jsonl"), [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING"]
            )
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, *command],
                cwd=work,
                env=ENV,
                capture_output=True,
                text=True,
                timeout=7200,
            )
            seconds = time.perf_counter() - started
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-3000:])
            stored = sqlite3.connect(work / "a.db").execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        server.shutdown()
        server.server_close()
    return {
        "articles": articles,
        "stored": stored,
        "seconds": seconds,
        "peak_rss_mb": int(result.stdout.split()[-1]) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    small, large = crawl(args.small), crawl(args.large)
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    lines = [
        f"{row['articles']:7d} articles  stored {row['stored']:7d}  {row['seconds']:7.1f} s  "
        f"peak RSS {row['peak_rss_mb']:6.0f} MB"
        for row in (small, large)
    ]
    report([*lines, f"ratio large/small: {ratio:.2f}  (goal <= 2)"], {"small": small, "large": large, "ratio": ratio})


if __name__ == "__main__":
    main()
