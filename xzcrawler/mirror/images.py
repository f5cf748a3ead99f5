"""The mirror's image bytes: deterministic small pictures at the addresses its pages show, some
missing and some broken, so that a crawl meets every case an image capture must handle.

The addresses are the platform's: uploads under ``zb_users/upload/YYYY/MM/`` (Z-BlogPHP's
``ZC_UPLOAD_DIRECTORY`` and its year/month folders, as the real pages' body images show:
``/zb_users/upload/2021/05/202105281622189466372498.jpg``, the QR code of every xuzhou page),
listing and related thumbnails, the site's logo, tpure's lazy-load placeholder
(``zb_users/theme/tpure/style/images/lazyload.png``, include.php's tpure_LazyLoadReplace) and the
comment avatar. Z-BlogPHP serves none of these itself: they are static files of the web server
(nginx on the network: ``Server: nginx``), so a missing one is the server's plain 404, not the
theme's 404 page.

On a mirror with photo faults (``MirrorSite(photo_faults=True)``, ``xzcrawler mirror
--photo-faults``), which upload is missing or broken is a function of its address alone
(``state``), the mirror's truth for the tests: about one body image in 25 is missing (404), one in
50 is served as an HTML page with status 200 (what a hotlink guard or a CDN error page does), one
in 50 is cut short.
The QR code, the logo, the placeholder and the thumbnails are always whole.
"""

from __future__ import annotations

import functools
import io
import re
import zlib

# (logo-night.png: tpure's night logo, which the real xuzhou pages print before the day one)
UPLOAD = re.compile(r"^/zb_users/upload/(?:\d{4}/\d{2}/[\w.-]+|thumb/\d+\.jpg|logo(?:-night)?\.png)$")
STATIC = (
    "/zb_users/theme/tpure/style/images/lazyload.png",
    "/zb_users/theme/xzcf/style/images/logo.png",
    "/zb_users/avatar/0.png",
)
# a body image of a post: /zb_users/upload/YYYY/MM/YYYYMMDD<aid><k>.jpg (site.py's content)
BODY_IMAGE = re.compile(r"^/zb_users/upload/\d{4}/\d{2}/\d{8}\d+\.jpg$")
QR_CODE = "/zb_users/upload/2021/05/202105281622189466372498.jpg"  # the site's block, on every page
NOT_FOUND = (  # nginx's own 404 page
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
GUARD_PAGE = "<html><head><title>禁止访问</title></head><body><h1>图片禁止外链</h1></body></html>".encode()


def state(path: str, faults: bool = True) -> str:
    """What the mirror serves at an image address: "ok", "missing" (404), "html" (a page with
    status 200) or "truncated" (a picture cut short). Only posts' body images are ever other than
    ok, and only on a mirror with ``faults`` (MirrorSite's photo_faults)."""
    if not faults or not BODY_IMAGE.match(path) or path == QR_CODE:
        return "ok"
    draw = zlib.crc32(path.encode()) % 100
    if draw < 4:
        return "missing"
    if draw < 6:
        return "html"
    if draw < 8:
        return "truncated"
    return "ok"


def is_image_path(path: str) -> bool:
    return bool(UPLOAD.match(path)) or path in STATIC


SIZE = (120, 90)  # pixels of every picture (about 4 KB as a JPEG)
# One body image in ten is one of three stock pictures, uploaded again under the post's own name:
# the same bytes under other addresses (the network's posts reuse each other's photos, as they
# reuse each other's text), which an archive keeps once (a revisit record).
STOCK = 3


def content_key(path: str) -> str:
    """What the picture at ``path`` shows: its own, or a stock picture's (the same bytes)."""
    draw = zlib.crc32(path.encode())
    if BODY_IMAGE.match(path) and path != QR_CODE and draw % 10 == 9:
        return f"stock-{draw % STOCK}.jpg"
    return path


def picture(path: str) -> tuple[str, bytes]:
    """(content type, bytes) of a whole picture at ``path``: SIZE pixels in colours drawn from
    what it shows (``content_key``: the same bytes for the same address, every run), JPEG or PNG by
    its suffix."""
    return _picture(content_key(path), path.endswith(".png"))


@functools.lru_cache(maxsize=4096)
def _picture(key: str, png: bool) -> tuple[str, bytes]:
    from PIL import Image, ImageDraw

    seed = zlib.crc32(key.encode())
    colour = (seed & 0xFF, (seed >> 8) & 0xFF, (seed >> 16) & 0xFF)
    width, height = SIZE
    image = Image.new("RGB", SIZE, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 8, height // 6, width * 5 // 8, height * 2 // 3), fill=tuple(255 - c for c in colour))
    draw.ellipse((width // 2, height // 3, width * 7 // 8, height * 5 // 6), fill=(colour[1], colour[2], colour[0]))
    for x in range(0, width, 8):  # (lines, so that a picture is a few KB, as a photo is more than a revisit record)
        draw.line((x, 0, width - x, height), fill=(colour[2], colour[0], colour[1]))
    out = io.BytesIO()
    if png:
        image.save(out, "PNG", optimize=False)
        return "image/png", out.getvalue()
    image.save(out, "JPEG", quality=80)
    return "image/jpeg", out.getvalue()


def route(path: str, faults: bool = False) -> tuple[int, str, bytes] | None:
    """(status, content type, body) of an image address, or None when ``path`` is none."""
    if not is_image_path(path):
        return None
    found = state(path, faults)
    if found == "missing":
        return 404, "text/html", NOT_FOUND
    if found == "html":
        return 200, "text/html; charset=utf-8", GUARD_PAGE
    content_type, body = picture(path)
    if found == "truncated":
        return 200, content_type, body[: len(body) // 2]
    return 200, content_type, body
