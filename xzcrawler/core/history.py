"""The archive's rule book: what an observation means for what the archive holds (issue 30).

Given what the archive holds for the keys an observation is about, and the observation (an article
page, a listing's or the feed's items), these rules return the writes to make: the article row,
its revision, the revision it supersedes, a view snapshot, a date refinement, own-fetch evidence,
related links seen. No database and no clock: every time is one passed in (the capture's). A store
reads the state, asks these rules and persists what they return, in one transaction
(``store.SqliteStore``; ``tests/memory_store.py`` is a second backend on the same rules), so the
crawl and a re-extraction of its captures (``reparse``) make the same history.

Two kinds of state are not the archive's and are passed in:

- ``RunMemory``: what one crawl run saw that a later observation of the same article needs (the
  count a listing showed before the article's page came, the feed's date of a post not stored
  yet, which pages the run fetched and when). A re-extraction forgets it where the WARC files say
  another run began, as a new crawl process starts without it.
- ``Traits``: per site, the evidence whether the site's counts include our own article fetches
  (loaded from the archive once per site, then kept up to date here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from . import normalize as nz
from . import stories

# The fields whose change makes a revision (the archive keeps each revision's content).
CONTENT_FIELDS = ("title", "body_text", "category", "byline", "images")
# What the rules read of an article the archive holds (``article``; a store selects these columns).
STATE_FIELDS = (
    *CONTENT_FIELDS,
    "revision",
    "story_id",
    *nz.DATE_FIELDS,
    "views",
    "views_shown",
    "views_observed_at",
    "views_own",
    "views_rounded",
    "own_fetches",
    "views_source",
    "fetched_at",
    "last_seen",
    "last_checked",
)
# What the rules read of the stored articles a listing names (``listing``).
LISTING_STATE = ("own_fetches", "views_observed_at", *nz.DATE_FIELDS)
# A listing seen this soon after an own fetch of one of its articles may have been rendered before
# that fetch (requests overlap): it cannot say whose views it shows.
SAME_RUN_SECONDS = 60
MEMORY_LIMIT = 20_000  # entries of each run-memory table (bounded; cleared when full)

LastViews = Callable[[str, int], "int | None"]  # (site, article id) -> readers' count of its last snapshot


class Listed(NamedTuple):
    """A count a listing showed of an article: as printed, when, and whether the theme rounded it."""

    views: int
    observed_at: str
    rounded: bool


class Earlier(NamedTuple):
    """What the run saw of an article before its page came (taken from RunMemory when it is queued)."""

    listed: Listed | None  # the listing read before the page was asked for
    loose: Listed | None  # a listing read while the page was already asked for
    dates: tuple[dict, str] | None  # date fields a listing or the feed showed, and which


NOTHING_EARLIER = Earlier(None, None, None)


class RunMemory:
    """What one crawl run saw that a later observation needs; bounded (``MEMORY_LIMIT``)."""

    __slots__ = ("listed", "loose", "dates", "fetched")

    def __init__(self):
        self.listed: dict[tuple[str, int], Listed] = {}
        self.loose: dict[tuple[str, int], Listed] = {}
        self.dates: dict[tuple[str, int], tuple[dict, str]] = {}
        self.fetched: dict[tuple[str, int], str] = {}  # article pages stored in this run: when

    def take(self, site: str, article_id: int) -> Earlier:
        """What the run saw of this article before its page (consumed: a page uses it once)."""
        key = (site, article_id)
        if not (self.listed or self.loose or self.dates):
            return NOTHING_EARLIER
        return Earlier(self.listed.pop(key, None), self.loose.pop(key, None), self.dates.pop(key, None))

    def forget(self) -> None:
        self.listed.clear()
        self.loose.clear()
        self.dates.clear()
        self.fetched.clear()


def own_counted(rounded, own: int | None, counts_own_fetches: bool) -> int:
    """How many of a count shown were our own ``own`` fetches: all of them on a site that counts
    them, none on one that does not, and none in a count the page printed rounded (1.23万;
    normalize.count_rounded). (store/sqlite.py's ``_counted_sql`` is this rule over columns, for
    the rows written before a site's trait was learnt.)"""
    return (own or 0) if counts_own_fetches and not rounded else 0


class Traits:
    """Per site, [plus_one, same]: article pages that showed one more than the listing read just
    before them (the site counted our fetch), or the same. ``load(site)`` gives what the archive
    holds (``(0, 0)`` for none); ``moved`` the sites whose evidence changed since ``saved()``."""

    def __init__(self, load: Callable[[str], tuple[int, int]]):
        self._load = load
        self._evidence: dict[str, list[int]] = {}
        self.seen_at: dict[str, str] = {}  # per site, when the newest evidence was observed
        self.moved: set[str] = set()

    def of(self, site: str) -> list[int]:
        if site not in self._evidence:
            self._evidence[site] = list(self._load(site))
        return self._evidence[site]

    def counts_own_fetches(self, site: str) -> bool:
        """Whether the site's counts include our own article fetches: Z-BlogPHP adds a view before
        it renders every article page unless the site turned counting off (c_system_route.php,
        ViewPost; ZC_VIEWNUMS_TURNOFF) or a plugin counts otherwise, so it is learnt per site, and
        until a page has shown it (more article pages one above their listing than equal to it)
        the number shown is stored as it is."""
        plus_one, same = self.of(site)
        return plus_one > same

    def counted(self, site: str, rounded, own: int) -> int:
        """How many of a count shown were our own ``own`` fetches (``own_counted``)."""
        return own_counted(rounded, own, self.counts_own_fetches(site))

    def observe(self, site: str, delta: int, when: str) -> None:
        """An article page showed ``delta`` more than its listing read just before it."""
        if delta in (0, 1):  # more: readers came in between, which says nothing
            self.of(site)[1 - delta] += 1
            self.seen_at[site] = max(when, self.seen_at.get(site, when))
            self.moved.add(site)

    def forget(self) -> None:
        """Read again from the archive (after a transaction that held new evidence was undone)."""
        self._evidence.clear()
        self.moved.clear()


class Refinement(NamedTuple):
    """A stored date span narrowed (or widened) by an observation."""

    site: str
    article_id: int
    observed_at: str
    source: str
    published_text: str | None
    old: tuple
    new: tuple


class Snapshot(NamedTuple):
    """A view count observed that differs from the last one kept (readers = views - own_fetches)."""

    site: str
    article_id: int
    observed_at: str
    views: int  # as shown
    source: str  # article | listing
    own_fetches: int  # of those, ours
    own_total: int  # our fetches of it so far (counted or not)
    rounded: int
    readers: int  # the readers' count it stands for (not a column: what the next one is compared with)

    @property
    def columns(self) -> tuple:
        """The view_snapshots row: (site, article_id, observed_at, views, source, own_fetches,
        own_total, rounded)."""
        return self[:8]


class ArticleWrites(NamedTuple):
    """What storing one article page makes."""

    row: dict  # the article row, complete
    kind: str  # new | changed | unchanged
    changed: list[str] | None  # the content fields that changed (None: a new article)
    supersedes: int | None  # the stored revision a new one supersedes (it keeps its own content)
    searchable: bool  # title or text new or changed: the search index follows
    refinement: Refinement | None
    snapshot: Snapshot | None
    related: list[list]  # [site, article_id, url, title, excerpt, seen at]


def refine(row: dict, stored: dict, source: str, when: str, text: str | None) -> Refinement | None:
    """Put into ``row`` the date fields that the stored ones and ``row``'s allow together (see
    normalize.combine_dates); a change of a stored date's span is returned as a refinement."""
    combined = nz.combine_dates(stored, row)
    row.update(combined)
    old = (stored["published_earliest"], stored["published_latest"], stored["published_precision"])
    new = (combined["published_earliest"], combined["published_latest"], combined["published_precision"])
    if new == old or stored.get("published_date") is None:
        return None
    return Refinement(row["site"], row["article_id"], when, source, text, old, new)


def _span_changed(row: dict, stored: dict) -> bool:
    return (row["published_earliest"], row["published_latest"], row["published_precision"]) != (
        stored["published_earliest"],
        stored["published_latest"],
        stored["published_precision"],
    )


def article(
    row: dict,
    stored: dict | None,
    earlier: Earlier,
    traits: Traits,
    memory: RunMemory,
    last_views: LastViews,
) -> ArticleWrites:
    """One article page stored: ``row`` (the record's fields, its ``fetched_at`` the capture's time;
    completed in place) against ``stored`` (``STATE_FIELDS`` of what the archive holds, images as a
    list; None for a new article)."""
    site, article_id, when = row["site"], row["article_id"], row["fetched_at"]
    # the story key of an unchanged text is the one stored (see core/stories.py for when the stored
    # keys are remade)
    kept = stored["story_id"] if stored is not None else None
    same_text = kept is not None and stored["body_text"] == row.get("body_text")
    row["story_id"] = kept if same_text else stories.story_id(row.get("body_text"))
    refinement = None
    if stored is None and earlier.dates is not None:
        # what the feed (to the second) or a listing showed before the page came; the page's own
        # text may tell less (tpure prints no date under a week)
        row.update(nz.combine_dates(earlier.dates[0], row))
    if stored is not None:
        refinement = refine(row, stored, "article", when, row.get("published_text"))
    supersedes = None
    if stored is None:
        changed, revision, kind = None, 1, "new"
    else:
        changed = [name for name in CONTENT_FIELDS if stored[name] != row[name]]
        old_revision = stored["revision"] or 1
        revision = old_revision + (1 if changed else 0)
        kind = "changed" if changed else "unchanged"
        if changed:
            supersedes = old_revision
    row["revision"] = revision
    searchable = changed is None or "title" in changed or "body_text" in changed
    related = [
        [site, article_id, link.get("url"), link.get("title"), link.get("excerpt"), when]
        for link in row.get("related") or []
    ]
    shown = row["views_shown"] = row["views"]
    if stored is not None and when == stored["fetched_at"] and (shown is None or shown == stored["views_shown"]):
        # The capture the archive holds, observed again (a re-extraction into an archive that has
        # it, the same WARC files twice): no fetch of ours, no reader, nothing learnt of the site's
        # count. (Two fetches of ours in one second differ in the count shown on a site that
        # counts them; on one that does not, ours never change a count. A page that shows no count
        # took it from elsewhere, which the archive holds already.)
        for name in ("views", "views_shown", "views_observed_at", "views_own", "views_rounded", "views_source"):
            row[name] = stored[name]
        row["own_fetches"] = stored["own_fetches"]
        for name in ("last_seen", "last_checked"):  # (a later 304 may have moved them on)
            row[name] = max(filter(None, (row.get(name), stored[name])), default=None)
        return ArticleWrites(row, kind, changed, supersedes, searchable, refinement, None, related)
    # this fetch of the article page is one the site may have counted (before it rendered)
    own = ((stored["own_fetches"] or 0) if stored is not None else 0) + 1
    row["own_fetches"] = own
    if len(memory.fetched) > 5 * MEMORY_LIMIT:
        memory.fetched.clear()  # bounded
    memory.fetched[(site, article_id)] = when
    rounded = bool(row.get("views_rounded"))
    listed = earlier.listed
    # (a count a listing showed while this page was already asked for: one own fetch more or less,
    # better than none when the page itself shows none)
    fallback = listed if listed is not None else earlier.loose
    snapshot = None
    if shown is None and fallback is not None:
        # the page shows no count: the listing read before this fetch gave one (it included the own
        # fetches before this one)
        counted = traits.counted(site, fallback.rounded, own - 1)
        row["views"] = max(0, fallback.views - counted)
        row["views_shown"] = fallback.views
        row["views_observed_at"] = fallback.observed_at
        row["views_own"] = own - 1
        row["views_rounded"] = int(fallback.rounded)
        row["views_source"] = "listing" if listed is not None else "listing-ambiguous"
    elif shown is None and stored is not None:
        # no count on the page, none from this run's listings: the last one any observation gave
        # stands, with the own fetches it included
        for name in ("views", "views_shown", "views_observed_at", "views_own", "views_rounded", "views_source"):
            row[name] = stored[name]
    if shown is not None:
        # An article new to the archive, whose listing this run read before its page came: its page
        # was asked for after that listing was served, and never before (a known one may have been
        # asked for before its listing was read), so the difference is the site's count of this one
        # fetch, or readers in between. (A count the theme rounded, 1.2万 and 1.2万, says nothing.)
        if stored is None and listed is not None and not rounded and not listed.rounded:
            traits.observe(site, shown - listed.views, when)
        counted = traits.counted(site, rounded, own)
        row["views_rounded"] = int(rounded)
        row["views_own"] = own
        row["views"] = max(0, shown - counted)
        row["views_observed_at"] = when
        row["views_source"] = "article"
        if last_views(site, article_id) != row["views"]:
            snapshot = Snapshot(site, article_id, when, shown, "article", counted, own, int(rounded), row["views"])
    row.setdefault("views_source", None)  # (every row of a batch has the same columns)
    if row.get("views_shown") is None:
        row["views_rounded"] = None
    return ArticleWrites(row, kind, changed, supersedes, searchable, refinement, snapshot, related)


class Reading(NamedTuple):
    """The count a listing showed of a stored article, read as the readers' count."""

    site: str
    article_id: int
    views: int  # readers'
    shown: int
    own: int
    rounded: int
    observed_at: str


class ListingWrites(NamedTuple):
    """What a listing page (or the feed) makes."""

    readings: list[Reading]  # the article's latest count, and when it was seen
    loose: list[Reading]  # an uncertain count: kept only where the article has none
    snapshots: list[Snapshot]
    dates: list[tuple[int, dict]]  # (article id, date fields) of stored articles whose span moved
    refinements: list[Refinement]


def listing_ids(items: list[dict]) -> list[int]:
    """The article ids a listing's items name: the keys whose state ``listing`` reads."""
    return list(dict.fromkeys(item["article_id"] for item in items if item.get("article_id") is not None))


def listing(
    site: str,
    items: list[dict],
    observed_at: str,
    source: str,
    requested,
    stored: dict[int, dict],
    traits: Traits,
    memory: RunMemory,
    last_views: LastViews,
) -> ListingWrites:
    """View counts and dates seen on a listing page (``source`` "listing") or in the feed ("feed":
    dates only), against ``stored`` (by article id: ``own_fetches``, ``views_observed_at`` and the
    date fields of the articles the archive holds). A date of an article not stored yet is kept in ``memory`` for its
    page, which comes later in the run."""
    # An article whose page this run fetched shortly before is left to that page's count: the
    # listing may have been rendered before or after that fetch (requests overlap), so it cannot say
    # whose views it shows. So is one whose page the crawl had asked for before the listing came
    # (``requested``: kept in listing_marks, for a re-extraction to read the listing as the crawl did).
    ambiguous = nz.utc_iso(nz.parse_iso(observed_at) - dt.timedelta(seconds=SAME_RUN_SECONDS))
    # A count the archive holds one as new as (or newer than) is no news: a listing captured before
    # the article's page, observed again (a re-extraction into an archive that has both).
    counted_items = [
        item
        for item in items
        if item.get("article_id") is not None
        and item.get("views") is not None
        and ((stored.get(item["article_id"]) or {}).get("views_observed_at") or "") < observed_at
    ]
    seen = [
        item
        for item in counted_items
        if item["article_id"] not in requested and memory.fetched.get((site, item["article_id"]), "") <= ambiguous
    ]
    # ... yet the count is better than none: an article that has none yet takes it (stored: now; its
    # page still to come: when it comes, if that page shows no count)
    seen_ids = {item["article_id"] for item in seen}
    loose_items = [item for item in counted_items if item["article_id"] not in seen_ids]

    def own_of(article_id: int) -> int:
        found = stored.get(article_id)
        return (found.get("own_fetches") if found else None) or 0

    def reading(item: dict) -> Reading:
        rounded = bool(item.get("views_rounded"))
        own = own_of(item["article_id"])
        count = max(0, item["views"] - traits.counted(site, rounded, own))
        return Reading(site, item["article_id"], count, item["views"], own, int(rounded), observed_at)

    loose = []
    for item in loose_items:
        memory.loose[(site, item["article_id"])] = Listed(item["views"], observed_at, bool(item.get("views_rounded")))
        loose.append(reading(item))
    if len(memory.loose) > MEMORY_LIMIT:
        memory.loose.clear()  # bounded, as listed
    readings, snapshots, staged = [], [], {}
    for item in seen:
        found = reading(item)
        readings.append(found)
        memory.listed[(site, item["article_id"])] = Listed(item["views"], observed_at, bool(found.rounded))
        key = item["article_id"]
        last = staged[key] if key in staged else last_views(site, key)
        if last != found.views:
            staged[key] = found.views
            counted = traits.counted(site, found.rounded, found.own)
            snapshots.append(
                Snapshot(site, key, observed_at, found.shown, "listing", counted, found.own, found.rounded, found.views)
            )
    if len(memory.listed) > MEMORY_LIMIT:
        memory.listed.clear()  # bounded: evidence is only needed for what this run fetches next
    dated = {
        item["article_id"]: item
        for item in items
        if item.get("article_id") is not None and item.get("published_earliest")
    }
    dates, refinements = [], []
    for article_id, item in dated.items():
        fields = {n: item.get(n) for n in nz.DATE_FIELDS}
        state = stored.get(article_id)
        if state is None:
            earlier = memory.dates.get((site, article_id))
            if earlier is not None:  # the feed's second and a listing's "1天前": both hold
                fields = nz.combine_dates(earlier[0], fields)
            memory.dates[(site, article_id)] = (fields, source)
            continue
        row = {"site": site, "article_id": article_id, **fields}
        held = {n: state[n] for n in nz.DATE_FIELDS}
        refinement = refine(row, held, source, observed_at, item.get("published_text"))
        if refinement is not None:
            refinements.append(refinement)
        if refinement is not None or _span_changed(row, held):
            dates.append((article_id, {n: row[n] for n in nz.DATE_FIELDS}))
    if len(memory.dates) > MEMORY_LIMIT:
        memory.dates.clear()  # bounded: only what this run fetches next needs them
    return ListingWrites(readings, loose, snapshots, dates, refinements)
