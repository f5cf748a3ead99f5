"""Exports of the archive: ordered JSONL or CSV, atomic, never clobbering."""

from __future__ import annotations

import functools
import gzip
import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..core import normalize as nz
from ..core.formats import FORMATS, OTHER_FORMATS, format_of_name
from .atomic import atomic_file
from .migrations import ARTICLE_FIELDS
from .sqlite import SqliteStore


class ExportTargetError(ValueError):
    """An export target that must not be written: the archive, a directory, a device, a database."""


def check_export_name(out: str | os.PathLike, fmt: str) -> None:
    """A name that says another format than the one written is refused (JSON lines in a file
    called .csv is read as a broken table, and the other way round)."""
    if str(out) == "-":
        return
    out = Path(out)
    stem = out.name[:-3] if out.name.endswith(".gz") else out.name
    other = next((s for s in OTHER_FORMATS if stem.lower().endswith(s)), None)
    if other:
        raise ExportTargetError(
            f"{out}: exports are {' or '.join(FORMATS)}; a {other} name says another format "
            f"(name it {' or '.join('.' + f for f in FORMATS)})"
        )
    said = format_of_name(out)
    if said is not None and said != fmt:
        raise ExportTargetError(
            f"{out}: a .{said} name says another format than {fmt} (use --format {said}, or name it .{fmt})"
        )


def check_export_target(
    out: str | os.PathLike, db_path: str | os.PathLike | None = None, compress: bool = False
) -> None:
    """Refuse a target that would clobber something: only a regular file (or nothing yet) may be
    replaced, never the archive (or its -wal/-shm/.lock), another SQLite database, a directory or
    a device; the name ends in .gz exactly when the export is gzipped. (For the report and the
    WACZ too; ``check_export_name`` is the exports' own.)"""
    if str(out) == "-":
        return
    out = Path(out)
    if compress != out.name.endswith(".gz"):
        raise ExportTargetError(
            f"{out}: a gzipped export's name ends in .gz, and only a gzipped one's "
            f"({'add .gz to the name' if compress else 'add --gzip, or drop .gz from the name'})"
        )
    if db_path is not None and str(db_path) != ":memory:":
        db = Path(db_path).resolve()
        own = {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal", ".lock"))}
        if out.resolve() in own:
            raise ExportTargetError(f"{out} is the archive itself (or one of its files): choose another --out")
    if os.path.lexists(out):
        info = os.stat(out) if out.exists() else None
        if info is None or not stat.S_ISREG(info.st_mode):
            raise ExportTargetError(f"{out} exists and is not a regular file (a directory, device or broken link)")
        with open(out, "rb") as fh:
            if fh.read(16) == b"SQLite format 3\x00":
                raise ExportTargetError(f"{out} is an SQLite database: an export never replaces one")


def write_jsonl_atomic(records: Iterable[dict], out: str | os.PathLike, compress: bool = False) -> int:
    """Write records as JSON lines through the atomic writer (``-``: standard output)."""
    return write_export(records, out, "jsonl", compress=compress)


def write_export(
    records: Iterable[dict],
    out: str | os.PathLike,
    fmt: str = "jsonl",
    columns: Sequence[str] | None = None,
    compress: bool = False,
    raw: bool = False,
) -> int:
    """Write records in format ``fmt`` (a key of FORMATS) through the atomic writer (``-``:
    standard output), gzipped with ``compress``. ``columns``: the fields in order, for formats
    with a header (the first record's keys when not given). ``raw``: CSV cells as stored, formula
    look-alikes included (formats.csv_cell)."""
    writer = functools.partial(FORMATS[fmt], raw=True) if raw and fmt == "csv" else FORMATS[fmt]
    if str(out) == "-":
        return _write(writer, records, sys.stdout.buffer, columns, compress)
    with atomic_file(out) as raw:
        return _write(writer, records, raw, columns, compress)


def _write(writer, records, raw, columns, compress: bool) -> int:
    fh = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
    count = writer(records, fh, columns)
    if compress:
        fh.close()
    raw.flush()
    return count


# What an exported article carries besides its schema record: the family of posts made from the
# same text it belongs to (core/families.py; null: none), as the families view names it.
FAMILY_FIELD = "family_id"
EXPORTED_FIELDS = (*ARTICLE_FIELDS, FAMILY_FIELD)


def with_families(records: Iterable[dict], members: dict) -> Iterator[dict]:
    """Each record with its family id (``members``: (site, article id) -> family)."""
    for record in records:
        record[FAMILY_FIELD] = members.get((record["site"], record["article_id"]))
        yield record


# What `export --table` can write, and in which order; JSON columns come back as JSON.
EXPORT_TABLES = {
    "articles": None,  # schema records, see SqliteStore.iter_articles
    "related_links": ("site, article_id, position", ()),
    "view_snapshots": ("site, article_id, observed_at, id", ()),
    "revisions": ("site, article_id, revision", ("images", "related", "changed_fields")),
}
# Which rows are "new or changed since T", per table.
_SINCE = {
    "articles": "(site, article_id) IN (SELECT site, article_id FROM revisions WHERE fetched_at >= :t "
    "UNION SELECT site, article_id FROM view_snapshots WHERE observed_at >= :t)",
    "related_links": "(site, article_id) IN (SELECT site, article_id FROM revisions WHERE fetched_at >= :t)",
    "view_snapshots": "observed_at >= :t",
    "revisions": "fetched_at >= :t",
}


# Which rows are new or changed between two change marks (revision_log.rowid, the revisions view's
# mark; view_snapshots.id),
# per table: a monotonic sequence, with no second-resolution gaps or repeats.
_CHANGED = {
    "articles": "(site, article_id) IN (SELECT site, article_id FROM revision_log WHERE rowid > :r0 AND rowid <= :r1 "
    "UNION SELECT site, article_id FROM view_snapshots WHERE id > :s0 AND id <= :s1)",
    "related_links": "(site, article_id) IN (SELECT site, article_id FROM revision_log WHERE rowid > :r0 AND rowid <= :r1)",
    "view_snapshots": "id > :s0 AND id <= :s1",
    "revisions": "mark > :r0 AND mark <= :r1",
}


PROGRESS_EVERY = 1000


def _told(rows: Iterable[dict], total: int, progress) -> Iterator[dict]:
    done = 0
    for done, row in enumerate(rows, 1):
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        yield row
    progress(done, total)


def export(
    db_path: str | os.PathLike,
    out: str | os.PathLike,
    table: str = "articles",
    since: str | None = None,
    changed: bool = False,
    compress: bool = False,
    fmt: str = "jsonl",
    progress=None,
    raw: bool = False,
) -> tuple[int, str | None]:
    """Export one table, ordered, in format ``fmt`` (a key of FORMATS; atomic). ``since``: only rows new or changed since then;
    ``changed``: what was written since the last ``changed`` export to this file (its change
    marks are kept beside it, in ``<out>.marks.json``, not in the archive: an export only reads
    the archive; marks an older version kept in the archive's ``exports`` table are read once).
    Returns (rows written, the time the rows were taken from: ``since``, or None).
    ``progress(done, total)`` is told of the rows written, every PROGRESS_EVERY."""
    if table not in EXPORT_TABLES:
        raise ValueError(f"unknown table {table!r}: one of {', '.join(EXPORT_TABLES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    check_export_target(out, db_path, compress)
    check_export_name(out, fmt)
    if changed and str(out) == "-":
        raise ExportTargetError(
            "--changed keeps its marks beside the file it writes (<file>.marks.json): give --out FILE"
        )
    with SqliteStore(db_path, readonly=True) as archive:
        started = archive.clock.iso()
        # the change marks now: rows written from here on belong to the next --changed export
        marks = {
            "r1": archive.db.execute("SELECT coalesce(max(rowid), 0) FROM revision_log").fetchone()[0],
            "s1": archive.db.execute("SELECT coalesce(max(id), 0) FROM view_snapshots").fetchone()[0],
        }
        where, params = "", {}
        if changed:
            last = _last_marks(archive, out, table)
            params = {"r0": last[0] if last else 0, "s0": last[1] if last else 0, **marks}
            where = f" WHERE {_CHANGED[table]}"
        elif since:
            where, params = f" WHERE {_SINCE[table]}", {"t": nz.utc_iso(since)}
        if table == "articles":
            rows = with_families(archive.iter_articles(where, params), archive.family_members())
            columns = EXPORTED_FIELDS
        else:
            order, json_columns = EXPORT_TABLES[table]
            cursor = archive.db.execute(f"SELECT * FROM {table}{where} ORDER BY {order}", params)
            names = [d[0] for d in cursor.description]
            hidden = {"mark"}  # the revisions view's change mark: bookkeeping, not data

            def decode(values):
                row = {n: v for n, v in zip(names, values, strict=True) if n not in hidden}
                for name in json_columns:
                    if row.get(name) is not None:
                        row[name] = json.loads(row[name])
                return row

            rows, columns = (decode(values) for values in cursor), [n for n in names if n not in hidden]
        if progress is not None:
            total = archive.db.execute(f"SELECT count(*) FROM {table}{where}", params).fetchone()[0]
            rows = _told(rows, total, progress)
        count = write_export(rows, out, fmt, columns, compress, raw)
    if changed:
        state = {
            "archive": str(Path(db_path).resolve()),
            "table": table,
            "exported_at": started,
            "count": count,
            "revision_mark": marks["r1"],
            "snapshot_mark": marks["s1"],
        }
        with atomic_file(marks_path(out), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(state, ensure_ascii=False, indent=1) + "\n")
    return count, since


def marks_path(out: str | os.PathLike) -> Path:
    """Where the change marks of ``--changed`` exports to ``out`` are kept: beside it."""
    out = Path(out)
    return out.with_name(out.name + ".marks.json")


def _last_marks(archive, out, table: str) -> tuple[int, int] | None:
    """(revision mark, snapshot mark) of the last ``--changed`` export of ``table`` to ``out``:
    from its marks file, else (an archive exported by an older version) from the archive's
    ``exports`` table, read only."""
    path = marks_path(out)
    if path.is_file():
        try:
            state = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ExportTargetError(
                f"{path} is not the marks file of a --changed export ({exc}): move it away"
            ) from None
        if state.get("table") != table:
            raise ExportTargetError(
                f"{path} holds the marks of a --changed export of {state.get('table')!r}, not {table!r}"
            )
        return int(state.get("revision_mark") or 0), int(state.get("snapshot_mark") or 0)
    return archive.db.execute(
        "SELECT revision_mark, snapshot_mark FROM exports WHERE target = ? AND revision_mark IS NOT NULL "
        "ORDER BY id DESC LIMIT 1",
        [table],
    ).fetchone()


def export_records(store, out: str | os.PathLike, fmt: str = "jsonl", compress: bool = False) -> int:
    """Every article of ``store`` (any Store: see store/protocol.py) as one schema record per row
    with its family id, ordered by (site, article_id), atomic; the row count."""
    check_export_target(out, getattr(store, "path", None), compress)
    check_export_name(out, fmt)
    records = with_families(store.iter_articles(), store.family_members())
    return write_export(records, out, fmt, EXPORTED_FIELDS, compress)


def export_articles(db_path: str | os.PathLike, out: str | os.PathLike) -> int:
    """The whole archive as JSONL, one schema record per line, ordered by (site, article_id)."""
    return export(db_path, out)[0]


def changes(
    db_path: str | os.PathLike,
    site: str | None = None,
    category: str | None = None,
    since: str | None = None,
    limit: int = 100,
) -> list[dict]:
    """The newest ``limit`` revisions (new articles and changes) of the archive, newest first, each
    with what an Atom entry shows (core.atom.feed): the article's address, site name and category,
    the revision's title, body and changed fields, and the revision before it's body and title."""
    filters, params = [], []
    if site:
        filters.append("r.site = ?")
        params.append(site)
    if category:
        filters.append("a.category = ?")
        params.append(category)
    if since:
        filters.append("r.fetched_at >= ?")
        params.append(nz.utc_iso(since))
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    with SqliteStore(db_path, readonly=True) as archive:
        rows = archive.db.execute(
            "SELECT r.site, r.article_id, r.revision, r.fetched_at, r.changed_fields, r.title, r.body_text, "
            "a.url, a.category, s.name, p.title, p.body_text FROM revisions r "
            "JOIN articles a ON a.site = r.site AND a.article_id = r.article_id "
            "LEFT JOIN sites s ON s.site = r.site "
            "LEFT JOIN revisions p ON p.site = r.site AND p.article_id = r.article_id AND p.revision = r.revision - 1 "
            f"{where} ORDER BY r.fetched_at DESC, r.site, r.article_id, r.revision DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
    names = (
        "site article_id revision fetched_at changed_fields title body_text url category site_name "
        "previous_title previous_body"
    ).split()
    out = []
    for row in rows:
        change = dict(zip(names, row, strict=True))
        change["changed_fields"] = json.loads(change["changed_fields"]) if change["changed_fields"] else None
        out.append(change)
    return out
