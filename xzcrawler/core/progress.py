"""The crawl's progress as one terminal line (issue 32, item 3): pure, from the counts of every
site crawled in the process, so a run of twelve sites draws one bar, not twelve."""

from __future__ import annotations

from typing import NamedTuple


class SiteProgress(NamedTuple):
    """One site's crawl so far (from its crawler's stats)."""

    pages: int  # responses received
    known: int  # pages received + queued + in flight: the total as far as it is known
    stored: int  # articles stored
    queued: int  # articles asked for
    listings: int  # listing pages walked
    announced: int  # listing pages the categories' page bars announced
    done: bool  # the site's crawl has ended


def duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )


def line(sites: list[SiteProgress], elapsed: float, width: int = 100) -> str:
    """``[#####-----]  52% ETA 1m20s · pages 1200/2300 · articles 800/1000 · listings 40/52 ·
    sites 3/12``, at most ``width - 1`` characters (what does not fit is left off the end, the
    ETA never). The total grows as pages are found (a listing announces its next page, a page its
    articles), so the share is of what is known; the ETA is at the rate since the start;
    articles are stored of those asked for; sites are done of those crawled."""
    pages = sum(s.pages for s in sites)
    known = max(pages, sum(s.known for s in sites))
    share = pages / known if known else 0.0
    left = known - pages
    rate = pages / elapsed if elapsed > 0 else 0.0
    eta = "done" if not left else (f"ETA {duration(left / rate)}" if rate > 0 else "ETA ?")
    parts = [
        f"pages {pages}/{known}",
        f"articles {sum(s.stored for s in sites)}/{sum(s.queued for s in sites)}",
    ]
    announced = sum(s.announced for s in sites)
    if announced:
        parts.append(f"listings {sum(s.listings for s in sites)}/{announced}")
    if len(sites) > 1:
        parts.append(f"sites {sum(s.done for s in sites)}/{len(sites)}")
    text = f"{share:4.0%} {eta}"
    for part in parts:
        if len(text) + len(part) + 3 + 13 > width - 1:
            break
        text += " · " + part
    bar = max(10, min(30, width - 1 - len(text) - 3))
    filled = round(bar * share)
    return f"[{'#' * filled}{'-' * (bar - filled)}] {text}"
