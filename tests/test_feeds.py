"""Change feeds (issue 32, item 2): `xzcrawler export --format atom` writes a valid Atom 1.0 feed
of new and changed articles — whole archive, per site, per category — newest first, with stable
entry ids, what changed, and a readable diff of a changed body. Checked with feedparser."""

from __future__ import annotations

import datetime as dt
import sqlite3

import feedparser
import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW, cli, replace_site, run_crawl


@pytest.fixture(scope="module")
def evolved(tmp_path_factory):
    """Two days of a site: on the second, two posts are new and one was edited."""
    work = tmp_path_factory.mktemp("feeds")
    first = MirrorSite(40, now=NOW, epoch=NOW)
    edited = next(aid for aid in first.ids if not first.is_seed(aid) and first.article(aid).shape == "full")
    server, base = serve_in_thread(first)
    try:
        assert run_crawl(base, work).returncode == 0
        later = NOW + dt.timedelta(days=1)
        replace_site(server, MirrorSite(40, now=later, epoch=NOW, add=2, edit=(edited,)))
        result = run_crawl(base, work, "-a", "full=1", now=later)
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    return work, edited


def atom(work, *extra) -> feedparser.FeedParserDict:
    out = work / f"feed{abs(hash(extra))}.atom"
    result = cli("export", "--db", str(work / "archive.db"), "--format", "atom", "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_lists_every_revision_newest_first(evolved):
    work, edited = evolved
    parsed = atom(work, "--limit", "1000")
    db = sqlite3.connect(work / "archive.db")
    revisions = db.execute("SELECT site, article_id, revision FROM revisions").fetchall()
    ids = [entry.id for entry in parsed.entries]
    assert sorted(ids) == sorted(f"tag:xzcrawler,2026:{s}:{a}:{r}" for s, a, r in revisions)
    assert len(set(ids)) == len(ids) == len(revisions) == 40 + 2 + 1
    times = [entry.updated for entry in parsed.entries]
    assert times == sorted(times, reverse=True)
    change = next(entry for entry in parsed.entries if entry.id.endswith(f":{edited}:2"))
    assert change.title.startswith("[changed]") and "Changed: body_text" in change.summary
    # the body's diff, paragraph by paragraph: the paragraph the site added, and its context
    assert "@@" in change.summary and "\n+（编者按" in change.summary
    again = atom(work, "--limit", "1000")
    assert [entry.id for entry in again.entries] == ids  # stable ids: the same feed again


def test_feeds_per_site_per_category_and_bounded(evolved):
    work, _ = evolved
    db = sqlite3.connect(work / "archive.db")
    site = db.execute("SELECT site FROM articles LIMIT 1").fetchone()[0]
    category = db.execute("SELECT category FROM articles WHERE category IS NOT NULL LIMIT 1").fetchone()[0]
    in_category = {aid for (aid,) in db.execute("SELECT article_id FROM articles WHERE category = ?", [category])}
    per_site = atom(work, "--site", site, "--limit", "1000")
    assert len(per_site.entries) == 43
    assert not atom(work, "--site", "other.example", "--limit", "1000").entries
    per_category = atom(work, "--category", category, "--limit", "1000")
    assert per_category.entries and all(int(e.id.split(":")[-2]) in in_category for e in per_category.entries)
    newest = atom(work, "--limit", "5")
    assert [e.id for e in newest.entries] == [e.id for e in atom(work, "--limit", "1000").entries][:5]
    since = atom(work, "--since", (NOW + dt.timedelta(hours=12)).isoformat(), "--limit", "1000")
    assert len(since.entries) == 3  # the second day's: two new, one changed
