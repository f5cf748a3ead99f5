"""Selectors: the XPath expressions of the theme tables and ``xpaths.py``, evaluated from where
they can start rather than over the whole page, to the same result.

On this project's machine one scan of a page (``//div[...]``, about 600 nodes) costs about 75 µs
in libxml2 whatever the predicate, and an article page took some fifteen: half of its parse.
Nearly every expression begins at a class or a tag (``//div[has_class('post')]…``, ``//meta[…]``).
A page is therefore indexed (``PageIndex``: its elements by tag, and by class name within a tag,
each table made when first needed), and such an expression is evaluated only from the elements
that can begin it, as ``self::div[…]…``: the same nodes, in document order, without the scan.
Several starts are given to one evaluation, as the variable ``$starts/self::div[…]…``: a location
path's nodes come in the page's order, each once, as the scan gives them, however the starts lie.
An expression of another shape (a union, a relative path, a positional step, a class test in
another form) is evaluated as written.
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


def _compile(expr: str) -> etree.XPath:
    """An expression compiled as the selectors run it: found strings as plain ``str`` (no link back
    to the tree), and without EXSLT's regular expressions, which lxml would otherwise register in
    every evaluation's context (a fifth of a small evaluation's cost; a selector could not use them
    anyway: their ``re:`` prefix needs a namespace map, and selectors have none)."""
    return etree.XPath(expr, smart_strings=False, regexp=False)


class PageIndex:
    """One page's elements by tag, and by class name within a tag, each list in document order.
    A table is made when first asked for (``root.iter(tag)`` filters in libxml2's walk, so only
    that tag's elements become Python objects: a tpure page has ~180 elements, the selectors
    start from a handful of tags)."""

    __slots__ = ("root", "_tags", "_classes", "found")

    def __init__(self, root):
        self.root = root
        self._tags: dict[str, list] = {}
        self._classes: dict[str, dict[str, list]] = {}
        # what each ``//`` selector found (wherever in the page it is called from, the whole page is
        # what it searches): classify and the listing parser both ask for a listing's items
        self.found: dict[Selector, list] = {}

    def tag(self, tag: str) -> list:
        """The elements named ``tag``."""
        found = self._tags.get(tag)
        if found is None:
            found = self._tags[tag] = list(self.root.iter(tag))
        return found

    def classes(self, tag: str) -> dict[str, list]:
        """The elements named ``tag`` by each name of their class lists (str.split cuts at every
        XML whitespace and more: a name the XPath finds is a token here too; an extra candidate
        is only tested and dropped)."""
        table = self._classes.get(tag)
        if table is None:
            table = self._classes[tag] = {}
            for el in self.tag(tag):
                names = el.get("class")
                if names:
                    for each in names.split():
                        found = table.get(each)
                        if found is None:
                            table[each] = [el]
                        elif found[-1] is not el:  # (a name twice in one list)
                            found.append(el)
        return table


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

    __slots__ = ("expr", "whole", "tag", "classes", "relative", "several")

    def __init__(self, expr: str):
        self.expr = expr
        self.whole = _compile(expr)
        self.tag, self.classes, self.relative = _starts(expr)
        # from several starts at once, given as the variable $starts
        self.several = _compile("$starts/self::" + expr[2:]) if self.relative is not None else None

    def __repr__(self) -> str:
        return f"Selector({self.expr!r})"

    def __call__(self, context) -> list:
        if self.relative is None or not isinstance(context, etree._Element):
            return self.whole(context)
        index = page_index(context)
        found = index.found.get(self)
        if found is None:
            found = index.found[self] = self._from_starts(index, context)
        return list(found)  # (a caller may change its list; the page's stays as found)

    def _from_starts(self, index: PageIndex, context) -> list:
        if self.classes:
            candidates = [el for name in self.classes for el in index.classes(self.tag).get(name, ())]
        else:
            candidates = index.tag(self.tag)
        if len(candidates) == 1:
            return self.relative(candidates[0])
        # from several: one evaluation over them all (an XPath location path gives its nodes in the
        # page's order, each once, as the scan does, however the starts lie: side by side, one
        # inside another, listed twice), not one a start (a listing's eleven posts made eleven)
        return self.several(context, starts=candidates) if candidates else []


def _starts(expr: str):
    """(tag, class names or (), the expression from one element) when ``expr`` is one path
    beginning ``//tag[has_class(a)]``, ``//tag[has_class(a) or has_class(b)…]``,
    ``//tag[has_class(a) and …]`` (with no ``or`` outside parentheses: ``and`` binds tighter) or
    ``//tag``; (None, None, None) otherwise."""
    if "|" in expr or _POSITIONAL.search(expr):
        return None, None, None
    tag = _TAG.match(expr)
    if tag is None:
        return None, None, None
    relative = _compile("self::" + expr[2:])
    rest = expr[tag.end() :]
    names = _CLASS_NAMES.findall(rest.split("]", 1)[0]) if rest.startswith("[") else []
    if names:
        test = " or ".join(has_class(name) for name in names)
        if rest.startswith(f"[{test}]"):
            return tag.group(1), tuple(names), relative
        if rest.startswith(f"[{has_class(names[0])} and ") and not _or_outside_parentheses(rest):
            return tag.group(1), (names[0],), relative
    return tag.group(1), (), relative


def _or_outside_parentheses(rest: str) -> bool:
    """Whether the predicate ``rest`` begins with may hold an ``or`` at its own level (any ``or``
    not inside a name or a string counts: a false alarm only keeps the start from the tag)."""
    depth, quote = 0, None
    for at, char in enumerate(rest):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return False  # the end of the predicate
        elif depth == 1 and rest.startswith("or", at) and not (_in_name(rest, at - 1) or _in_name(rest, at + 2)):
            return True
    return True  # (unbalanced: no claim)


def _in_name(text: str, at: int) -> bool:
    return 0 <= at < len(text) and (text[at].isalnum() or text[at] in "-_.:")
