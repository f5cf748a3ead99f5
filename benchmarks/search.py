"""Search latency and export time on a 100,000-article archive, each against a baseline.

    python benchmarks/search.py [--articles 100000] [--db PATH]

The archive is built from the mirror's model (titles and bodies of the synthetic site, stored
through the SqliteStore library, so the search index is the one a crawl makes); --db keeps it for
re-runs. Search: the index against a LIKE scan of the same rows (the obvious baseline), per
query length. Export: `export_articles` (ordered, atomic, JSON columns decoded) against a bare
SELECT of the same rows dumped as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from xzcrawler.core import normalize as nz
from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.store import ARTICLE_FIELDS, SqliteStore, export_articles
from xzcrawler.store.search import search

QUERIES = {
    "1 char": ["徐", "园", "厂"],
    "2 chars": ["徐州", "园区", "招商"],
    "4 chars": ["科创产业", "高新技术", "标准厂房"],
    "rare": ["蕞", "保诺", "殷飞致辞", "5G"],
}


def build(path: Path, n: int) -> None:
    site = MirrorSite(n)
    fetched = nz.utc_iso(None)
    started = time.perf_counter()
    with SqliteStore(path, batch_size=1000) as archive:
        for aid in site.ids:
            art = site.article(aid)
            body = "\n\n".join(art.body_paragraphs)
            archive.add_article(
                {
                    "url": f"http://xuzhou.021cf.cn/index.php/post/{aid}.html",
                    "site": "xuzhou.021cf.cn",
                    "article_id": aid,
                    "title": art.title,
                    "category": CATEGORIES[art.category],
                    "category_url": None,
                    "breadcrumbs": [],
                    "author": "admin",
                    "published_date": art.published.date().isoformat(),
                    "published_at": None,
                    "published_precision": "day",
                    "published_text": None,
                    "views": art.views,
                    "byline": art.byline,
                    "keywords": art.keywords,
                    "body_text": body,
                    "images": art.images,
                    "related": [],
                    "promo_text": None,
                    "content_hash": nz.content_hash(body),
                    "fetched_at": fetched,
                }
            )
    print(f"built {n} articles in {time.perf_counter() - started:.0f} s, {path.stat().st_size / 2**20:.0f} MiB")


def timed(fn, repeat=7):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "archive.db"
    if not path.exists():
        build(path, args.articles)
    conn = sqlite3.connect(path)
    count = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"archive: {count} articles")
    print("baseline: LIKE '%q%' on title and body, newest 20 (fast when the word is common, a full scan when rare)")
    print(f"{'query':10s} {'index ms (median/max)':>22s} {'LIKE scan ms':>14s} {'ratio':>9s}  results")
    worst = 0.0
    for label, queries in QUERIES.items():
        for query in queries:
            med, top, hits = timed(lambda q=query: search(conn, q, limit=20))
            like = f"%{query}%"
            base, _, _ = timed(
                lambda like=like: conn.execute(
                    "SELECT article_id FROM articles WHERE title LIKE ? OR body_text LIKE ? ORDER BY published_date DESC LIMIT 20",
                    [like, like],
                ).fetchall(),
                repeat=3,
            )
            worst = max(worst, med)
            print(f"{query:10s} {med:12.1f} / {top:6.1f} {base:14.1f} {base / med:8.2f}x  {len(hits)} ({label})")
    print(f"slowest median: {worst:.1f} ms (goal <= 50 ms)")

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        exported = export_articles(path, Path(out) / "articles.jsonl")
        ours = time.perf_counter() - started
        started = time.perf_counter()
        with open(Path(out) / "bare.jsonl", "w", encoding="utf-8") as fh:
            for values in conn.execute("SELECT {} FROM articles".format(", ".join(ARTICLE_FIELDS))):
                fh.write(json.dumps(dict(zip(ARTICLE_FIELDS, values, strict=True)), ensure_ascii=False) + "\n")
        bare = time.perf_counter() - started
    print(
        f"export: {exported} articles in {ours:.2f} s (goal <= 10 s); bare SELECT+dump {bare:.2f} s; ratio {ours / bare:.2f}"
    )


if __name__ == "__main__":
    main()
