"""What a page needs to be seen again (issue 31, item 2): the theme's stylesheets, scripts, fonts,
icon and logo that pages link to, captured once a run per address with the validators held (a 304
is no new capture), the same file on another site kept once, the listings' thumbnails by a
setting; a missing or wrong file is an asset failure counted with the photos'."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import NOW, cli, run_crawl
from xzcrawler.core import assets
from xzcrawler.core.harvest import Exchange, harvest, role_of
from xzcrawler.core.images import payload_digest
from xzcrawler.core.pages import parse_page_and_resources
from xzcrawler.core.pages.resources import stylesheet_resources
from xzcrawler.mirror import theme_files
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import RECONSTRUCTION, XUZHOU, MirrorSite
from xzcrawler.warc import read_response

SHARED = Path(__file__).resolve().parents[2] / "shared" / "site"
BASE = "http://xuzhou.021cf.cn"


@pytest.mark.parametrize(
    "page, expected",
    [
        (
            "tpure/article-2176.html",
            [
                ("/zb_users/theme/tpure/plugin/share/share.css", "style"),
                ("/zb_users/theme/tpure/style/style.css?v=5.0.2", "style"),
                ("/zb_system/script/jquery-2.2.4.min.js", "script"),
                ("/zb_system/script/zblogphp.js", "script"),
                ("/zb_users/theme/tpure/script/common.js?v=5.0.2", "script"),
                ("/zb_users/upload/logo-night.png", "logo"),
                ("/zb_users/upload/logo.png", "logo"),
                ("/zb_users/upload/2021/05/202105281622189466372498.jpg", "picture"),  # the QR code of div.copynotice
            ],
        ),
        (
            "category-3.html",
            [
                ("/zb_users/theme/xzcf/style/style.css", "style"),
                ("/zb_system/script/jquery-2.2.4.min.js", "script"),
                ("/zb_system/script/zblogphp.js", "script"),
                ("/zb_system/script/c_html_js_add.php", "script"),
                ("/zb_users/theme/xzcf/style/images/logo.png", "logo"),
            ],
        ),
    ],
)
def test_the_real_pages_name_their_theme_files(page, expected):
    body = (SHARED / page).read_bytes()
    _, found = parse_page_and_resources(body, f"{BASE}/index.php/category-3.html")
    assert list(found.assets) == [(BASE + path, kind) for path, kind in expected]
    # the listing's and related posts' thumbnails, never the lazy-load placeholder
    assert found.thumbnails and all("/zb_users/upload/20" in url for url in found.thumbnails)


def test_a_stylesheet_names_its_fonts_relative_to_itself():
    css = (
        "/* url(commented.woff) */ @import 'more.css'; "
        "@font-face{src:url('fonts/a.woff2') format('woff2'),url(fonts/a.woff)}"
        '.x{background:url(data:image/png;base64,AAAA)} .y{background:url("../images/bg.png")}'
        ".z{background:url(http://cdn.example/x.gif)} .w{cursor:url(#nothing)}"
    )
    found = stylesheet_resources(css, "http://s.example/theme/style/style.css?v=1")
    assert found == (
        ("http://s.example/theme/style/more.css", "style"),
        ("http://s.example/theme/style/fonts/a.woff2", "font"),
        ("http://s.example/theme/style/fonts/a.woff", "font"),
        ("http://s.example/theme/images/bg.png", "picture"),
        ("http://cdn.example/x.gif", "picture"),
    )


@pytest.mark.parametrize(
    "url, status, content_type, body, ok, kind, reason",
    [
        ("/s.css", 200, "text/css", b"body{}", True, "style", None),
        ("/s.js?v=2", 200, "application/javascript; charset=utf-8", b"var a;", True, "script", None),
        ("/f.woff2", 200, "application/octet-stream", b"wOF2....", True, "font", None),
        ("/f.woff2", 200, "font/woff2", b"wOF2....", True, "font", None),
        ("/f.woff2", 200, "text/plain", b"wOF2....", True, "font", None),  # a server that knows no font type
        ("/x.php", 200, "text/plain", b"var a;", False, None, "not a page resource: text/plain"),
        ("/i.svg", 200, "image/svg+xml", b"<svg/>", True, "vector", None),
        ("/c_html_js_add.php", 200, "application/x-javascript", b"var x;", True, "script", None),
        ("/s.css", 404, "text/html", b"<html>404</html>", False, "style", "HTTP 404"),
        ("/s.css", 200, "text/html; charset=utf-8", b"<!DOCTYPE html><html>", False, "style", "not a style: text/html"),
        ("/s.css", 200, "text/css", b"  <html><body>guard</body></html>", False, "style", "not a style: an HTML page"),
        ("/s.css", 200, "text/css", b"", False, "style", "empty"),
        ("/s.css", None, None, None, False, "style", "no response"),
    ],
)
def test_what_a_fetched_theme_file_is(url, status, content_type, body, ok, kind, reason):
    seen = assets.inspect("http://s.example" + url, status, content_type, body)
    assert (seen.ok, seen.kind, seen.reason) == (ok, kind, reason)
    if ok:
        assert seen.digest.startswith("sha1:") and seen.length == len(body)


def test_a_reextraction_knows_a_theme_file_by_its_type_or_address():
    assert role_of("http://s.example/a/style.css?v=5.0.2") == "asset"
    assert (
        role_of("http://s.example/zb_system/script/c_html_js_add.php", b"var a;", "application/x-javascript") == "asset"
    )
    assert role_of("http://s.example/logo.svg", b"<svg/>", "image/svg+xml") == "asset"
    assert role_of("http://s.example/logo.png", b"", "image/png") == "image"
    # a 304 of a held file is the file unchanged: no capture, no failure
    unchanged = harvest(Exchange("http://s.example/s.css", 304, b"", "2026-11-27T00:00:00Z", role="asset"), "s.example")
    assert unchanged.kind == "asset_unchanged" and [type(i).__name__ for i in unchanged.items] == ["PageFetched"]


def _responses(root: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Each address's WARC records: (type, payload digest, refers-to-target)."""
    found: dict[str, list] = {}
    for path in sorted((root / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    headers = record.rec_headers
                    found.setdefault(headers.get_header("WARC-Target-URI"), []).append(
                        (
                            record.rec_type,
                            headers.get_header("WARC-Payload-Digest"),
                            headers.get_header("WARC-Refers-To-Target-URI"),
                        )
                    )
    return found


def _path(url: str) -> str:
    """An address's path, without its host and query (``?v=5.0.2``)."""
    return "/" + url.split("/", 3)[3].split("?", 1)[0]


def _theme_paths(conn) -> set[str]:
    return {_path(url) for (url,) in conn.execute("SELECT url FROM asset_captures")}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The tpure mirror crawled twice a day apart (the second asks for each file with its
    validators), then a second site of the same theme on another host into the same archive."""
    root = tmp_path_factory.mktemp("resources")
    server, base = serve_in_thread(MirrorSite(30, now=NOW, profile=XUZHOU))
    other, other_base = serve_in_thread(MirrorSite(30, now=NOW, profile=XUZHOU, seed=5), host="127.0.0.2")
    try:
        first = run_crawl(base, root)
        assert first.returncode == 0, first.stderr[-3000:]
        snapshot = sqlite3.connect(root / "archive.db").execute("SELECT * FROM asset_captures ORDER BY url").fetchall()
        second = run_crawl(base, root, now=NOW + dt.timedelta(days=1))
        assert second.returncode == 0, second.stderr[-3000:]
        third = run_crawl(other_base, root, now=NOW + dt.timedelta(days=1, hours=1))
        assert third.returncode == 0, third.stderr[-3000:]
    finally:
        for each in (server, other):
            each.shutdown()
            each.server_close()
    return root, snapshot, second


def test_every_theme_file_a_page_links_is_captured_once(crawled):
    root, snapshot, _ = crawled
    conn = sqlite3.connect(root / "archive.db")
    first_site = [row for row in snapshot]
    # the files the mirror's tpure pages link to, and the fonts its stylesheet names: all of them
    tpure = {path for path in theme_files.FILES if "/xzcf/" not in path}
    assert {_path(row[0]) for row in first_site} == tpure
    assert {row[6] for row in first_site} == {"style", "script", "font"}
    # pictures the page needs (the logo, the comment avatar) are captured as photos are; the
    # lazy-load placeholder never
    pictures = {_path(url) for (url,) in conn.execute("SELECT url FROM image_captures")}
    assert {"/zb_users/upload/logo.png", "/zb_users/avatar/0.png"} <= pictures
    assert not any("lazyload" in path for path in pictures)
    # each capture is a WARC response holding what was served, its bytes and digest as recorded
    for url, fetched_at, status, _, length, digest, _kind, etag, _ in first_site:
        file, offset = conn.execute(
            "SELECT file, offset FROM warc_records WHERE url = ? AND substr(fetched_at, 1, 19) = substr(?, 1, 19) "
            "AND record_type = 'response'",
            [url, fetched_at],
        ).fetchone()
        got = read_response(root / "warc" / file, offset)
        served = theme_files.FILES[_path(url)][1]
        assert status == 200 and etag and got.body == served
        assert (length, digest) == (len(served), payload_digest(served))
    assert conn.execute("SELECT COUNT(*) FROM failures WHERE kind = 'asset'").fetchone()[0] == 0


def test_a_refresh_asks_with_the_validators_and_keeps_no_copy_twice(crawled):
    root, snapshot, second = crawled
    conn = sqlite3.connect(root / "archive.db")
    site_one = conn.execute("SELECT * FROM asset_captures WHERE url LIKE 'http://127.0.0.1:%' ORDER BY url").fetchall()
    assert site_one == snapshot  # nothing captured again: every file answered 304
    day_two = "2026-11-28"
    unchanged = conn.execute(
        "SELECT COUNT(*) FROM warc_records WHERE status = 304 AND record_type = 'response' AND fetched_at LIKE ? "
        "AND (url LIKE '%.css%' OR url LIKE '%.js%')",
        [day_two + "%"],
    ).fetchone()[0]
    assert unchanged >= 3  # the stylesheets and scripts of the pages fetched again
    assert "'xz/assets_unchanged'" in second.stderr


def test_the_same_file_on_another_site_is_kept_once(crawled):
    root, _, _ = crawled
    conn = sqlite3.connect(root / "archive.db")
    records = _responses(root)
    other = [url for (url,) in conn.execute("SELECT url FROM asset_captures WHERE url LIKE 'http://127.0.0.2:%'")]
    assert {_path(url) for url in other} == _theme_paths(conn)
    revisits = 0
    for url in other:
        kind, digest, refers = records[url][0]
        if theme_files.FILES[_path(url)][0].startswith("font/"):
            # the theme's fonts (10-19 KB, sent as they are): revisits of the first site's copies
            # (the stylesheets and scripts, gzipped under 1 KB, are kept whole: a revisit record
            # would save nothing)
            assert kind == "revisit" and refers.startswith("http://127.0.0.1:"), url
            assert ("response", digest, None) in records[refers]  # the WARC digests: of the bytes as sent
            revisits += 1
    assert revisits == 3
    # reparse reads every file back, the revisits through their originals: the same captures
    again = cli("reparse", "--db", str(root / "archive.db"), "--into", str(root / "re.db"))
    assert again.returncode == 0, again.stderr[-2000:]
    rebuilt = sqlite3.connect(root / "re.db")
    query = "SELECT url, fetched_at, status, content_type, bytes, digest, kind FROM asset_captures ORDER BY 1, 2"
    assert rebuilt.execute(query).fetchall() == conn.execute(query).fetchall()
    # a merge keeps them (vetted as the shard's other rows), and merging again writes nothing
    for _ in range(2):
        merged = cli("merge", "--into", str(root / "merged" / "all.db"), str(root / "archive.db"))
        assert merged.returncode == 0, merged.stderr[-2000:]
        folded = sqlite3.connect(root / "merged" / "all.db")
        assert (
            folded.execute("SELECT * FROM asset_captures ORDER BY 1, 2").fetchall()
            == conn.execute("SELECT * FROM asset_captures ORDER BY 1, 2").fetchall()
        )


@pytest.mark.parametrize("profile", [XUZHOU, RECONSTRUCTION], ids=["tpure", "reconstruction"])
def test_thumbnails_by_a_setting_and_the_theme_files_off(tmp_path, profile):
    site = MirrorSite(20, now=NOW, profile=profile)
    server, base = serve_in_thread(site)
    results = {}
    try:
        for name, setting in (("on", "XZ_THUMBNAILS=1"), ("off", "XZ_PAGE_RESOURCES=0"), ("plain", "XZ_IMAGES=1")):
            (tmp_path / name).mkdir()
            results[name] = run_crawl(base, tmp_path / name, "-s", setting)
    finally:
        server.shutdown()
        server.server_close()
    for name, result in results.items():
        assert result.returncode == 0, (name, result.stderr[-2000:])
    thumbnail = "SELECT url FROM image_captures WHERE url LIKE '%/upload/thumb/%'"
    with_thumbs = sqlite3.connect(tmp_path / "on" / "archive.db")
    thumbs = {url for (url,) in with_thumbs.execute(thumbnail)}
    assert len(thumbs) >= 5 and thumbs <= {f"{base}zb_users/upload/thumb/{aid}.jpg" for aid in site.ids}
    assert with_thumbs.execute("SELECT COUNT(*) FROM asset_captures").fetchone()[0] > 0
    # by default no thumbnail; the theme's files and the logo are captured
    plain = sqlite3.connect(tmp_path / "plain" / "archive.db")
    assert plain.execute(thumbnail).fetchall() == []
    assert plain.execute("SELECT COUNT(*) FROM image_captures WHERE url LIKE '%logo%'").fetchone()[0] >= 1
    if profile is RECONSTRUCTION:  # its robots.txt forbids /zb_system/: obeyed, said, no failed run
        forbidden = plain.execute("SELECT url, reason FROM failures WHERE kind = 'asset'").fetchall()
        assert forbidden and all("/zb_system/" in url and "robots.txt" in reason for url, reason in forbidden)
    without = sqlite3.connect(tmp_path / "off" / "archive.db")
    assert without.execute("SELECT COUNT(*) FROM asset_captures").fetchone()[0] == 0
    assert without.execute("SELECT COUNT(*) FROM image_captures WHERE url LIKE '%logo%'").fetchone()[0] == 0
    assert without.execute("SELECT COUNT(*) FROM image_captures").fetchone()[0] > 0  # the photos stay


def test_sites_crawled_side_by_side_keep_one_copy_of_a_file(tmp_path):
    """Two sites of one theme in one run (``-a site=a,b``: a crawler each, writing side by side):
    each font is one response record and one revisit of it, whichever site came first."""
    one, base_one = serve_in_thread(MirrorSite(10, now=NOW))
    two, base_two = serve_in_thread(MirrorSite(10, now=NOW, seed=3), host="127.0.0.2")
    try:
        result = run_crawl(f"{base_one},{base_two}", tmp_path)
    finally:
        for server in (one, two):
            server.shutdown()
            server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    records = _responses(tmp_path)
    for suffix in ("woff2", "woff", "ttf"):
        found = sorted(kinds for url, kinds in records.items() if url.endswith(f"/iconfont.{suffix}"))
        assert [[kind for kind, _, _ in each] for each in found] in (
            [["response"], ["revisit"]],
            [["revisit"], ["response"]],
        ), suffix
        (original,) = [each for each in found if each[0][0] == "response"]
        (revisit,) = [each for each in found if each[0][0] == "revisit"]
        assert revisit[0][1] == original[0][1]  # the same payload digest


@pytest.mark.parametrize("backend", ["sqlite", "memory"])
def test_a_file_served_again_unchanged_is_no_new_capture(tmp_path, backend):
    """A server that ignores the validators (PHP's built-in server) answers 200 with the same bytes
    every run: the archive keeps the first capture (its WARC record is a revisit), and a changed
    file again."""
    from tests.memory_store import MemoryStore
    from xzcrawler.core.items import AssetCaptured
    from xzcrawler.store import SqliteStore

    url = "http://s.example/zb_users/theme/tpure/style/style.css?v=5.0.2"

    def capture(day: int, body: bytes) -> AssetCaptured:
        return AssetCaptured(
            url, f"2026-11-2{day}T00:00:00Z", 200, "text/css", len(body), payload_digest(body), "style"
        )

    opened = SqliteStore(tmp_path / "a.db") if backend == "sqlite" else MemoryStore(tmp_path / "a.json")
    with opened as store:
        assert store.add_asset(capture(1, b"body{}"))
        assert not store.add_asset(capture(2, b"body{}"))  # the same bytes a day later
        assert not store.add_asset(capture(1, b"body{}"))  # the same capture again (a re-extraction)
        assert store.add_asset(capture(3, b"body{color:red}"))  # changed
        assert store.add_asset(capture(4, b"body{}"))  # and back: a change too
        assert store.held_assets() == {("s.example", "/zb_users/theme/tpure/style/style.css?v=5.0.2"): (None, None)}


def test_the_theme_files_a_site_may_ask_for_are_bounded_by_address(tmp_path):
    """XZ_MAX_RESOURCES bounds the addresses a run meets, not the pages that show them: a cap of 3
    asks for 3; a full refresh whose every page shows the held logo, QR code and avatar again is
    not capped by them (each counts once)."""
    import json

    server, base = serve_in_thread(MirrorSite(30, now=NOW))
    try:
        (tmp_path / "capped").mkdir()
        capped = run_crawl(base, tmp_path / "capped", "-s", "XZ_MAX_RESOURCES=3")
        first = run_crawl(base, tmp_path, "-s", "XZ_MAX_RESOURCES=20")
        again = run_crawl(base, tmp_path, "-s", "XZ_MAX_RESOURCES=20", "-a", "full=1", now=NOW + dt.timedelta(days=1))
    finally:
        server.shutdown()
        server.server_close()
    for result in (capped, first, again):
        assert result.returncode == 0, result.stderr[-3000:]
    small = sqlite3.connect(tmp_path / "capped" / "archive.db")
    stats = json.loads(small.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    asked = stats.get("xz/assets_requested", 0)
    assert asked <= 3 and stats["xz/resources_capped"] >= 1
    db = sqlite3.connect(tmp_path / "archive.db")
    runs = [json.loads(row[0]) for row in db.execute("SELECT stats FROM crawl_runs ORDER BY id")]
    assert "xz/resources_capped" not in runs[0] and "xz/resources_capped" not in runs[1]
    assert runs[1]["xz/articles_queued"] >= 30  # every page fetched again, each showing them
