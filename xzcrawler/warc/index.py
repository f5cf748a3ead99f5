"""The archive's index of its WARC files: which files an archive owns (their warcinfo names it),
and the records a killed run wrote but never indexed (``reconcile``), found and indexed again.
``archive`` is any store with ``identity``, ``warc_files_indexed()`` and ``add_warc_index()``.
"""

from __future__ import annotations

from pathlib import Path

from .reader import member_end, record_of
from .writer import _WRITING, OWNER_FIELD


def warcinfo_fields(path: Path) -> dict[str, str] | None:
    """The fields of the warcinfo record a WARC file opens with; None when it opens with none (or
    with a record still being written)."""
    try:
        with open(path, "rb") as fh:
            end = member_end(fh, 0)
            if end is None:
                return None
            fh.seek(0)
            record = record_of(fh.read(min(end, 1 << 20)))
            if record.rec_headers.get_header("WARC-Type") != "warcinfo":
                return None
            text = record.content_stream().read(1 << 16).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001  (not a WARC file we can read: nobody's we know)
        return None
    fields = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields[name.strip()] = value.strip()
    return fields


def own_files(archive, directory: Path, indexed: dict[str, int] | None = None) -> list[Path]:
    """The WARC files of ``directory`` this archive wrote: those whose warcinfo names its identity,
    and those its index lists that name no archive (written before files were marked). A file of
    another archive in the same folder (a shard beside it) is never among them, even if a merge
    indexed it here: only its writer may cut it."""
    if not directory.is_dir():
        return []
    identity = archive.identity
    indexed = archive.warc_files_indexed() if indexed is None else indexed
    owned = []
    for path in sorted(directory.glob("*.warc.gz")):
        mark = f"-{identity[:8]}-"
        if (
            "-" in path.name
            and path.name.startswith("xzcrawler-")
            and mark not in path.name
            and path.name not in indexed
        ):
            continue  # another archive's name: no need to open it
        fields = warcinfo_fields(path)
        owner = fields.get(OWNER_FIELD) if fields else None
        if owner == identity or (owner is None and path.name in indexed):
            owned.append(path)
    return owned


def reconcile(archive, directory: Path) -> int:
    """Index the records of this archive's WARC files in ``directory`` that ``warc_records``
    lacks (a run killed between writing records and indexing them), and cut a record left
    half-written at the end of such a file. Files another archive wrote are left alone. Returns
    how many rows were added."""
    if not directory.is_dir():
        return 0
    known = archive.warc_files_indexed()
    added = 0
    for path in own_files(archive, directory, known):
        if path.resolve() in _WRITING:
            continue
        size = path.stat().st_size
        start = known.get(path.name, 0)
        if start >= size:
            continue
        rows, end = _index_file(path, start)
        if end < size:
            with open(path, "r+b") as fh:  # a torn last record: what a reader would choke on
                fh.truncate(end)
        if known.get(path.name) is None:
            rows = [row for row in rows if row["record_type"] != "warcinfo"]
        if rows:
            archive.add_warc_index(rows)
            added += len(rows)
    return added


def _index_file(path: Path, start: int) -> tuple[list[dict], int]:
    """Index rows of the whole records (gzip members) of ``path`` from byte ``start``, and the
    offset where the last whole one ends."""
    rows: list[dict] = []
    offset, size = start, path.stat().st_size
    with open(path, "rb") as fh:
        while offset < size:
            end = member_end(fh, offset)
            if end is None:
                break  # torn: the process died while writing it
            fh.seek(offset)
            try:
                record = record_of(fh.read(end - offset))
            except Exception:  # noqa: BLE001  (not a WARC record: stop indexing this file here)
                break
            headers = record.rec_headers
            kind = headers.get_header("WARC-Type")
            status = None
            if kind == "response" and record.http_headers is not None:
                status = int(record.http_headers.get_statuscode() or 0) or None
            rows.append(
                {
                    "url": headers.get_header("WARC-Target-URI"),
                    "fetched_at": headers.get_header("WARC-Date"),
                    "file": path.name,
                    "offset": offset,
                    "length": end - offset,
                    "status": status,
                    "record_type": kind,
                    "digest": headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
                    "record_id": headers.get_header("WARC-Record-ID"),
                }
            )
            offset = end
    return rows, offset
