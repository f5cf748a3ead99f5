"""Fold shard archives into one researcher archive: ``xzcrawler merge SHARD... --into ARCHIVE``.

Each site crawled on its own (a Scrapyd job per site) writes its own shard; the merge copies
what the target lacks or holds older, with all history: articles (the newer wins, with their
related links and images), the related links observed, what each site's counts include,
revisions, view snapshots, date refinements, categories, failures,
runs, the WARC index (and the WARC files beside the shard), and the search index of what changed.

What a shard's row means beside the target's is the merge's rule book (``core/merging.py``): the
SQL below is written from its rules, and the second store of the tests merges by the same rules.

Idempotent: every row is matched on its natural key (an article by site and id, a run by site,
spider and start, a snapshot by all it says), so merging a shard again writes nothing. Incremental:
only rows new or changed since the last merge are written. One transaction a shard: a merge
killed half-way leaves the target as it was before that shard.

A shard is untrusted input (another node's file, copied over the network): before anything is
written it is vetted (``vet``) and refused whole, with a one-line reason, when a table it should
hold is a view, a virtual table or lacks columns, it carries triggers, a row claims a site the
shard never crawled, a time lies past the end of its last run, an index row names a WARC file
outside its folder, or it is over the size bound; the whole merge of a shard is bounded in time.
Revisions of an article held by both sides are merged by time and content, never by number: the
union of both histories, in time order, a revision wherever the content changed, renumbered, with
exactly one current (that of the article row kept, the one fetched last).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core import families, merging, paths, search
from ..core import normalize as nz
from .atomic import atomic_file
from .errors import NotAnArchive, StorageError, _storage
from .migrations import REVISION_FIELDS
from .sqlite import SqliteStore, readonly_uri

MAX_SECONDS = 3600  # a shard whose merge would take longer is refused (its transaction rolled back)
MAX_BYTES = 64 * 1024**3  # a shard file (with its write-ahead log) larger than this is refused
CLOCK_SKEW = dt.timedelta(hours=1)  # how far past the merge's clock a node's clock may run

# The tables a merge reads from a shard, and the times in each that must not lie past the end of
# the shard's last run (a row stamped 9999-12-31 would win over every honest shard forever).
SHARD_TIMES = {
    "articles": ("fetched_at", "first_seen", "last_seen", "views_observed_at", "last_checked"),
    "revision_log": ("fetched_at",),
    "categories": ("first_seen", "last_seen"),
    "related_seen": ("first_seen", "last_seen"),
    "site_traits": ("updated_at",),
    "listing_marks": ("fetched_at",),
    "sites": ("name_seen_at",),
    "failures": ("first_seen", "last_tried", "resolved_at"),
    "crawl_runs": ("started_at", "finished_at"),
    "view_snapshots": ("observed_at",),
    "date_refinements": ("observed_at",),
    "warc_records": ("fetched_at",),
    "image_captures": ("fetched_at",),
    "asset_captures": ("fetched_at",),
}
# Where each table says which site a row is of: a column, or the host of a URL (a photo's may be
# another host's, one XZ_IMAGE_HOSTS named: image_captures and asset_captures are not checked, and
# the capture or the image or asset failure of such an address is no other site's row in
# warc_records or failures).
SHARD_SITE = {
    "articles": ("site", "url"),
    "revision_log": ("site",),
    "categories": ("site", "url"),
    "related_seen": ("site",),
    "site_traits": ("site",),
    "listing_marks": ("url",),
    "sites": ("site",),
    "failures": ("url",),
    "view_snapshots": ("site",),
    "date_refinements": ("site",),
    "warc_records": ("url",),
}


class ShardRefused(NotAnArchive):
    """A shard the merge does not take; the target is as it was."""


@dataclass
class MergeCounts:
    shard: str
    written: Counter = field(default_factory=Counter)  # table -> rows inserted or updated
    warc_files: int = 0

    def line(self) -> str:
        parts = [f"{table} {count}" for table, count in sorted(self.written.items()) if count]
        what = ", ".join(parts) if parts else "nothing new"
        files = f"; {self.warc_files} WARC file(s) copied" if self.warc_files else ""
        return f"{self.shard}: {what}{files}"


def _columns(conn, table: str, schema: str = "main") -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def _differs(columns, left: str = "m", right: str = "s") -> str:
    return " OR ".join(f"{left}.{c} IS NOT {right}.{c}" for c in columns)


def check_target(target: Path) -> None:
    """``--into`` is an xzcrawler archive (of this or an older version) or a new path: a text
    file, a folder or another application's SQLite file is refused, never migrated into one."""
    if not target.exists() or (target.is_file() and target.stat().st_size == 0):
        return
    if not target.is_file():
        raise NotAnArchive(f"{target} is not a file: --into must be an archive or a new path")
    try:
        conn = sqlite3.connect(readonly_uri(target), uri=True)
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            ours = (
                "_sqlite_migrations" in names
                and conn.execute(
                    "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'xzcrawler'"
                ).fetchone()[0]
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        ours = False
    if not ours or "articles" not in names:
        raise NotAnArchive(f"{target} is not an xzcrawler archive: --into must be an archive or a new path")


def merge(
    target: str | Path,
    shards: list[str | Path],
    *,
    warc: bool = True,
    clock=None,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    progress=None,
) -> list[MergeCounts]:
    """Merge each of ``shards`` into the archive at ``target`` (created if missing). Every shard is
    vetted before the target is opened: one refused leaves the target as it was.
    ``progress(done, total)`` is told of each shard vetted and each merged."""
    from ..core.clock import Clock

    target = Path(target)
    clock = clock or Clock()
    check_target(target)
    steps, tell = 2 * len(shards), progress or (lambda done, total: None)
    for done, shard in enumerate(shards, 1):
        if Path(shard).resolve() == target.resolve():
            raise NotAnArchive(f"{shard} is the archive merged into: a shard must be another file")
        vet(Path(shard), clock.now(), max_seconds=max_seconds, max_bytes=max_bytes)
        tell(done, steps)
    counts = []
    with SqliteStore(target, clock=clock) as archive:
        for done, shard in enumerate(shards, len(shards) + 1):
            counts.append(_merge_one(archive, Path(shard), warc, max_seconds))
            tell(done, steps)
        # the families are derived, never copied: the merged texts are signed and linked here, as
        # a crawl of the same pages would (core/families.py)
        signed = families.update(archive).signed
        if counts and signed:
            counts[-1].written["text_signatures"] += signed
    return counts


class _Deadline:
    """A progress handler that interrupts SQLite once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def __call__(self) -> int:
        return int(time.monotonic() > self.end)

    def check(self) -> None:
        if self():
            raise sqlite3.OperationalError("interrupted")


def _bounded(shard: Path, deadline: _Deadline):
    """A refusal in place of SQLite's 'interrupted' (the deadline) for ``shard``."""
    import contextlib

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (sqlite3.OperationalError, StorageError):
            if deadline():  # past the bound: SQLite was interrupted by it (not told by the message)
                raise ShardRefused(
                    f"{shard}: refused: its merge took over {deadline.seconds:g} s (the bound; --max-seconds)"
                ) from None
            raise

    return guard()


def vet(shard: Path, now: dt.datetime, *, max_seconds: float = MAX_SECONDS, max_bytes: int = MAX_BYTES) -> None:
    """Refuse ``shard`` (ShardRefused, one line) unless it is a sound archive of its own sites."""
    if not shard.is_file():
        raise NotAnArchive(f"no archive at {shard}")
    size = sum(p.stat().st_size for p in (shard, shard.with_name(shard.name + "-wal")) if p.is_file())
    if size > max_bytes:
        raise ShardRefused(f"{shard}: refused: {size:,} bytes, over the bound of {max_bytes:,} (--max-bytes)")
    SqliteStore(shard, readonly=True).close()  # an archive of the current schema, or a clear refusal
    expected = _expected_columns()
    conn = sqlite3.connect(readonly_uri(shard), uri=True)
    deadline = _Deadline(max_seconds)
    conn.set_progress_handler(deadline, 10_000)
    conn.create_function("xz_site", 1, nz.site_of, deterministic=True)

    def refuse(reason: str):
        raise ShardRefused(f"{shard}: refused: {reason}")

    try:
        with _bounded(shard, deadline):
            kinds = {
                name: (kind, sql or "") for name, kind, sql in conn.execute("SELECT name, type, sql FROM sqlite_master")
            }
            triggers = sorted(name for name, (kind, _) in kinds.items() if kind == "trigger")
            if triggers:
                refuse(f"it carries triggers ({', '.join(triggers)}); an archive has none")
            for table, columns in expected.items():
                deadline.check()  # (a statement shorter than the handler's period never calls it)
                kind, sql = kinds.get(table, (None, ""))
                if kind != "table" or sql.upper().startswith("CREATE VIRTUAL"):
                    what = "missing" if kind is None else ("a virtual table" if kind == "table" else f"a {kind}")
                    refuse(f"{table} is {what}, not a table")
                have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if have != set(columns):
                    odd = sorted(set(columns) ^ have)
                    refuse(f"{table} has not the archive's columns (differs in {', '.join(odd)})")
            sites = {row[0] for row in conn.execute("SELECT DISTINCT site FROM crawl_runs WHERE site IS NOT NULL")}
            if not sites:
                refuse("it has no crawl runs, so no sites of its own")
            conn.execute("CREATE TEMP TABLE own_sites (site TEXT PRIMARY KEY)")
            conn.executemany("INSERT INTO own_sites VALUES (?)", [[site] for site in sites])
            for table, where in SHARD_SITE.items():
                for column in where:
                    value = f"xz_site({column})" if column == "url" else column
                    photos = (
                        " AND url NOT IN (SELECT url FROM image_captures)"
                        " AND url NOT IN (SELECT url FROM asset_captures)"
                        " AND url NOT IN (SELECT url FROM failures WHERE kind IN ('image', 'asset'))"
                        if column == "url" and table in ("warc_records", "failures")
                        else ""
                    )
                    row = conn.execute(
                        f"SELECT {column} FROM {table} WHERE ({value} IS NULL OR {value} NOT IN "
                        f"(SELECT site FROM own_sites)){photos} LIMIT 1"
                    ).fetchone()
                    if row is not None:
                        refuse(
                            f"a row of {table} is of another site ({row[0]!r}) than its runs ({', '.join(sorted(sites))})"
                        )
            bad = conn.execute(
                "SELECT count(*) FROM articles WHERE typeof(article_id) != 'integer' OR typeof(site) != 'text'"
            ).fetchone()[0]
            if bad:
                refuse(f"{bad} article row(s) whose key is no site and integer id")
            latest = (now + CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%S")
            row = conn.execute(
                "SELECT max(substr(coalesce(finished_at, ?), 1, 19)) FROM crawl_runs", [latest]
            ).fetchone()
            end = min(row[0] or latest, latest)
            for table, columns in SHARD_TIMES.items():
                deadline.check()
                for column in columns:
                    row = conn.execute(
                        f"SELECT {column} FROM {table} WHERE substr({column}, 1, 19) > ? LIMIT 1", [end]
                    ).fetchone()
                    if row is not None:
                        refuse(f"{table}.{column} {row[0]!r} is later than the end of its last run ({end})")
            for (name,) in conn.execute("SELECT DISTINCT file FROM warc_records"):
                if not paths.bare_warc_name(name):
                    refuse(f"warc_records names a file outside its WARC folder: {name!r}")
    finally:
        conn.close()


_EXPECTED: dict[str, list[str]] = {}


def _expected_columns() -> dict[str, list[str]]:
    """Each merged table's columns in an archive of this version (a new one in memory)."""
    if not _EXPECTED:
        with SqliteStore(":memory:") as reference:
            for table in SHARD_TIMES:
                _EXPECTED[table] = _columns(reference.db.conn, table)
    return _EXPECTED


def _merge_one(archive: SqliteStore, shard: Path, warc: bool, max_seconds: float = MAX_SECONDS) -> MergeCounts:
    counts = MergeCounts(str(shard))
    if warc:  # the files first: an index row never points at a file the target lacks
        counts.warc_files = _copy_warc(shard, archive.path)
    conn = archive.db.conn
    conn.execute("ATTACH DATABASE ? AS shard", [readonly_uri(shard)])
    deadline = _Deadline(max_seconds)
    conn.set_progress_handler(deadline, 10_000)
    try:
        with _bounded(shard, deadline), _storage(), archive.transaction():
            _merge_tables(conn, counts.written, deadline)
    finally:
        conn.set_progress_handler(None, 0)
        conn.execute("DETACH DATABASE shard")
    return counts


def _count(conn, written: Counter, table: str, sql: str, params=()) -> None:
    before = conn.total_changes
    conn.execute(sql, params)
    written[table] += conn.total_changes - before


def _merge_tables(conn, written: Counter, deadline: _Deadline | None = None) -> None:
    # -- revisions of articles both hold: their union by time and content, read before the
    # articles are written (the current revision's content is its article row's) ---------------
    histories = _merged_histories(conn, deadline)

    # -- articles: new ones, and those the shard fetched later ------------------------------------
    columns = _columns(conn, "articles")
    conn.execute("DROP TABLE IF EXISTS temp.merge_changed")
    conn.execute(
        f"""CREATE TEMP TABLE merge_changed AS
        SELECT s.site, s.article_id, m.rowid IS NULL AS is_new,
               (m.title IS NOT s.title OR m.body_text IS NOT s.body_text) AS text_changed
        FROM shard.articles s LEFT JOIN main.articles m ON m.site = s.site AND m.article_id = s.article_id
        WHERE m.rowid IS NULL OR (({_differs([c for c in columns if c != "revision"])}) AND {_SHARD_NEWER})"""
    )
    updates = ", ".join(
        f"{c} = min(coalesce(articles.{c}, excluded.{c}), coalesce(excluded.{c}, articles.{c}))"
        if c == "first_seen"
        else f"{c} = excluded.{c}"
        for c in columns
        if c not in ("site", "article_id", "revision")  # (the number is the merged history's, below)
    )
    # the text the search index holds for articles about to change (contentless: an entry is
    # deleted with the values it was indexed with)
    old_text = conn.execute(
        "SELECT a.rowid, a.title, a.body_text FROM main.articles a JOIN temp.merge_changed c "
        "ON a.site = c.site AND a.article_id = c.article_id WHERE c.text_changed AND NOT c.is_new"
    ).fetchall()
    _count(
        conn,
        written,
        "articles",
        f"""INSERT INTO main.articles ({", ".join(columns)})
        SELECT {", ".join(columns)} FROM shard.articles
        WHERE (site, article_id) IN (SELECT site, article_id FROM temp.merge_changed)
        ON CONFLICT (site, article_id) DO UPDATE SET {updates}""",
    )
    index = search.INDEX_TABLE
    conn.executemany(
        f"INSERT INTO {index} ({index}, rowid, title_bi, body_bi, chars) VALUES ('delete', ?, ?, ?, ?)",
        ([rowid, *search.index_row(title, body).values()] for rowid, title, body in old_text),
    )
    changed = conn.execute(
        "SELECT a.rowid, a.title, a.body_text FROM main.articles a JOIN temp.merge_changed c "
        "ON a.site = c.site AND a.article_id = c.article_id WHERE c.is_new OR c.text_changed"
    ).fetchall()
    conn.executemany(
        f"INSERT INTO {index} (rowid, title_bi, body_bi, chars) VALUES (?, ?, ?, ?)",
        ([rowid, *search.index_row(title, body).values()] for rowid, title, body in changed),
    )
    written["search_index"] += len(changed)
    conn.execute("DROP TABLE temp.merge_changed")

    # -- revisions: an article only the shard holds comes with its log as it is; one both hold
    # gets the merged history worked out above --------------------------------------------------
    columns = _columns(conn, "revision_log")
    _count(
        conn,
        written,
        "revisions",
        f"""INSERT INTO main.revision_log ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.revision_log s
        WHERE NOT EXISTS (SELECT 1 FROM main.revision_log m WHERE m.site = s.site AND m.article_id = s.article_id)""",
    )
    for (site, article_id), rows in histories.items():
        conn.execute("DELETE FROM main.revision_log WHERE site = ? AND article_id = ?", [site, article_id])
        conn.executemany(
            f"INSERT INTO main.revision_log ({', '.join(_LOG_COLUMNS)}) VALUES ({', '.join('?' * len(_LOG_COLUMNS))})",
            rows,
        )
        conn.execute(
            "UPDATE main.articles SET revision = ? WHERE site = ? AND article_id = ?", [len(rows), site, article_id]
        )
        written["revisions"] += len(rows)

    # -- what was seen over a span (categories, related links): the first and last time any shard
    # saw it, the rest as the side that saw it last says (core.merging.Span) ----------------------
    for rule in merging.SPANS:
        _count(conn, written, rule.table, _span_sql(rule))

    # -- what each site's counts include, its name: the newest word of any shard (core.merging.Newest)
    for rule in (merging.SITE_TRAITS, merging.SITES):
        _count(conn, written, rule.table, _newest_sql(conn, rule))

    # -- what each crawl had in flight when a listing came: as it was -----------------------------
    _count(
        conn,
        written,
        "listing_marks",
        "INSERT OR IGNORE INTO main.listing_marks (url, fetched_at, requested) "
        "SELECT url, fetched_at, requested FROM shard.listing_marks WHERE true",
    )

    # -- failures: the latest attempt's state --------------------------------------------------
    _count(conn, written, "failures", _newest_sql(conn, merging.FAILURES))

    # -- runs: a run is its site, spider and start; its end may come in a later merge -------------
    columns = [c for c in _columns(conn, "crawl_runs") if c != "id"]
    key = " AND ".join(f"m.{c} IS s.{c}" for c in merging.CRAWL_RUNS.key)  # (by None: the shard's record)
    _count(
        conn,
        written,
        "crawl_runs",
        f"""UPDATE main.crawl_runs AS m SET {", ".join(f"{c} = s.{c}" for c in columns)}
        FROM shard.crawl_runs AS s WHERE {key} AND ({_differs(columns)})""",
    )
    _count(
        conn,
        written,
        "crawl_runs",
        f"""INSERT INTO main.crawl_runs ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.crawl_runs s
        WHERE NOT EXISTS (SELECT 1 FROM main.crawl_runs m WHERE {key}) ORDER BY s.id""",
    )

    # -- append-only history: a row is what it says ---------------------------------------------
    for table in merging.APPEND_ONLY:
        columns = [c for c in _columns(conn, table) if c != "id"]
        same = " AND ".join(f"m.{c} IS s.{c}" for c in columns)
        by_url = table in ("warc_records", "image_captures", "asset_captures")
        anchor = "m.url = s.url" if by_url else "m.site = s.site AND m.article_id = s.article_id"
        _count(
            conn,
            written,
            table,
            f"""INSERT INTO main.{table} ({", ".join(columns)}) SELECT {", ".join(f"s.{c}" for c in columns)}
            FROM shard.{table} s WHERE NOT EXISTS (SELECT 1 FROM main.{table} m WHERE {anchor} AND {same}) ORDER BY s.rowid""",
        )


# The shard's article row replaces the target's when fetched later (core.merging.theirs_wins).
_SHARD_NEWER = "({}) >= ({})".format(
    ", ".join(f"coalesce(s.{c}, '')" for c in merging.ARTICLE_ORDER),
    ", ".join(f"coalesce(m.{c}, '')" for c in merging.ARTICLE_ORDER),
)


def _span_sql(rule: merging.Span) -> str:
    """core.merging.Span over the whole table: the shard's rows upserted, a held one updated where
    the rule's row differs from it."""
    t, first, last = rule.table, rule.first, rule.last
    columns = [*rule.key, *rule.latest, first, last]
    newer = f"excluded.{last} >= {t}.{last}"
    value = {
        name: f"coalesce(excluded.{name}, {t}.{name})" if rule.keep_null else f"excluded.{name}" for name in rule.latest
    }
    sets = [f"{name} = CASE WHEN {newer} THEN {value[name]} ELSE {t}.{name} END" for name in rule.latest]
    sets += [
        f"{first} = min(coalesce({t}.{first}, excluded.{first}), coalesce(excluded.{first}, {t}.{first}))",
        f"{last} = max(coalesce({t}.{last}, excluded.{last}), coalesce(excluded.{last}, {t}.{last}))",
    ]
    differs = " OR ".join(f"{t}.{name} IS NOT {value[name]}" for name in rule.latest)
    return f"""INSERT INTO main.{t} ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.{t} WHERE true
        ON CONFLICT ({", ".join(rule.key)}) DO UPDATE SET {", ".join(sets)}
        WHERE {t}.{first} > excluded.{first} OR {t}.{last} < excluded.{last} OR ({newer} AND ({differs}))"""


def _newest_sql(conn, rule: merging.Newest) -> str:
    """core.merging.Newest over a table keyed by ``rule.key``: the shard's row replaces the held one
    when later by ``rule.by`` (or as late, with ``ties``) and it says something else."""
    t, columns = rule.table, _columns(conn, rule.table)
    rest = [c for c in columns if c not in rule.key]
    later = f"coalesce(excluded.{rule.by}, '') {'>=' if rule.ties else '>'} coalesce({t}.{rule.by}, '')"
    return f"""INSERT INTO main.{t} ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.{t} WHERE true
        ON CONFLICT ({", ".join(rule.key)}) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in rest)}
        WHERE {later} AND ({_differs(rest, t, "excluded")})"""


_LOG_COLUMNS = ("site", "article_id", "revision", "fetched_at", "changed_fields", *REVISION_FIELDS, "current")


def _history(conn, schema: str, site: str, article_id: int) -> tuple[list[tuple[str, int, dict]], tuple | None]:
    """One side's revisions as (time, order, content fields), and its article row's (fetched_at,
    last_seen) with its content as a last observation."""
    article = conn.execute(
        f"SELECT fetched_at, last_seen, {', '.join(REVISION_FIELDS)} FROM {schema}.articles "
        "WHERE site = ? AND article_id = ?",
        [site, article_id],
    ).fetchone()
    current = dict(zip(REVISION_FIELDS, article[2:], strict=True)) if article else None
    events = []
    for row in conn.execute(
        f"SELECT revision, fetched_at, current, {', '.join(REVISION_FIELDS)} FROM {schema}.revision_log "
        "WHERE site = ? AND article_id = ? ORDER BY revision",
        [site, article_id],
    ):
        fields = current if row[2] and current is not None else dict(zip(REVISION_FIELDS, row[3:], strict=True))
        events.append(merging.Event(row[1] or "", 0, fields))
    if article is not None:
        events.append(merging.Event(article[0] or "", 1, current))
    return events, ({"fetched_at": article[0], "last_seen": article[1]} if article else None)


def _merged_histories(conn, deadline: _Deadline | None) -> dict[tuple[str, int], list[list]]:
    """For each article whose revisions both sides hold and tell differently: the merged log rows,
    as the rule book merges them (core.merging.history: both histories and both article rows, each
    the content seen at its fetch, in time order; the current revision's content is the kept
    article row's, not the log's)."""
    key = ("site", "article_id", "revision")  # (= for the primary key's index, IS for the rest)
    same = " AND ".join(f"m.{c} {'=' if c in key else 'IS'} s.{c}" for c in _LOG_COLUMNS)
    pairs = conn.execute(
        f"""SELECT DISTINCT s.site, s.article_id FROM shard.revision_log s
        WHERE EXISTS (SELECT 1 FROM main.revision_log m WHERE m.site = s.site AND m.article_id = s.article_id)
          AND NOT EXISTS (SELECT 1 FROM main.revision_log m WHERE {same})"""
    ).fetchall()
    merged = {}
    for site, article_id in pairs:
        if deadline is not None:
            deadline.check()
        ours, our_row = _history(conn, "main", site, article_id)
        theirs, their_row = _history(conn, "shard", site, article_id)
        revisions = merging.history(ours, theirs, merging.theirs_wins(our_row, their_row))
        rows = [
            [site, article_id, r.number, r.at, r.changed]
            + ([None] * len(REVISION_FIELDS) if r.fields is None else [r.fields[n] for n in REVISION_FIELDS])
            + [int(r.current)]
            for r in revisions
        ]
        existing = [
            list(row)
            for row in conn.execute(
                f"SELECT {', '.join(_LOG_COLUMNS)} FROM main.revision_log WHERE site = ? AND article_id = ? "
                "ORDER BY revision",
                [site, article_id],
            )
        ]
        if rows and rows != existing:
            merged[(site, article_id)] = rows
    return merged


def _copy_warc(shard: Path, target: Path) -> int:
    """Copy the shard's WARC files the target's folder lacks (or holds shorter: a file the shard's
    crawler went on writing). A copy is written aside and renamed into place."""
    source, destination = paths.warc_dir(shard), paths.warc_dir(target)
    if not source.is_dir() or source.resolve() == destination.resolve():
        return 0
    with SqliteStore(shard, readonly=True) as archive:  # the files its index points at: its own, not a neighbour's
        names = [name for name in archive.warc_files_indexed() if paths.bare_warc_name(name)]
    copied = 0
    for path in (source / name for name in sorted(names)):
        if not path.is_file():
            continue
        out = destination / path.name
        if out.exists() and out.stat().st_size >= path.stat().st_size:
            continue
        with atomic_file(out) as fh, path.open("rb") as source_file:
            shutil.copyfileobj(source_file, fh, 1024 * 1024)
        copied += 1
    return copied
