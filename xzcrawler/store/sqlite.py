"""The SQLite store (the default): writes and history, with sqlite-utils; queries in queries.py."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlite_utils import Database
from sqlite_utils.db import jsonify_if_needed

from ..core import history, search
from ..core import normalize as nz
from .errors import (
    FAILURE_BODY_MAX,
    ROW_ERRORS,
    STORAGE_ERRORS,
    NotAnArchive,
    StorageError,
    _storage,
    raises_store_errors,
    storage_error,
)
from .migrations import ARTICLE_FIELDS, REVISION_FIELDS, migrations
from .queries import Queries


def readonly_uri(path: str | Path) -> str:
    """The read-only SQLite URI of a file: the path escaped (a ``#``, ``?`` or ``%41`` in a file name
    is part of the name, not URI syntax)."""
    return f"file:{quote(str(Path(path).resolve()))}?mode=ro"


@raises_store_errors
class SqliteStore(Queries):
    """Open (creating or upgrading) the archive at ``path``.

    ``readonly=True`` opens an existing, current archive without writing anything (no WAL switch,
    no migration, no new file): the CLI's reading commands use it. ``clock`` gives the times the
    archive stamps itself (default: the real time).

    ``scratch=True``: a new file that no other process reads until its writer puts it in place
    (``store.atomic.atomic_path``: fsynced, then renamed), as a re-extraction derives an archive.
    It is written without a write-ahead log and without syncs, its rollback journal in memory
    (a savepoint still rolls back), with a larger page cache (SCRATCH_CACHE_KB): each page is
    written once, not to the log and again to the file, and no write waits for the disk. A crash
    loses only that file, which was never in place.
    """

    # The page cache of a scratch archive: its indexes (the articles', related links', the search
    # index's segments) stay in memory while it is filled (the default, 2 MB, read them back).
    SCRATCH_CACHE_KB = 65_536

    def __init__(
        self,
        path: str | os.PathLike,
        batch_size: int = 200,
        *,
        clock=None,
        readonly: bool = False,
        busy_timeout: float = 60.0,
        scratch: bool = False,
    ):
        from ..core.clock import Clock

        self.path = Path(path)
        self.clock = clock or Clock()
        self.readonly = readonly
        memory = str(path) == ":memory:"
        if readonly:
            if memory or not self.path.is_file():
                raise NotAnArchive(f"no archive at {path}")
            conn = sqlite3.connect(readonly_uri(self.path), uri=True)
            self.db = Database(conn)
            try:
                pending = migrations.pending(self.db)
                missing = not self.db["articles"].exists()
            except sqlite3.DatabaseError as exc:
                self.db.close()
                raise NotAnArchive(f"{path} is not an xzcrawler archive ({exc})") from None
            if missing or pending:
                self.db.close()
                raise NotAnArchive(
                    f"{path} is not an xzcrawler archive"
                    if missing
                    else f"{path} was written by an older xzcrawler: a crawl (or reparse) upgrades it"
                )
        else:
            if not memory:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = Database(str(path))
            if scratch:
                self.db.execute("PRAGMA journal_mode=MEMORY")
                self.db.execute("PRAGMA synchronous=OFF")
                self.db.execute(f"PRAGMA cache_size=-{self.SCRATCH_CACHE_KB}")
            else:
                if not memory:
                    self.db.enable_wal()
                self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if not readonly and migrations.pending(self.db):
            migrations.apply(self.db)
            if not memory:  # the migrations' pages out of the write-ahead log (a new archive's made it 650 KB)
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.batch_size = max(1, int(batch_size))
        self._pending: list[tuple[dict, bytes | None, history.Earlier]] = []
        self._last_views: dict[tuple[str, int], int | None] = {}  # readers' count of the last snapshot
        # what this crawl run saw that a later observation needs, and the sites' own-fetch evidence
        # (the rules are core/history.py's; this object keeps what they return)
        self.memory = history.RunMemory()
        self.traits = history.Traits(self._load_traits)
        self.rejected: list[tuple[str, str]] = []  # (url, reason) of rows that could not be stored
        self.counts: Counter = Counter()  # committed rows: new, changed, unchanged; failures_resolved
        self._resolving = 0
        # the search index's writes of the batches written in savepoints, while a transaction of this
        # object's is open (``transaction``, ``_index_later``); None: none is
        self._search_later: list | None = None
        self._open_failures: dict[tuple[str, str], list[str]] | None = None  # see _open_failure_pages
        # a scratch archive, new and read by no one else, holds the articles this object wrote and
        # no others: the keys it was given (a superset: a batch rolled back leaves its keys here,
        # which are then looked up), so a new one is not looked up (a re-extraction's 20,000)
        fresh = scratch and self.db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None
        self._written: set | None = set() if fresh else None

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction taken with BEGIN IMMEDIATE: it waits (busy_timeout) for another
        writer up front, where a deferred one that read first would fail at once (WAL's
        SQLITE_BUSY_SNAPSHOT) once the other writer has committed. Inside another, a savepoint:
        a caller that writes much (reparse) holds one around many writes, each of which commits
        alone otherwise."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        self._search_later = []
        try:
            yield
            self._index_later(conn)
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        finally:
            self._search_later = None
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    @contextlib.contextmanager
    def _one_statement(self):
        """Around a write of one statement: inside a transaction of ours it needs no savepoint of its
        own (SQLite undoes a statement that fails, whole: a re-extraction's 15,000 photos made
        30,000 savepoints); outside one, it commits alone."""
        if self.db.conn.in_transaction:
            yield
            return
        with self.transaction():
            yield

    def _index_later(self, conn) -> None:
        """The search index's writes of the savepoints this transaction held, in their order, at its
        end. FTS5 writes what it holds in memory to the disk at every savepoint once it has been
        written in a transaction: a re-extraction, whose transaction holds a savepoint for each
        page (each photo, each listing, each batch of articles), made one small segment of the
        index per page and merged them, 0.25 ms a savepoint and a third of its writer's SQL
        (docs/benchmarks.md, issue 30)."""
        for searchable in self._search_later:
            _reindex(conn, searchable)

    # -- articles -----------------------------------------------------------
    def add_article(
        self,
        record,
        raw_body: bytes | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Queue one article record (a mapping); written in batches, each in one transaction.

        ``etag`` / ``last_modified`` (the response's validators) are kept for conditional requests.
        A queued record leaves memory only when its transaction has committed; a row the
        database refuses is stored in ``failures`` with the reason (and ``raw_body``), the
        others of its batch are written. Raises StorageError when the storage itself failed.
        """
        row = {name: record.get(name) for name in ARTICLE_FIELDS}
        row["last_seen"] = row["last_checked"] = record.get("fetched_at") or self.clock.iso()
        row["etag"] = etag
        row["last_modified"] = last_modified
        # what this run's listings and feed showed of it before this page came
        earlier = self.memory.take(row.get("site"), row.get("article_id"))
        self._pending.append((row, raw_body, earlier))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def forget_run(self) -> None:
        """Forget what this object learnt of one crawl run in flight (the pages it stored, the counts
        and dates its listings showed of pages still to come), as a new crawl process starts
        without it: a re-extraction calls it where the WARC files say another run began."""
        self.flush()
        self.memory.forget()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write the queued rows. A batch that fails on a row's values is written row by row."""
        if not self._pending:
            return
        try:
            self._write_rows(self._pending)
        except ROW_ERRORS:
            self._flush_row_by_row()
        except STORAGE_ERRORS as exc:
            raise storage_error(exc) from exc
        else:
            self._pending = []

    def _flush_row_by_row(self) -> None:
        while self._pending:
            row, raw, _ = self._pending[0]
            try:
                self._write_rows(self._pending[:1])
            except ROW_ERRORS as exc:
                reason = f"cannot store: {type(exc).__name__}: {exc}"
                try:
                    self.record_failure(row.get("url") or "", "store", reason, None, raw)
                except STORAGE_ERRORS as storage:
                    raise storage_error(storage) from storage
                self.rejected.append((row.get("url") or "", reason))
            except STORAGE_ERRORS as exc:
                raise storage_error(exc) from exc
            self._pending.pop(0)

    def _write_rows(self, batch: list[tuple[dict, bytes | None, history.Earlier]]) -> None:
        """One transaction: the rows, their history, the search index, resolved failures."""
        rows = [dict(row) for row, _, _ in batch]  # the rules complete the rows; a retry starts clean
        writes = _Writes()
        moved, rewritten = set(), False
        later = self._search_later  # (inside a transaction of ours: the index is written at its end)
        with self.transaction():
            for row, (_, _, earlier) in zip(rows, batch, strict=True):
                self._observe_article(row, earlier, writes)
            writes.apply(self.db.conn)
            _upsert_articles(self.db.conn, rows)
            if later is None:
                _reindex(self.db.conn, writes.searchable)
            writes.apply_related(self.db.conn)
            moved = set(self.traits.moved)
            rewritten = self._save_traits(moved)
            self.db.conn.executemany(  # (by key: a scan of the table per batch made a crawl quadratic)
                "UPDATE articles SET first_seen = last_seen WHERE site = ? AND article_id = ? AND first_seen IS NULL",
                [(row["site"], row["article_id"]) for row in rows],
            )
            self._resolving = 0
            if self._open_failure_pages():  # (none open, as in a re-extraction's fresh archive: no key made)
                self._resolve_failures({_same_page(row["url"]) for row in rows})
            writes.counts["failures_resolved"] += self._resolving
            self._seen_categories(rows)
        if later is not None:
            later.append(writes.searchable)  # (once its savepoint is released: a batch rolled back adds none)
        self.traits.moved -= moved
        if not rewritten:  # (a series rewritten: what this batch staged was reckoned before; read it again)
            self._remember_views(writes.views)  # only what was committed
        self.counts.update(writes.counts)

    def _open_failure_pages(self) -> dict[tuple[str, str], list[str]]:
        """The open failures by page (host and path); read once, again after a failure is recorded.
        (It may still list one resolved since: the update below checks.)"""
        if self._open_failures is None:
            self._open_failures = {}
            for (url,) in self.db.execute("SELECT url FROM failures WHERE resolved_at IS NULL"):
                self._open_failures.setdefault(_same_page(url), []).append(url)
        return self._open_failures

    def _resolve_failures(self, pages: set[tuple[str, str]]) -> None:
        """Failures of pages now archived (or fetched well) are resolved (matched by host and path:
        a site may be reached under another port or scheme than when it failed)."""
        open_pages = self._open_failure_pages()
        done = [url for page in pages & open_pages.keys() for url in open_pages[page]]
        if done:
            cursor = self.db.execute(
                "UPDATE failures SET resolved_at = ? WHERE resolved_at IS NULL AND url IN ({})".format(
                    ",".join("?" * len(done))
                ),
                [self.clock.iso(), *done],
            )
            self._resolving += cursor.rowcount

    def resolve_failures(self, url: str) -> int:
        """A page fetched well that is no article (a listing, the feed, a 304): its open failures
        are resolved at once. Returns how many."""
        open_pages = self._open_failure_pages()
        page = _same_page(url) if open_pages else None  # (no key made when none is open)
        if page not in open_pages:
            return 0
        with _storage(), self.transaction():
            self._resolving = 0
            self._resolve_failures({page})
        self.counts["failures_resolved"] += self._resolving
        return self._resolving

    def _observe_article(self, row: dict, earlier: history.Earlier, writes: _Writes) -> None:
        """The rules' writes for one article page (core/history.article), staged in ``writes``."""
        site, article_id, when = row["site"], row["article_id"], row["fetched_at"]
        if self._written is not None and (site, article_id) not in self._written:
            found = None  # (a scratch archive holds only the articles written to it)
            self._written.add((site, article_id))
        else:
            found = self.db.conn.execute(_SELECT_STATE, [site, article_id]).fetchone()
        held = stored = None
        if found is not None:
            held = dict(zip(_STATE_COLUMNS, found, strict=True))
            stored = {**held, "images": json.loads(held["images"]) if held["images"] else []}
        staged = writes.views
        done = history.article(
            row, stored, earlier, self.traits, self.memory, lambda s, a: self._last_view(s, a, staged)
        )
        writes.counts[done.kind] += 1
        if done.kind != "unchanged":
            if done.supersedes is not None:  # the revision it supersedes keeps its own content from now on
                writes.superseded.append([*(held[n] for n in REVISION_FIELDS), site, article_id, done.supersedes])
            changed = json.dumps(done.changed, ensure_ascii=False) if done.changed is not None else None
            writes.revisions.append([site, article_id, row["revision"], when, changed])
        if done.searchable:
            old_text = (held["title"], held["body_text"]) if held is not None else None
            # (made here, only for what changed: a re-extraction with a parser that reads a page as
            # before makes none)
            writes.searchable.append((site, article_id, search.index_row(row["title"], row["body_text"]), old_text))
        writes.related.extend(done.related)
        if done.refinement is not None:
            writes.refinements.append(_refinement_row(done.refinement))
        if done.snapshot is not None:
            writes.snapshots.append(done.snapshot.columns)
            staged[(site, article_id)] = done.snapshot.readers

    # -- the site's count and ours ------------------------------------------------------------
    def _load_traits(self, site: str) -> tuple[int, int]:
        found = self.db.conn.execute("SELECT plus_one, same FROM site_traits WHERE site = ?", [site]).fetchone()
        return (found[0] or 0, found[1] or 0) if found else (0, 0)

    def counts_own_fetches(self, site: str) -> bool:
        """Whether the site's counts include our own article fetches (history.Traits)."""
        return self.traits.counts_own_fetches(site)

    def _save_traits(self, sites) -> bool:
        """Keep the sites' traits; True when a site's series was rewritten by what it learnt."""
        rewritten = False
        for site in sites:  # a site learnt to count our fetches: the rows written before learn it too
            stored = self.db.conn.execute(
                "SELECT counts_own_fetches FROM site_traits WHERE site = ?", [site]
            ).fetchone()
            if bool(stored and stored[0]) != self.counts_own_fetches(site):
                counts = self.counts_own_fetches(site)
                self.db.conn.execute(
                    f"UPDATE articles SET views = max(0, views_shown - {_counted_sql('views_rounded', 'views_own', counts)}) "
                    "WHERE site = ? AND views_shown IS NOT NULL",
                    [site],
                )
                # the site's series too: each observation held our fetches made before it; an
                # observation that no longer differs from the one before it was no change
                self.db.conn.execute(
                    f"UPDATE view_snapshots SET own_fetches = {_counted_sql('rounded', 'own_total', counts)} "
                    "WHERE site = ? AND own_total IS NOT NULL",
                    [site],
                )
                self.db.conn.execute(
                    "DELETE FROM view_snapshots WHERE id IN (SELECT id FROM (SELECT id, views - own_fetches AS readers, "
                    "lag(views - own_fetches) OVER (PARTITION BY article_id ORDER BY id) AS before "
                    "FROM view_snapshots WHERE site = ?) WHERE readers = before)",
                    [site],
                )
                self._last_views.clear()  # read again from the series
                rewritten = True
        self.db.conn.executemany(
            "INSERT INTO site_traits (site, counts_own_fetches, plus_one, same, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (site) DO UPDATE SET counts_own_fetches = excluded.counts_own_fetches, "
            "plus_one = excluded.plus_one, same = excluded.same, updated_at = excluded.updated_at",
            # (updated when the evidence was observed, not when it was written: a re-extraction of the
            # same captures writes the same row)
            [
                [
                    site,
                    int(self.counts_own_fetches(site)),
                    *self.traits.of(site),
                    self.traits.seen_at.get(site) or self.clock.iso(),
                ]
                for site in sites
            ],
        )
        return rewritten

    LAST_VIEWS_CACHE = 20_000  # articles whose last snapshot is remembered (bounded memory)

    def _remember_views(self, committed: dict) -> None:
        if len(self._last_views) + len(committed) > self.LAST_VIEWS_CACHE:
            self._last_views.clear()  # read again from view_snapshots when needed
        self._last_views.update(committed)

    def _last_view(self, site: str, article_id: int, staged: dict) -> int | None:
        """The readers' count of the article's last snapshot: staged in this transaction, else
        remembered, else read from view_snapshots."""
        key = (site, article_id)
        if key in staged:
            return staged[key]
        if key not in self._last_views:
            found = self.db.conn.execute(
                "SELECT views - coalesce(own_fetches, 0) FROM view_snapshots WHERE site = ? AND article_id = ? "
                "ORDER BY id DESC LIMIT 1",
                [site, article_id],
            ).fetchone()
            self._last_views[key] = found[0] if found else None
        return self._last_views[key]

    def observe_listing(
        self,
        site: str,
        items: list[dict],
        observed_at: str,
        source: str = "listing",
        requested=frozenset(),
        url: str | None = None,
    ) -> int:
        """View counts and dates seen on a listing page (``source`` "listing") or in the feed
        ("feed": dates only); returns how many counts differed from the last snapshot. A date of
        an article not archived yet is kept for its page, which comes later in the run (the rules:
        core/history.listing)."""
        self.flush()  # queued article rows first, so "last" means last
        ids = history.listing_ids(items)
        stored = {}
        if ids:
            for article_id, *values in self.db.conn.execute(
                f"SELECT article_id, {', '.join(history.LISTING_STATE)} FROM articles "
                f"WHERE site = ? AND article_id IN ({','.join('?' * len(ids))})",
                [site, *ids],
            ):
                stored[article_id] = dict(zip(history.LISTING_STATE, values, strict=True))
        seen = history.listing(
            site,
            items,
            observed_at,
            source,
            requested,
            stored,
            self.traits,
            self.memory,
            lambda s, a: self._last_view(s, a, {}),
        )
        with _storage():
            with self.transaction():
                if requested and url:
                    self.db.conn.execute(
                        "INSERT OR REPLACE INTO listing_marks (url, fetched_at, requested) VALUES (?, ?, ?)",
                        [url, observed_at, json.dumps(sorted(requested))],
                    )
                self.db.conn.executemany(
                    f"UPDATE articles SET {', '.join(f'{n} = ?' for n in nz.DATE_FIELDS)} WHERE site = ? AND article_id = ?",
                    [[*(fields[n] for n in nz.DATE_FIELDS), site, article_id] for article_id, fields in seen.dates],
                )
                self.db.conn.executemany(_INSERT_REFINEMENT, [_refinement_row(r) for r in seen.refinements])
                self.db.conn.executemany(_INSERT_SNAPSHOT, [snapshot.columns for snapshot in seen.snapshots])
                self.db.conn.executemany(  # the latest count, and when it was last seen
                    "UPDATE articles SET views = ?, views_shown = ?, views_own = ?, views_rounded = ?, "
                    "views_observed_at = ?, views_source = 'listing' WHERE site = ? AND article_id = ?",
                    [_reading_row(r) for r in seen.readings],
                )
                self.db.conn.executemany(  # an uncertain count only where there is none
                    "UPDATE articles SET views = ?, views_shown = ?, views_own = ?, views_rounded = ?, "
                    "views_observed_at = ?, views_source = 'listing-ambiguous' "
                    "WHERE site = ? AND article_id = ? AND views IS NULL",
                    [_reading_row(r) for r in seen.loose],
                )
        self._remember_views({(site, snapshot.article_id): snapshot.readers for snapshot in seen.snapshots})
        return len(seen.snapshots)

    def mark_not_modified(self, site: str, article_id: int, when: str) -> None:
        """A 304: the article is as archived; it was checked now."""
        self.flush()
        with _storage():
            with self.transaction():
                self.db.execute(
                    "UPDATE articles SET last_seen = ?, last_checked = ? WHERE site = ? AND article_id = ?",
                    [when, when, site, article_id],
                )

    def _seen_categories(self, rows: list[dict]) -> None:
        """The categories of a batch of articles, one write a category: what writing each row's
        in turn leaves (first seen: the first row's time when new; the last name given; last
        seen: the last row's time)."""
        seen: dict[tuple[str, str], list] = {}
        for row in rows:
            if row.get("category_url"):
                key = (row["site"], row["category_url"])
                if key not in seen:
                    seen[key] = [row["category"], row["fetched_at"], row["fetched_at"]]
                else:
                    found = seen[key]
                    found[0] = row["category"] if row["category"] is not None else found[0]
                    found[2] = row["fetched_at"]
        self.db.conn.executemany(
            _UPSERT_CATEGORY,
            [[site, url, *values] for (site, url), values in seen.items()],
        )

    def _seen_category(self, site: str, url: str, name: str | None, when: str) -> None:
        self.db.execute(
            _UPSERT_CATEGORY,
            [site, url, name, when, when],
        )

    def record_categories(self, site: str, categories: list[dict], when: str, name: str | None = None) -> None:
        """The site's navigation categories, and its own name when its home page gave one."""
        with _storage():
            with self.transaction():
                for category in categories:
                    self._seen_category(site, category["url"], category.get("name"), when)
                if name:
                    self.db.execute(
                        "INSERT INTO sites (site, name, name_seen_at) VALUES (?, ?, ?) ON CONFLICT (site) "
                        "DO UPDATE SET name = excluded.name, name_seen_at = excluded.name_seen_at",
                        [site, name, when],
                    )

    def rebase(self, site: str, base_url: str) -> int:
        """Put the site's stored addresses on ``base_url`` (its current scheme, host and port).

        The same site reached under another port, scheme or ``www.`` alias is the same site: its
        stored same-site addresses (article, category, related, image, failure URLs) move to the
        current base, so a move makes no revision, no duplicate category and no dead URL.
        Revisions keep the addresses as they were captured. Returns the origins moved from."""
        new = _origin(base_url)
        origins = {
            _origin(url)
            for (url,) in self.db.execute("SELECT url FROM articles WHERE site = ? GROUP BY substr(url, 1, 60)", [site])
        } | {_origin(url) for (url,) in self.db.execute("SELECT url FROM categories WHERE site = ?", [site])}
        old = sorted(o for o in origins if o and o != new and nz.site_of(o + "/") == site)
        if not old:
            return 0
        with _storage(), self.transaction():
            for origin in old:
                args = [origin + "/", new + "/"]
                self.db.execute(
                    "UPDATE articles SET url = replace(url, ?1, ?2), category_url = replace(category_url, ?1, ?2), "
                    "related = replace(related, ?1, ?2), images = replace(images, ?1, ?2) WHERE site = ?3",
                    [*args, site],
                )
                self.db.execute(
                    "UPDATE OR REPLACE categories SET url = replace(url, ?1, ?2) WHERE site = ?3", [*args, site]
                )
                self.db.execute(
                    "UPDATE OR REPLACE related_seen SET to_url = replace(to_url, ?1, ?2) WHERE site = ?3", [*args, site]
                )
                self.db.execute(
                    "UPDATE OR REPLACE failures SET url = replace(url, ?1, ?2) WHERE url LIKE ?1 || '%'", args
                )
        return len(old)

    # -- photos -------------------------------------------------------------
    def add_image(self, capture) -> bool:
        """Keep a photo fetched whole (core.items.ImageCaptured); the same capture again (a
        re-extraction) records nothing again. True if new."""
        row = capture.row()
        with _storage(), self._one_statement():
            before = self.db.conn.total_changes
            self.db.execute(
                f"INSERT OR IGNORE INTO image_captures ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            added = self.db.conn.total_changes > before
        self.counts["images"] += added
        return added

    def add_asset(self, capture) -> bool:
        """Keep a file of the theme fetched well (core.items.AssetCaptured) when it is new or
        changed: the same bytes as the address's newest capture (a server that ignores the
        validators answers 200 again; its WARC record is a revisit) are no new capture, nor is the
        same capture again. True if kept."""
        row = capture.row()
        with _storage(), self._one_statement():
            before = self.db.conn.total_changes
            self.db.execute(
                f"INSERT OR IGNORE INTO asset_captures ({', '.join(row)}) SELECT {', '.join('?' * len(row))} "
                "WHERE coalesce((SELECT digest FROM asset_captures WHERE url = ? ORDER BY fetched_at DESC LIMIT 1), '') != ?",
                [*row.values(), capture.url, capture.digest],
            )
            added = self.db.conn.total_changes > before
        self.counts["assets"] += added
        return added

    # -- families -----------------------------------------------------------
    def keep_families(self, signatures: list, replaced: set, links: list, members: dict) -> None:
        """Keep what core.families.update decided (store/protocol.py), in one transaction."""
        conn = self.db.conn
        with _storage(), self.transaction():
            conn.executemany(
                "INSERT OR REPLACE INTO text_signatures (site, article_id, story_id, algorithm, shingles, signature) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [[*key, story, algorithm, count, state] for key, story, algorithm, count, state in signatures],
            )
            for side in ("a", "b"):
                conn.executemany(
                    f"DELETE FROM family_links WHERE {side}_site = ? AND {side}_id = ?", [list(key) for key in replaced]
                )
            conn.executemany(
                "INSERT OR REPLACE INTO family_links (a_site, a_id, b_site, b_id, jaccard, containment, shared) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[*link.a, *link.b, link.jaccard, link.containment, link.shared] for link in links],
            )
            held = {(site, aid): family for site, aid, family in conn.execute("SELECT * FROM family_members")}
            conn.executemany(
                "DELETE FROM family_members WHERE site = ? AND article_id = ?",
                [list(key) for key in held if key not in members],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO family_members (site, article_id, family) VALUES (?, ?, ?)",
                [[*key, family] for key, family in members.items() if held.get(key) != family],
            )

    # -- failures -----------------------------------------------------------
    def record_failure(
        self,
        url: str,
        kind: str,
        reason: str,
        http_status: int | None = None,
        raw_body: bytes | None = None,
        when: str | None = None,
    ) -> None:
        """Keep what could not be archived, raw, with its reason; attempts count up. The raw body
        is kept up to FAILURE_BODY_MAX bytes, with its full size and SHA-256."""
        when = when or self.clock.iso()
        size = digest = None
        if raw_body is not None:
            size, digest = len(raw_body), hashlib.sha256(raw_body).hexdigest()
            raw_body = bytes(raw_body[:FAILURE_BODY_MAX])
        with _storage():
            with self.transaction():
                existing = self.db.execute("SELECT attempts, first_seen FROM failures WHERE url = ?", [url]).fetchone()
                attempts, first_seen = (existing[0] or 0) + 1 if existing else 1, existing[1] if existing else when
                self.db["failures"].upsert(
                    {
                        "url": url,
                        "kind": kind,
                        "reason": reason,
                        "http_status": http_status,
                        "attempts": attempts,
                        "first_seen": first_seen,
                        "last_tried": when,
                        "resolved_at": None,
                        "raw_body": raw_body,
                        "raw_size": size,
                        "raw_sha256": digest,
                    },
                    pk="url",
                )
        if self._open_failures is not None:
            urls = self._open_failures.setdefault(_same_page(url), [])
            if url not in urls:
                urls.append(url)

    # -- WARC index ---------------------------------------------------------
    def add_warc_index(self, rows: list[dict]) -> None:
        columns = ("url", "fetched_at", "file", "offset", "length", "status", "record_type", "digest", "record_id")
        with _storage(), self.transaction():
            self.db.conn.executemany(
                f"INSERT INTO warc_records ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [[row[c] for c in columns] for row in rows],
            )

    # -- runs ---------------------------------------------------------------
    def start_run(
        self, spider: str, site: str | None, site_url: str | None = None, started_at: str | None = None
    ) -> int:
        """A crawl_runs row for a run on ``site`` (a site key) reached at ``site_url``."""
        with _storage(), self.transaction():
            # runs hold the lock, so a run of this site still marked running is one that died (killed,
            # power cut); the runs of other sites may be going on beside it in this process
            self.db.execute(
                "UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running' AND site IS ?", [site]
            )
            table = self.db["crawl_runs"]
            table.insert(
                {
                    "spider": spider,
                    "site": site,
                    "site_url": site_url,
                    "started_at": started_at or self.clock.iso(),
                    "status": "running",
                }
            )
        return table.last_pk

    def finish_run(
        self, run_id: int, status: str, stats: dict, finished_at: str | None = None, exit_code: int = 0
    ) -> None:
        """Record the end of a run. When the disk is full (or a file at its size limit), the
        write-ahead log is checkpointed and truncated first, which frees what it held, and the
        row is written again, with the stats only if they fit: a run never stays 'running'."""
        values = {
            "finished_at": finished_at or self.clock.iso(),
            "status": status,
            "exit_code": exit_code,
            "stats": json.dumps(stats, default=str, ensure_ascii=False, sort_keys=True),
        }
        try:
            with _storage(), self.transaction():
                self.db["crawl_runs"].update(run_id, values)
            return
        except StorageError:
            pass
        with contextlib.suppress(*STORAGE_ERRORS):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            with _storage(), self.transaction():
                self.db["crawl_runs"].update(run_id, values)
        except StorageError:
            with _storage(), self.transaction():  # the verdict at least, without the stats
                self.db["crawl_runs"].update(run_id, {**values, "stats": None})

    def close(self) -> None:
        """Write what is queued and close; the connection is closed even when the write fails."""
        try:
            if not self.readonly:
                self.flush()
        finally:
            self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# what the rules read of a stored article, and what a superseded revision keeps
_STATE_COLUMNS = tuple(dict.fromkeys((*history.STATE_FIELDS, *REVISION_FIELDS)))
_SELECT_STATE = f"SELECT {', '.join(_STATE_COLUMNS)} FROM articles WHERE site = ? AND article_id = ?"
_INSERT_REFINEMENT = (
    "INSERT INTO date_refinements (site, article_id, observed_at, source, published_text, old_earliest, "
    "old_latest, old_precision, new_earliest, new_latest, new_precision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _refinement_row(refinement: history.Refinement) -> list:
    return [*refinement[:5], *refinement.old, *refinement.new]


def _reading_row(reading: history.Reading) -> list:
    return [
        reading.views,
        reading.shown,
        reading.own,
        reading.rounded,
        reading.observed_at,
        reading.site,
        reading.article_id,
    ]


def _counted_sql(rounded: str, own: str, counts: bool) -> str:
    """core/history.own_counted over columns: the own fetches a shown count held (none in a count
    the page printed rounded: normalize.count_rounded)."""
    if not counts:
        return "0"
    return f"CASE WHEN coalesce({rounded}, 0) THEN 0 ELSE coalesce({own}, 0) END"


_UPSERT_CATEGORY = (
    "INSERT INTO categories (site, url, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (site, url) DO UPDATE SET name = coalesce(excluded.name, name), last_seen = excluded.last_seen"
)
_INSERT_SNAPSHOT = (
    "INSERT INTO view_snapshots (site, article_id, observed_at, views, source, own_fetches, own_total, rounded) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def _value(value):
    """What sqlite-utils binds for ``value``: its own jsonify_if_needed, called only for what is
    not bound as it is (most values of a row are)."""
    return value if type(value) in _PLAIN else jsonify_if_needed(value)


def _upsert_articles(conn, rows: list[dict]) -> None:
    """The rows into ``articles`` by key as sqlite-utils' ``upsert_all`` writes them (every column
    any row names, None where a row names none; lists and dicts as JSON, by its own function),
    except that a row the table already holds as it is is not written again: a re-extraction
    whose parser reads the pages as before rewrites no row (each rewrite touched seven indexes;
    it was a third of a re-extraction's writing)."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    values = [name for name in columns if name not in ("site", "article_id")]
    conn.executemany(
        f"INSERT INTO articles ({', '.join(f'[{name}]' for name in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))}) ON CONFLICT (site, article_id) DO UPDATE SET "
        + ", ".join(f"[{name}] = excluded.[{name}]" for name in values)
        + " WHERE "
        + " OR ".join(f"[{name}] IS NOT excluded.[{name}]" for name in values),
        [[_value(row.get(name)) for name in columns] for row in rows],
    )


class _Writes:
    """History rows of one batch, written with executemany (sqlite-utils' insert() inspects the
    table on every call, which cost more than the crawl itself at 2,000 articles)."""

    def __init__(self):
        self.revisions: list = []  # new revisions: their content is the article row's
        self.superseded: list = []  # the content of the revisions they supersede
        self.snapshots: list = []
        self.searchable: list = []
        self.views: dict = {}  # (site, article_id) -> readers' count, remembered once committed
        self.refinements: list = []
        self.related: list = []  # (site, article_id, url, title, excerpt, seen at): related links observed
        self.counts: Counter = Counter()

    def apply_related(self, conn) -> None:
        conn.executemany(
            "INSERT INTO related_seen (site, article_id, to_url, title, excerpt, first_seen, last_seen) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (site, article_id, to_url) DO UPDATE SET "
            "title = excluded.title, excerpt = excluded.excerpt, "
            "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen) "
            # (a link seen again as it was is not rewritten)
            "WHERE title IS NOT excluded.title OR excerpt IS NOT excluded.excerpt "
            "OR first_seen > excluded.first_seen OR last_seen < excluded.last_seen",
            self.related,
        )

    def apply(self, conn) -> None:
        conn.executemany(_INSERT_REFINEMENT, self.refinements)
        conn.executemany(
            f"UPDATE revision_log SET current = 0, {', '.join(f'{n} = ?' for n in REVISION_FIELDS)} "
            "WHERE site = ? AND article_id = ? AND revision = ?",
            self.superseded,
        )
        conn.executemany(
            "INSERT OR REPLACE INTO revision_log (site, article_id, revision, fetched_at, changed_fields, current) "
            "VALUES (?, ?, ?, ?, ?, 1)",
            self.revisions,
        )
        conn.executemany(_INSERT_SNAPSHOT, self.snapshots)


def _reindex(conn, searchable: list) -> None:
    """Keep the search index in step with the article rows written (contentless FTS5: an entry is
    deleted with the values it was indexed with, the article's text before the write).
    ``searchable``: (site, article id, index row, (title, body) before or None) of each."""
    rowid = "(SELECT rowid FROM articles WHERE site = ? AND article_id = ?)"
    conn.executemany(
        f"INSERT INTO {search.INDEX_TABLE} ({search.INDEX_TABLE}, rowid, title_bi, body_bi, chars) "
        f"VALUES ('delete', {rowid}, ?, ?, ?)",
        [
            [site, article_id, *search.index_row(*old).values()]
            for site, article_id, _, old in searchable
            if old is not None
        ],
    )
    conn.executemany(
        f"INSERT INTO {search.INDEX_TABLE} (rowid, title_bi, body_bi, chars) VALUES ({rowid}, ?, ?, ?)",
        [[site, article_id, *row.values()] for site, article_id, row, _ in searchable],
    )


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, as written."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_same_page = nz.page_key
