"""Themes: the markup a site of the network is rendered in, as data (selectors and fallbacks).

A page is read with the theme its markup matches best (``detect``): each theme lists a few
signature expressions, and the theme with the most of them present wins (ties go to the
earlier theme in ``THEMES``). A field is read with the detected theme's selectors first, in
their order of trust, then with every other theme's (``pick``): a page that mixes markups, or a
theme update that renamed one block, still yields what it has. Only the detected theme's first
choice counts as a "primary" hit for the selector-drift guard (``core/health.py``).

Adding a theme is adding a module with one ``Theme`` and naming it in ``THEMES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree


def x(expr: str) -> etree.XPath:
    return etree.XPath(expr)


def has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


@dataclass(frozen=True)
class Theme:
    name: str
    signature: tuple  # expressions whose presence says "this theme"; each counts once
    # article
    breadcrumb: tuple
    post: tuple
    title: tuple
    meta: tuple
    meta_author: etree.XPath  # these four are relative to the meta element
    meta_time: etree.XPath
    meta_category: etree.XPath
    meta_views: etree.XPath
    body: tuple
    promo_classes: frozenset  # blocks kept as promo text (the site's contact block, copyright)
    drop_classes: frozenset  # blocks that are never article text
    promo_outside_body: etree.XPath  # the promo blocks when they sit next to the body
    post_tags: tuple
    related_items: tuple
    neighbours: etree.XPath  # links to the previous and next article (hrefs)
    # listing
    list_items: tuple
    item_link: etree.XPath
    item_excerpt: etree.XPath
    item_time: etree.XPath
    item_views: etree.XPath
    pagebar: tuple
    nav_links: etree.XPath
    not_found: etree.XPath  # the platform's 404 page in this theme

    def score(self, doc) -> int:
        return sum(1 for expr in self.signature if expr(doc))


from . import tpure, xzcf  # noqa: E402  (the modules build Theme instances)

THEMES: tuple[Theme, ...] = (tpure.THEME, xzcf.THEME)
BY_NAME = {theme.name: theme for theme in THEMES}


def detect(doc) -> Theme:
    """The theme whose signature the page shows most (the first theme when none shows any)."""
    best, best_score = THEMES[0], 0
    for theme in THEMES:
        score = theme.score(doc)
        if score > best_score:
            best, best_score = theme, score
    return best


def _order(theme: Theme) -> tuple[Theme, ...]:
    return (theme, *(t for t in THEMES if t is not theme))


def pick(doc, theme: Theme, field: str):
    """(element, primary) of the first match of ``field``'s selectors: the theme's, then the
    other themes'. ``primary`` is True only for the theme's own first choice."""
    for candidate in _order(theme):
        for index, expr in enumerate(getattr(candidate, field)):
            found = expr(doc)
            if found:
                return found[0], (candidate is theme and index == 0)
    return None, False


def pick_all(doc, theme: Theme, field: str) -> list:
    """Every match of the first of ``field``'s selectors (theme's, then others') that finds any."""
    for candidate in _order(theme):
        for expr in getattr(candidate, field):
            found = expr(doc)
            if found:
                return found
    return []


def theme_of(doc, theme: Theme, field: str) -> Theme:
    """The theme whose selectors found ``field`` (so that its sub-selectors read it)."""
    for candidate in _order(theme):
        if any(expr(doc) for expr in getattr(candidate, field)):
            return candidate
    return theme
