"""`xzcrawler verify` on a large archive, beside what one did by hand before it existed.

    python benchmarks/verify.py [--articles 20000] [--archive A.db]

One crawl of the mirror (full pipeline, WARC on) makes the archive (or ``--archive`` names one).
Then, side by side in this run: `warcio check` over its WARC files (the one check users ran by
hand: the WARC records' digests, nothing of the archive), `xzcrawler verify` (sampled: every
check, 200 records and 200 articles parsed again) and `xzcrawler verify --full` (every record
and every article). Goal (issue 32): the sampled verify of a 20,000-article archive under a minute.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite


def timed(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=7200)
    return time.perf_counter() - started, result.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--archive", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = args.archive
        if archive is None:
            server, base = serve_in_thread(MirrorSite(args.articles))
            try:
                archive = work / "a.db"
                command = crawl_command(
                    base, str(archive), str(work / "a.jsonl"), [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING"]
                )
                subprocess.run(command, cwd=work, env=ENV, capture_output=True, timeout=7200, check=True)
            finally:
                server.shutdown()
                server.server_close()
        warcs = sorted(str(p) for p in (archive.parent / "warc").glob("*.warc.gz"))
        rows = [
            ("warcio check (by hand)", [sys.executable, "-m", "warcio.cli", "check", *warcs]),
            ("xzcrawler verify", [sys.executable, "-m", "xzcrawler.cli", "verify", str(archive)]),
            ("xzcrawler verify --full", [sys.executable, "-m", "xzcrawler.cli", "verify", str(archive), "--full"]),
        ]
        results = [(name, *timed(command)) for name, command in rows]
    print(machine())
    print(f"archive: {args.articles if args.archive is None else archive} articles, {len(warcs)} WARC files")
    base_seconds = results[0][1]
    for name, seconds, code in results:
        print(f"{name:26s} {seconds:7.1f} s  exit {code}  ({seconds / base_seconds:.2f}x warcio check)")


if __name__ == "__main__":
    sys.exit(main())
