"""The selectors' fast path (from the elements that can begin an expression, core/pages/selector.py)
gives what the expression gives over the whole page: the same nodes, once each, in document
order, on every saved page and on pages built to trip it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from xzcrawler.core.pages import load_document
from xzcrawler.core.pages import resources as R
from xzcrawler.core.pages import xpaths as X
from xzcrawler.core.pages.selector import Selector, has_class
from xzcrawler.core.pages.themes import BY_NAME, THEMES

from .conftest import fixture_cases

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "site"


def _selectors():
    """Every selector of the theme tables, of xpaths.py and of resources.py, by name."""
    found = {}
    for theme in THEMES:
        for field in dataclasses.fields(theme):
            value = getattr(theme, field.name)
            for index, sel in enumerate(value if isinstance(value, tuple) else (value,)):
                if isinstance(sel, Selector):
                    found[f"{theme.name}.{field.name}[{index}]"] = sel
    for module, label in ((X, "xpaths"), (R, "resources")):
        for name in dir(module):
            value = getattr(module, name)
            for index, sel in enumerate(value if isinstance(value, tuple) else (value,)):
                if isinstance(sel, Selector):
                    found[f"{label}.{name}[{index}]"] = sel
    return found


SELECTORS = _selectors()


def _pages():
    pages = [case / "page.html" for case in fixture_cases()]
    pages += sorted(SHARED.glob("*.html")) + sorted((SHARED / "tpure").glob("*.html"))
    return pages


def _same(fast, whole) -> bool:
    """The same node list: elements by identity, attribute values by value and owner."""
    if len(fast) != len(whole):
        return False
    for a, b in zip(fast, whole, strict=True):
        if isinstance(b, etree._Element):
            if a is not b:
                return False
        elif a != b or getattr(a, "getparent", lambda: None)() is not getattr(b, "getparent", lambda: None)():
            return False
    return True


def _contexts(doc):
    """The page, and elements inside it (the selectors relative to a block are called on those)."""
    blocks = doc.xpath(
        "//div[@class] | //li | //ul | //span[@class] | //p[@class] | //h2 | //h3 | //blockquote | //head | //body"
    )
    return [doc, *blocks[:: max(1, len(blocks) // 40)]]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_selector_gives_what_a_whole_page_scan_gives(page):
    doc, _ = load_document(page.read_bytes())
    assert doc is not None
    for context in _contexts(doc):
        for name, sel in SELECTORS.items():
            fast, whole = sel(context), sel.whole(context)
            assert _same(fast, whole), f"{name} on {page} at <{context.tag} class={context.get('class')!r}>"


def test_the_themes_main_selectors_take_the_fast_path():
    """What made the parse slow: the whole-page scans of the article's blocks. If has_class or the
    tables change shape so that these no longer start from their class, this fails (the result
    would still be right, only slower)."""
    tpure, xzcf = BY_NAME["tpure"], BY_NAME["xzcf"]
    for sel in (*tpure.title, *tpure.body, *tpure.meta, *tpure.related_items, tpure.neighbours, *xzcf.body):
        assert sel.relative is not None, sel.expr
    for sel in (tpure.item_link, tpure.meta_author, X.PAGEBAR_NEXT):  # relative or unions: as written
        assert sel.relative is None, sel.expr
    # a listing's items (div.post.item) start from div.post, not from every div of the page
    assert tpure.list_items[0].classes == ("post",) and xzcf.list_items[0].classes == ("list-item",)


def test_no_selector_asks_for_the_ids_the_parse_leaves_out():
    """The page is parsed without its table of ids (collect_ids=False): XPath's id() would find
    nothing. A selector that needs it must change the parser first."""
    for name, sel in SELECTORS.items():
        assert "id(" not in sel.expr, name
    doc, _ = load_document(b'<html><body><div id="a"><p>x</p></div></body></html>')
    assert doc.xpath("id('a')") == [] and doc.xpath("//*[@id='a']")  # what id() would get


PAGES = {
    # a post inside a post: the outer one's h1 comes after the inner one's in the page
    "nested": """<html><body><div class="post" id="post-1"><div class="post" id="post-2"><h1>inner</h1></div>
        <h1>outer</h1><div class="single"><p>x</p></div></div></body></html>""",
    # both classes of an "or" on one element, and on two
    "both": """<html><body><a class="single-prev single-next" href="/post/1.html">a</a>
        <a class="single-next" href="/post/2.html">b</a><a class="single-prev" href="/post/3.html">c</a></body></html>""",
    # class lists split by tabs and newlines (XPath's whitespace) and by a no-break space (not XPath's)
    "spaces": """<html><body><div class="x\tpost\nitem"><h1>tabbed</h1></div>
        <div class="post\u00a0single"><h1>nbsp</h1></div><div class="post post"><h1>twice</h1></div></body></html>""",
    # two keyword metas, one in the body
    "metas": """<html><head><meta name="Keywords" content="a,b"></head><body>
        <meta name="keywords" content="c"><h1>t</h1></body></html>""",
    "empty": "<html><body></body></html>",
    # the two classes of an "or" on blocks side by side and one inside another, in turn
    "or-nested": """<html><body><div class="relatelist"><p>1</p></div><div class="relate"><p>2</p>
        <div class="relatelist"><p>3</p></div><p>4</p></div><div class="relatelist"><p>5</p></div>
        <div class="relate"><p>6</p></div></body></html>""",
    "or-side-by-side": """<html><body><div class="relatelist"><p>1</p><p>2</p></div><div class="relate"><p>3</p></div>
        <div class="relatelist"><p>4</p></div><div class="relate relatelist"><p>5</p></div></body></html>""",
}
PROBES = [
    Selector(f"//div[{has_class('post')}]//h1"),
    Selector(f"//div[{has_class('post')}]/h1"),
    Selector(f"//div[{has_class('post')}]/@id"),
    Selector(f"//div[{has_class('post')}][not({has_class('item')})]/h1"),
    Selector(f"//a[{has_class('single-prev')} or {has_class('single-next')}]/@href"),
    Selector(f"//a[{has_class('single-prev')} or {has_class('single-next')}]"),
    Selector("//meta[translate(@name,'KEYWORDS','keywords')='keywords']/@content"),
    Selector("//body//h1"),
    Selector("//head/title"),
    Selector(f"//div[{has_class('relate')} or {has_class('relatelist')}]//p"),
    Selector(f"//div[{has_class('relate')} or {has_class('relatelist')}]/p/text()"),
    Selector(f"//div[{has_class('relate')} or {has_class('relatelist')}]/.."),  # leaves the start: as written
    Selector(f"//div[{has_class('relate')} or {has_class('relatelist')}][not(ancestor::div)]/p"),
    Selector(f"//div[{has_class('relatelist')} and {has_class('relate')}]//p"),
    Selector(f"//div[{has_class('post')} and not({has_class('item')})]//h1"),
    Selector(f"//div[{has_class('relate')} and @id or {has_class('relatelist')}]//p"),
]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_built_to_trip_the_fast_path(name):
    doc, _ = load_document(PAGES[name].encode())
    for context in _contexts(doc) if doc is not None else []:
        for sel in PROBES:
            assert _same(sel(context), sel.whole(context)), (name, sel.expr)
    if name == "nested":
        assert [h.text for h in PROBES[0](doc)] == ["inner", "outer"]
    if name == "both":
        assert list(PROBES[4](doc)) == ["/post/1.html", "/post/2.html", "/post/3.html"]
    if name == "spaces":
        assert [h.text for h in PROBES[0](doc)] == ["tabbed", "twice"]
    if name.startswith("or-"):
        assert [p.text for p in PROBES[9](doc)] == ["1", "2", "3", "4", "5", "6"][: len(PROBES[9](doc))]


def test_finds_from_several_starts_are_put_in_order_without_a_scan():
    """tpure's neighbour links (a.single-prev, a.single-next: both on most articles) and a listing's
    posts took a scan of the page, or an evaluation a start: several starts are one evaluation, in
    the page's order, side by side, nested, listed twice, or with a step up."""
    scans, evaluations = [], []

    class Counted:
        def __init__(self, xpath, calls):
            self.xpath, self.calls = xpath, calls

        def __call__(self, context, **variables):
            self.calls.append(context)
            return self.xpath(context, **variables)

    for name, probe in (
        ("both", 4),
        ("or-side-by-side", 9),
        ("or-side-by-side", 10),
        ("or-nested", 9),
        ("or-side-by-side", 11),
        ("or-nested", 12),
    ):
        sel = Selector(PROBES[probe].expr)
        sel.whole, sel.relative = Counted(sel.whole, scans), Counted(sel.relative, evaluations)
        sel.several = Counted(sel.several, evaluations)
        doc, _ = load_document(PAGES[name].encode())
        assert _same(sel(doc), PROBES[probe].whole(doc)), (name, sel.expr)
        assert not scans and len(evaluations) == 1, (name, sel.expr)
        evaluations.clear()


def test_pages_read_in_turn_are_each_read_from_their_own_index():
    first, _ = load_document(PAGES["nested"].encode())
    second, _ = load_document(PAGES["spaces"].encode())
    sel = PROBES[0]
    for _ in range(2):
        assert [h.text for h in sel(first)] == ["inner", "outer"]
        assert [h.text for h in sel(second)] == ["tabbed", "twice"]


def test_what_cannot_start_from_a_class_is_evaluated_as_written():
    for expr in (
        f"//div[{has_class('post')}][1]/h1",  # counted from its start
        f"//div[{has_class('a')} and @id or @title]",  # "and" binds tighter: @title alone may do
        f"//div[{has_class('a')} and (@id)or(@title)]",
        f"//div[@id and {has_class('a')}]",  # the class test not first
        f"//div[{has_class('a')}] | //h1",
        ".//h1",
    ):
        sel = Selector(expr)
        if "|" in expr or "[1]" in expr or expr.startswith("."):
            assert sel.relative is None, expr
        else:
            assert sel.tag == "div" and sel.classes == (), expr


def test_a_class_test_and_more_starts_from_the_class():
    for expr in (
        f"//div[{has_class('a')} and @id]",
        f"//div[{has_class('a')} and {has_class('b')}]",
        f"//div[{has_class('a')} and @title='x or y' and @order]",  # "or" in a string, in a name
        f"//div[{has_class('a')} and (@id or @title)]",  # an "or" inside parentheses
    ):
        sel = Selector(expr)
        assert sel.tag == "div" and sel.classes == ("a",), expr
