"""A first crawl of the mirror into a fresh archive, timed, as the benchmarks run it: a
subprocess of `scrapy crawl articles` with the loopback settings (and the code of another
checkout, for a side-by-side baseline)."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command


def timed_crawl(base: str, work: Path, extra: tuple[str, ...] = (), code: Path | None = None) -> float:
    """Crawl ``base`` into ``work/a.db`` (WARC in ``work/warc``); the seconds it took. The WAL is
    checkpointed before returning, so the file's size is the archive's."""
    env = dict(ENV)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    settings = [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING", *extra]
    command = crawl_command(base, str(work / "a.db"), str(work / "a.jsonl"), settings)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=code or Path.cwd(), env=env, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    db = sqlite3.connect(work / "a.db")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return seconds
