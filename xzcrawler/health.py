"""Is a finished run healthy? A pure verdict on its Scrapy stats and those of earlier runs.

Exit statuses of ``scrapy crawl articles`` (also in the README):

====  ==========================================================================
0     finished and healthy
1     Scrapy could not start the crawl (bad spider arguments, bad settings)
2     usage error on the command line
3     too many errors: new failures above XZ_MAX_ERROR_RATE of the responses
4     no items where some were expected (empty navigation or empty listings)
5     drift: a watched field's fill rate fell more than XZ_DRIFT_POINTS below the
      median of the last XZ_DRIFT_RUNS healthy runs (the message names the field)
6     the crawl did not finish (shut down, closespider limit, crash)
75    another run holds the archive's lock; nothing was touched
====  ==========================================================================
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

OK, STARTUP, USAGE, ERRORS, NO_ITEMS, DRIFT, UNFINISHED, LOCKED = 0, 1, 2, 3, 4, 5, 6, 75
WATCHED = ("views", "published_date", "category", "body_text")


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    message: str

    @property
    def status(self) -> str:
        return "finished" if self.exit_code == OK else f"failed: {self.message}"


def fill_rates(stats: dict, min_seen: int = 1) -> dict[str, float]:
    """Percent filled of each watched field, for fields seen at least ``min_seen`` times."""
    rates = {}
    for field in WATCHED:
        seen = stats.get(f"xz/fill/{field}/seen", 0)
        if seen >= min_seen:
            rates[field] = 100.0 * stats.get(f"xz/fill/{field}/filled", 0) / seen
    return rates


def assess(stats: dict, previous: list[dict], *, max_error_rate: float, drift_points: float,
           drift_min_seen: int) -> Verdict:  # fmt: skip
    reason = stats.get("finish_reason")
    if reason != "finished":
        return Verdict(UNFINISHED, f"the crawl did not finish (finish_reason={reason})")
    responses = stats.get("response_received_count", 0)
    if responses == 0:
        return Verdict(NO_ITEMS, "nothing was fetched")
    if stats.get("xz/categories", 0) == 0:
        return Verdict(NO_ITEMS, "no categories found in the site navigation")
    if stats.get("xz/listing_pages", 0) and not stats.get("xz/listing_items", 0):
        return Verdict(NO_ITEMS, f"no articles on {stats['xz/listing_pages']} listing pages")
    failures = sum(v for k, v in stats.items() if k.startswith("xz/failures/")) + stats.get("log_count/ERROR", 0)
    if failures > max_error_rate * responses:
        return Verdict(ERRORS, f"{failures} errors for {responses} responses (limit {max_error_rate:.0%})")
    now = fill_rates(stats, drift_min_seen)
    history = [fill_rates(run, drift_min_seen) for run in previous]
    for field, rate in now.items():
        past = [run[field] for run in history if field in run]
        if not past:
            continue
        median = statistics.median(past)
        if rate < median - drift_points:
            return Verdict(
                DRIFT,
                f"drift in field '{field}': filled on {rate:.1f}% of this run's pages, "
                f"{median - rate:.1f} points below the median {median:.1f}% of the last {len(past)} runs",
            )
    return Verdict(OK, "ok")
