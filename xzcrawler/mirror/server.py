"""A real HTTP server for the mirror (loopback by default), with correct HTTP:
Content-Type with charset, Content-Length, Last-Modified, ETag and 304 on
conditional requests, gzip when the client asks for it."""

from __future__ import annotations

import email.utils
import gzip
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import images, render, theme_files, tpure
from .site import MirrorSite

logger = logging.getLogger(__name__)

POST = re.compile(r"^/index\.php/post/(\d+)\.html$")
CATEGORY = re.compile(r"^/index\.php/category-(\d+)(?:_(\d+))?\.html$")
TAGS_OR_AUTHOR = re.compile(r"^/index\.php/(tags|author)-(\d+)(?:_(\d+))?\.html$")
HTML = "text/html; charset=utf-8"
SERVER_ERROR = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def route(site: MirrorSite, path: str, base: str) -> tuple[int, str, bytes, float | None]:
    """(status, content type, body, last-modified timestamp or None) for a path. A tpure site
    answers as Z-BlogPHP does: its PHP pages carry no validators (the platform's Http304 in
    c_system_common.php serves only its static files), so ``None`` there means "no ETag either"."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    image = images.route(bare, site.photo_faults) or theme_files.route(bare)
    if image is not None:  # a static file of the web server, whatever the theme
        return (*image, site.epoch.timestamp() if image[0] == 200 else None)
    if site.profile.theme == "tpure":
        return _route_tpure(site, path, base)
    path = path.split("?", 1)[0].split("#", 1)[0]
    if path == "/robots.txt":
        return 200, "text/plain; charset=utf-8", render.ROBOTS_TXT.encode(), None
    if path in ("/", "/index.php"):
        return 200, HTML, render.home_page(site, base).encode(), site.now.timestamp()
    match = POST.match(path)
    if match and int(match.group(1)) in site.failing:
        return 500, HTML, SERVER_ERROR, None
    if match and int(match.group(1)) in site.gone:
        return 200, HTML, render.not_found_page(base, site).encode(), None  # a soft 404
    if match and site.exists(int(match.group(1))):
        aid = int(match.group(1))
        site.visit(aid)
        modified = site.published(aid).timestamp() if not site.is_seed(aid) else None
        return 200, HTML, render.article_page(site, aid, base).encode(), modified
    match = CATEGORY.match(path)
    if match:
        page = render.category_page(site, int(match.group(1)), int(match.group(2) or 1), base)
        if page is not None:
            return 200, HTML, page.encode(), site.now.timestamp()
    return 404, HTML, render.not_found_page(base, site).encode(), None


def _route_tpure(site: MirrorSite, target: str, base: str) -> tuple[int, str, bytes, None]:
    path, _, query = target.split("#", 1)[0].partition("?")
    # Z-BlogPHP ships no robots.txt: /robots.txt is a path like any other, and gets the theme's
    # 404 page with status 404 (seen on Z-BlogPHP 1.7.3 + tpure 5.0.2, docs/platform.md)
    if path in ("/", "/index.php"):
        return 200, HTML, tpure.home_page(site, base).encode(), None
    if path == "/feed.php":
        cate = re.search(r"(?:^|&)cate=(\d+)", query)
        body = tpure.feed(site, base, int(cate.group(1)) if cate else None)
        if body is not None:
            return 200, "application/rss+xml; charset=utf-8", body.encode(), None
    match = POST.match(path)
    if match and int(match.group(1)) in site.failing:
        return 500, HTML, SERVER_ERROR, None
    if match and site.exists(int(match.group(1))) and int(match.group(1)) not in site.gone:
        aid = int(match.group(1))
        views, render_number = site.visit(aid)  # the view is added before the page is rendered
        page = tpure.article_page(site, aid, base, base.rstrip("/") + target, views, render_number)
        return 200, HTML, page.encode(), None
    match = CATEGORY.match(path)
    if match:
        page = tpure.category_page(site, int(match.group(1)), int(match.group(2) or 1), base)
        if page is not None:
            return 200, HTML, page.encode(), None
    match = TAGS_OR_AUTHOR.match(path)
    if match:
        page = tpure.simple_listing(site, match.group(1), int(match.group(2)), int(match.group(3) or 1), base)
        if page is not None:
            return 200, HTML, page.encode(), None
    # a missing or unpublished post, any unknown address: HTTP 404 with the theme's 404.php
    return 404, HTML, tpure.not_found_page(site, base).encode(), None


class MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"  # what the network's sites answer with
    sys_version = ""
    site: MirrorSite  # set on the subclass made by make_server
    delay: float = 0.0  # seconds before each answer, to imitate a far server

    def log_message(self, format, *args):  # noqa: A002  (signature of the base class)
        logger.debug("%s " + format, self.address_string(), *args)

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        if self.delay:
            time.sleep(self.delay)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        base = f"http://{host}"
        status, content_type, body, modified = route(self.site, self.path, base)
        # Z-BlogPHP's pages: no ETag, no Last-Modified (its static files are the web server's: they have them)
        bare = self.path.split("?", 1)[0]
        static = images.is_image_path(bare) or theme_files.is_theme_file(bare)
        dynamic = self.site.profile.theme == "tpure" and not static
        etag = None if dynamic else self.site.etag_for(body)
        last_modified = email.utils.formatdate(modified, usegmt=True) if modified else None
        if status == 200 and etag is not None and self._not_modified(etag, modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            if last_modified:
                self.send_header("Last-Modified", last_modified)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        encoding = None
        compressible = not content_type.startswith(("image/", "font/"))  # (nginx's gzip_types: text, not pictures)
        if compressible and "gzip" in (self.headers.get("Accept-Encoding") or "") and len(body) > 256:
            body, encoding = gzip.compress(body, compresslevel=5, mtime=0), "gzip"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag is not None:
            self.send_header("ETag", etag)
        self.send_header("Vary", "Accept-Encoding")
        if last_modified:
            self.send_header("Last-Modified", last_modified)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_modified(self, etag: str, modified: float | None) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since and modified is not None:
            try:
                return int(modified) <= email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(site: MirrorSite, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> MirrorServer:
    handler = type("BoundMirrorHandler", (MirrorHandler,), {"site": site, "delay": delay})
    return MirrorServer((host, port), handler)


def serve_in_thread(
    site: MirrorSite, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0
) -> tuple[MirrorServer, str]:
    """Start the mirror in a background thread; returns (server, base URL). For tests and tools."""
    server = make_server(site, host, port, delay)
    thread = threading.Thread(target=server.serve_forever, name="xz-mirror", daemon=True)
    thread.start()
    return server, "http://{}:{}/".format(*server.server_address[:2])
