"""What the archive costs on disk: the SQLite file against the compressed WARC files of the same
crawl, per article and per table.

    python benchmarks/size.py [--articles 20000] [--baseline CHECKOUT]

A first crawl of the mirror (full pipeline, WARC on) into a fresh archive; the WAL is
checkpointed before measuring. With ``--baseline``, the same crawl runs with the code of another
checkout (a git worktree of an older commit) side by side in this run. Goal (issue 12): the
archive at most 2x its compressed WARC files, search results and speed unchanged.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from crawling import timed_crawl
from machine import machine

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite


def crawl(base: str, code: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds = timed_crawl(base, work, code=code)
        db = sqlite3.connect(work / "a.db")
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        tables = dict(
            db.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 8"
            ).fetchall()
        )
        db.close()
        db_bytes = (work / "a.db").stat().st_size
        warc_bytes = sum(p.stat().st_size for p in (work / "warc").glob("*.warc.gz"))
    return {
        "articles": articles,
        "seconds": seconds,
        "db_bytes": db_bytes,
        "warc_bytes": warc_bytes,
        "db_per_article": db_bytes / articles,
        "ratio": db_bytes / warc_bytes,
        "tables": tables,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    args = parser.parse_args()
    server, base = serve_in_thread(MirrorSite(args.articles))
    try:
        rows = [("baseline", crawl(base, args.baseline.resolve()))] if args.baseline else []
        rows.append(("this tree", crawl(base, None)))
    finally:
        server.shutdown()
        server.server_close()
    print(machine())
    for name, row in rows:
        top = ", ".join(f"{t} {b / 1e6:.1f} MB" for t, b in row["tables"].items())
        print(
            f"{name:10s} {row['articles']:6d} articles  DB {row['db_bytes'] / 1e6:7.1f} MB "
            f"({row['db_per_article'] / 1024:.1f} KB/article)  WARC {row['warc_bytes'] / 1e6:6.1f} MB  "
            f"DB/WARC {row['ratio']:.2f}  crawl {row['seconds']:.0f} s\n           {top}"
        )
    print(json.dumps(dict(rows), default=str))


if __name__ == "__main__":
    sys.exit(main())
