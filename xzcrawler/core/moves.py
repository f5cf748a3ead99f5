"""When a site's stored addresses may move to where it is crawled now: only on evidence (issue 30).

The same site reached under another port, scheme or ``www.`` alias is the same site, and its
stored addresses follow it (a restarted mirror on a new port, a site moved to another host name of
the same key). But a new address that serves *other* posts under a known site's key (another copy
of the mirror, another site) must not be merged silently, and a run that never reached the new
address (dead, refused) must change nothing. So before any address moves, the new address is
asked for a few posts the archive holds; they must be the same posts (same id, same title, same
text as stored). Pure: what is known and what was seen in, a decision out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import normalize as nz

PROBES = 3  # posts asked for at the new address before anything moves


def origin(url: str | None) -> str:
    """scheme://host[:port] of a URL, as written ('' for none)."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def elsewhere(known: dict[int, dict], base_url: str) -> set[str]:
    """The origins the site's stored articles are at, other than ``base_url``'s."""
    here, site = origin(base_url), nz.site_of(base_url)
    return {o for a in known.values() if (o := origin(a.get("url"))) and o != here and nz.site_of(o + "/") == site}


def probes(known: dict[int, dict], count: int = PROBES) -> list[int]:
    """The stored posts to ask the new address for: the most recently checked (what the site
    surely still has), then by id."""
    order = sorted(known, key=lambda aid: (known[aid].get("last_checked") or "", aid), reverse=True)
    return order[:count]


def same_post(stored: dict, seen: dict) -> bool:
    """Whether a page the new address served is the stored post: same title and same text."""
    return stored.get("title") == seen.get("title") and stored.get("content_hash") == seen.get("content_hash")


def decide(results: list[bool | None]) -> str:
    """``move`` when more than half of the probes were the stored post and none was another post;
    ``refuse`` otherwise. A probe that found no post (404, an error) says nothing either way
    (``None``), but one matching post among missing ones is not evidence: another copy of a
    generated site can share a post by chance while not having the others (seen in CI: a copy
    sharing 1 of 40 posts was moved because the other two probes answered 404)."""
    same = sum(1 for r in results if r is True)
    if any(r is False for r in results):
        return "refuse"
    return "move" if results and same * 2 > len(results) else "refuse"
