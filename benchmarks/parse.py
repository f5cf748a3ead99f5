"""Parse throughput: xzcrawler's parse + normalise against trafilatura.extract on the same pages.

    python benchmarks/parse.py [--repeat 20]

Pages: every tests/fixtures/*/*/page.html. Both run in this process, interleaved round by
round (ours, theirs, ours, ...), so machine drift hits both; the median round is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from pathlib import Path

from machine import machine

from xzcrawler.core.pages import parse_page

ROOT = Path(__file__).resolve().parents[1]


def load_pages():
    pages = []
    for case in sorted((ROOT / "tests" / "fixtures").glob("*/*/page.html")):
        meta = json.loads((case.parent / "meta.json").read_text("utf-8"))
        pages.append((case.read_bytes(), meta["url"], meta["fetched_at"]))
    return pages


def ours(pages):
    for body, url, fetched_at in pages:
        parse_page(body, url, fetched_at)


def theirs(pages):
    import trafilatura

    for body, url, _ in pages:
        trafilatura.extract(body, url=url)


def rate(fn, pages, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        fn(pages)
    return len(pages) * repeat / (time.perf_counter() - started)


def peak_kib(fn, pages):
    tracemalloc.start()
    fn(pages)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20, help="passes over the pages per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = load_pages()
    ours(pages), theirs(pages)  # warm up: imports, regex compilation, dateparser data
    rounds = {"xzcrawler": [], "trafilatura": []}
    for _ in range(args.rounds):
        rounds["xzcrawler"].append(rate(ours, pages, args.repeat))
        rounds["trafilatura"].append(rate(theirs, pages, max(1, args.repeat // 4)))
    ours_rate = statistics.median(rounds["xzcrawler"])
    theirs_rate = statistics.median(rounds["trafilatura"])
    print(machine())
    print(f"pages: {len(pages)} fixtures, {args.rounds} interleaved rounds, medians")
    print(f"xzcrawler parse+normalise : {ours_rate:8.0f} pages/s  peak {peak_kib(ours, pages):7.0f} KiB")
    print(f"trafilatura.extract       : {theirs_rate:8.0f} pages/s  peak {peak_kib(theirs, pages):7.0f} KiB")
    print(f"ratio: {ours_rate / theirs_rate:.1f}x  (goal >= 5x)")
    print(json.dumps({"xzcrawler": ours_rate, "trafilatura": theirs_rate, "ratio": ours_rate / theirs_rate}))


if __name__ == "__main__":
    main()
