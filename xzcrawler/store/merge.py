"""Fold shard archives into one researcher archive: ``xzcrawler merge SHARD... --into ARCHIVE``.

Each site crawled on its own (a Scrapyd job per site) writes its own shard; the merge copies
what the target lacks or holds older, with all history: articles (the newer wins, with their
related links and images), the related links observed, what each site's counts include,
revisions, view snapshots, date refinements, categories, failures,
runs, the WARC index (and the WARC files beside the shard), and the search index of what changed.

Idempotent: every row is matched on its natural key (an article by site and id, a run by site,
spider and start, a snapshot by all it says), so merging a shard again writes nothing. Incremental:
only rows new or changed since the last merge are written. One transaction a shard: a merge
killed half-way leaves the target as it was before that shard.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_file
from ..core import paths, search
from .errors import NotAnArchive, _storage
from .sqlite import Archive, readonly_uri


@dataclass
class MergeReport:
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


def merge(target: str | Path, shards: list[str | Path], *, warc: bool = True, clock=None) -> list[MergeReport]:
    """Merge each of ``shards`` into the archive at ``target`` (created if missing)."""
    target = Path(target)
    for shard in shards:
        if Path(shard).resolve() == target.resolve():
            raise NotAnArchive(f"{shard} is the archive merged into: a shard must be another file")
        Archive(shard, readonly=True).close()  # an archive of the current schema, or a clear refusal
    reports = []
    with Archive(target, clock=clock) as archive:
        for shard in shards:
            reports.append(_merge_one(archive, Path(shard), warc))
    return reports


def _merge_one(archive: Archive, shard: Path, warc: bool) -> MergeReport:
    report = MergeReport(str(shard))
    if warc:  # the files first: an index row never points at a file the target lacks
        report.warc_files = _copy_warc(shard, archive.path)
    conn = archive.db.conn
    conn.execute("ATTACH DATABASE ? AS shard", [readonly_uri(shard)])
    try:
        with _storage(), archive._txn():
            _merge_tables(conn, report.written)
    finally:
        conn.execute("DETACH DATABASE shard")
    return report


def _count(conn, written: Counter, table: str, sql: str, params=()) -> None:
    before = conn.total_changes
    conn.execute(sql, params)
    written[table] += conn.total_changes - before


def _merge_tables(conn, written: Counter) -> None:
    # -- articles: new ones, and those the shard holds newer ------------------------------------
    columns = _columns(conn, "articles")
    conn.execute("DROP TABLE IF EXISTS temp.merge_changed")
    conn.execute(
        f"""CREATE TEMP TABLE merge_changed AS
        SELECT s.site, s.article_id, m.rowid IS NULL AS is_new,
               (m.title IS NOT s.title OR m.body_text IS NOT s.body_text) AS text_changed
        FROM shard.articles s LEFT JOIN main.articles m ON m.site = s.site AND m.article_id = s.article_id
        WHERE m.rowid IS NULL
           OR (({_differs(columns)}) AND coalesce(s.last_seen, '') >= coalesce(m.last_seen, ''))"""
    )
    updates = ", ".join(
        f"{c} = min(coalesce(articles.{c}, excluded.{c}), coalesce(excluded.{c}, articles.{c}))"
        if c == "first_seen"
        else f"{c} = excluded.{c}"
        for c in columns
        if c not in ("site", "article_id")
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

    # -- revisions: a superseded one gains its content (and loses 'current') in a later merge ---
    columns = _columns(conn, "revision_log")
    key = ("site", "article_id", "revision")
    _count(
        conn,
        written,
        "revisions",
        f"""INSERT INTO main.revision_log ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.revision_log
        WHERE true ON CONFLICT (site, article_id, revision) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)}
        WHERE {_differs([c for c in columns if c not in key], "revision_log", "excluded")}""",
    )

    # -- categories: the first and last time any shard saw them ---------------------------------
    _count(
        conn,
        written,
        "categories",
        """INSERT INTO main.categories (site, url, name, first_seen, last_seen)
        SELECT site, url, name, first_seen, last_seen FROM shard.categories WHERE true
        ON CONFLICT (site, url) DO UPDATE SET
            name = CASE WHEN excluded.last_seen >= categories.last_seen THEN coalesce(excluded.name, categories.name)
                        ELSE categories.name END,
            first_seen = min(categories.first_seen, excluded.first_seen),
            last_seen = max(categories.last_seen, excluded.last_seen)
        WHERE categories.first_seen > excluded.first_seen OR categories.last_seen < excluded.last_seen
           OR (excluded.last_seen >= categories.last_seen AND categories.name IS NOT coalesce(excluded.name, categories.name))""",
    )

    # -- related links observed: the first and last time any shard saw each ---------------------
    _count(
        conn,
        written,
        "related_seen",
        """INSERT INTO main.related_seen (site, article_id, to_url, title, excerpt, first_seen, last_seen)
        SELECT site, article_id, to_url, title, excerpt, first_seen, last_seen FROM shard.related_seen WHERE true
        ON CONFLICT (site, article_id, to_url) DO UPDATE SET
            title = CASE WHEN excluded.last_seen >= related_seen.last_seen THEN excluded.title ELSE related_seen.title END,
            excerpt = CASE WHEN excluded.last_seen >= related_seen.last_seen THEN excluded.excerpt ELSE related_seen.excerpt END,
            first_seen = min(related_seen.first_seen, excluded.first_seen),
            last_seen = max(related_seen.last_seen, excluded.last_seen)
        WHERE related_seen.first_seen > excluded.first_seen OR related_seen.last_seen < excluded.last_seen""",
    )

    # -- what each site's counts include: the newest word of any shard ---------------------------
    _count(
        conn,
        written,
        "site_traits",
        """INSERT INTO main.site_traits (site, counts_own_fetches, plus_one, same, updated_at)
        SELECT site, counts_own_fetches, plus_one, same, updated_at FROM shard.site_traits WHERE true
        ON CONFLICT (site) DO UPDATE SET counts_own_fetches = excluded.counts_own_fetches,
            plus_one = excluded.plus_one, same = excluded.same, updated_at = excluded.updated_at
        WHERE excluded.updated_at > site_traits.updated_at""",
    )

    # -- what each crawl had in flight when a listing came: as it was -----------------------------
    _count(
        conn,
        written,
        "listing_marks",
        "INSERT OR IGNORE INTO main.listing_marks (url, fetched_at, requested) "
        "SELECT url, fetched_at, requested FROM shard.listing_marks WHERE true",
    )

    # -- each site's name: the newest any shard saw ------------------------------------------------
    _count(
        conn,
        written,
        "sites",
        """INSERT INTO main.sites (site, name, name_seen_at) SELECT site, name, name_seen_at FROM shard.sites WHERE true
        ON CONFLICT (site) DO UPDATE SET name = excluded.name, name_seen_at = excluded.name_seen_at
        WHERE excluded.name_seen_at > sites.name_seen_at""",
    )

    # -- failures: the latest attempt's state ---------------------------------------------------
    columns = _columns(conn, "failures")
    _count(
        conn,
        written,
        "failures",
        f"""INSERT INTO main.failures ({", ".join(columns)}) SELECT {", ".join(columns)} FROM shard.failures WHERE true
        ON CONFLICT (url) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in columns if c != "url")}
        WHERE coalesce(excluded.last_tried, '') >= coalesce(failures.last_tried, '')
          AND ({_differs([c for c in columns if c != "url"], "failures", "excluded")})""",
    )

    # -- runs: a run is its site, spider and start; its end may come in a later merge -------------
    columns = [c for c in _columns(conn, "crawl_runs") if c != "id"]
    key = "m.site IS s.site AND m.spider IS s.spider AND m.started_at IS s.started_at"
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
    for table in ("view_snapshots", "date_refinements", "warc_records"):
        columns = [c for c in _columns(conn, table) if c != "id"]
        same = " AND ".join(f"m.{c} IS s.{c}" for c in columns)
        anchor = "m.url = s.url" if table == "warc_records" else "m.site = s.site AND m.article_id = s.article_id"
        _count(
            conn,
            written,
            table,
            f"""INSERT INTO main.{table} ({", ".join(columns)}) SELECT {", ".join(f"s.{c}" for c in columns)}
            FROM shard.{table} s WHERE NOT EXISTS (SELECT 1 FROM main.{table} m WHERE {anchor} AND {same}) ORDER BY s.id""",
        )


def _copy_warc(shard: Path, target: Path) -> int:
    """Copy the shard's WARC files the target's folder lacks (or holds shorter: a file the shard's
    crawler went on writing). A copy is written aside and renamed into place."""
    source, destination = paths.warc_dir(shard), paths.warc_dir(target)
    if not source.is_dir() or source.resolve() == destination.resolve():
        return 0
    copied = 0
    for path in sorted(source.glob("*.warc.gz")):
        out = destination / path.name
        if out.exists() and out.stat().st_size >= path.stat().st_size:
            continue
        with atomic_file(out) as fh, path.open("rb") as source_file:
            shutil.copyfileobj(source_file, fh, 1024 * 1024)
        copied += 1
    return copied
