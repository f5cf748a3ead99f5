"""Is a finished run healthy? A pure verdict on its Scrapy stats and those of earlier runs.

Exit statuses of ``scrapy crawl articles`` (also in the README):

====  ==========================================================================
0     finished and healthy
1     Scrapy could not start the crawl (bad spider arguments, bad settings)
2     usage error on the command line
3     too many errors: new failures above XZ_MAX_ERROR_RATE of the responses
4     no items where some were expected (empty navigation or empty listings)
5     drift: a watched field's fill rate fell more than XZ_DRIFT_POINTS below the
      median of the last XZ_DRIFT_RUNS healthy runs, by more than chance (DRIFT_CHANCE;
      the message names the field)
6     the crawl did not finish (shut down, closespider limit, crash)
8     selectors: a field's first-choice selector stopped matching (its hit rate fell more
      than XZ_DRIFT_POINTS below the median of the last healthy runs); fallbacks recovered
      the field, so nothing is missing yet, but the theme changed: the message names the field
7     storage: a write to the archive or the WARC failed (locked past XZ_DB_BUSY_TIMEOUT,
      disk full, I/O error); what was not written is fetched again by the next run
10    incomplete: a listing page failed every attempt, so its category's walk stopped there
      (the message names the page); its failure is recorded and the next run walks on from it
9     unreachable: connections failing for XZ_UNREACHABLE_SECONDS (refused, DNS, timeouts,
      connections lost), or nothing fetched for one; the message names the cause and the host.
      Nothing stored is touched; the next run walks every listing again
75    another run holds the archive's lock; nothing was touched
====  ==========================================================================
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

OK, STARTUP, USAGE, ERRORS, NO_ITEMS, DRIFT, UNFINISHED, STORAGE, SELECTORS, LOCKED = 0, 1, 2, 3, 4, 5, 6, 7, 8, 75
UNREACHABLE = 9
INCOMPLETE = 10
# The watched fields, the one list of them: the drift guard counts how often each is filled on
# article pages (and, of WATCHED_ON_LISTINGS, on listing rows), and how often each of PRIMARY was
# found by its first-choice selector (a theme change shows there before any field empties).
WATCHED = ("views", "published_date", "category", "body_text")
WATCHED_ON_LISTINGS = ("views", "published_date")
PRIMARY = ("title", "body_text", "category", "published_date", "views")


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    message: str

    @property
    def status(self) -> str:
        return "finished" if self.exit_code == OK else f"failed: {self.message}"


def _rates(stats: dict, fields: tuple[str, ...], prefix: str, hit: str, min_seen: int) -> dict[str, float]:
    rates = {}
    for field in fields:
        seen = stats.get(f"{prefix}/{field}/seen", 0)
        if seen >= min_seen:
            rates[field] = 100.0 * stats.get(f"{prefix}/{field}/{hit}", 0) / seen
    return rates


def fill_rates(stats: dict, min_seen: int = 1) -> dict[str, float]:
    """Percent filled of each watched field, for fields seen at least ``min_seen`` times."""
    return _rates(stats, WATCHED, "xz/fill", "filled", min_seen)


def primary_rates(stats: dict, min_seen: int = 1) -> dict[str, float]:
    """Percent of article pages on which each watched field's first-choice selector matched."""
    return _rates(stats, PRIMARY, "xz/primary", "hit", min_seen)


# How unlikely a fall must be before it is called drift: a run of 17 pages of which 13 carry a
# field that 87 % of pages carry is chance (the site mixes page shapes; a refresh sees few pages),
# a run of 17 with none is not.
DRIFT_CHANCE = 0.001


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p); a normal approximation past 2,000 trials."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 0.0 if k < n else 1.0
    if n > 2000:
        mean, sd = n * p, math.sqrt(n * p * (1 - p))
        return 0.5 * math.erfc(-((k + 0.5 - mean) / sd) / math.sqrt(2))
    return min(1.0, sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)))


def _fallen(stats: dict, prefix: str, hit: str, rates, previous: list[dict], min_seen: int, points: float):
    """(field, rate, median, runs) of the first rate (``rates(stats, min_seen)``: fill_rates or
    primary_rates) that fell more than ``points`` below its median over the ``previous`` runs, and by
    more than chance: fewer hits than ``DRIFT_CHANCE`` makes likely from pages that carry it at that
    lower rate."""
    history = [rates(run, min_seen) for run in previous]
    for field, rate in rates(stats, min_seen).items():
        past = [run[field] for run in history if field in run]
        if not past or rate >= statistics.median(past) - points:
            continue
        seen = int(stats.get(f"{prefix}/{field}/seen", 0))
        hits = int(stats.get(f"{prefix}/{field}/{hit}", 0))
        if _binomial_cdf(hits, seen, (statistics.median(past) - points) / 100.0) < DRIFT_CHANCE:
            return field, rate, statistics.median(past), len(past)
    return None


def assess(
    stats: dict,
    previous: list[dict],
    *,
    max_error_rate: float,
    drift_points: float,
    drift_min_seen: int,
    max_image_failure_rate: float = 1.0,
) -> Verdict:
    reason = stats.get("finish_reason")
    if stats.get("xz/storage_errors") or stats.get("xz/articles_not_written"):
        lost = stats.get("xz/articles_not_written") or 0
        return Verdict(
            STORAGE,
            f"archive write failed ({stats.get('xz/storage_error') or 'unknown'}); "
            f"{lost} article(s) not written, fetched again next run",
        )
    if stats.get("xz/move_refused"):
        return Verdict(USAGE, stats["xz/move_refused"])
    responses = stats.get("response_received_count", 0)
    cause = stats.get("xz/unreachable") or (stats.get("xz/connection_error") if responses == 0 else None)
    if reason == "unreachable" or cause:
        fetched = f"; {responses} response(s) before" if responses else ""
        return Verdict(UNREACHABLE, f"unreachable: {cause or 'no connection'}{fetched}; the next run resumes")
    if reason != "finished":
        return Verdict(UNFINISHED, f"the crawl did not finish (finish_reason={reason})")
    if responses == 0:
        return Verdict(NO_ITEMS, "nothing was fetched")
    # (a home page that links no category, as the platform's defaults serve it, is no fault when
    # the posts name theirs: the spider walks those)
    if stats.get("xz/categories", 0) == 0 and not stats.get("xz/categories_from_posts", 0):
        return Verdict(NO_ITEMS, "no categories found in the site navigation, nor named by its posts")
    if stats.get("xz/listing_pages", 0) and not stats.get("xz/listing_items", 0):
        return Verdict(NO_ITEMS, f"no articles on {stats['xz/listing_pages']} listing pages")
    # each address that failed in this run counts once; retries of earlier failures do not count,
    # a bug in a callback does
    failures = stats.get("xz/failed_urls", 0) + sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    # (photos and the theme's files have their own limit, below)
    pages = responses - stats.get("xz/image_responses", 0) - stats.get("xz/asset_responses", 0)
    if failures > max_error_rate * pages:
        return Verdict(ERRORS, f"{failures} failed pages for {pages} responses (limit {max_error_rate:.0%})")
    # a missing or broken photo (or file of the theme) is counted apart: it costs only itself, up
    # to its own limit
    # (what robots.txt forbids is obeyed: neither asked for nor lost)
    forbidden = stats.get("xz/resources_forbidden", 0)
    asked = stats.get("xz/images_requested", 0) + stats.get("xz/assets_requested", 0) - forbidden
    lost = stats.get("xz/failures/image", 0) + stats.get("xz/failures/asset", 0) - forbidden
    if asked and lost > max_image_failure_rate * asked:
        return Verdict(
            ERRORS,
            f"{lost} of {asked} photos and theme files could not be captured (limit {max_image_failure_rate:.0%}, "
            "XZ_MAX_IMAGE_FAILURE_RATE); each is recorded in failures with its reason (kind 'image' or 'asset')",
        )
    if stats.get("xz/walks_incomplete"):
        return Verdict(
            INCOMPLETE,
            f"{stats['xz/walks_incomplete']} listing walk(s) incomplete: {stats.get('xz/walk_incomplete')} failed "
            "every attempt; recorded, the next run walks on from it",
        )
    fallen = _fallen(stats, "xz/fill", "filled", fill_rates, previous, drift_min_seen, drift_points)
    if fallen:
        field, rate, median, runs = fallen
        return Verdict(
            DRIFT,
            f"drift in field '{field}': filled on {rate:.1f}% of this run's pages, "
            f"{median - rate:.1f} points below the median {median:.1f}% of the last {runs} runs",
        )
    fallen = _fallen(stats, "xz/primary", "hit", primary_rates, previous, drift_min_seen, drift_points)
    if fallen:
        field, rate, median, runs = fallen
        recovered = stats.get(f"xz/fallback/{field}", 0)
        return Verdict(
            SELECTORS,
            f"selector drift in field '{field}': its first-choice selector matched on {rate:.1f}% of this run's pages "
            f"against a median {median:.1f}% of the last {runs} runs; fallbacks recovered it on {recovered} pages",
        )
    return Verdict(OK, "ok")


# From the worst: nothing or not all written, not finished, too many failures, nothing found,
# drift, selectors; a run of several sites exits with its worst site's status.
SEVERITY = (STORAGE, UNREACHABLE, UNFINISHED, ERRORS, INCOMPLETE, NO_ITEMS, DRIFT, SELECTORS, STARTUP, USAGE, LOCKED)


def worst(codes) -> int:
    """The worst of several runs' exit statuses (OK when there are none)."""
    codes = set(codes)
    for code in SEVERITY:
        if code in codes:
            return code
    return max(codes - {OK}, default=OK)


def summary(stats: dict, exit_code: int, seconds: float) -> str:
    """The run's verdict in one line, printed after Scrapy's stats."""
    verdict = "finished" if exit_code == OK else f"FAILED (exit {exit_code})"
    message = stats.get("xz/verdict") or ("the crawl did not finish" if exit_code == UNFINISHED else "")
    retried = sum(v for k, v in stats.items() if k.startswith("xz/failures_retried/"))
    get = stats.get
    return (
        f"xzcrawler run {get('xz/run_id', '?')} ({get('xz/site', '?')}): {verdict}{': ' + message if exit_code else ''} | "
        f"articles new {get('xz/articles_new', 0)}, changed {get('xz/articles_changed', 0)}, "
        f"unchanged {get('xz/articles_unchanged', 0)}, not modified {get('xz/not_modified', 0)} | "
        f"failures new {get('xz/failed_urls', 0)}, resolved {get('xz/failures_resolved', 0)}, still failing {retried} | "
        f"listing pages {get('xz/listing_pages', 0)}, walks stopped {get('xz/listing_walks_stopped', 0)} | "
        f"{seconds:.1f} s"
    )
