"""The theme's files a page needs to be seen again (issue 31, item 2): which of a page's resources
a crawl captures, and what a fetched one is. Pure: no network, no database.

A page names its stylesheets, scripts, icon and logo (``pages.resources.page_resources``); a
stylesheet its fonts and pictures (``stylesheet_resources``). Pictures (the logo, the icon, a
stylesheet's background) are captured as photos are (``core.images``: decoded whole, in
``image_captures``); stylesheets, scripts and fonts are captured here (``asset_captures``).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from . import normalize as nz
from .images import fetched_badly, payload_digest
from .pages.resources import ASSET_SUFFIXES, kind_of

# What each content type a resource may come as is (nginx's mime.types, which the network's
# server, ``Server: nginx``, answers static files with; the older names browsers still accept).
TYPES = (
    (("text/css",), "style"),
    (("application/javascript", "text/javascript", "application/x-javascript", "application/ecmascript"), "script"),
    (("font/", "application/font-", "application/x-font-", "application/vnd.ms-fontobject"), "font"),
    (("image/svg+xml",), "vector"),
)
# what the address's end names as a resource of these kinds (a re-extraction's only clue when
# an error page came instead)
SUFFIXES = ASSET_SUFFIXES
# the kinds captured as pictures (core.images), whatever led to them
PICTURES = ("picture", "logo", "icon")


class InspectedAsset(NamedTuple):
    ok: bool
    kind: str | None  # style | script | font | vector
    content_type: str | None
    length: int
    digest: str | None
    reason: str | None  # of a failure: "HTTP 404", "not a style: text/html", "empty"


def kind_of_type(content_type: str | None) -> str | None:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    for prefixes, name in TYPES:
        if kind.startswith(prefixes):
            return name
    return None


def is_asset(url: str, content_type: str | None) -> bool:
    """Whether a capture is a page resource of these kinds (by its type, else its address)."""
    return kind_of_type(content_type) is not None or urlsplit(url).path.lower().endswith(SUFFIXES)


def to_capture(assets, site: str, hosts: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The (address, kind) of a page's resources to capture, each once: http(s), of the page's own
    site or of a host in ``hosts`` (XZ_IMAGE_HOSTS: where a site keeps its files elsewhere)."""
    found: dict[str, str] = {}
    for url, kind in assets or ():
        if url.startswith(("http://", "https://")) and nz.site_of(url) in (site, *hosts):
            found.setdefault(url, kind)
    return list(found.items())


def inspect(url: str, status: int | None, content_type: str | None, body: bytes | None) -> InspectedAsset:
    """What a response at a resource's address is: the resource when the status is 2xx, the body
    not empty and its type one of a resource (or none said, and the address names one); an HTML
    page where a stylesheet was asked for (a soft 404, a hotlink guard) is recorded as what it is."""
    body = body or b""
    declared = (content_type or "").split(";", 1)[0].strip().lower() or None
    digest = payload_digest(body) if body else None
    named = kind_of(url)
    named = named if named in ("style", "script", "font", "vector") else None
    # a server that knows no type for a font says octet-stream or text/plain (PHP's built-in
    # server, an nginx without the font types): what the address names it is, unless it is a page
    kind = kind_of_type(declared) or (named if declared not in ("text/html", "application/xhtml+xml") else None)

    def failed(reason: str) -> InspectedAsset:
        return InspectedAsset(False, kind or named, declared, len(body), digest, reason)

    bad = fetched_badly(status, body)
    if bad:
        return failed(bad)
    if kind is None:
        return failed(f"not a {named or 'page resource'}: {declared}")
    if kind != "font" and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return failed(f"not a {kind}: an HTML page")
    return InspectedAsset(True, kind, declared, len(body), digest, None)
