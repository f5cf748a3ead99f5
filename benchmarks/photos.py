"""What capturing the photos costs (issue 31, item 5): a first crawl of the mirror with photos on
(XZ_IMAGES=1, the default) and off, side by side in this run, alternating.

    python benchmarks/photos.py [--articles 2000] [--repeat 2]

Per mode: crawl time (best of the repeats), requests, DB and WARC size, photos captured, image
failures, and the share of the photos' WARC records that are revisits (a photo already held under
the same address). The mirror's pictures are 64 x 48 pixels (about 1 KB): the WARC's growth with
real photos is the photos' own bytes, which this prints per article so it can be scaled.
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


def crawl(base: str, photos: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds = timed_crawl(base, work, ("-s", f"XZ_IMAGES={int(photos)}"))
        db = sqlite3.connect(work / "a.db")
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        stats = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0])
        captured, photo_bytes = db.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM image_captures").fetchone()
        failed = db.execute("SELECT count(*) FROM failures WHERE kind = 'image'").fetchone()[0]
        photo_records = dict(
            db.execute(
                "SELECT record_type, count(*) FROM warc_records WHERE url IN "
                "(SELECT url FROM image_captures UNION SELECT url FROM failures WHERE kind = 'image') "
                "GROUP BY record_type"
            ).fetchall()
        )
        db.close()
        return {
            "articles": articles,
            "seconds": seconds,
            "requests": stats.get("downloader/request_count", 0),
            "db_bytes": (work / "a.db").stat().st_size,
            "warc_bytes": sum(p.stat().st_size for p in (work / "warc").glob("*.warc.gz")),
            "photos": captured,
            "photo_bytes": photo_bytes,
            "image_failures": failed,
            "revisits": photo_records.get("revisit", 0),
            "responses": photo_records.get("response", 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    server, base = serve_in_thread(MirrorSite(args.articles))
    try:
        for _ in range(args.repeat):
            for mode in ("off", "on"):
                runs[mode].append(crawl(base, mode == "on"))
    finally:
        server.shutdown()
        server.server_close()
    print(machine())
    best = {mode: min(rows, key=lambda row: row["seconds"]) for mode, rows in runs.items()}
    for mode, row in best.items():
        share = row["revisits"] / (row["revisits"] + row["responses"]) if row["responses"] else 0.0
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs[mode])
        print(
            f"photos {mode:3s} {row['articles']:6d} articles  crawl best {row['seconds']:6.1f} s "
            f"(runs {times})  requests {row['requests']:6d}  "
            f"DB {row['db_bytes'] / 1e6:6.1f} MB  WARC {row['warc_bytes'] / 1e6:6.1f} MB  "
            f"photos {row['photos']} ({row['photo_bytes'] / max(row['articles'], 1):.0f} B/article), "
            f"failures {row['image_failures']}, revisits {share:.1%}"
        )
    on, off = best["on"], best["off"]
    print(
        f"on / off: crawl {on['seconds'] / off['seconds']:.2f}x, requests {on['requests'] / off['requests']:.2f}x, "
        f"DB {on['db_bytes'] / off['db_bytes']:.2f}x, WARC {on['warc_bytes'] / off['warc_bytes']:.2f}x"
    )
    print(json.dumps(runs))


if __name__ == "__main__":
    sys.exit(main())
