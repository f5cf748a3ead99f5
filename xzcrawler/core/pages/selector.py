"""Selectors: the XPath expressions of the theme tables and ``xpaths.py``, evaluated from where
they can start rather than over the whole page, to the same result.

On this project's machine one scan of a page (``//div[...]``, about 600 nodes) costs about 75 µs
in libxml2 whatever the predicate, and an article page took some fifteen: half of its parse.
Nearly every expression begins at a class or a tag (``//div[has_class('post')]…``, ``//meta[…]``).
A page is therefore indexed once, in one pass (``PageIndex``: its elements by class name and by
tag), and such an expression is evaluated only from the elements that can begin it, as
``self::div[…]…``: the same nodes, in document order, without the scan (when two starts both
find something, the expression is run as written, which orders them). An expression of another
shape (a union, a relative path, a class test in another form) is evaluated as written.
``tests/test_selector.py`` holds the two ways equal on every saved page.
"""

from __future__ import annotations

import re
import threading

from lxml import etree


def has_class(name: str) -> str:
    """The element's class list holds ``name``. The plain substring test first: libxml2 stops
    there for most elements, before building the padded class string (a third of a tpure
    article's parse went to that string)."""
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


_TAG = re.compile(r"^//([a-z][a-z0-9]*)(?=\[|/|$)")
_POSITIONAL = re.compile(r"\[\s*\d|position\(|last\(")  # a step counted from its start: evaluated as written
_CLASS_NAMES = re.compile(r"contains\(@class, '([^']+)'\) and ")


class PageIndex:
    """One page's elements by class name and by tag, each list in document order (one pass)."""

    __slots__ = ("root", "by_class", "by_tag")

    def __init__(self, root):
        self.root = root
        by_class: dict[str, list] = {}
        by_tag: dict[str, list] = {}
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):  # comments, processing instructions, entities
                continue
            found = by_tag.get(tag)
            if found is None:
                by_tag[tag] = [el]
            else:
                found.append(el)
            names = el.get("class")
            if names:
                # (str.split cuts at every XML whitespace and more: a name the XPath finds is a
                # token here too; an extra candidate is only tested and dropped)
                for name in set(names.split()):
                    found = by_class.get(name)
                    if found is None:
                        by_class[name] = [el]
                    else:
                        found.append(el)
        self.by_class, self.by_tag = by_class, by_tag


_last = threading.local()  # the index of the page read last (lxml trees are not shared across threads)


def page_index(context) -> PageIndex:
    """The index of the page ``context`` belongs to (built once per page; the parsers only read a
    page, never change it, so the index stays true while it is read)."""
    index = getattr(_last, "index", None)
    if index is not None and context is index.root:
        return index
    root = context.getroottree().getroot()
    if index is None or index.root is not root:
        index = _last.index = PageIndex(root)
    return index


class Selector:
    """An XPath expression, called like ``etree.XPath`` (``sel(context) -> list``); ``whole`` is the
    expression as written, over the whole page (what the fast path is tested against)."""

    __slots__ = ("expr", "whole", "starts", "by", "relative")

    def __init__(self, expr: str):
        self.expr = expr
        self.whole = etree.XPath(expr)
        self.starts, self.by, self.relative = _starts(expr)

    def __repr__(self) -> str:
        return f"Selector({self.expr!r})"

    def __call__(self, context) -> list:
        if self.relative is None or not isinstance(context, etree._Element):
            return self.whole(context)
        index = page_index(context)
        table = index.by_class if self.by == "class" else index.by_tag
        candidates = [el for name in self.starts for el in table.get(name, ())]
        found = None
        for el in candidates:
            got = self.relative(el)
            if got:
                if found is not None:  # from two starts: their order is the page's, which a scan gives
                    return self.whole(context)
                found = got
        return found or []


def _starts(expr: str):
    """(names, "class" | "tag", the expression from one of them) when ``expr`` is one path
    beginning ``//tag[has_class(a)]``, ``//tag[has_class(a) or has_class(b)…]`` or ``//tag``;
    (None, None, None) otherwise."""
    if "|" in expr or _POSITIONAL.search(expr):
        return None, None, None
    tag = _TAG.match(expr)
    if tag is None:
        return None, None, None
    relative = etree.XPath("self::" + expr[2:])
    rest = expr[tag.end() :]
    names = _CLASS_NAMES.findall(rest.split("]", 1)[0]) if rest.startswith("[") else []
    if names:
        test = " or ".join(has_class(name) for name in names)
        if rest.startswith(f"[{test}]"):
            return tuple(names), "class", relative
    return (tag.group(1),), "tag", relative
