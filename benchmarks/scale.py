"""The network in one process against one site, and the cost of merging shards.

    python benchmarks/scale.py [--articles 300] [--merge 10000 100000]

1. Crawl: the same full pipeline (`scrapy crawl articles`, WARC and search index on) over one
   site of the network mirror and over all of them (twelve) in one process, side by side in this run:
   pages per second and the child's peak RSS. The ratio network/one-site of pages per second
   says whether one process keeps up with twelve hosts (each host is still polite on its own).
2. Merge: one shard a site holding N articles in all (records of the mirror's pages, repeated under
   new ids, written through the store as a crawl would), merged into an empty archive; merged
   again (nothing new); then one shard with 1% of its articles changed, merged again.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine

from xzcrawler.core.pages import parse_page
from xzcrawler.mirror import render
from xzcrawler.mirror.crawl import ENV, LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.network import Network, serve_network
from xzcrawler.store import SqliteStore
from xzcrawler.store.merge import merge

MEASURE = (
    "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def crawl(sites: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        command = crawl_command(
            ",".join(sites), str(work / "a.db"), str(work / "a.jsonl"), [*LOOPBACK_SETTINGS, "-s", "LOG_LEVEL=WARNING"]
        )
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", MEASURE, *command], cwd=work, env=ENV, capture_output=True, text=True, timeout=7200
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        db = sqlite3.connect(work / "a.db")
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        pages = sum(
            json.loads(stats).get("response_received_count", 0)
            for (stats,) in db.execute("SELECT stats FROM crawl_runs")
        )
    return {
        "sites": len(sites),
        "stored": stored,
        "pages": pages,
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "peak_rss_mb": int(result.stdout.split()[-1]) / 1024,
    }


def build_shards(folder: Path, total: int, net: Network) -> list[Path]:
    """One shard a site, of ``total`` articles in all: each site's parsed pages, repeated under new ids."""
    per_site = total // len(net.sites)
    shards = []
    for k, site in enumerate(net.sites):
        base = f"http://127.0.0.{k + 1}:8021/"
        records = []
        for aid in site.ids:
            url = f"{base}index.php/post/{aid}.html"
            records.append(
                parse_page(render.article_page(site, aid, base).encode(), url, "2026-11-27T16:30:00Z").record
            )
        path = folder / f"shard{k}.db"
        with SqliteStore(path, batch_size=500) as archive:
            run = archive.start_run("articles", f"127.0.0.{k + 1}", base, "2026-11-27T16:30:00Z")
            for n in range(per_site):
                record = dict(records[n % len(records)])
                copy = n // len(records)
                if copy:  # another article: another id, and a text of its own
                    record["article_id"] += 100_000 * copy
                    record["url"] = f"{base}index.php/post/{record['article_id']}.html"
                    record["body_text"] = f"{record['body_text']}\n\n（第{copy}篇）"
                archive.add_article(record)
            archive.finish_run(run, "finished", {}, "2026-11-27T16:40:00Z")
        shards.append(path)
    return shards


def timed_merge(target: Path, shards: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    counts = merge(target, shards, warc=False)
    return time.perf_counter() - started, sum(sum(r.written.values()) for r in counts)


def merge_figures(total: int, net: Network) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        shards = build_shards(folder, total, net)
        built = time.perf_counter() - started
        target = folder / "network.db"
        first, rows = timed_merge(target, shards)
        again, rows_again = timed_merge(target, shards)
        # 1% of one shard's articles read again, their views changed, in a run a day later (a
        # merge refuses times past the end of a shard's last run)
        with sqlite3.connect(shards[0]) as db:
            db.execute(
                "INSERT INTO crawl_runs (spider, site, site_url, started_at, finished_at, status, exit_code) "
                "VALUES ('articles', '127.0.0.1', 'http://127.0.0.1:8021/', '2026-11-28T16:20:00Z', "
                "'2026-11-28T16:40:00Z', 'finished', 0)"
            )
            db.execute(
                "UPDATE articles SET views = views + 1, last_seen = '2026-11-28T16:30:00Z' "
                "WHERE rowid % 100 = 0 AND site = '127.0.0.1'"
            )
            (changed,) = db.execute("SELECT changes()").fetchone()
        incremental, rows_incremental = timed_merge(target, shards[:1])
        size = target.stat().st_size
    return {
        "articles": total,
        "build_s": built,
        "merge_s": first,
        "rows": rows,
        "again_s": again,
        "rows_again": rows_again,
        "changed": changed,
        "incremental_s": incremental,
        "rows_incremental": rows_incremental,
        "mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300, help="articles per site for the crawl figures")
    parser.add_argument("--merge", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    net = Network(args.articles)
    servers, urls = serve_network(net)
    try:
        one, every_site = crawl(urls[:1]), crawl(urls)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    print(machine())
    for row in (one, every_site):
        print(
            f"{row['sites']:2d} site(s)  {row['stored']:6d} articles  {row['pages']:6d} pages  {row['seconds']:6.1f} s  "
            f"{row['pages_per_s']:6.1f} pages/s  peak RSS {row['peak_rss_mb']:5.0f} MB"
        )
    print(f"pages/s ratio all/one: {every_site['pages_per_s'] / one['pages_per_s']:.2f}")
    merges = [merge_figures(total, Network(60)) for total in args.merge]
    for row in merges:
        print(
            f"merge {row['articles']:7d} articles: first {row['merge_s']:6.1f} s ({row['rows']} rows), "
            f"again {row['again_s']:5.1f} s ({row['rows_again']} rows), "
            f"{row['changed']} changed {row['incremental_s']:5.1f} s ({row['rows_incremental']} rows); "
            f"archive {row['mb']:.0f} MB (shards built in {row['build_s']:.0f} s)"
        )
    print(json.dumps({"crawl": [one, every_site], "merge": merges}))


if __name__ == "__main__":
    main()
