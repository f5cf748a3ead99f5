"""The offline mirror: real HTTP on loopback, every page kind parses, correct caching headers."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
from urllib.parse import urlsplit

import pytest

from xzcrawler.core.pages import parse_page
from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.site import SEED_ID, MirrorSite

from .conftest import FIXTURES


def fetch(base: str, path: str, headers: dict | None = None):
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_robots_txt_is_the_platforms_404(mirror300):
    """Z-BlogPHP ships no robots.txt: the platform answers /robots.txt with the theme's 404 page
    (seen on Z-BlogPHP 1.7.3 + tpure 5.0.2, docs/platform.md), which robots.txt readers take as
    "nothing is forbidden"."""
    _, base = mirror300
    response, body = fetch(base, "/robots.txt")
    assert response.status == 404
    assert parse_page(body, base + "robots.txt", None).kind == "other"
    assert "对不起，页面未找到".encode() in body


def test_home_lists_latest_and_nav_has_five_categories(mirror300):
    site, base = mirror300
    response, body = fetch(base, "/")
    page = parse_page(body, base, None)
    assert page.kind == "listing"
    # the sticky post first (c_system_route.php, ViewList), then the ten newest of the others
    shown = [*site.sticky, *[a for a in site.newest if a not in site.sticky][:10]]
    assert len(site.sticky) == 1 and site.sticky[0] not in site.newest[:10]
    assert [a["url"] for a in page.articles] == [f"{base}index.php/post/{aid}.html" for aid in shown]
    from xzcrawler.core.pages import load_document, nav_categories

    doc, _ = load_document(body)
    assert [c["name"] for c in nav_categories(doc, base)] == list(CATEGORIES.values())


def test_category_pages_walk_every_article_once(reconstruction300):
    site, base = reconstruction300
    seen = []
    for cat in CATEGORIES:
        url = f"{base}index.php/category-{cat}.html"
        pages = 0
        while url:
            response, body = fetch(base, urlsplit(url).path)
            assert response.status == 200
            page = parse_page(body, url, None)
            assert page.kind == "listing"
            assert len(page.articles) <= 20
            assert page.last_page == site.category_pages(cat)
            seen += [a["url"] for a in page.articles]
            url = page.next_page
            pages += 1
        assert pages == site.category_pages(cat)
    assert len(seen) == len(set(seen)) == 300


def test_seed_article_is_served_verbatim_but_for_the_host(reconstruction300):
    _, base = reconstruction300
    response, body = fetch(base, f"/index.php/post/{SEED_ID}.html")
    original = (FIXTURES / "article" / "reference-2176" / "page.html").read_bytes()
    assert body == original.replace(b"http://xuzhou.021cf.cn", base.rstrip("/").encode())


def test_articles_parse_to_the_mirror_truth(reconstruction300):
    site, base = reconstruction300
    fetched = site.now.isoformat()  # the mirror's pinned clock
    shapes = set()
    for aid in site.ids[:120]:
        if aid == SEED_ID:
            continue
        art = site.article(aid)
        shapes.add(art.shape)
        response, body = fetch(base, f"/index.php/post/{aid}.html")
        page = parse_page(body, f"{base}index.php/post/{aid}.html", fetched)
        assert page.kind == "article"
        assert page.record["article_id"] == aid
        assert page.record["title"] == art.title
        assert page.record["body_text"] == "\n\n".join(art.body_paragraphs), aid
        assert page.record["byline"] == art.byline, aid
        assert [i["src"] for i in page.record["images"]] == [base.rstrip("/") + i["src"] for i in art.images]
        assert len(page.record["related"]) == len(art.related)
        if art.shape == "full":
            assert page.record["views"] == art.views
            assert page.record["published_date"] == art.published.date().isoformat()
            assert page.record["category"] == CATEGORIES[art.category]
    assert shapes == {"full", "nometa", "plain"}


def test_unknown_ids_get_a_zblog_404(mirror300):
    _, base = mirror300
    response, body = fetch(base, "/index.php/post/99999999.html")
    assert response.status == 404
    assert "页面不存在".encode() in body
    assert parse_page(body, f"{base}index.php/post/99999999.html", None).kind == "other"
    response, _ = fetch(base, "/index.php/category-3_9999.html")
    assert response.status == 404


def test_http_headers_conditional_requests_and_gzip(reconstruction300):
    _, base = reconstruction300
    path = "/index.php/post/1893.html"
    response, body = fetch(base, path)
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert int(response.getheader("Content-Length")) == len(body)
    etag, modified = response.getheader("ETag"), response.getheader("Last-Modified")
    assert etag and modified
    again, empty = fetch(base, path, {"If-None-Match": etag})
    assert again.status == 304 and empty == b""
    since, _ = fetch(base, path, {"If-Modified-Since": modified})
    assert since.status == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    changed, body2 = fetch(base, path, {"If-Modified-Since": older})
    assert changed.status == 200 and body2 == body
    zipped, raw = fetch(base, path, {"Accept-Encoding": "gzip"})
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert int(zipped.getheader("Content-Length")) == len(raw)
    assert gzip.decompress(raw) == body


def test_same_seed_and_clock_give_the_same_site():
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    a, b = MirrorSite(500, seed=3, now=now), MirrorSite(500, seed=3, now=now)
    assert a.ids == b.ids and a.newest == b.newest
    assert a.article(a.ids[7]) == b.article(b.ids[7])
    other = MirrorSite(500, seed=4, now=now)
    assert [other.article(i).title for i in other.ids[:20]] != [a.article(i).title for i in a.ids[:20]]


@pytest.mark.parametrize("n", [1, 25, 100_000])
def test_large_mirrors_render_on_request(n):
    site = MirrorSite(n)
    assert len(site.ids) == n
    last = site.ids[-1]
    assert site.article(last).title
    assert sum(site.category_pages(c) for c in CATEGORIES) >= n // 20


def test_a_sticky_post_heads_every_listing_page_and_keeps_its_own_category(mirror300):
    """The platform lists a global sticky post (IsTop 1) first on every page of every category's
    listing, those it does not belong to included, and leaves it out of its own category's pages
    (seen on Z-BlogPHP 1.7.3 + tpure 5.0.2: tests/fixtures/listing/platform-5x-*)."""
    site, base = mirror300
    (sticky,) = site.sticky
    own = site.category_id(site.category(sticky))
    sticky_url = f"{base}index.php/post/{sticky}.html"
    for kind in CATEGORIES:
        cat = site.category_id(kind)
        urls, page_url = [], f"{base}index.php/category-{cat}.html"
        while page_url:
            response, body = fetch(base, urlsplit(page_url).path)
            page = parse_page(body, page_url, None)
            assert page.articles[0]["url"] == sticky_url, (cat, page_url)
            assert b'<em class="istop">' in body
            urls += [a["url"] for a in page.articles[1:]]
            page_url = page.next_page
        assert sticky_url not in urls
        expected = [a for a in site.by_category[kind] if a != sticky]
        assert urls == [f"{base}index.php/post/{aid}.html" for aid in expected], cat
    response, body = fetch(base, f"/index.php/post/{sticky}.html")
    page = parse_page(body, sticky_url, None)
    assert page.record["category_url"] == f"{base}index.php/category-{own}.html"
