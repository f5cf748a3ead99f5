"""The real platform as installed with its defaults, crawled as a user would.

Z-BlogPHP 1.7.3 with tpure 5.0.2 switched on and nothing else configured serves dynamic addresses
(``/?id=3``, ``/?cate=2&page=2``, ``/?page=2``: zb_system/defend/option.php, ZC_STATIC_MODE
"ACTIVE") and a home page that links no category (the default navigation holds 首页 and a page;
tpure's lists print no category, PostLISTINFO "cate":"0"); each post's page links its own. What
it served is replayed here from tests/fixtures/site/platform-dynamic/site.warc.gz, on a free port
(its host rewritten to the server's, as a platform moved to another port serves it).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from xzcrawler.core import items
from xzcrawler.core.clock import CaptureClock
from xzcrawler.core.harvest import Exchange, harvest, role_of
from xzcrawler.core.normalize import site_of
from xzcrawler.core.pages import category_id_from_url
from xzcrawler.store import SqliteStore
from xzcrawler.store.write import write_item
from xzcrawler.tools import reparse as reparse_tool

from .conftest import cli, run_crawl
from .hostile import Host

FIXTURE = Path(__file__).parent / "fixtures" / "site" / "platform-dynamic"
SERVED_AT = json.loads((FIXTURE / "meta.json").read_text())["url"].rstrip("/").encode()
POSTS = 18  # the platform's posts (ids 1, 3…19: id 2 is its page 留言本)
# the pages only: the theme's files and the posts' photos are not in the fixture
PAGES_ONLY = ("-s", "XZ_IMAGES=False", "-s", "XZ_PAGE_RESOURCES=False")


def platform_captures(fixture: Path = FIXTURE) -> dict[str, list[tuple[int, str, bytes]]]:
    """Path and query -> (status, content type, body) of each time the platform served the page,
    in the order served."""
    served: dict[str, list] = {}
    with open(fixture / "site.warc.gz", "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
                status = int(record.http_headers.get_statuscode())
                kind = record.http_headers.get_header("Content-Type") or "text/html"
                served.setdefault(parts.path + (f"?{parts.query}" if parts.query else ""), []).append(
                    (status, kind, record.content_stream().read())
                )
    return served


def platform_pages() -> dict[str, tuple[int, str, bytes]]:
    """Path and query -> (status, content type, body) of each page the platform served."""
    return {path: captures[-1] for path, captures in platform_captures().items()}


def platform_host(fixture: Path = FIXTURE) -> Host:
    """A host serving what the platform served, each page as it was served the first time it is
    asked for, the second time as it was the second, … (the last again after that); anything else:
    its 404 page, as the platform does."""
    served = platform_captures(fixture)
    asked: Counter = Counter()
    host = Host()
    missing = served["/robots.txt"][-1]  # (the platform answers /robots.txt with the theme's 404 page)

    def answer(handler, match):
        captures = served.get(handler.path, [missing])
        status, kind, body = captures[min(asked[handler.path], len(captures) - 1)]
        asked[handler.path] += 1
        return status, {"Content-Type": kind}, body.replace(SERVED_AT, host.base.encode())

    return host.on(".*", answer)


def rows(path: Path, query: str) -> list[tuple]:
    """The rows of ``query`` in the archive at ``path`` (closed after: a reader left open would keep
    a re-extraction in place from replacing the file)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_the_platforms_dynamic_addresses_have_the_roles_a_crawl_gave_them():
    # (a re-extraction knows a capture only by its address: /?id=3 is a post, not the home page)
    assert role_of("http://s.example/") == "home"
    assert role_of("http://s.example/index.php") == "home"
    assert role_of("http://s.example/?id=3") == "article"
    assert role_of("http://s.example/index.php?id=3") == "article"
    assert role_of("http://s.example/?cate=2") == "listing"
    assert role_of("http://s.example/?cate=2&page=2") == "listing"
    assert role_of("http://s.example/?page=2") == "listing"
    assert category_id_from_url("http://s.example/?cate=2&page=2") == 2
    assert category_id_from_url("http://s.example/index.php/category-7_3.html") == 7
    assert category_id_from_url("http://s.example/?id=3") is None


def test_a_default_install_is_archived_whole_and_reparsed_to_the_same_archive(tmp_path):
    with platform_host() as host:
        first = run_crawl(host.base + "/", tmp_path, *PAGES_ONLY)
        assert first.returncode == 0, first.stderr[-3000:]
        asked = set(host.asked())
        second = run_crawl(host.base + "/", tmp_path, *PAGES_ONLY)  # a refresh: the categories the stored posts name
        assert second.returncode == 0, second.stderr[-3000:]
    # every category the posts name was walked (the home page links none), every page of it
    assert {"/?cate=1", "/?cate=2", "/?cate=2&page=2", "/?cate=3"} <= asked
    archive = tmp_path / "archive.db"
    crawled = tmp_path / "crawled.db"
    shutil.copy(archive, crawled)
    assert rows(archive, "SELECT count(*) FROM articles") == [(POSTS,)]
    assert {name for (name,) in rows(archive, "SELECT name FROM categories")} == {"未分类", "厂房资讯", "厂房出租"}
    assert "'xz/categories_from_posts': 3" in first.stderr
    # a re-extraction in place reads the posts as the crawl did (before: it read /?id=3 as the
    # home page and put an archive of no article in place of this one, with exit 0)
    into = cli("reparse", "--db", str(archive), "--into", str(tmp_path / "into.db"))
    assert into.returncode == 0, into.stderr
    in_place = cli("reparse", "--db", str(archive))
    assert in_place.returncode == 0, in_place.stderr
    assert f"parsed: 0 new, 0 changed, {POSTS} unchanged" in in_place.stdout
    query = "SELECT site, article_id, url, title, body_text, category_url, views FROM articles ORDER BY 1, 2"
    assert len(rows(archive, query)) == POSTS
    assert rows(archive, query) == rows(tmp_path / "into.db", query)
    # the series the two runs recorded, derived again as it was (the platform counts our fetches:
    # the second run's listings show the counts the first run's pages did, no change)
    series = "SELECT site, article_id, observed_at, views, source, own_fetches FROM view_snapshots ORDER BY 1, 2, 3, 5"
    assert rows(crawled, series) == rows(archive, series) == rows(tmp_path / "into.db", series)


def test_an_in_place_reparse_that_would_lose_articles_is_refused_and_changes_nothing(tmp_path, monkeypatch):
    with platform_host() as host:
        assert run_crawl(host.base + "/", tmp_path, *PAGES_ONLY).returncode == 0
    archive = tmp_path / "archive.db"
    before = archive.read_bytes()
    real = reparse_tool.harvest

    def blind(exchange, site):  # a parser that no longer reads post 7 as a post
        found = real(exchange, site)
        if exchange.url.endswith("?id=7"):
            found.items = [item for item in found.items if type(item).__name__ != "Article"]
        return found

    monkeypatch.setattr(reparse_tool, "harvest", blind)
    with pytest.raises(
        reparse_tool.ReparseRefused, match=r"1 article\(s\) .*/7\): this parser reads their pages otherwise"
    ):
        reparse_tool.reparse(archive, workers=1)
    assert archive.read_bytes() == before
    assert rows(archive, "SELECT count(*) FROM articles") == [(POSTS,)]


TWO_RUNS = Path(__file__).parent / "fixtures" / "site" / "platform-two-runs"


def test_the_count_a_store_remembers_is_its_series_once_the_site_is_learnt_to_count_our_fetches(tmp_path):
    """The platform counts every view, ours included. Its pages of two runs (the home page's list,
    posts 1, 3 and 4), written by one store as a re-extraction writes them, and by a store a run as
    the crawl does, give the same series. The first run's list shows each post's count before our
    fetch of its page, the page one more (the site is learnt to count our fetches, and the series
    is rewritten); the second run's list shows the page's count again: no change of the readers'
    count. One store remembered the count reckoned before the site was learnt and recorded the
    second run's as a change (a re-extraction of the live platform's two runs: 28 snapshots where
    the crawl has 18)."""
    served = platform_captures(TWO_RUNS)
    base = SERVED_AT.decode()
    clock = CaptureClock()

    def observe(store, path: str, nth: int, at: str, requested=frozenset()) -> None:
        status, kind, body = served[path][nth]
        clock.at = at
        for item in harvest(Exchange(base + path, status, body, at, kind), site_of(base + path)).items:
            if isinstance(item, items.ListingSeen):
                item.requested = requested
            write_item(item, store)

    def first_run(store) -> None:
        observe(store, "/", 0, "2026-12-04T21:10:21Z", requested=frozenset({1}))  # (post 1's page asked for)
        for path in ("/?id=1", "/?id=3", "/?id=4"):
            observe(store, path, 0, "2026-12-04T21:10:23Z")
        store.flush()
        assert store.counts_own_fetches(site_of(base))

    with SqliteStore(tmp_path / "one.db", clock=clock) as store:  # a re-extraction: one store
        first_run(store)
        store.forget_run()  # (where the WARC files say the second run began)
        observe(store, "/", 1, "2026-12-04T21:10:30Z")
    with SqliteStore(tmp_path / "two.db", clock=clock) as store:  # the crawl: a process a run
        first_run(store)
    with SqliteStore(tmp_path / "two.db", clock=clock) as store:
        observe(store, "/", 1, "2026-12-04T21:10:30Z")
    series = "SELECT article_id, observed_at, views, source, own_fetches FROM view_snapshots ORDER BY 1, 2, 4"
    recorded = rows(tmp_path / "two.db", series)
    assert rows(tmp_path / "one.db", series) == recorded
    assert {source for _, _, _, source, _ in recorded} == {"listing", "article"}
