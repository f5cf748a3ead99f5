"""What `xzcrawler verify` asks of the archive file itself (issue 32): read-only queries, each
giving what it found wrong. The checks that read the WARC files and parse pages again are in
tools/verify.py; this module holds their SQL."""

from __future__ import annotations

import sqlite3

from ..core.normalize import natural_key
from .migrations import migrations


def open_readonly(path) -> sqlite3.Connection:
    """The archive at ``path`` opened read-only (``mode=ro``): nothing a check does can write it."""
    from pathlib import Path

    return sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)


def path_of(conn: sqlite3.Connection) -> str:
    """The file of the main database of ``conn``."""
    return conn.execute("PRAGMA database_list").fetchone()[2]


def export_keys(conn: sqlite3.Connection) -> dict[tuple[str, int], str]:
    """(site, article_id) -> content_hash of every article (what an export line must match)."""
    return {(s, a): h for s, a, h in conn.execute("SELECT site, article_id, content_hash FROM articles")}


def run_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]


def integrity(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own checks: ``integrity_check`` and ``foreign_key_check`` (what they report)."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check(20)") if row[0] != "ok"]
    problems += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
    return problems


def unknown_schema(conn: sqlite3.Connection) -> list[str]:
    """Migrations the archive records that this version does not know, or knows and lacks."""
    applied = {
        name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", ["xzcrawler"])
    }
    known = {m.name for m in migrations._migrations}
    return [f"unknown migration {name}" for name in sorted(applied - known)] + [
        f"migration {name} not applied" for name in sorted(known - applied)
    ]


def indexed_files(conn: sqlite3.Connection) -> dict[str, int]:
    """Each WARC file the index names, with the end of its last indexed record (offset + length)."""
    return dict(conn.execute("SELECT file, max(offset + coalesce(length, 0)) FROM warc_records GROUP BY file"))


def indexed_records(conn: sqlite3.Connection) -> list[tuple]:
    """(id, url, file, offset, record type, digest) of every response and revisit record indexed."""
    return conn.execute(
        "SELECT id, url, file, offset, record_type, digest FROM warc_records "
        "WHERE record_type IN ('response', 'revisit') ORDER BY id"
    ).fetchall()


def latest_captures(conn: sqlite3.Connection) -> list[tuple]:
    """(url, file, offset, fetched_at) of every 200 response or revisit record, newest last."""
    return conn.execute(
        "SELECT url, file, offset, fetched_at FROM warc_records WHERE record_type IN ('response', 'revisit') "
        "AND status = 200 ORDER BY id"
    ).fetchall()


def articles(conn: sqlite3.Connection, fields: tuple[str, ...]) -> dict[tuple[str, int], dict]:
    """(site, article_id) -> the named columns (plus fetched_at and url) of every article."""
    names = ("url", "fetched_at", *fields)
    rows = conn.execute(f"SELECT site, article_id, {', '.join(names)} FROM articles")
    return {(site, aid): dict(zip(names, rest, strict=True)) for site, aid, *rest in rows}


def revision_times(conn: sqlite3.Connection) -> list[tuple[str, int, int, str]]:
    """(site, article_id, revision, fetched_at) of every revision."""
    return conn.execute("SELECT site, article_id, revision, fetched_at FROM revision_log ORDER BY 1, 2, 3").fetchall()


def search_rows(conn: sqlite3.Connection) -> tuple[set[int], set[int]]:
    """(rowids of the articles, rowids the search index holds a document for)."""
    articles = {rowid for (rowid,) in conn.execute("SELECT rowid FROM articles")}
    indexed = {rowid for (rowid,) in conn.execute("SELECT id FROM search_index_docsize")}
    return articles, indexed


def story_keys(conn: sqlite3.Connection) -> list[tuple[str, int, str | None, str | None]]:
    """(site, article_id, story_id, body_text) of every article."""
    return conn.execute("SELECT site, article_id, story_id, body_text FROM articles").fetchall()


def family_state(conn: sqlite3.Connection, algorithm: str) -> tuple[int, list, list, dict]:
    """(the number of articles; those whose text is not signed as it is now, by ``algorithm``;
    the linked pairs; each member's family)."""
    (articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    from .queries import UNSIGNED

    unsigned = conn.execute(f"SELECT a.site, a.article_id {UNSIGNED}", [algorithm]).fetchall()
    pairs = [((a, b), (c, d)) for a, b, c, d in conn.execute("SELECT a_site, a_id, b_site, b_id FROM family_links")]
    members = {(site, aid): family for site, aid, family in conn.execute("SELECT * FROM family_members")}
    return articles, unsigned, pairs, members


def runs_left_running(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(id, site, started_at) of runs still marked running."""
    return conn.execute("SELECT id, site, started_at FROM crawl_runs WHERE status = 'running'").fetchall()


def failures_out_of_order(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(url, first_seen, resolved_at) of failures resolved before they were first seen, or open
    failures with no attempt."""
    return conn.execute(
        "SELECT url, first_seen, resolved_at FROM failures WHERE (resolved_at IS NOT NULL AND resolved_at < first_seen) "
        "OR coalesce(attempts, 0) < 1"
    ).fetchall()


# -- what `xzcrawler status` reads (the operator's view: the same read-only connection) ----------
def site_names(conn: sqlite3.Connection) -> dict[str, str | None]:
    """Every site of the archive (those with runs or articles), with its own name where known."""
    sites = {s for (s,) in conn.execute("SELECT DISTINCT site FROM crawl_runs WHERE site IS NOT NULL")}
    sites |= {s for (s,) in conn.execute("SELECT DISTINCT site FROM articles")}
    names = dict(conn.execute("SELECT site, name FROM sites"))
    return {site: names.get(site) for site in sorted(sites, key=natural_key)}


def last_runs(conn: sqlite3.Connection, site: str, count: int) -> list[tuple]:
    """(id, started_at, finished_at, status, exit_code, stats JSON) of the site's newest runs."""
    return conn.execute(
        "SELECT id, started_at, finished_at, status, exit_code, stats FROM crawl_runs WHERE site = ? "
        "ORDER BY id DESC LIMIT ?",
        [site, count],
    ).fetchall()


def open_failures(conn: sqlite3.Connection, site: str) -> list[tuple[str, str, str, int | None, int]]:
    """(url, kind, reason, HTTP status, attempts) of the site's open failures, newest first."""
    like = [f"%://{site}/%", f"%://{site}:%", f"%://www.{site}/%", f"%://www.{site}:%"]
    return conn.execute(
        "SELECT url, kind, reason, http_status, attempts FROM failures WHERE resolved_at IS NULL AND "
        "(url LIKE ? OR url LIKE ? OR url LIKE ? OR url LIKE ?) ORDER BY last_tried DESC",
        like,
    ).fetchall()


def check_state(conn: sqlite3.Connection, site: str) -> list[tuple[int, str | None, str | None]]:
    """(article_id, published_date, last_checked) of every article of the site."""
    return conn.execute(
        "SELECT article_id, published_date, last_checked FROM articles WHERE site = ?", [site]
    ).fetchall()
