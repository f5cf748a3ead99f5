"""Shards at the seams (issue 17): archives side by side in one folder own their WARC files, and
a merge takes a shard as untrusted input. Every scenario ends with an integrity check of every
archive it touched; every refusal leaves the target byte for byte as it was."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import CRAWL_ENV, NOW, cli, crawled_mirror
from tests.test_merge import checksums
from xzcrawler.core.clock import Clock
from xzcrawler.mirror.crawl import LOOPBACK_SETTINGS, crawl_command
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.store import SqliteStore
from xzcrawler.warc import OWNER_FIELD, warcinfo_fields


def sound(*paths) -> None:
    for path in paths:
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), path
        db.close()


def records(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for record in ArchiveIterator(fh) if record.rec_type != "warcinfo")


def crawl_into(base: str, db: Path, *extra: str) -> list[str]:
    return crawl_command(base, str(db), None, [*LOOPBACK_SETTINGS, "-s", f"XZ_NOW={NOW.isoformat()}", *extra])


# -- 1. each archive owns its WARC files ----------------------------------------------------------
def test_shards_in_one_folder_each_index_cut_and_pack_only_their_own_warc_files(tmp_path):
    """A crawls a slow site into a.db while b.db, in the same folder (one warc/), starts and stops
    again and again, once killed mid-write. Before: b's start indexed a's half-written file and cut
    it (a hole; warcio stopped after 53 records) and b's WACZ packed a's files."""
    import signal

    slow, slow_base = serve_in_thread(MirrorSite(120, now=NOW))
    quick, quick_base = serve_in_thread(MirrorSite(30, now=NOW))
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    try:
        writer = subprocess.Popen(
            crawl_into(slow_base, a, "-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"),
            cwd=tmp_path,
            env=CRAWL_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not list((tmp_path / "warc").glob("*.warc.gz")):
            assert time.monotonic() < deadline and writer.poll() is None
            time.sleep(0.05)
        overlapped = 0
        for turn in range(4):
            command = crawl_into(quick_base, b, "-a", "full=1")
            if turn == 1:  # killed while writing its own file: its next start cuts only that one
                count = len(list((tmp_path / "warc").glob("*.warc.gz")))
                proc = subprocess.Popen(
                    command, cwd=tmp_path, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                while len(list((tmp_path / "warc").glob("*.warc.gz"))) == count and proc.poll() is None:
                    time.sleep(0.02)
                time.sleep(0.3)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            else:
                result = subprocess.run(
                    command, cwd=tmp_path, env=CRAWL_ENV, capture_output=True, text=True, timeout=300
                )
                assert result.returncode == 0, result.stderr[-2000:]
            overlapped += writer.poll() is None
        assert overlapped >= 3, "the shard b must start and stop while a is writing"
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err[-2000:]
    finally:
        for server in (slow, quick):
            server.shutdown()
            server.server_close()
    sound(a, b)
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True)
    assert check.returncode == 0, check.stdout[-2000:]
    for db in (a, b):
        with SqliteStore(db, readonly=True) as archive:
            identity = archive.identity
            indexed = archive.db.execute("SELECT file, count(*) FROM warc_records GROUP BY file").fetchall()
        own = {f.name for f in files if warcinfo_fields(f)[OWNER_FIELD] == identity}
        assert own and {name for name, _ in indexed} == own
        assert all(records(tmp_path / "warc" / name) == count for name, count in indexed), db
        wacz = tmp_path / f"{db.stem}.wacz"
        result = cli("wacz", str(db), "--out", str(wacz))
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(wacz) as packed:
            assert {Path(n).name for n in packed.namelist() if n.startswith("archive/")} == own
    assert {f.name for f in files} == {
        f.name
        for f in files
        if warcinfo_fields(f)[OWNER_FIELD] in {SqliteStore(p, readonly=True).identity for p in (a, b)}
    }


# -- 2. merge takes a shard as untrusted input ------------------------------------------------------
@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    """One crawled shard of a 30-article site, and the target it was merged into."""
    return crawled_mirror(tmp_path_factory.mktemp("shard"), 30) / "archive.db"


def tampered(shard: Path, folder: Path, sql: str) -> Path:
    copy = folder / "tampered.db"
    source, out = sqlite3.connect(shard), sqlite3.connect(copy)
    source.backup(out)
    source.close()
    out.executescript(sql)
    out.commit()
    out.close()
    return copy


@pytest.mark.parametrize(
    "sql, says",
    [
        (
            "UPDATE articles SET site = 'evil.example' WHERE article_id = (SELECT min(article_id) FROM articles)",
            "another site",
        ),
        (
            "UPDATE articles SET url = 'http://evil.example/index.php/post/1.html' "
            "WHERE article_id = (SELECT min(article_id) FROM articles)",
            "another site",
        ),
        (
            "UPDATE articles SET last_seen = '9999-12-31T00:00:00Z' WHERE rowid = 1",
            "later than the end of its last run",
        ),
        ("UPDATE crawl_runs SET finished_at = '9999-12-31T00:00:00Z'", "later than the end of its last run"),
        ("UPDATE warc_records SET file = '/etc/hostname' WHERE id = 1", "outside its WARC folder"),
        ("UPDATE warc_records SET file = '../x.warc.gz' WHERE id = 1", "outside its WARC folder"),
        (
            "DROP VIEW revisions; ALTER TABLE revision_log RENAME TO rl; CREATE VIEW revision_log AS "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT * FROM rl, n",
            "revision_log is a view, not a table",
        ),
        (
            "DROP VIEW related_links; ALTER TABLE related_seen RENAME TO rs; "
            "CREATE VIRTUAL TABLE related_seen USING fts5(site, article_id, to_url, title, excerpt, first_seen, last_seen)",
            "related_seen is a virtual table",
        ),
        ("ALTER TABLE categories ADD COLUMN extra TEXT", "categories has not the archive's columns"),
        ("CREATE TRIGGER t AFTER INSERT ON sites BEGIN SELECT 1; END", "triggers"),
        ("DELETE FROM crawl_runs", "no crawl runs"),
        ("UPDATE articles SET article_id = 'x' || article_id WHERE rowid = 1", "integer id"),
    ],
    ids=[
        "foreign-site",
        "foreign-url",
        "future-last-seen",
        "future-run",
        "absolute-warc-file",
        "parent-warc-file",
        "recursive-view",
        "virtual-table",
        "extra-column",
        "trigger",
        "no-runs",
        "text-id",
    ],
)
def test_a_hostile_shard_is_refused_with_its_reason_and_the_target_is_unchanged(shard, tmp_path, sql, says):
    target = tmp_path / "network.db"
    assert cli("merge", str(shard), "--into", str(target)).returncode == 0
    before = checksums(target)
    bad = tampered(shard, tmp_path, sql)
    started = time.monotonic()
    result = cli("merge", str(bad), "--into", str(target), timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: ") and "refused" in line and says in line, line
    assert checksums(target) == before
    sound(target)


def test_merge_bounds_its_work_and_refuses_what_is_no_target(shard, tmp_path):
    target = tmp_path / "network.db"
    assert cli("merge", str(shard), "--into", str(target)).returncode == 0
    before = checksums(target)
    too_big = cli("merge", str(shard), "--into", str(target), "--max-bytes", "1000")
    assert too_big.returncode == 1 and "over the bound of 1,000" in too_big.stderr
    too_slow = cli("merge", str(shard), "--into", str(target), "--max-seconds", "0.000001")
    assert too_slow.returncode == 1 and "took over" in too_slow.stderr, too_slow.stderr
    assert checksums(target) == before
    # --into something that is not an archive: refused, untouched
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()
    other_bytes = other.read_bytes()
    for into in (text, other):
        result = cli("merge", str(shard), "--into", str(into))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "not an xzcrawler archive" in result.stderr and "a new path" in result.stderr
    assert text.read_text() == "hello" and other.read_bytes() == other_bytes
    # another merge or crawl holds the archive: exit 75, as the crawl, nothing written
    from xzcrawler.store.lock import RunLock

    with RunLock.acquire(target):
        held = cli("merge", str(shard), "--into", str(target))
    assert held.returncode == 75 and "nothing written" in held.stderr
    assert checksums(target) == before
    sound(target)


def test_reparse_and_wacz_never_open_a_file_outside_the_warc_folder(shard, tmp_path):
    bad = tampered(shard, tmp_path, "UPDATE warc_records SET file = '/etc/hostname' WHERE record_type = 'response'")
    (tmp_path / "warc").symlink_to(shard.parent / "warc")
    result = cli("reparse", "--db", str(bad), "--into", str(tmp_path / "re.db"))
    assert result.returncode != 0 or "failures" in result.stdout
    db = sqlite3.connect(tmp_path / "re.db")
    reasons = [row[0] for row in db.execute("SELECT reason FROM failures WHERE kind = 'reparse'")]
    # (a photo's revisit record whose original is one of those files is refused with it: its
    # original is no record the index may name)
    assert any("outside its folder" in reason for reason in reasons)
    assert all("outside its folder" in reason or "original is not in the index" in reason for reason in reasons)
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    db.close()
    wacz = cli("wacz", str(bad), "--out", str(tmp_path / "bad.wacz"))
    assert "/etc/hostname" not in wacz.stdout + wacz.stderr


# -- revisions of one site from two shards: by content and time, never by number -------------------
BASE = "http://127.0.0.1:8021/"


def shard_of(path: Path, events: list[tuple[str, int, str]]) -> Path:
    """A shard whose crawls saw article ``aid``'s body as ``text`` at each time (one run)."""
    from xzcrawler.core.pages import parse_page
    from xzcrawler.mirror import render

    site = MirrorSite(5, now=NOW)
    first = events[0][0]
    with SqliteStore(path, clock=Clock(first)) as archive:
        run = archive.start_run("articles", "127.0.0.1", BASE, started_at=first)
        for when, aid, text in events:
            url = f"{BASE}index.php/post/{site.ids[aid]}.html"
            record = dict(parse_page(render.article_page(site, site.ids[aid], BASE).encode(), url, NOW).record)
            record.update(fetched_at=when, body_text=text)
            archive.add_article(record)
            archive.flush()
        archive.finish_run(run, "finished", {}, finished_at=events[-1][0])
    return path


def history(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT article_id, revision, fetched_at, changed_fields, body_text FROM revisions ORDER BY article_id, revision"
    ).fetchall()
    current = db.execute(
        "SELECT r.article_id, count(*) FROM revision_log r GROUP BY r.article_id HAVING sum(r.current) != 1"
    ).fetchall()
    heads = db.execute(
        "SELECT count(*) FROM articles a JOIN revision_log r USING (site, article_id) WHERE r.current AND r.revision != a.revision"
    ).fetchone()
    db.close()
    assert current == [] and heads == (0,)  # exactly one current revision, the article row's
    return rows


def t(hour: int) -> str:
    return (NOW + dt.timedelta(hours=hour)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_revisions_from_two_shards_merge_by_content_and_time_in_either_order(tmp_path):
    """Shard A saw article 0 as X then Y; shard B, started empty later, saw it as X then Z (its
    revisions 1 and 2 collide with A's). Article 1: both saw W, B later. Before: A then B left two
    current revisions and lost A's; B then A lost revision 2."""
    a = shard_of(tmp_path / "a.db", [(t(1), 0, "X"), (t(1), 1, "W"), (t(3), 0, "Y")])
    b = shard_of(tmp_path / "b.db", [(t(2), 0, "X"), (t(4), 0, "Z"), (t(5), 1, "W")])
    results = []
    for order in ((a, b), (b, a)):
        target = tmp_path / f"merged-{order[0].stem}.db"
        for one in order:
            result = cli("merge", str(one), "--into", str(target), "--no-warc")
            assert result.returncode == 0, result.stderr
        results.append(history(target))
        before = checksums(target)
        assert cli("merge", *map(str, order), "--into", str(target), "--no-warc").returncode == 0
        assert checksums(target) == before  # merged again: nothing written
        sound(target)
    assert results[0] == results[1]
    ids = MirrorSite(5, now=NOW).ids
    assert results[0] == [
        (ids[0], 1, t(1), None, "X"),
        (ids[0], 2, t(3), json.dumps(["body_text"]), "Y"),
        (ids[0], 3, t(4), json.dumps(["body_text"]), "Z"),
        (ids[1], 1, t(1), None, "W"),
    ]
    db = sqlite3.connect(tmp_path / "merged-a.db")
    assert db.execute("SELECT body_text, fetched_at FROM articles WHERE article_id = ?", [ids[0]]).fetchone() == (
        "Z",
        t(4),
    )
    db.close()
