"""A living archive, end to end: the mirror evolves between crawls and the archive keeps up.

Phase 1 crawls a 300-article mirror. Phase 2 serves the same site later: 12 new articles
(one answers 500, one is a soft 404), readership grew, one article was edited. Phase 3
breaks the views markup. Each phase is a `scrapy crawl articles` in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import RECONSTRUCTION, MirrorSite
from xzcrawler.store.lock import RunLock

from .conftest import NOW, run_crawl

T0 = NOW  # pinned: the suite passes at any hour
EDITED = MirrorSite(300, now=T0, profile=RECONSTRUCTION).ids[150]


PORT = []


def serve(**options):
    """The same site, evolved, on the same port each phase (as the real site keeps its address)."""
    site = MirrorSite(300, now=T0 + options.pop("later", dt.timedelta()), epoch=T0, profile=RECONSTRUCTION, **options)
    server, base = serve_in_thread(site, port=PORT[0] if PORT else 0)
    PORT[:] = [server.server_address[1]]
    return site, server, base


def crawl(site, base, workdir, *extra):
    """A crawl whose clock is the mirror's (both pinned)."""
    return run_crawl(base, workdir, *extra, now=site.now)


@pytest.fixture(scope="module")
def phases(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("refresh")
    results = {}
    site, server, base = serve()
    results[1] = (site, crawl(site, base, workdir))
    server.shutdown()
    server.server_close()
    later = {"later": dt.timedelta(hours=3), "add": 12, "grow_views": 1, "edit": (EDITED,)}
    probe = MirrorSite(300, now=T0, epoch=T0, add=12, profile=RECONSTRUCTION)
    new_ids = probe.ids[300:]
    site, server, base = serve(**later, fail=(new_ids[0],), gone=(new_ids[1],))
    # every known article is due (as after a long pause), so edits are found; most answer 304
    results[2] = (site, crawl(site, base, workdir, "-s", "XZ_REFETCH_POLICY=[[null, 0]]"))
    server.shutdown()
    server.server_close()
    site, server, base = serve(**{**later, "later": dt.timedelta(hours=4)}, broken="views")
    results[3] = (site, crawl(site, base, workdir))
    server.shutdown()
    server.server_close()
    site, server, base = serve(**{**later, "later": dt.timedelta(hours=5)}, broken="title")
    results[4] = (site, crawl(site, base, workdir, "-a", "full=1", "-s", "XZ_REFETCH_POLICY=[[null, 0]]"))
    results["base"] = base
    results["server"] = server
    yield workdir, results, new_ids
    server.shutdown()
    server.server_close()


def db(workdir):
    return sqlite3.connect(workdir / "archive.db")


def test_first_crawl_and_evolved_refresh_exit_zero(phases):
    _, results, _ = phases
    assert results[1][1].returncode == 0, results[1][1].stderr[-2000:]
    assert results[2][1].returncode == 0, results[2][1].stderr[-2000:]


def test_new_articles_are_stored(phases):
    workdir, results, new_ids = phases
    ids = {row[0] for row in db(workdir).execute("SELECT article_id FROM articles")}
    assert len(ids) == 312 and set(new_ids) <= ids  # the two that failed in phase 2 came in phase 3
    phase2 = json.loads(db(workdir).execute("SELECT stats FROM crawl_runs WHERE id = 2").fetchone()[0])
    assert phase2["xz/failures/http"] == 1 and phase2["xz/failures/parse"] == 1


def test_changed_views_come_from_listing_pages(phases):
    workdir, results, new_ids = phases
    site2 = results[2][0]
    started, finished = db(workdir).execute("SELECT started_at, finished_at FROM crawl_runs WHERE id = 2").fetchone()
    rows = (
        db(workdir)
        .execute(
            "SELECT article_id, views, observed_at FROM view_snapshots WHERE source = 'listing' AND observed_at BETWEEN ? AND ?",
            [started, finished],
        )
        .fetchall()
    )
    assert len(rows) >= 10
    for article_id, views, _ in rows:
        assert views == site2.article(article_id).views
    # the article row carries the latest count and when it was last seen (of an article archived in
    # this phase: the two that failed in it were archived in the next, whose views markup broke)
    article_id, views, observed = [row for row in rows if row[0] not in new_ids[:2]][-1]
    row_views, row_observed = (
        db(workdir)
        .execute("SELECT views, views_observed_at FROM articles WHERE article_id = ?", [article_id])
        .fetchone()
    )
    assert row_views == site2.article(article_id).views and row_observed >= observed


def test_the_edited_article_has_two_revisions_naming_the_field(phases):
    workdir, _, _ = phases
    rows = (
        db(workdir)
        .execute(
            "SELECT revision, changed_fields, body_text FROM revisions WHERE article_id = ? ORDER BY revision", [EDITED]
        )
        .fetchall()
    )
    assert [(r[0], r[1]) for r in rows] == [(1, None), (2, '["body_text"]')]
    assert rows[1][2].startswith("（编者按：本文已于近日更新。）")
    # the only other revisions are pages whose related list shows the edited article's new excerpt
    others = (
        db(workdir)
        .execute("SELECT changed_fields, related FROM revisions WHERE revision > 1 AND article_id != ?", [EDITED])
        .fetchall()
    )
    for changed, related in others:
        assert changed == '["related"]'
        assert any(item["url"].endswith(f"/{EDITED}.html") for item in json.loads(related))


def test_unchanged_known_articles_answer_304_and_cost_no_parse(phases):
    workdir, _, _ = phases
    stats = json.loads(db(workdir).execute("SELECT stats FROM crawl_runs WHERE id = 2").fetchone()[0])
    assert stats["xz/rechecked"] == 300
    assert stats["xz/not_modified"] >= 150  # three in four articles did not change at all
    # every 200 for an article was parsed and stored; a 304 was not parsed
    article_responses = (
        stats["response_received_count"]
        - stats["xz/not_modified"]
        - stats["xz/listing_pages"]
        - stats.get("xz/image_responses", 0)  # the photos of the articles fetched (issue 31)
        - stats.get("xz/asset_responses", 0)  # and the theme's files their pages link to
        - 1
    )
    assert stats["xz/articles_stored"] + stats["xz/failures/parse"] + stats["xz/failures/http"] == article_responses


def test_failures_are_kept_raw_then_retried_and_resolved(phases):
    workdir, _, new_ids = phases
    rows = dict(
        (url.rsplit("/", 1)[-1], (kind, status, attempts, resolved, raw))
        for url, kind, status, attempts, resolved, raw in db(workdir).execute(
            "SELECT url, kind, http_status, attempts, resolved_at, raw_body FROM failures"
        )
    )
    failed, gone = rows[f"{new_ids[0]}.html"], rows[f"{new_ids[1]}.html"]
    assert failed[:2] == ("http", 500)
    assert gone[:2] == ("parse", 200)
    assert "页面不存在".encode() in gone[4]  # the soft 404 page itself is kept
    # phase 3 retried both; the site served them again, so they are resolved and archived
    assert failed[3] is not None and gone[3] is not None
    assert (
        db(workdir).execute("SELECT COUNT(*) FROM articles WHERE article_id IN (?, ?)", new_ids[:2]).fetchone()[0] == 2
    )


def test_broken_meta_markup_fails_the_run_naming_the_field(phases):
    workdir, results, _ = phases
    result = results[3][1]
    assert result.returncode == 5
    assert "drift in field 'views'" in result.stderr
    status = db(workdir).execute("SELECT status, exit_code FROM crawl_runs WHERE id = 3").fetchone()
    assert status[0].startswith("failed: drift in field 'views'") and status[1] == 5
    log = (workdir / "logs" / "xzcrawler.log").read_text("utf-8")
    assert "drift in field 'views'" in log


def test_a_second_run_at_once_exits_75_and_touches_nothing(phases):
    workdir, results, _ = phases
    before = db(workdir).execute("SELECT COUNT(*), MAX(id) FROM crawl_runs").fetchone()
    with RunLock.acquire(workdir / "archive.db"):
        result = run_crawl(results["base"], workdir)
    assert result.returncode == 75
    assert "another run holds" in result.stderr
    assert db(workdir).execute("SELECT COUNT(*), MAX(id) FROM crawl_runs").fetchone() == before
    assert db(workdir).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_title_found_only_by_a_fallback_is_selector_drift(phases):
    workdir, results, _ = phases
    site, result = results[4]
    assert result.returncode == 8, result.stderr[-2000:]
    assert "selector drift in field 'title'" in result.stderr
    stats = json.loads(db(workdir).execute("SELECT stats FROM crawl_runs WHERE id = 4").fetchone()[0])
    assert stats["xz/fallback/title"] > 0 and stats.get("xz/primary/title/hit", 0) == 0
    # nothing was lost: the titles are the site's
    for article_id, title in db(workdir).execute("SELECT article_id, title FROM articles WHERE article_id != 2176"):
        assert title == site.article(article_id).title
