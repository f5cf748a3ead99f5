"""End to end: `scrapy crawl articles` against the mirror on loopback, into SQLite and JSONL."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import SEED_ID

from .conftest import NOW, crawl_ok, run_crawl


@pytest.fixture(scope="module")
def crawled(mirror300, tmp_path_factory):
    site, base = mirror300
    workdir = tmp_path_factory.mktemp("crawl")
    (workdir / "stderr.log").write_text(crawl_ok(base, workdir).stderr, "utf-8")
    return site, base, workdir


def test_the_periodic_stats_line_names_the_site_and_says_how_far(crawled):
    """Pages done of those known (done, queued, in flight) with an ETA, listing pages walked of
    those the page bars announced, articles stored of those queued (issue 32, item 3)."""
    _, base, workdir = crawled
    lines = re.findall(
        r"\] INFO: (\S+): (\d+) of (\d+) pages done \(at \d+ pages/min, (ETA \S+|done)\), "
        r"listing pages (\d+) of (\d+|\?) announced, articles (\d+) stored of (\d+) queued",
        (workdir / "stderr.log").read_text(),
    )
    assert lines, "no periodic stats line"
    assert {line[0] for line in lines} == {"127.0.0.1"}
    pages, stored = [int(line[1]) for line in lines], [int(line[6]) for line in lines]
    assert pages == sorted(pages) and stored == sorted(stored) and max(stored) <= 300
    for line in lines:  # pages done of those known; articles stored of those queued
        assert int(line[1]) <= int(line[2]) and int(line[6]) <= int(line[7])
    # once the categories' first pages came, their page bars' totals are known
    assert lines[-1][5] != "?" and int(lines[-1][5]) >= 5
    assert "Crawled " not in (workdir / "stderr.log").read_text()  # Scrapy's own line is replaced


def test_every_article_is_stored_exactly_once(crawled):
    site, _, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    ids = [row[0] for row in db.execute("SELECT article_id FROM articles")]
    assert sorted(ids) == site.ids
    assert db.execute("SELECT COUNT(DISTINCT site) FROM articles").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_stored_fields_match_what_the_site_showed(crawled):
    site, _, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    db.row_factory = sqlite3.Row
    for row in db.execute("SELECT * FROM articles WHERE article_id != ?", [SEED_ID]):
        art = site.article(row["article_id"])
        assert row["title"] == art.title
        assert row["body_text"] == "\n\n".join(art.body_paragraphs)
        assert row["first_seen"] == row["last_seen"] == row["fetched_at"]
        if art.shape == "full":
            assert row["category"] == CATEGORIES[art.category]
            assert row["views"] == art.views  # the readers': the view our fetch added is not theirs
            truth = art.published.date().isoformat()
            assert row["published_earliest"] <= truth <= row["published_latest"]
            if row["published_precision"] in ("day", "minute", "second"):  # an exact day must be the true one
                assert row["published_date"] == truth
        assert json.loads(row["breadcrumbs"]) == ([] if art.shape == "plain" else ["首页", CATEGORIES[art.category]])


def test_export_is_ordered_and_schema_valid(crawled, schema_validator):
    site, _, workdir = crawled
    lines = (workdir / "archive.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 300
    records = [json.loads(line) for line in lines]
    for record in records:
        assert list(schema_validator.iter_errors(record)) == []
    assert [(r["site"], r["article_id"]) for r in records] == sorted((r["site"], r["article_id"]) for r in records)
    assert not list(workdir.glob(".archive.jsonl*"))  # no temporary file left behind


def test_crawl_run_is_recorded_with_its_stats(crawled):
    _, base, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    status, stats, site_url, finished = db.execute(
        "SELECT status, stats, site_url, finished_at FROM crawl_runs ORDER BY id LIMIT 1"
    ).fetchone()
    assert status == "finished" and finished
    assert site_url == base
    stats = json.loads(stats)
    assert stats["xz/articles_stored"] == 300
    assert stats["xz/exit_code"] == 0
    assert stats["robotstxt/request_count"] == 1
    assert stats["xz/categories"] == 5
    assert stats["finish_reason"] == "finished"


def test_refresh_of_an_unchanged_site_fetches_almost_nothing(crawled):
    site, base, workdir = crawled
    again = run_crawl(base, workdir)
    assert again.returncode == 0, again.stderr[-3000:]
    db = sqlite3.connect(workdir / "archive.db")
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    # robots.txt, the feed, home, page 1 of each of the five categories; and the theme's files
    # the pages link to, asked with their validators: every one a 304, no copy kept again
    assert stats["xz/asset_responses"] >= 3 and stats["xz/assets_unchanged"] == stats["xz/asset_responses"]
    assert stats["response_received_count"] == 8 + stats["xz/asset_responses"]
    assert stats["xz/feed_items"] == 10 and "xz/found_by_feed" not in stats
    assert stats.get("xz/articles_stored", 0) == 0
    assert stats["xz/listing_walks_stopped"] == 5
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 300


def test_full_recrawl_adds_no_duplicate_and_keeps_first_seen(crawled):
    site, base, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    before = dict(db.execute("SELECT article_id, first_seen FROM articles"))
    db.close()
    again = run_crawl(base, workdir, "-a", "full=1", now=NOW + dt.timedelta(hours=1))
    assert again.returncode == 0, again.stderr[-3000:]
    db = sqlite3.connect(workdir / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 300
    after = dict(db.execute("SELECT article_id, first_seen FROM articles"))
    assert after == before
    assert db.execute("SELECT COUNT(*) FROM articles WHERE last_seen > first_seen").fetchone()[0] == 300
    assert db.execute("SELECT COUNT(*) FROM crawl_runs").fetchone()[0] == 3
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    # every known article was asked for again; Z-BlogPHP's pages carry no validators (no 304), so
    # each was parsed again and found unchanged: the related list drawn anew is no revision
    assert stats.get("xz/not_modified", 0) == 0
    assert stats["xz/articles_unchanged"] == 300
    assert db.execute("SELECT MAX(revision) FROM articles").fetchone()[0] == 1


def test_the_same_site_on_another_port_is_the_same_site(crawled):
    """The mirror restarted on another port: a full refresh adds no revision and no category, and
    every stored address is on the new base."""
    site, _, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    revisions = db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
    db.close()
    server, moved = serve_in_thread(site)  # a new port
    try:
        again = run_crawl(
            moved, workdir, "-a", "full=1", "-s", "XZ_REFETCH_POLICY=[[null, 0]]", now=NOW + dt.timedelta(hours=2)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert again.returncode == 0, again.stderr[-3000:]
    db = sqlite3.connect(workdir / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0] == revisions
    assert db.execute("SELECT COUNT(*) FROM categories").fetchone()[0] == 5
    assert db.execute("SELECT COUNT(*) FROM articles WHERE url NOT LIKE ?", [moved + "%"]).fetchone()[0] == 0
    old_origin = crawled[1].rstrip("/")
    for column in ("related", "images", "category_url"):
        assert (
            db.execute(f"SELECT COUNT(*) FROM articles WHERE {column} LIKE ?", [f"%{old_origin}/%"]).fetchone()[0] == 0
        )
    assert db.execute("SELECT COUNT(*) FROM related_links WHERE to_url LIKE ?", [f"{old_origin}/%"]).fetchone()[0] == 0


def test_rental_posts_keep_their_own_contact_line_and_the_photo_after_it(crawled):
    """A property post's own paragraph with the network's phone number, and its photo right after
    it, are the post's: every one of them is stored as body text and body image (issue 28)."""
    from xzcrawler.mirror.corpus import CONTACT_LINE

    site, base, workdir = crawled
    db = sqlite3.connect(workdir / "archive.db")
    ads = [aid for aid in site.ids if not site.is_seed(aid) and CONTACT_LINE in site.article(aid).body_paragraphs]
    assert len(ads) > 30  # the mirror has them
    for aid in ads:
        body, images = db.execute("SELECT body_text, images FROM articles WHERE article_id = ?", [aid]).fetchone()
        assert CONTACT_LINE in body.split("\n\n"), aid
        # (by path: another test of this module moves the site to another port)
        srcs = [urlsplit(image["src"]).path for image in json.loads(images)]
        assert srcs == [image["src"] for image in site.article(aid).images], aid
        assert srcs[-1].endswith(f"{aid}9.jpg")  # the photo after the contact line
