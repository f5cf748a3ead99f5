"""Re-deriving never rewrites what was observed (issue 30, item 2): `reparse` in place, once or
twice, leaves every table as `reparse --into` derives it, and the observations (views, own
fetches, view snapshots) as the crawl recorded them; it takes the archive's lock as a crawl does."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.store import SqliteStore
from xzcrawler.store.lock import RunLock
from xzcrawler.store.rebuild import KEPT_TABLES, carry_over

from .conftest import NOW, cli, crawl_ok, crawled_mirror


def tables(path) -> dict[str, list]:
    """Every table's rows (its own row ids left out), sorted: what two archives are compared by."""
    db = sqlite3.connect(path)
    names = [
        n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    out = {}
    for name in names:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{name}")') if row[1] != "id"]
        rows = db.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{name}"').fetchall()
        out[name] = sorted(map(repr, rows))
    db.close()
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawl of the tpure mirror (it counts every article visit, ours included)."""
    return crawled_mirror(tmp_path_factory.mktemp("faithful"), 60)


def test_reparse_in_place_twice_equals_once_equals_into_and_keeps_the_observations(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    archive = copy / "archive.db"
    crawl = tables(archive)
    into = cli("reparse", "--db", str(archive), "--into", str(tmp_path / "into.db"))
    assert into.returncode == 0, into.stderr
    once = cli("reparse", "--db", str(archive))
    assert once.returncode == 0, once.stderr
    assert "0 new, 0 changed, 60 unchanged" in once.stdout
    after_once = tables(archive)
    twice = cli("reparse", "--db", str(archive))
    assert twice.returncode == 0, twice.stderr
    after_twice = tables(archive)
    assert after_twice == after_once  # every table, byte for byte
    derived = tables(tmp_path / "into.db")
    for name, rows in after_once.items():
        if name not in KEPT_TABLES:
            assert rows == derived[name], name
        else:
            assert rows == crawl[name], name  # what no capture holds is carried over as it was
    # the observations are the crawl's: no view taken off, no own fetch added, no snapshot twice
    for name in ("articles", "view_snapshots", "revision_log", "related_seen", "site_traits"):
        assert after_once[name] == crawl[name], name


def test_reparse_waits_for_no_one_it_refuses_while_a_crawl_holds_the_lock(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    archive = copy / "archive.db"
    before = tables(archive)
    with RunLock.acquire(archive):
        held = cli("reparse", "--db", str(archive))
        into = cli("reparse", "--db", str(archive), "--into", str(tmp_path / "into.db"))
    assert held.returncode == 75 and "another run holds" in held.stderr, held.stderr
    assert into.returncode == 0, into.stderr  # another archive's lock is not this one's
    assert tables(archive) == before


def test_reparse_in_place_since_is_refused_with_what_to_do(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    result = cli("reparse", "--db", str(copy / "archive.db"), "--since", "2020-01-01")
    assert result.returncode == 2 and "--into" in result.stderr, result.stderr


def test_a_feed_at_another_path_is_read_again_as_the_feed(tmp_path):
    """XZ_FEED_PATH is the one definition of where the feed is: a re-extraction knows the feed by
    what it is, not by a second constant path (it read a feed at /rss.xml as a listing, losing the
    exact times it gave)."""
    from xzcrawler.mirror.server import route

    from .hostile import Host

    with Host() as host:
        host.on(
            r"/rss\.xml",
            lambda h, m: (200, {"Content-Type": "application/rss+xml"}, route(host.site, "/feed.php", host.base)[2]),
        )
        host.on(r"/feed\.php", lambda h, m: (404, {}, b"no feed here"))
        from .conftest import run_crawl

        result = run_crawl(host.base + "/", tmp_path, "-s", "XZ_FEED_PATH=/rss.xml")
    assert result.returncode == 0, result.stderr[-2000:]
    into = cli("reparse", "--db", str(tmp_path / "archive.db"), "--into", str(tmp_path / "into.db"))
    assert into.returncode == 0, into.stderr
    query = "SELECT article_id, published_at, published_precision FROM articles ORDER BY 1"
    crawl = sqlite3.connect(tmp_path / "archive.db").execute(query).fetchall()
    again = sqlite3.connect(tmp_path / "into.db").execute(query).fetchall()
    assert sum(1 for _, _, precision in crawl if precision == "second") >= 8  # the feed dated them
    assert again == crawl


def test_the_same_captures_observed_again_into_an_archive_that_holds_them_change_nothing(crawled, tmp_path):
    """The rule book knows a capture it holds (core/history.py): `reparse --into` an archive that
    already has these captures (the same WARC files twice) records no fetch of ours again, no view
    snapshot again, no count read back with the own fetches made after the listing was served.
    (It took one view off each article and added an own fetch on every run.)"""
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    target = tmp_path / "into.db"
    first = cli("reparse", "--db", str(copy / "archive.db"), "--into", str(target))
    assert first.returncode == 0, first.stderr
    once = tables(target)
    again = cli("reparse", "--db", str(copy / "archive.db"), "--into", str(target))
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 changed, 60 unchanged" in again.stdout
    twice = tables(target)
    for name in ("articles", "view_snapshots", "revision_log", "related_seen", "site_traits", "date_refinements"):
        assert twice[name] == once[name], name


def test_reparse_in_place_refuses_to_drop_the_articles_no_capture_holds(tmp_path):
    # the first run kept no WARC record (XZ_WARC_ENABLED off), the second did but fetched nothing
    # new: no capture holds the archive's articles. A derivation in place would have none (main
    # before this test: exit 0 and an archive of no article); it is refused, nothing changed.
    server, base = serve_in_thread(MirrorSite(20, now=NOW))
    try:
        crawl_ok(base, tmp_path, "-s", "XZ_WARC_ENABLED=False")
        crawl_ok(base, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    archive = tmp_path / "archive.db"
    before = tables(archive)
    assert len(before["articles"]) == 20
    refused = cli("reparse", "--db", str(archive))
    assert refused.returncode == 2
    assert "20 article(s) the archive holds are no article once derived again" in refused.stderr
    assert "XZ_WARC_ENABLED off" in refused.stderr
    assert tables(archive) == before


def test_reparse_into_a_new_path_is_put_there_whole_or_not_at_all(crawled, monkeypatch, tmp_path):
    """The new archive is derived beside its name (a scratch file: no write-ahead log, no syncs)
    and put there when whole: a run that fails midway leaves no archive and no file behind; one
    that ends leaves the archive in its one file, equal to a derivation into an existing path."""
    from xzcrawler.tools import reparse as tool

    source = crawled / "archive.db"
    target = tmp_path / "new.db"
    written = []

    def failing(item, store):
        written.append(item)
        if len(written) == 40:
            raise RuntimeError("the disk went away")
        return real(item, store)

    real = tool.write_item
    monkeypatch.setattr(tool, "write_item", failing)
    with pytest.raises(RuntimeError, match="the disk went away"):
        tool.reparse(source, target, workers=1)
    assert len(written) == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no archive, no temporary file
    monkeypatch.setattr(tool, "write_item", real)
    tool.reparse(source, target, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]
    db = sqlite3.connect(target)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    # into a path that holds an archive already (written as a crawl writes, in its log): the same rows
    existing = tmp_path / "existing.db"
    with SqliteStore(existing):
        pass
    tool.reparse(source, existing, workers=1)
    made, written_over = tables(target), tables(existing)
    for name in ("articles", "revision_log", "view_snapshots", "related_seen", "image_captures", "text_signatures"):
        assert made[name] == written_over[name] and made[name], name


def test_a_scratch_archive_still_rolls_back(tmp_path):
    """A scratch archive keeps its rollback journal in memory: a transaction, and a savepoint in
    one (a batch written row by row after a refused row), still undo what they wrote."""
    path = tmp_path / "scratch.db"
    with SqliteStore(path, scratch=True) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
        insert = "INSERT INTO exports (target, exported_at) VALUES (?, ?)"
        with pytest.raises(RuntimeError), store.transaction():
            store.db.execute(insert, ["undone", "2026-11-28T00:00:00Z"])
            raise RuntimeError
        with store.transaction():
            store.db.execute(insert, ["kept", "2026-11-28T00:00:00Z"])
            with pytest.raises(RuntimeError), store.transaction():
                store.db.execute(insert, ["undone too", "2026-11-28T00:00:00Z"])
                raise RuntimeError
        assert [target for (target,) in store.db.execute("SELECT target FROM exports")] == ["kept"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scratch.db"]  # no log beside it


def test_a_second_run_observed_again_gives_the_crawls_view_snapshots(tmp_path):
    """Two runs (the second a refresh that reads the listings again) derived again give the series
    the crawl recorded: the readers' count the store remembers is the one its series holds once
    the site was learnt to count our fetches (before: the count from before that was remembered,
    and a re-extraction, one store across both runs, recorded each listing's unchanged count again
    in the second run as a change)."""
    server, base = serve_in_thread(MirrorSite(20, now=NOW))
    try:
        crawl_ok(base, tmp_path)
        crawl_ok(base, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    archive = tmp_path / "archive.db"
    into = cli("reparse", "--db", str(archive), "--into", str(tmp_path / "into.db"))
    assert into.returncode == 0, into.stderr
    crawled, derived = tables(archive), tables(tmp_path / "into.db")
    assert len(crawled["site_traits"]) == 1 and ", 1, " in crawled["site_traits"][0]  # (it counts our fetches)
    for name in ("view_snapshots", "articles", "site_traits"):
        assert derived[name] == crawled[name], name


def test_the_failures_no_capture_holds_are_carried_over_in_place(tmp_path):
    """A photo's or a theme file's request that got no response (refused, too large, forbidden by
    robots.txt: an image or asset failure with no status) left no WARC record, as a page's network
    failure leaves none: an in-place reparse keeps both (`make demo`'s two theme scripts its
    robots.txt forbids were lost before). A failure a capture shows is derived again, not carried."""
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    site = "http://a.test"
    with SqliteStore(old) as store:
        store.record_failure(f"{site}/zb_system/script/zblogphp.js", "asset", "IgnoreRequest: Forbidden by robots.txt")
        store.record_failure(f"{site}/upload/1.jpg", "image", "TimeoutError: took too long")
        store.record_failure(f"{site}/post/1.html", "network", "ConnectionRefusedError: refused")
        store.record_failure(f"{site}/upload/2.jpg", "image", "HTTP 404", 404)
        store.record_failure(f"{site}/style.css", "asset", "HTTP 500", 500)
        store.record_failure(f"{site}/post/2.html", "http", "HTTP 500", 500)
    SqliteStore(new).close()
    carry_over(old, new)
    db = sqlite3.connect(new)
    kept = sorted(db.execute("SELECT url, kind, reason, http_status FROM failures"))
    db.close()
    assert kept == [
        (f"{site}/post/1.html", "network", "ConnectionRefusedError: refused", None),
        (f"{site}/upload/1.jpg", "image", "TimeoutError: took too long", None),
        (f"{site}/zb_system/script/zblogphp.js", "asset", "IgnoreRequest: Forbidden by robots.txt", None),
    ]
