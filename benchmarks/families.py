"""Families of spun copies (issue 33): how right, and what they cost.

    python benchmarks/families.py [--per-site 300] [--sizes 10000 100000] [--crawl 300] [--repeat 2]

1. **Precision and recall** of the families (core/families.py) against the network mirror's truth
   (mirror/spin.py: which source each post was made from), at several spin strengths, pairwise:
   of the pairs of posts put in one family, the share made from one source (precision); of the
   pairs made from one source, the share put in one family (recall). The texts are the bodies the
   mirror serves (``paragraphs_of``: captions, date lines and contact lines included), as a crawl
   extracts them. Beside each strength: the quartiles of the share of 6-character shingles two
   copies of one source share (the measure issue 33 took of the real pages: 25-62 %), which is how
   the mirror's strength was chosen.
2. **Cost** at each of ``--sizes`` articles (texts spun at the chosen strength): signing (rensa,
   and datasketch's MinHash beside it), linking (the LSH index built and queried, pairs scored),
   the families made, and the peak memory of the whole; beside it, exact grouping (the story key
   of core/stories.py) over the same texts.
3. **Crawl overhead**: a first crawl of the network mirror (``--crawl`` articles a site, twelve
   sites) with ``XZ_FAMILIES`` on and off, alternating, ``--repeat`` times each.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from crawling import timed_crawl
from machine import report

from xzcrawler.core import families as F
from xzcrawler.core import stories
from xzcrawler.mirror.network import SPIN, Network, serve_network
from xzcrawler.mirror.spin import Spinner

STRENGTHS = (0.2, 0.5, 0.7, SPIN, 0.9, 1.0)


def pairs(groups) -> set:
    return {tuple(sorted(pair)) for group in groups for pair in itertools.combinations(group, 2)}


def six(text: str) -> set:
    return {text[at : at + 6] for at in range(len(text) - 5)}


def accuracy(per_site: int, spin: float) -> dict:
    net = Network(per_site, spin=spin)
    texts = {
        (k, aid): F.family_text("\n\n".join(site.paragraphs_of(aid)))
        for k, site in enumerate(net.sites)
        for aid in site.ids
    }
    signed = F.sign(texts)
    links = F.links(signed, signed)
    groups: dict = {}
    for key, root in F.components((link.a, link.b) for link in links).items():
        groups.setdefault(root, set()).add(key)
    found, truth = pairs(groups.values()), pairs(net.families())
    hits = len(found & truth)
    # how much of their text two copies of one source share (6-character shingles, of the smaller)
    shares = sorted(
        len(six(texts[a]) & six(texts[b])) / max(1, min(len(six(texts[a])), len(six(texts[b]))))
        for a, b in sorted(truth)[:: max(1, len(truth) // 2000)]
    )
    quartiles = statistics.quantiles(shares, n=4) if len(shares) > 1 else [0, 0, 0]
    return {
        "spin": spin,
        "posts": len(texts),
        "true_pairs": len(truth),
        "found_pairs": len(found),
        "precision": hits / len(found) if found else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
        "families": len(groups),
        "shared_6_quartiles": [round(q, 3) for q in quartiles],
    }


def cost(size: int) -> dict:
    spinner = Spinner(seed=5, strength=SPIN, sources=max(1, size // 4))
    bodies = {("s", n): "\n\n".join(spinner.post(str(n))[0]) for n in range(size)}
    # exact grouping: the story key of each text
    started = time.perf_counter()
    keys = {key: stories.story_id(body) for key, body in bodies.items()}
    exact = time.perf_counter() - started
    started = time.perf_counter()
    texts = {key: F.family_text(body) for key, body in bodies.items()}
    signed = F.sign(texts)
    signing = time.perf_counter() - started
    started = time.perf_counter()
    links = F.links(signed, signed)
    members = F.components((link.a, link.b) for link in links)
    linking = time.perf_counter() - started
    # the memory of the same again, traced (tracing slows every allocation: not timed)
    del signed
    tracemalloc.start()
    F.components((link.a, link.b) for link in F.links(F.sign(texts), texts))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    figures = {
        "articles": size,
        "exact_us_per_article": 1e6 * exact / size,
        "exact_groups": len(set(keys.values())),
        "sign_us_per_article": 1e6 * signing / size,
        "link_seconds": linking,
        "links": len(links),
        "families": len(set(members.values())),
        "peak_mb": peak / 1e6,
    }
    try:  # datasketch's MinHash beside rensa's, on a sample (it is slow)
        from datasketch import MinHash

        sample = list(texts.values())[:2000]
        started = time.perf_counter()
        for text in sample:
            minhash = MinHash(num_perm=F.NUM_PERM)
            minhash.update_batch([shingle.encode() for shingle in F.shingles(text)])
        figures["datasketch_sign_us_per_article"] = 1e6 * (time.perf_counter() - started) / len(sample)
    except ImportError:
        figures["datasketch_sign_us_per_article"] = None
    return figures


def crawl_overhead(per_site: int, repeat: int) -> dict:
    net = Network(per_site)
    servers, urls = serve_network(net)
    times: dict[str, list[float]] = {"off": [], "on": []}
    signed = 0
    try:
        for _ in range(repeat):
            for mode in ("off", "on"):
                with tempfile.TemporaryDirectory() as tmp:
                    work = Path(tmp)
                    flag = ("-s", f"XZ_FAMILIES={int(mode == 'on')}")
                    times[mode].append(timed_crawl(",".join(urls), work, flag))
                    if mode == "on":
                        db = sqlite3.connect(work / "a.db")
                        signed = db.execute("SELECT count(*) FROM text_signatures").fetchone()[0]
                        db.close()
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    return {"articles": per_site * len(net.sites), "seconds": times, "signed": signed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-site", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--crawl", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    lines, figures = [], {"accuracy": [], "cost": []}
    for spin in STRENGTHS:
        row = accuracy(args.per_site, spin)
        figures["accuracy"].append(row)
        lines.append(
            f"spin {spin:.1f}: {row['posts']} posts, precision {row['precision']:.4f}, recall {row['recall']:.4f} "
            f"({row['found_pairs']} pairs found, {row['true_pairs']} true; {row['families']} families); "
            f"copies share {' / '.join(f'{q:.0%}' for q in row['shared_6_quartiles'])} of their 6-shingles"
        )
    for size in args.sizes:
        row = cost(size)
        figures["cost"].append(row)
        datasketch = row["datasketch_sign_us_per_article"]
        beside = f"; datasketch {datasketch:.0f} us" if datasketch is not None else ""
        lines.append(
            f"{size} articles: sign {row['sign_us_per_article']:.0f} us/article (rensa{beside}), "
            f"link {row['link_seconds']:.1f} s ({row['links']} links, {row['families']} families), "
            f"peak {row['peak_mb']:.0f} MB; exact grouping {row['exact_us_per_article']:.0f} us/article "
            f"({row['exact_groups']} groups)"
        )
    if args.crawl:
        row = crawl_overhead(args.crawl, args.repeat)
        figures["crawl"] = row
        best = {mode: min(seconds) for mode, seconds in row["seconds"].items()}
        lines.append(
            f"first crawl of {row['articles']} articles (12 sites): families off {best['off']:.1f} s, on "
            f"{best['on']:.1f} s ({best['on'] / best['off']:.2f}x; runs {row['seconds']}); {row['signed']} texts signed"
        )
    report(lines, figures)


if __name__ == "__main__":
    sys.exit(main())
