"""Themes: the markup a site of the network is rendered in, as data (selectors and fallbacks).

A page is read with the theme its markup matches best (``detect``): each theme lists a few
signature marks (class names of its blocks, the ids of its navigation, its asset folder), read from
the page's index, and the theme with the most of them present wins (ties go to the
earlier theme in ``THEMES``). A field is read with the detected theme's selectors first, in
their order of trust, then with every other theme's (``pick``): a page that mixes markups, or a
theme update that renamed one block, still yields what it has. Only the detected theme's first
choice counts as a "primary" hit for the selector-drift guard (``core/health.py``).

Adding a theme is adding a module with one ``Theme`` and naming it in ``THEMES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..selector import Selector, page_index


def x(expr: str) -> Selector:
    """A selector of a theme table (an XPath expression; see ``selector.py`` for how it is run)."""
    return Selector(expr)


@dataclass(frozen=True)
class Signature:
    """What says "this theme": each group of class names (of div/ul/blockquote blocks) present
    counts one, any id with one of ``id_prefixes`` (li, the navigation) one, any stylesheet or
    script under one of ``assets`` one."""

    classes: tuple[frozenset, ...]
    id_prefixes: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Marks:
    """The page's side of the comparison, read from the page's index (``selector.PageIndex``, which
    the selectors use too)."""

    classes: frozenset
    ids: tuple
    assets: tuple

    @classmethod
    def of(cls, doc) -> Marks:
        classes, ids, assets = set(), [], []
        if doc is not None:
            index = page_index(doc)
            for tag in ("div", "ul", "blockquote"):
                classes.update(index.classes(tag))
            ids = [ident for el in index.tag("li") if (ident := el.get("id"))]
            assets = [
                address
                for tag in ("link", "script")
                for el in index.tag(tag)
                if (address := el.get("href") or el.get("src"))
            ]
        return cls(frozenset(classes), tuple(ids), tuple(assets))


@dataclass(frozen=True)
class Theme:
    name: str
    signature: Signature
    # article
    breadcrumb: tuple
    post: tuple
    title: tuple
    meta: tuple
    meta_author: Selector  # these four are relative to the meta element
    meta_time: Selector
    meta_category: Selector
    meta_views: Selector
    body: tuple
    promo_classes: frozenset  # blocks kept as promo text (the site's contact block, copyright)
    drop_classes: frozenset  # blocks that are never article text
    promo_outside_body: Selector  # the promo blocks when they sit next to the body
    post_tags: tuple
    related_items: tuple
    neighbours: Selector  # links to the previous and next article (hrefs)
    # listing
    list_items: tuple
    item_link: Selector
    item_excerpt: Selector
    item_time: Selector
    item_views: Selector
    pagebar: tuple
    nav_links: Selector
    not_found: Selector  # the platform's 404 page in this theme

    def score(self, marks: Marks) -> int:
        sig = self.signature
        score = sum(1 for group in sig.classes if group & marks.classes)
        score += any(ident.startswith(sig.id_prefixes) for ident in marks.ids) if sig.id_prefixes else 0
        score += any(folder in address for address in marks.assets for folder in sig.assets)
        return score


from . import tpure, xzcf  # noqa: E402  (the modules build Theme instances)

THEMES: tuple[Theme, ...] = (tpure.THEME, xzcf.THEME)
BY_NAME = {theme.name: theme for theme in THEMES}


def detect(doc) -> Theme | None:
    """The theme whose signature the page shows most; None when it shows none (the caller reads it
    with every theme's selectors, ``reading_order``)."""
    best, best_score = None, 0
    marks = Marks.of(doc)
    for theme in THEMES:
        score = theme.score(marks)
        if score > best_score:
            best, best_score = theme, score
    return best


def reading(shown: Theme | None) -> Theme:
    """The theme a page is read in: the one it shows, else the first of THEMES (whose selectors
    ``pick`` tries first, then every other theme's: a page of no known theme still yields what
    any theme's selectors find; the record says no theme was shown)."""
    return shown if shown is not None else THEMES[0]


def _order(theme: Theme) -> tuple[Theme, ...]:
    return (theme, *(t for t in THEMES if t is not theme))


def pick(doc, theme: Theme, field: str) -> tuple:
    """(element, primary, by) of the first match of ``field``'s selectors: the theme's, then the
    other themes'. ``primary`` is True only for the theme's own first choice; ``by`` is the theme
    whose selector found it (whose sub-selectors read it), ``theme`` when none did."""
    for candidate in _order(theme):
        for index, expr in enumerate(getattr(candidate, field)):
            found = expr(doc)
            if found:
                return found[0], (candidate is theme and index == 0), candidate
    return None, False, theme


def pick_all(doc, theme: Theme, field: str) -> tuple[list, Theme]:
    """(every match of the first of ``field``'s selectors that finds any, the theme it is of):
    the theme's selectors first, then the other themes'."""
    for candidate in _order(theme):
        for expr in getattr(candidate, field):
            found = expr(doc)
            if found:
                return found, candidate
    return [], theme
