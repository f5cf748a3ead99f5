"""What a page needs to be seen again (issue 31): the theme's stylesheets, scripts, icon and logo
that it links to, the fonts and pictures a stylesheet names, and the listing's and related posts'
thumbnails. Pure: a parsed document (or a stylesheet's text) in, addresses out.

Where they are, on the network's pages (../shared/site/tpure/article-2176.html, category-3.html)
and in the theme's templates (tpure 5.0.2 template/header.php):
- ``<link rel="stylesheet" href=…/zb_users/theme/tpure/style/style.css?v=5.0.2>`` and the share
  plugin's ``share.css``; ``<script src=…/zb_system/script/jquery-2.2.4.min.js>``,
  ``zblogphp.js``, ``…/tpure/script/common.js?v=5.0.2`` (the lazy-load script);
- the logo: ``div.logo > a > img`` (tpure prints two: the night logo first, then the day one);
- the pictures of the site's block around each post (the QR code of div.copynotice) and the
  comment form's avatar (div.cmtimg);
- the icon: ``<link rel="shortcut icon">`` (header.php, when PostFAVICONON);
- in style.css, ``@font-face{src:url('fonts/iconfont.woff2')…}``, relative to the stylesheet;
- thumbnails: tpure's ``div.postimg img`` (listings) and ``div.relateimg img`` (related posts),
  the reconstruction's ``div.thumb img`` and ``a.pic img``; lazy-loaded ones keep the address in
  ``data-original`` (include.php, tpure_LazyLoadReplace), never the placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .selector import Selector as _x
from .selector import has_class as _has_class

# The selectors (data, as in xpaths.py). Each begins at a tag or a class, so that it runs from the
# page's index (selector.py), not over the whole page as a union of paths would (a third of a
# page's parse, measured on the real pages).
STYLESHEETS = _x("//link[@href and contains(translate(@rel, 'STYLESHEET', 'stylesheet'), 'stylesheet')]/@href")
ICONS = _x("//link[@href and contains(translate(@rel, 'ICON', 'icon'), 'icon')]/@href")
SCRIPTS = _x("//script[@src]/@src")
LOGOS = _x(f"//div[{_has_class('logo')}]//img")
# the pictures of the site's own block around a post (the QR code every xuzhou page shows: tpure's
# div.copynotice, the reconstruction's div.post-wechat / div.post-copyright) and of the comment
# form (tpure's div.cmtimg: the visitor's avatar), which are no post's photos
FURNITURE = _x(
    f"//div[{_has_class('copynotice')} or {_has_class('post-wechat')} or {_has_class('post-copyright')}"
    f" or {_has_class('cmtimg')}]//img"
)
# tpure's listing (div.postimg) and related (div.relateimg) thumbnails, the reconstruction's
# (div.thumb, a.pic)
THUMBNAILS = (
    _x(f"//div[{_has_class('postimg')} or {_has_class('relateimg')} or {_has_class('thumb')}]//img"),
    _x(f"//a[{_has_class('pic')}]//img"),
)
# tpure's placeholder (include.php): what a lazy-loaded image shows until its script runs
_PLACEHOLDER = re.compile(r"/style/images/lazyload\.(?:png|gif|jpg|svg)(?:$|\?)")

# A page names a handful; a stylesheet a few fonts and pictures. More is no theme: the rest is
# left (each page is bounded, and the crawl bounds a site's resources again, XZ_MAX_RESOURCES).
MAX_PER_PAGE = 64
MAX_STYLESHEET_CHARS = 2_000_000

# What each address is, by its path's end (the query, ``?v=5.0.2``, is no part of it).
KINDS = (
    ((".css",), "style"),
    ((".js", ".mjs"), "script"),
    ((".woff2", ".woff", ".ttf", ".otf", ".eot"), "font"),
    ((".svg",), "vector"),
    ((".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".ico"), "picture"),
)
# the suffixes of what is captured as a page resource (not a picture: pictures are photos' kin)
ASSET_SUFFIXES = tuple(s for suffixes, kind in KINDS if kind != "picture" for s in suffixes)

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


@dataclass(frozen=True)
class Resources:
    """A page's resources: ``assets`` as (address, kind) in page order, each once (kind: style,
    script, font, vector, picture, logo, icon); ``thumbnails`` the listing's and related posts'
    pictures."""

    assets: tuple[tuple[str, str], ...] = ()
    thumbnails: tuple[str, ...] = ()


NONE = Resources()


def kind_of(url: str) -> str | None:
    """style, script, font, vector or picture, by the address's path; None: none of these."""
    path = urlsplit(url).path.lower()
    for suffixes, kind in KINDS:
        if path.endswith(suffixes):
            return kind
    return None


def _absolute(base: str, address: str | None) -> str | None:
    address = (address or "").strip()
    if not address or address.startswith(("data:", "javascript:", "#", "about:")):
        return None
    found = urljoin(base, address).split("#", 1)[0]
    return found if found.startswith(("http://", "https://")) else None


def _image_address(img) -> str | None:
    src = img.get("data-original") or img.get("data-src") or img.get("src")
    if src and _PLACEHOLDER.search(src) and not img.get("data-original"):
        return None
    return src


def page_resources(doc, url: str) -> Resources:
    """The resources a parsed page links to (addresses made absolute against ``url``)."""
    if doc is None:
        return NONE
    assets: dict[str, str] = {}

    def add(address: str | None, kind: str | None) -> None:
        found = _absolute(url, address)
        if found and kind and found not in assets and len(assets) < MAX_PER_PAGE:
            assets[found] = kind

    for href in STYLESHEETS(doc):
        add(href, "style")
    for src in SCRIPTS(doc):
        add(src, "script")
    for href in ICONS(doc):
        add(href, "icon")
    for img in LOGOS(doc):
        add(img.get("src"), "logo")
    for img in FURNITURE(doc):
        add(_image_address(img), "picture")
    # (tpure's lazy-load placeholder, which a lazy-loaded picture shows until the script runs, is
    # not captured: no placeholder is ever stored as a picture of the archive; a replay runs the
    # captured script, which puts the photo in its place)
    thumbnails: list[str] = []
    for img in (found for selector in THUMBNAILS for found in selector(doc)):
        found = _absolute(url, _image_address(img))
        if found and found not in thumbnails and len(thumbnails) < MAX_PER_PAGE:
            thumbnails.append(found)
    return Resources(tuple(assets.items()), tuple(thumbnails))


def stylesheet_resources(text: str, url: str) -> tuple[tuple[str, str], ...]:
    """What a stylesheet names: fonts, pictures and imported stylesheets, made absolute against
    the stylesheet's own address (``fonts/iconfont.woff2`` in tpure's style.css), each once;
    ``data:`` addresses are inside the stylesheet already."""
    found: dict[str, str] = {}
    for match in _CSS_URL.finditer(_CSS_COMMENT.sub("", text[:MAX_STYLESHEET_CHARS])):
        address = _absolute(url, match.group(2) or match.group(4))
        if address is None or address in found:
            continue
        kind = "style" if match.group(4) else kind_of(address)
        if kind is not None:
            found[address] = kind
        if len(found) >= MAX_PER_PAGE:
            break
    return tuple(found.items())
