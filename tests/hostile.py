"""Small misbehaving servers on loopback for the hostile-server suite (tests/test_hostile.py).

A ``Host`` serves the mirror (a small MirrorSite on the pinned clock) on one loopback address,
except for the paths a test overrides, and records every request. Two hosts on 127.0.0.1 and
127.0.0.2 are two separate hosts: what the crawl of the first asks of the second is visible.
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xzcrawler.mirror import render
from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.server import route
from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW

HTML = "text/html; charset=utf-8"


def listing_html(base: str, items: list[tuple], next_href: str | None = None, last: int | None = None) -> bytes:
    """A category page in the theme's markup: items of (href, title, views[, date text]), an
    optional next link."""
    rows = "\n".join(
        f'<div class="list-item"><h2><a href="{item[0]}">{item[1]}</a></h2><p class="intro">摘要</p>'
        f'<div class="post-meta"><span class="time">{item[3] if len(item) > 3 else "1年前 (2024-09-24)"}</span>'
        f'<span class="view">{item[2]}</span></div></div>'
        for item in items
    )
    bar = ""
    if next_href:
        bar = f'<div class="pagebar"><span class="page now-page">1</span><a href="{next_href}" title="下一页">›</a>'
        if last:
            bar += f'<a href="{base}/index.php/category-9_{last}.html" title="尾页">»</a>'
        bar += "</div>"
    nav = "".join(f'<li><a href="{base}/index.php/category-{c}.html">{n}</a></li>' for c, n in CATEGORIES.items())
    return (
        f'<html><head><title>分类 - 徐州厂房网</title></head><body><ul class="navbar">{nav}</ul>'
        f'<div class="list">{rows}</div>{bar}</body></html>'
    ).encode()


class Host:
    def __init__(self, address: str = "127.0.0.1", site: MirrorSite | None = None, port: int = 0):
        self.site = site or MirrorSite(30, now=NOW)
        self.routes: list[tuple[re.Pattern, object]] = []
        self.requests: list[tuple[str, float, dict]] = []
        self.dead = False
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if host.dead:  # a kept-alive connection of a server that died: closed, no answer
                    self.close_connection = True
                    return
                host.requests.append((self.path, time.monotonic(), dict(self.headers)))
                status, headers, body = host.answer(self)
                self.send_response(status)
                headers = {"Content-Type": HTML, **headers}
                # a Content-Length an answer gives is sent as it is (a lie: "2 GB" and a few bytes)
                length = headers.pop("Content-Length", None) or str(len(body))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client hung up (it would not take that much)
                    self.close_connection = True
                if length != str(len(body)):
                    self.close_connection = True

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, pattern: str, answer) -> Host:
        """Answer paths matching ``pattern`` with ``answer(handler, match) -> (status, headers, body)``."""
        self.routes.insert(0, (re.compile(pattern), answer))
        return self

    def answer(self, handler):
        path = handler.path
        for pattern, answer in self.routes:
            match = pattern.fullmatch(path)
            if match:
                return answer(handler, match)
        status, content_type, body, _ = route(self.site, path, self.base)
        return status, {"Content-Type": content_type}, body

    def category_with(self, category: int, *extra: tuple[str, str, str]) -> Host:
        """Serve page 1 of ``category`` as its real items after the ``extra`` (href, title, views) ones."""
        own = [(f"{self.base}/index.php/post/{a}.html", "t", "1") for a in self.site.by_category[category]]
        return self.on(
            f"/index.php/category-{category}.html", lambda h, m: (200, {}, listing_html(self.base, [*extra, *own]))
        )

    def asked(self, pattern: str = ".*") -> list[str]:
        return [path for path, _, _ in self.requests if re.fullmatch(pattern, path)]

    def article(self, aid: int) -> bytes:
        return render.article_page(self.site, aid, self.base).encode()

    def die(self) -> None:
        """The server process dies: no new connection is accepted (refused), open ones close."""
        self.dead = True
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Host:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
