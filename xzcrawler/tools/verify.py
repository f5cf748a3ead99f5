"""`xzcrawler verify [ARCHIVE]`: does the archive prove itself? Read-only and bounded (issue 32).

Each check looks at one link of the chain and says what it found, the first examples of anything
wrong and what to do about it:

- ``sqlite``: SQLite's ``integrity_check`` and ``foreign_key_check``; the schema's migrations are
  the ones this version knows;
- ``warc-files``: every WARC file the index names is there and long enough for its records;
- ``warc-records``: every indexed record (a sample by default, all with ``full``) reads at its
  offset and its payload has the digest the index and its own header give;
- ``articles``: each article row's content (title, body, category, byline, images) is what
  parsing its latest capture again gives (a sample by default, all with ``full``);
- ``revisions``: each revision was observed: a capture of that article at that time exists;
- ``search``: the search index holds exactly one document per article;
- ``stories``: each article's story key is the one its text gives;
- ``families``: every article's text was signed as it is now, and each post's family is the
  group its links make, named by its least member (core/families.py);
- ``export`` (with ``export=FILE``): the JSONL export is the archive's rows, record for record;
- ``runs``: no run is left "running" while no run holds the lock; failures are in time order.

Nothing is written: the archive is opened read-only (``mode=ro``), the WARC files read-only.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..core import families, items, paths, stories
from ..core import normalize as nz
from ..core.harvest import Exchange, harvest
from ..core.pages import article_id_from_url
from ..store import SqliteStore
from ..store import verify as q
from ..store.lock import RunLock
from ..store.migrations import CONTENT_FIELDS
from ..warc import payload_digest, read_response, recorded_payload

SAMPLE = 200  # records and articles checked by default (all with full)
EXAMPLES = 5  # examples of what is wrong, a check


@dataclass
class Check:
    name: str
    checked: int = 0
    wrong: list = field(default_factory=list)
    fix: str = ""
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.wrong

    def line(self) -> str:
        if self.skipped:
            return f"{self.name:13} skipped: {self.skipped}"
        if self.ok:
            return f"{self.name:13} ok ({self.checked} checked)"
        examples = "; ".join(str(w) for w in self.wrong[:EXAMPLES])
        more = f" (+{len(self.wrong) - EXAMPLES} more)" if len(self.wrong) > EXAMPLES else ""
        return f"{self.name:13} FAILED: {len(self.wrong)} of {self.checked}: {examples}{more}. {self.fix}"

    def as_json(self) -> dict:
        return {
            "check": self.name,
            "ok": self.ok,
            "checked": self.checked,
            "wrong": len(self.wrong),
            "examples": [str(w) for w in self.wrong[:EXAMPLES]],
            "fix": self.fix if not self.ok else None,
            "skipped": self.skipped,
        }


def _sample(rows: list, full: bool, seed: int = 0) -> list:
    """All of ``rows`` with ``full``, else SAMPLE of them drawn the same way every time."""
    if full or len(rows) <= SAMPLE:
        return rows
    return random.Random(seed).sample(rows, SAMPLE)


def verify(
    archive_path: str | Path,
    warc_dir: str | Path | None = None,
    full: bool = False,
    export: str | Path | None = None,
    progress=None,
) -> list[Check]:
    """Every check of the archive at ``archive_path``; ``progress(done, total)`` is told of the
    checks done."""
    archive_path = Path(archive_path)
    folder = paths.warc_dir(archive_path, str(warc_dir) if warc_dir else None)
    conn = q.open_readonly(archive_path)
    tell = progress or (lambda done, total: None)
    steps = [
        lambda: _sqlite(conn),
        lambda: _warc_files(conn, folder),
        lambda: _warc_records(conn, folder, full),
        lambda: _articles(conn, folder, full),
        lambda: _revisions(conn),
        lambda: _search(conn),
        lambda: _stories(conn),
        lambda: _families(conn),
        lambda: _export(conn, export),
        lambda: _runs(conn, archive_path),
    ]
    out = []
    try:
        for done, step in enumerate(steps, 1):
            out.append(step())
            tell(done, len(steps))
    finally:
        conn.close()
    return out


def _sqlite(conn) -> Check:
    check = Check("sqlite", fix="restore the archive from a backup (or rescue rows with sqlite3's .recover)")
    check.wrong = q.integrity(conn) + q.unknown_schema(conn)
    check.checked = 1
    return check


def _warc_files(conn, folder: Path) -> Check:
    check = Check("warc-files", fix=f"put the WARC files back in {folder} (from a backup or the shard they came from)")
    files = q.indexed_files(conn)
    check.checked = len(files)
    for name, end in sorted(files.items()):
        path = paths.warc_file(folder, name)
        if not path.is_file():
            check.wrong.append(f"{name} missing")
        elif path.stat().st_size < (end or 0):
            check.wrong.append(f"{name} shorter ({path.stat().st_size} bytes) than its records ({end})")
    return check


def _warc_records(conn, folder: Path, full: bool) -> Check:
    check = Check(
        "warc-records",
        fix="the named records changed after they were written: restore their WARC files from a backup",
    )
    for _id, url, file, offset, kind, digest in _sample(q.indexed_records(conn), full):
        path = paths.warc_file(folder, file)
        if not path.is_file():
            continue  # (the warc-files check says so)
        check.checked += 1
        try:
            found_kind, header_digest, payload = recorded_payload(path, offset)
        except Exception as exc:  # noqa: BLE001  (whatever a damaged record raises: zlib, warcio, I/O)
            check.wrong.append(f"{file}@{offset} ({url}) does not read: {type(exc).__name__}")
            continue
        if found_kind != kind:
            check.wrong.append(f"{file}@{offset}: a {found_kind} record, indexed as {kind}")
        elif header_digest != digest:
            check.wrong.append(f"{file}@{offset}: its digest {header_digest} is not the index's {digest}")
        elif kind == "response" and payload_digest(payload) != digest:
            check.wrong.append(f"{file}@{offset} ({url}): its payload is not the one recorded (digest)")
    return check


def _articles(conn, folder: Path, full: bool) -> Check:
    check = Check(
        "articles",
        fix="the rows no longer say what their pages said: `xzcrawler reparse` derives them again from the captures",
    )
    rows = q.articles(conn, CONTENT_FIELDS)
    latest: dict[tuple[str, int], tuple] = {}
    for url, file, offset, fetched_at in q.latest_captures(conn):
        key = (nz.site_of(url), article_id_from_url(url))
        if key in rows:
            latest[key] = (url, file, offset, fetched_at)
    with SqliteStore(Path(q.path_of(conn)), readonly=True) as store:
        originals = {
            (u, record_id): (paths.warc_file(folder, f), o) for u, record_id, f, o in store.revisit_originals()
        }
    for key in _sample(sorted(latest), full):
        url, file, offset, _ = latest[key]
        path = paths.warc_file(folder, file)
        if not path.is_file():
            continue
        check.checked += 1
        try:
            got = read_response(path, offset, refers_to=lambda u, r: originals.get((u, r)))
        except Exception:  # noqa: BLE001  (a damaged record: the warc-records check says so)
            continue
        exchange = Exchange(
            url, got.status, got.body, nz.utc_iso(got.date), got.content_type, got.etag, got.last_modified
        )
        found = harvest(exchange, key[0])
        article = next((i for i in found.items if isinstance(i, items.Article)), None)
        if article is None:
            continue
        row = rows[key]
        for name in CONTENT_FIELDS:
            stored = json.loads(row[name]) if name == "images" and row[name] else row[name]
            if name == "images":
                stored = stored or []
            if stored != article.record.get(name):
                check.wrong.append(f"{key[0]}/{key[1]} {name}")
                break
    return check


def _revisions(conn) -> Check:
    check = Check(
        "revisions",
        fix="a revision with no capture behind it was not observed by a crawl: `xzcrawler reparse` derives the "
        "history again from the captures",
    )
    captured: set[tuple[str, int, str]] = set()
    for url, _file, _offset, fetched_at in q.latest_captures(conn):
        aid = article_id_from_url(url)
        if aid is not None:
            captured.add((nz.site_of(url), aid, nz.utc_iso(fetched_at)))
    if not captured:
        check.skipped = "no captures indexed (an archive made without WARC)"
        return check
    for site, aid, revision, fetched_at in q.revision_times(conn):
        check.checked += 1
        if (site, aid, nz.utc_iso(fetched_at)) not in captured:
            check.wrong.append(f"{site}/{aid} revision {revision} ({fetched_at})")
    return check


def _search(conn) -> Check:
    check = Check("search", fix="`xzcrawler reparse` builds the search index again")
    articles, indexed = q.search_rows(conn)
    check.checked = len(articles)
    check.wrong = [f"article row {r} not in the index" for r in sorted(articles - indexed)] + [
        f"index row {r} of no article" for r in sorted(indexed - articles)
    ]
    return check


def _stories(conn) -> Check:
    check = Check("stories", fix="`xzcrawler reparse` gives every article its story key again")
    for site, aid, key, body in q.story_keys(conn):
        check.checked += 1
        if key != stories.story_id(body):
            check.wrong.append(f"{site}/{aid}")
    return check


def _families(conn) -> Check:
    check = Check("families", fix="a crawl (with XZ_FAMILIES on) or `xzcrawler reparse` brings the families up to date")
    check.checked, unsigned, pairs, members = q.family_state(conn, families.ALGORITHM)
    check.wrong = [f"{site}/{aid}: text not signed as it is" for site, aid in unsigned]
    grouped = {key: families.family_id(root) for key, root in families.components(pairs).items()}
    check.wrong += [
        f"{key[0]}/{key[1]}: in family {members.get(key)}, its links make {grouped.get(key)}"
        for key in sorted(set(grouped) | set(members))
        if grouped.get(key) != members.get(key)
    ]
    return check


def _export(conn, export: str | Path | None) -> Check:
    check = Check("export", fix="write it again: `xzcrawler export --out FILE`")
    if export is None:
        check.skipped = "no --export FILE given"
        return check
    export = Path(export)
    if not export.is_file():
        check.wrong.append(f"{export} missing")
        return check
    hashes = q.export_keys(conn)
    count, keys = len(hashes), hashes.keys()
    seen = 0
    with export.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            check.checked += 1
            try:
                record = json.loads(line)
                key = (record["site"], record["article_id"])
            except (ValueError, KeyError, TypeError):
                check.wrong.append(f"line {number} is no record")
                continue
            if key not in keys:
                check.wrong.append(f"line {number}: {key[0]}/{key[1]} is not in the archive")
            elif record.get("content_hash") != hashes[key]:
                check.wrong.append(f"line {number}: {key[0]}/{key[1]} is not the row's text")
            seen += 1
    if seen != count:
        check.wrong.append(f"{seen} records for {count} articles")
    return check


def _runs(conn, archive_path: Path) -> Check:
    check = Check("runs", fix="a run killed mid-way: the next crawl marks it interrupted and walks every listing")
    running = q.runs_left_running(conn)
    check.checked = q.run_count(conn)
    if running and not RunLock.is_held(archive_path):
        check.wrong += [f"run {rid} ({site}, started {started}) left running" for rid, site, started in running]
    check.wrong += [
        f"failure {url}: resolved {resolved} before first seen {first}"
        for url, first, resolved in q.failures_out_of_order(conn)
    ]
    return check
