"""The photos of the posts (issue 31): every body image of every stored article captured into
the WARC once, never the lazy-load placeholder; a missing or broken one a recorded image failure,
counted apart; a refresh fetches no photo it holds; a re-extraction keeps the same captures."""

from __future__ import annotations

import io
import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.conftest import NOW, cli, crawl_ok, run_crawl
from xzcrawler.core import health
from xzcrawler.core.images import inspect, payload_digest, to_capture
from xzcrawler.mirror import images as mirror_images
from xzcrawler.mirror.server import route, serve_in_thread
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.warc import read_response


def _png(width=8, height=6) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_what_a_fetched_image_address_gave():
    whole = _png()
    seen = inspect(200, "image/png", whole)
    assert seen.ok and (seen.width, seen.height, seen.format) == (8, 6, "PNG")
    assert seen.digest == payload_digest(whole) and seen.length == len(whole)
    assert inspect(404, "text/html", b"<html>404</html>").reason == "HTTP 404"
    assert inspect(200, "text/html; charset=utf-8", b"<html>guard</html>").reason == "not an image: text/html"
    assert inspect(200, "image/png", whole[: len(whole) // 2]).reason.startswith("broken:")
    assert inspect(200, "image/jpeg", b"").reason == "empty"
    assert inspect(None, None, None).reason == "no response"
    # a picture that claims 100,000 x 100,000 pixels is refused before it is decoded (a bomb)
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    refused = inspect(200, "image/png", bomb)
    assert not refused.ok and ("too large" in refused.reason or "broken" in refused.reason)


def test_a_photo_is_read_whole_at_its_own_size_and_one_cut_short_is_broken():
    """A JPEG is decoded at an eighth of its size (images.inspect): the size recorded is still its
    own, and a file cut short anywhere past its header is still refused as broken."""
    from PIL import Image

    out = io.BytesIO()
    Image.effect_mandelbrot((800, 600), (-2, -1.5, 1, 1.5), 60).convert("RGB").save(out, "JPEG", quality=85)
    photo = out.getvalue()
    seen = inspect(200, "image/jpeg", photo)
    assert seen.ok and (seen.width, seen.height, seen.format) == (800, 600, "JPEG")
    for cut in (len(photo) - 2, len(photo) * 3 // 4, len(photo) // 2, 700):
        assert inspect(200, "image/jpeg", photo[:cut]).reason.startswith("broken:"), cut


def test_which_addresses_are_captured():
    site = "xuzhou.021cf.cn"
    found = to_capture(
        [
            {"src": "http://xuzhou.021cf.cn/zb_users/upload/2024/09/1.jpg"},
            {"src": "http://xuzhou.021cf.cn/zb_users/upload/2024/09/1.jpg"},  # twice in the post: once
            {"src": "http://xuzhou.021cf.cn/zb_users/theme/tpure/style/images/lazyload.png"},  # the placeholder
            {"src": "http://img.other.cn/a.jpg"},  # another host: only when XZ_IMAGE_HOSTS names it
            {"src": "data:image/png;base64,AAAA"},
            {"src": None},
            {"src": "http://www.xuzhou.021cf.cn/zb_users/upload/2024/09/2.jpg"},  # www. is the same site
        ],
        site,
    )
    assert found == [
        "http://xuzhou.021cf.cn/zb_users/upload/2024/09/1.jpg",
        "http://www.xuzhou.021cf.cn/zb_users/upload/2024/09/2.jpg",
    ]
    assert "http://img.other.cn/a.jpg" in to_capture([{"src": "http://img.other.cn/a.jpg"}], site, ("img.other.cn",))


def test_photos_count_apart_from_pages_in_the_verdict():
    base = {"finish_reason": "finished", "response_received_count": 200, "xz/categories": 5, "xz/listing_items": 50}
    limits = {"max_error_rate": 0.1, "drift_points": 20, "drift_min_seen": 10, "max_image_failure_rate": 0.5}
    photos = {"xz/image_responses": 100, "xz/images_requested": 100}
    # 30 photos missing of 100: no page failed, the run is healthy
    assert health.assess({**base, **photos, "xz/failures/image": 30}, [], **limits).exit_code == 0
    # past the photos' own limit: exit 3, saying so
    verdict = health.assess({**base, **photos, "xz/failures/image": 51}, [], **limits)
    assert verdict.exit_code == health.ERRORS and "photos" in verdict.message
    # the pages' rate is of pages: 11 failed pages of 100 pages (200 responses, 100 of them photos)
    assert health.assess({**base, **photos, "xz/failed_urls": 11}, [], **limits).exit_code == health.ERRORS
    # theme files count with the photos; what robots.txt forbids is obeyed, neither asked nor lost
    files = {"xz/asset_responses": 1, "xz/assets_requested": 4, "xz/failures/asset": 3}
    assert health.assess({**base, **files}, [], **limits).exit_code == health.ERRORS
    assert health.assess({**base, **files, "xz/resources_forbidden": 3}, [], **limits).exit_code == 0


def _truth(site_base: str, record_images: list[dict]) -> dict[str, str]:
    return {i["src"]: mirror_images.state(urlsplit(i["src"]).path) for i in record_images}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The 300-article tpure mirror (lazy-loaded images: the address in data-original, the
    placeholder in src) crawled once, then refreshed a day later, the server up throughout."""
    root = tmp_path_factory.mktemp("photos")
    site = MirrorSite(300, now=NOW, photo_faults=True)
    server, base = serve_in_thread(site)
    try:
        first = crawl_ok(base, root)
        db = sqlite3.connect(root / "archive.db")
        captured_first = db.execute("SELECT url, fetched_at FROM image_captures").fetchall()
        stats_first = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id").fetchone()[0])
        db.close()
        second = run_crawl(base, root, now=NOW.replace(day=29))
        assert second.returncode == 0, second.stderr[-3000:]
    finally:
        server.shutdown()
        server.server_close()
    return root, base, first, captured_first, stats_first


def test_every_body_image_is_captured_once_and_every_bad_one_is_a_failure(crawled):
    root, base, _, captured_first, stats = crawled
    db = sqlite3.connect(root / "archive.db")
    shown = [json.loads(images) for (images,) in db.execute("SELECT images FROM articles")]
    truth: dict[str, str] = {}
    for record_images in shown:
        truth.update(_truth(base, record_images))
    assert len(truth) > 150 and set(truth.values()) == {"ok", "missing", "html", "truncated"}
    captured = {url for url, _ in captured_first}
    # the pictures a page needs besides its photos (XZ_PAGE_RESOURCES: the logo, the QR code of
    # the site's block, the comment avatar) are captured under their own addresses, never as a
    # post's photo; the lazy-load placeholder never
    page_needs = {
        f"{base}zb_users/upload/logo.png",
        f"{base}zb_users/upload/logo-night.png",  # (the real page 2176's night logo)
        f"{base}zb_users/avatar/0.png",  # the comment form's
        f"{base}zb_users/upload/2021/05/202105281622189466372498.jpg",  # the QR code of the site's block
    }
    assert captured - set(truth) == page_needs
    assert {url for url in captured if url in truth} == {url for url, state in truth.items() if state == "ok"}
    assert not any("lazyload" in url for url in set(truth) | captured)  # never the placeholder
    failed = dict(db.execute("SELECT url, reason FROM failures WHERE kind = 'image'").fetchall())
    assert set(failed) == {url for url, state in truth.items() if state != "ok"}
    for url, reason in failed.items():
        state = truth[url]
        expected = {"missing": "HTTP 404", "html": "not an image: text/html", "truncated": "broken:"}[state]
        assert reason.startswith(expected), (url, reason)
    # each capture is a WARC response whose payload is the photo (digest as recorded), or a revisit
    # of the same bytes captured under another address (test below)
    rows = db.execute(
        "SELECT c.url, c.digest, w.file, w.offset, w.record_type FROM image_captures c JOIN warc_records w "
        "ON w.url = c.url AND w.record_type IN ('response', 'revisit')"
    ).fetchall()
    assert {row[0] for row in rows} == captured
    for url, digest, file, offset, kind in rows[:40]:
        if kind == "response":
            got = read_response(root / "warc" / file, offset)
            assert got.status == 200 and payload_digest(got.body) == digest, url
    # counted apart: the run is healthy, its stats say how many were asked for and lost
    assert stats["xz/images_requested"] == len(truth)
    assert stats["xz/failures/image"] == len(failed)
    assert stats.get("xz/failed_urls", 0) == 0
    db.close()


def test_a_refresh_fetches_no_photo_it_holds(crawled):
    root, _, _, captured_first, _ = crawled
    db = sqlite3.connect(root / "archive.db")
    # no photo captured twice, and the second run asked for none of those it held
    assert db.execute("SELECT count(*), count(DISTINCT url) FROM image_captures").fetchone() == (
        len(captured_first),
        len(captured_first),
    )
    second = json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0])
    held = {url for url, _ in captured_first}
    asked = second.get("xz/images_requested", 0)
    failed = db.execute("SELECT count(*) FROM failures WHERE kind = 'image'").fetchone()[0]
    assert asked <= failed  # at most the failed ones, again, with a post fetched again
    assert len(held) > 0
    db.close()


def test_reparse_keeps_the_same_captures_and_failures(crawled, tmp_path):
    root, *_ = crawled
    result = cli("reparse", "--db", str(root / "archive.db"), "--into", str(tmp_path / "again.db"))
    assert result.returncode == 0, result.stderr
    queries = (
        "SELECT * FROM image_captures ORDER BY url, fetched_at",
        "SELECT url, kind, reason, http_status FROM failures WHERE kind = 'image' ORDER BY url",
    )
    for query in queries:
        original = sqlite3.connect(root / "archive.db").execute(query).fetchall()
        again = sqlite3.connect(tmp_path / "again.db").execute(query).fetchall()
        assert again == original and original


def test_photos_off_fetches_none(tmp_path):
    site = MirrorSite(40, now=NOW)
    server, base = serve_in_thread(site)
    try:
        crawl_ok(base, tmp_path, "-s", "XZ_IMAGES=0")
    finally:
        server.shutdown()
        server.server_close()
    db = sqlite3.connect(tmp_path / "archive.db")
    # no photo of a post (the site's logo and the QR code of its block are what its pages need:
    # XZ_PAGE_RESOURCES)
    photos = "url LIKE '%/zb_users/upload/%' AND url NOT LIKE '%/logo%' AND url NOT LIKE '%/2021/05/2021052816%'"
    assert db.execute(f"SELECT count(*) FROM image_captures WHERE {photos}").fetchone() == (0,)
    assert db.execute(f"SELECT count(*) FROM warc_records WHERE {photos}").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM images").fetchone()[0] > 0  # the addresses are kept as ever


def test_the_same_picture_under_another_address_is_kept_once(crawled):
    """One body image in ten on the mirror is a stock picture uploaded again under the post's own
    name: the first capture of those bytes is a WARC response, every other address of them a
    revisit record that names it (WARC-Refers-To-Target-URI), and reads back as the picture."""
    from collections import defaultdict

    from xzcrawler.core import paths
    from xzcrawler.store import SqliteStore

    root, *_ = crawled
    db = sqlite3.connect(root / "archive.db")
    by_digest: dict[str, set[str]] = defaultdict(set)
    for url, digest in db.execute("SELECT url, digest FROM image_captures"):
        by_digest[digest].add(url)
    shared = {digest: urls for digest, urls in by_digest.items() if len(urls) > 1}
    assert shared  # the stock pictures
    with SqliteStore(root / "archive.db", readonly=True) as store:
        originals = {
            (url, record_id): (paths.warc_file(root / "warc", file), offset)
            for url, record_id, file, offset in store.revisit_originals()
        }
    for digest, urls in shared.items():
        kinds = dict(
            db.execute(
                f"SELECT url, record_type FROM warc_records WHERE record_type IN ('response', 'revisit') "
                f"AND url IN ({','.join('?' * len(urls))})",
                sorted(urls),
            ).fetchall()
        )
        assert sorted(kinds.values()) == ["response"] + ["revisit"] * (len(urls) - 1), kinds
        for url, kind in kinds.items():
            if kind != "revisit":
                continue
            file, offset = db.execute(
                "SELECT file, offset FROM warc_records WHERE url = ? AND record_type = 'revisit'", [url]
            ).fetchone()
            got = read_response(
                root / "warc" / file, offset, refers_to=lambda u, record_id: originals.get((u, record_id))
            )
            assert payload_digest(got.body) == digest and got.content_type.startswith("image/")
    db.close()


def _bomb_png() -> bytes:
    """A PNG that claims 100,000 x 100,000 pixels (30 GB decoded) in a few dozen bytes."""
    import struct
    import zlib

    chunk = b"IHDR" + struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = b"IDAT" + zlib.compress(b"\0" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat) - 4)
        + idat
        + struct.pack(">I", zlib.crc32(idat))
    )


def test_hostile_pictures_cost_only_themselves(tmp_path):
    """A post's photos from a hostile server: a "2 GB" picture, an HTML page served as
    image/jpeg, a picture that redirects to another host, a decompression bomb. Each is a recorded
    image failure with its reason; none is kept as a photo, nothing of the other host is asked
    for, the archive stays small, and the run (and every other photo) goes on."""
    from tests.hostile import Host

    aid = MirrorSite(30, now=NOW).ids[3]
    names = ("huge.jpg", "page.jpg", "away.jpg", "bomb.png")
    with Host() as host, Host("127.0.0.2") as other:
        folder = f"{host.base}/zb_users/upload/2024/01"
        extra = "".join(f'<p><img src="{folder}/{name}" alt="{name}"/></p>' for name in names).encode()
        page = route(host.site, f"/index.php/post/{aid}.html", host.base)[2]  # tpure's markup
        marker = b'<div class="single'
        assert marker in page
        start = page.index(b">", page.index(marker)) + 1
        host.on(f"/index.php/post/{aid}.html", lambda h, m: (200, {}, page[:start] + extra + page[start:]))
        host.on(
            "/zb_users/upload/2024/01/huge.jpg",
            lambda h, m: (
                200,
                {"Content-Type": "image/jpeg", "Content-Length": str(2 * 1024**3)},
                b"\xff\xd8" + b"\0" * 65536,
            ),
        )
        host.on(
            "/zb_users/upload/2024/01/page.jpg",
            lambda h, m: (200, {"Content-Type": "image/jpeg"}, b"<html><body><h1>hotlink guard</h1></body></html>"),
        )
        host.on(
            "/zb_users/upload/2024/01/away.jpg",
            lambda h, m: (302, {"Location": f"{other.base}/zb_users/upload/2024/01/away.jpg"}, b""),
        )
        host.on("/zb_users/upload/2024/01/bomb.png", lambda h, m: (200, {"Content-Type": "image/png"}, _bomb_png()))
        result = run_crawl(host.base + "/", tmp_path)
        assert other.requests == []  # nothing asked of the other host
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    failed = dict(db.execute("SELECT url, reason FROM failures WHERE kind = 'image' AND url LIKE '%/2024/01/%'"))
    reasons = {url.rsplit("/", 1)[1]: reason for url, reason in failed.items()}
    assert set(reasons) == set(names)
    assert "maxsize" in reasons["huge.jpg"].lower() or "max size" in reasons["huge.jpg"].lower(), reasons
    assert reasons["page.jpg"].startswith("broken:")
    assert "127.0.0.2" in reasons["away.jpg"]
    assert reasons["bomb.png"].startswith(("too large", "broken:"))
    assert db.execute("SELECT COUNT(*) FROM image_captures WHERE url LIKE '%/2024/01/%'").fetchone()[0] == 0
    # the other photos of the site are kept, and the archive never held the "2 GB"
    assert db.execute("SELECT COUNT(*) FROM image_captures").fetchone()[0] > 10
    assert sum(path.stat().st_size for path in (tmp_path / "warc").iterdir()) < 20 * 1024 * 1024
