"""What folding one archive into another means (``xzcrawler merge``): the merge's rule book, as
``core/history.py`` is the crawl's (issue 30). Pure: the rows the two sides hold for one key in,
the rows to keep out; no database, no clock.

``store/merge.py`` applies these rules to whole tables at once (its SQL is written from the rules
below, ``Span`` and ``Newest``, and asks ``history`` for the revisions both sides hold), and the
second store of the tests (``tests/memory_store.py``) applies them row by row: both stores merge
alike (tests/test_store_protocol.py).

- **An article**: the side that fetched it later wins (the same fetch: the one seen later, then
  the one whose count was read later; a tie to the shard), keeping the earlier ``first_seen``.
- **Its revisions**, where both sides hold some: merged by time and content, never by number
  (``history``).
- **What was seen over a span** (categories, related links): the first and last time any side saw
  it; its other fields are those of the side that saw it last (``Span``).
- **A word that the newer replaces** (what a site's counts include, its name, a failure's state,
  a run's record): the newer by its time column (``Newest``).
- **Append-only history** (view snapshots, date refinements, the WARC index, photos and theme
  files captured): a row is what it says; the union of both, once each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from .history import CONTENT_FIELDS

# Which side holds the later word of an article: fetched later; then seen later (a 304); then its
# count read later (a listing's, which moves neither)
ARTICLE_ORDER = ("fetched_at", "last_seen", "views_observed_at")


def later(row: dict) -> tuple[str, ...]:
    """An article row's place in time, for the merge (ARTICLE_ORDER, missing as '')."""
    return tuple(row.get(name) or "" for name in ARTICLE_ORDER)


def theirs_wins(ours: dict | None, theirs: dict | None) -> bool:
    """Whether the shard's article row is the one kept (ties: the shard's)."""
    return theirs is not None and (ours is None or later(theirs) >= later(ours))


def article(ours: dict | None, theirs: dict) -> dict | None:
    """The article row to write, or None when the target's stands: the shard's when it is new or
    fetched later and says something else (``revision`` aside: the number is the merged
    history's), with the earlier ``first_seen`` of both."""
    if ours is None:
        return dict(theirs)
    if not theirs_wins(ours, theirs) or all(ours.get(k) == v for k, v in theirs.items() if k != "revision"):
        return None
    return {
        **theirs,
        "first_seen": _earliest(ours.get("first_seen"), theirs.get("first_seen")),
        "revision": ours.get("revision"),
    }


def _earliest(*times: str | None) -> str | None:
    """The earliest of the times known (as the SQL's min of coalesced columns: a missing one is
    no time, not the earliest)."""
    return min((t for t in times if t is not None), default=None)


def _latest(*times: str | None) -> str | None:
    return max((t for t in times if t is not None), default=None)


class Event(NamedTuple):
    """One side's view of an article's content at a time: a revision it logged, or its article row
    (``row``: 1; the content it holds is the one seen at its fetch)."""

    at: str
    row: int
    fields: dict | None  # the revision's fields (REVISION_FIELDS); None: not known


def _content(fields: dict) -> tuple:
    """What makes a revision: the content fields, a list read from its JSON."""
    return tuple(
        json.loads(fields[name])
        if name == "images" and isinstance(fields[name], str) and fields[name]
        else fields[name]
        for name in CONTENT_FIELDS
    )


class Revision(NamedTuple):
    number: int
    at: str
    changed: str | None  # JSON list of the content fields that changed (None: the first)
    fields: dict | None  # the content it had (None: the current one, held by the article row)
    current: bool


def history(ours: list[Event], theirs: list[Event], shard_wins: bool) -> list[Revision]:
    """The merged revisions of an article both sides tell: every event of both in time order (at
    one instant the revisions first, then the article rows, the row kept last of all); a revision
    wherever the content differs from the one before, at the time it was first seen; numbered
    afresh; the last is current (its content is the kept article row's)."""
    events = [(e.at, e.row, int(e.row == 1 and not shard_wins), e.fields) for e in ours]
    events += [(e.at, e.row, int(e.row == 1 and shard_wins), e.fields) for e in theirs]
    events.sort(key=lambda event: event[:3])
    kept: list[tuple[str, dict]] = []
    for when, _, _, fields in events:
        if fields is not None and (not kept or _content(kept[-1][1]) != _content(fields)):
            kept.append((when, fields))
    revisions = []
    for number, (when, fields) in enumerate(kept, 1):
        changed = None
        if number > 1:
            before, after = _content(kept[number - 2][1]), _content(fields)
            names = [n for n, a, b in zip(CONTENT_FIELDS, before, after, strict=True) if a != b]
            changed = json.dumps(names, ensure_ascii=False)
        current = number == len(kept)
        revisions.append(Revision(number, when, changed, None if current else fields, current))
    return revisions


@dataclass(frozen=True)
class Span:
    """A thing seen over a span of time: kept once by ``key``; ``first``/``last`` seen the earliest
    and latest of both sides; ``latest`` fields those of the side that saw it last (a tie: the
    shard's), where ``keep_null`` a field that side left empty keeps the one held."""

    table: str
    key: tuple[str, ...]
    latest: tuple[str, ...]
    keep_null: bool = False
    first: str = "first_seen"
    last: str = "last_seen"

    def merge(self, ours: dict | None, theirs: dict) -> dict | None:
        """The row to write, or None when the target's stands."""
        if ours is None:
            return dict(theirs)
        merged = dict(ours)
        merged[self.first] = _earliest(ours[self.first], theirs[self.first])
        merged[self.last] = _latest(ours[self.last], theirs[self.last])
        if (theirs[self.last] or "") >= (ours[self.last] or ""):
            for name in self.latest:
                merged[name] = theirs[name] if theirs[name] is not None or not self.keep_null else ours[name]
        return None if merged == ours else merged


@dataclass(frozen=True)
class Newest:
    """A word the newer replaces: the shard's row (``columns``, beside the ``key``) is kept when its
    ``by`` is later (``ties``: or the same) and it says something else; ``by`` None: the shard's is
    kept whenever it differs (a run's record: the shard is the node that ran it)."""

    table: str
    key: tuple[str, ...]
    by: str | None
    ties: bool = False

    def merge(self, ours: dict | None, theirs: dict) -> dict | None:
        if ours is None:
            return dict(theirs)
        if self.by is not None:
            mine, yours = ours[self.by] or "", theirs[self.by] or ""
            if yours < mine or (yours == mine and not self.ties):
                return None
        return None if all(ours.get(k) == v for k, v in theirs.items()) else dict(theirs)


CATEGORIES = Span("categories", ("site", "url"), latest=("name",), keep_null=True)
RELATED_SEEN = Span("related_seen", ("site", "article_id", "to_url"), latest=("title", "excerpt"))
SPANS = (CATEGORIES, RELATED_SEEN)

SITE_TRAITS = Newest("site_traits", ("site",), by="updated_at")
SITES = Newest("sites", ("site",), by="name_seen_at")
FAILURES = Newest("failures", ("url",), by="last_tried", ties=True)
CRAWL_RUNS = Newest("crawl_runs", ("site", "spider", "started_at"), by=None)
NEWEST = (SITE_TRAITS, SITES, FAILURES, CRAWL_RUNS)

# Append-only: a row is what it says (all its columns but a row id); the union of both.
APPEND_ONLY = ("view_snapshots", "date_refinements", "warc_records", "image_captures", "asset_captures")


def union(ours: list[tuple], theirs: list[tuple]) -> list[tuple]:
    """The shard's rows the target lacks, in the shard's order, once each."""
    held = set(ours)
    new = []
    for row in theirs:
        if row not in held:
            held.add(row)
            new.append(row)
    return new
