"""Addresses move only on evidence (issue 30, item 3): a site's stored addresses follow it to a
new address only after that address has served the stored posts; another copy of the mirror under
the same site key is refused (or moved and fetched again when asked with -a move=1); a run that
never reached the new address changes nothing stored."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from xzcrawler.core import moves
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW, crawl_ok, run_crawl


def stored(path) -> dict:
    db = sqlite3.connect(path)
    rows = {
        "urls": db.execute(
            "SELECT article_id, url, category_url, title, content_hash FROM articles ORDER BY 1"
        ).fetchall(),
        "categories": db.execute("SELECT url FROM categories ORDER BY 1").fetchall(),
        "revisions": db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0],
        "snapshots": db.execute("SELECT COUNT(*) FROM view_snapshots").fetchone()[0],
    }
    db.close()
    return rows


@pytest.fixture
def archived(tmp_path):
    site = MirrorSite(40, now=NOW)
    server, base = serve_in_thread(site)
    try:
        crawl_ok(base, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    return site, base, tmp_path


def test_a_run_that_never_reached_the_new_address_changes_nothing(archived):
    """It once logged '... is now at http://127.0.0.1:8099/: its stored addresses moved there',
    exited 9, and left every stored address on the dead port."""
    _, _, workdir = archived
    before = stored(workdir / "archive.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    result = run_crawl(dead, workdir, "-s", "XZ_UNREACHABLE_SECONDS=2", timeout=120)
    assert result.returncode == 9, result.stderr[-2000:]
    assert "is now at" not in result.stderr
    assert stored(workdir / "archive.db") == before


def test_another_copy_under_the_same_key_is_refused_and_changes_nothing(archived):
    """Another mirror (other posts under the same ids) on 127.0.0.1: refused with a message that
    says how to crawl it elsewhere or move on purpose (it was silently merged: 'changed 0,
    unchanged 0', every URL moved, the stored text not what the new address serves)."""
    site, _, workdir = archived
    other = MirrorSite(40, seed=7, now=NOW)
    # The probes are the most recently checked posts, so which ones they are followed the first
    # crawl's timing; CI once picked the one post both copies share (2176, the site README's real
    # page) and two the other copy lacks (404), and merged. The probes are pinned to that case.
    missing = [aid for aid in site.ids if aid not in other.ids][:2]
    db = sqlite3.connect(workdir / "archive.db")
    with db:
        db.execute("UPDATE articles SET last_checked = '2000-01-01T00:00:00Z'")
        for rank, aid in enumerate([2176, *missing]):
            db.execute(
                "UPDATE articles SET last_checked = ? WHERE article_id = ?", [f"2030-01-0{rank + 1}T00:00:00Z", aid]
            )
    db.close()
    before = stored(workdir / "archive.db")
    server, base = serve_in_thread(other)
    try:
        result = run_crawl(base, workdir)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "serves other posts" in last and "-a move=1" in last and "XZ_DB_PATH" in last, last
    assert stored(workdir / "archive.db") == before
    assert sum(other.visits.values()) <= moves.PROBES  # only the probes were asked for


def test_a_move_asked_for_fetches_every_post_again(archived):
    _, _, workdir = archived
    other = MirrorSite(40, seed=7, now=NOW)
    server, base = serve_in_thread(other)
    try:
        # (the archive's posts that the new address does not have answer 404: recorded failures)
        result = run_crawl(base, workdir, "-a", "move=1", "-s", "XZ_MAX_ERROR_RATE=1")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert sum(other.visits.values()) >= len(other.ids)  # every post it serves was fetched
    db = sqlite3.connect(workdir / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM articles WHERE url NOT LIKE ?", [base + "%"]).fetchone()[0] == 0
    titles = dict(db.execute("SELECT article_id, title FROM articles").fetchall())
    assert {aid: titles[aid] for aid in other.ids} == {aid: other.title_of(aid) for aid in other.ids}


def test_the_rule_is_pure():
    known = {
        1: {"url": "http://h:1/index.php/post/1.html", "last_checked": "2026-01-02T00:00:00Z"},
        2: {"url": "http://h:1/index.php/post/2.html", "last_checked": "2026-01-03T00:00:00Z"},
        3: {"url": "http://h:2/index.php/post/3.html", "last_checked": None},
    }
    assert moves.elsewhere(known, "http://h:2/") == {"http://h:1"}
    assert moves.elsewhere(known, "http://other:1/") == set()  # another site key is not this site
    assert moves.probes(known, 2) == [2, 1]
    assert moves.same_post({"title": "t", "content_hash": "x"}, {"title": "t", "content_hash": "x"})
    assert not moves.same_post({"title": "t", "content_hash": "x"}, {"title": "t", "content_hash": "y"})
    assert moves.decide([True, None, True]) == "move"
    assert moves.decide([True, False, True]) == "refuse"
    assert moves.decide([None, None]) == "refuse"
    assert moves.decide([True, None, None]) == "refuse"  # one match among missing posts: a chance
    assert moves.decide([True, True, None]) == "move"  # a post deleted since: still the same site
    assert moves.decide([True]) == "move"
    assert moves.decide([]) == "refuse"
