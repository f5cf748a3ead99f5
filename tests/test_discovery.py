"""Discovery on the real site: the platform's feed read first (its newest posts fetched at once and
dated to the second), and the previous/next links of tpure's article pages as a second path to
articles the listings miss."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from xzcrawler.core.harvest import Exchange, harvest
from xzcrawler.core.pages.feed import parse_feed
from xzcrawler.mirror import tpure
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW, replace_site, run_crawl

BASE = "http://127.0.0.1:8000/"
FETCHED = "2026-11-27T16:30:00Z"  # 00:30 in Shanghai, the hour that shows a day-level mistake


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def _item(link: str, when: str) -> str:
    return f"<item><title>标题</title><link>{link}</link><description>x</description><pubDate>{when}</pubDate></item>"


def test_the_mirrors_feed_gives_every_post_its_exact_time():
    site = MirrorSite(articles=40, now=NOW)
    page = parse_feed(tpure.feed(site, BASE).encode("utf-8"), BASE + "feed.php", NOW)
    assert page.kind == "feed" and len(page.articles) == 10
    for item, aid in zip(page.articles, site.newest[:10], strict=True):
        assert item["url"] == f"{BASE}index.php/post/{aid}.html"
        assert item["published_precision"] == "second"
        assert dt.datetime.fromisoformat(item["published_at"]) == site.published(aid)
        assert (
            item["published_date"]
            == site.published(aid).astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        )


def test_the_site_time_zone_decides_the_day():
    # 23:30 UTC is the next morning in Shanghai: the day is the site's
    page = parse_feed(_rss(_item(BASE + "index.php/post/5.html", "Tue, 24 Sep 2024 23:30:00 +0000")), BASE, FETCHED)
    (item,) = page.articles
    assert item["published_date"] == "2024-09-25" and item["published_at"] == "2024-09-25T07:30:00+08:00"


@pytest.mark.parametrize(
    ("when", "why"),
    [
        ("Tue, 24 Sep 2024 10:00:00", "no offset: the zone is not known"),
        ("yesterday", "no date"),
        ("Tue, 24 Sep 2099 10:00:00 +0800", "after the fetch"),
    ],
)
def test_a_pubdate_that_says_nothing_sure_dates_nothing(when, why):
    (item,) = parse_feed(_rss(_item(BASE + "index.php/post/5.html", when)), BASE, FETCHED).articles
    assert item["published_date"] is None and item["published_precision"] is None, why


def test_hostile_feeds_are_refused_or_read_without_harm():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;</title>'
        b"<link>http://127.0.0.1:8000/index.php/post/5.html</link></item></channel></rss>"
    )
    page = parse_feed(bomb, BASE, FETCHED)
    assert page.kind == "error" or all(len(i["title"] or "") < 100 for i in page.articles)
    assert parse_feed(b"<html><body>not a feed</body></html>", BASE, FETCHED).kind == "error"
    assert parse_feed(b"\x00\xff garbage", BASE, FETCHED).kind == "error"
    # links that are no post of any site are left out; another host's post is the spider's to refuse
    page = parse_feed(_rss(_item(BASE + "index.php/category-3.html", "Tue, 24 Sep 2024 10:00:00 +0800")), BASE, FETCHED)
    assert page.articles == []


def test_a_missing_feed_is_no_failure():
    exchange = Exchange(BASE + "feed.php", 404, b"<html>404</html>", FETCHED, "text/html", role="feed")
    result = harvest(exchange, "127.0.0.1")
    assert result.kind == "other" and result.items == []


@pytest.fixture
def served():
    site = MirrorSite(articles=60, now=NOW)
    server, base = serve_in_thread(site)
    yield server, site, base
    server.shutdown()
    server.server_close()


def test_a_refresh_reads_the_feed_first_and_dates_the_new_posts_to_the_second(served, tmp_path):
    server, site, base = served
    assert run_crawl(base, tmp_path).returncode == 0
    later = NOW + dt.timedelta(days=2)
    grown = MirrorSite(articles=60, now=later, epoch=NOW, add=5)
    grown.visits = site.visits  # the count keeps our earlier visits
    replace_site(server, grown)
    result = run_crawl(base, tmp_path, now=later)
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    new = [aid for aid in grown.ids if aid not in site.ids]
    assert len(new) == 5
    rows = {
        aid: (precision, at)
        for aid, precision, at in db.execute(
            f"SELECT article_id, published_precision, published_at FROM articles WHERE article_id IN ({','.join('?' * 5)})",
            new,
        )
    }
    # the pages of these posts (under a week old) show only "N天前"/"N小时前": the feed's time is exact
    assert {aid: (p, at and dt.datetime.fromisoformat(at)) for aid, (p, at) in rows.items()} == {
        aid: ("second", grown.published(aid)) for aid in new
    }
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert stats["xz/found_by_feed"] == 5 and stats["xz/feed_items"] == 10
    assert "xz/feed_unavailable" not in stats


def test_articles_no_listing_shows_are_reached_by_the_previous_and_next_links(served, tmp_path):
    _, site, base = served
    hidden = frozenset(site.newest[20:60:15])  # none of the feed's ten
    site.unlisted = hidden
    result = run_crawl(base, tmp_path, "-s", "XZ_FEED_PATH=")
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    assert {aid for (aid,) in db.execute("SELECT article_id FROM articles")} == set(site.ids)
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["xz/found_by_links"] >= len(hidden)


def test_a_navigation_without_categories_still_gives_the_sites_categories():
    """The platform installed with its defaults: its navigation module lists 首页 and a page, no
    category (a run found no category and ended with exit 4, the posts only through the feed).
    The categories are those the page links anywhere (its posts' meta, the sidebar), in order."""
    from pathlib import Path

    case = Path(__file__).parent / "fixtures" / "listing" / "platform-5x-default-navbar"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    result = harvest(Exchange(meta["url"], 200, (case / "page.html").read_bytes(), FETCHED, role="home"), "127.0.0.1")
    assert [(c["url"], c["name"]) for c in result.categories] == [
        ("http://127.0.0.1:8701/index.php/category-1.html", "未分类"),
        ("http://127.0.0.1:8701/index.php/category-2.html", "徐州产业信息"),
        ("http://127.0.0.1:8701/index.php/category-3.html", "徐州厂房出租"),
    ]
    # a navigation that lists categories is read alone (the real page: five, in the menu's order)
    real = Path(__file__).resolve().parents[2] / "shared" / "site" / "tpure" / "category-3.html"
    result = harvest(
        Exchange("http://xuzhou.021cf.cn/", 200, real.read_bytes(), FETCHED, role="home"), "xuzhou.021cf.cn"
    )
    assert len(result.categories) == 5
