"""Reparse, the upgrade path after a parser change, beside the crawl that made the archive.

    python benchmarks/reparse.py [--articles 20000] [--baseline CHECKOUT] [--repeat 2]

One crawl of the mirror (full pipeline, WARC on) makes the archive; its time is the first line.
Then ``xzcrawler reparse`` re-extracts it, in place (on a copy: what every user runs after a
parser change) and ``--into`` a fresh archive, with this tree and, with ``--baseline``, with the
code of another checkout (a git worktree of an older commit), alternating, side by side in this
run. The archives each reparse leaves are compared table by table: the result must be identical.
Goal (issues 19, 30): at least 1,000 articles/s at 20,000 articles on a two-core machine.

Each code is also timed parsing alone: every capture read and harvested by reparse's worker pool,
nothing written (``ceiling``). No writer can make a reparse faster than that: it is the most the
parser allows on this machine, whatever the store does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine

from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

# What a reparse writes, in an order that does not depend on how it was written.
COMPARED = {
    "articles": "SELECT * FROM articles ORDER BY site, article_id",
    "revision_log": "SELECT site, article_id, revision, fetched_at, changed_fields, current FROM revision_log "
    "ORDER BY site, article_id, revision",
    "view_snapshots": "SELECT site, article_id, observed_at, views, source FROM view_snapshots "
    "ORDER BY site, article_id, observed_at, views, source",
    "failures": "SELECT url, kind, reason, http_status FROM failures ORDER BY url",
    "categories": "SELECT * FROM categories ORDER BY site, url",
    "related_seen": "SELECT * FROM related_seen ORDER BY 1, 2, 3",
    "search": "SELECT rowid FROM search_index WHERE search_index MATCH '厂房' ORDER BY rowid",
}


def fingerprint(db_path: Path) -> dict[str, str]:
    db = sqlite3.connect(db_path)
    try:
        out = {}
        for table, query in COMPARED.items():
            digest = hashlib.sha256()
            for row in db.execute(query):
                digest.update(repr(row).encode())
            out[table] = digest.hexdigest()[:16]
        return out
    finally:
        db.close()


def crawl(articles: int, work: Path) -> tuple[Path, float]:
    server, base = serve_in_thread(MirrorSite(articles))
    try:
        command = crawl_command(
            base, str(work / "a.db"), str(work / "a.jsonl"), [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING"]
        )
        started = time.perf_counter()
        result = subprocess.run(command, cwd=work, env=ENV, capture_output=True, text=True, timeout=7200)
        seconds = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return work / "a.db", seconds


def reparse(source: Path, work: Path, code: Path | None, into: bool) -> tuple[float, Path]:
    """One reparse by the code of ``code`` (None: this tree), timed; returns (seconds, the archive)."""
    env = dict(ENV)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    if into:
        target = work / "into.db"
        target.unlink(missing_ok=True)
        args = ["--db", str(source), "--into", str(target), "--warc-dir", str(source.parent / "warc")]
    else:
        target = work / "copy.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copy(source, target)
        args = ["--db", str(target), "--warc-dir", str(source.parent / "warc")]
    command = [sys.executable, "-m", "xzcrawler.cli", "reparse", *args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=code or Path.cwd(), env=env, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return seconds, target


# Reparse's worker pool over every capture of the archive, the results dropped: the parse alone.
CEILING = """
import os, sys, time
from pathlib import Path
from xzcrawler.store import SqliteStore
from xzcrawler.tools import reparse
archive, warc = Path(sys.argv[1]), Path(sys.argv[2])
with SqliteStore(archive, readonly=True) as store:
    records = store.warc_responses(None)
    originals = reparse._originals(store, warc)
started = time.perf_counter()
workers = os.cpu_count() or 1  # (as many as reparse starts)
pool = reparse._pool(workers, warc, originals)
for _ in reparse._harvested(records, pool, workers * reparse.WINDOW_PER_WORKER):
    pass
pool.shutdown()
print(time.perf_counter() - started)
"""


def ceiling(source: Path, code: Path | None) -> float:
    """Seconds the worker pool of ``code`` (None: this tree) takes to harvest every capture of
    ``source``, nothing written; NaN for a code whose reparse has no such pool (an older tree)."""
    env = dict(ENV)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, "-c", CEILING, str(source), str(source.parent / "warc")],
        cwd=code or Path.cwd(),
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if done.returncode != 0:
        print(f"the parse alone could not be timed for {code or 'this tree'}: {done.stderr.strip()[-300:]}")
        return float("nan")
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--archive", type=Path, default=None, help="reparse this archive instead of crawling one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.archive:
            source, crawl_seconds = args.archive.resolve(), None
        else:
            source, crawl_seconds = crawl(args.articles, work)
        articles = sqlite3.connect(source).execute("SELECT count(*) FROM articles").fetchone()[0]
        codes = [("baseline", args.baseline.resolve())] if args.baseline else []
        codes.append(("this tree", None))
        times: dict[tuple[str, str], list[float]] = {}
        prints: dict[tuple[str, str], dict] = {}
        for _ in range(args.repeat):
            for name, code in codes:
                times.setdefault((name, "parse alone"), []).append(ceiling(source, code))
            for mode in ("in place", "--into"):
                for name, code in codes:
                    seconds, target = reparse(source, work, code, mode == "--into")
                    times.setdefault((name, mode), []).append(seconds)
                    prints[(name, mode)] = fingerprint(target)
    print(machine())
    if crawl_seconds is not None:
        print(
            f"crawl      {articles:6d} articles  {crawl_seconds:6.1f} s  ({articles / crawl_seconds:6.0f} articles/s)"
        )
    for (name, mode), values in sorted(times.items(), key=lambda item: item[0][1]):
        best = min(values)
        print(
            f"reparse {mode:11s} {name:10s} {articles:6d} articles  best {best:6.1f} s "
            f"({articles / best:6.0f} articles/s)  runs: {', '.join(f'{v:.1f}' for v in values)}"
        )
    for mode in ("in place", "--into"):
        if args.baseline:
            same = prints[("baseline", mode)] == prints[("this tree", mode)]
            differ = [t for t in COMPARED if prints[("baseline", mode)][t] != prints[("this tree", mode)][t]]
            print(f"reparse {mode}: the result is {'identical' if same else 'DIFFERENT in ' + ', '.join(differ)}")
    print(json.dumps({f"{n} {m}": v for (n, m), v in times.items()}))


if __name__ == "__main__":
    sys.exit(main())
