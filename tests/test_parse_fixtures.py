"""Every saved page under tests/fixtures/<kind>/<case>/ parses to its expected.json, field by field."""

from __future__ import annotations

import json

import pytest

from xzcrawler.core.pages import parse_page

from .conftest import fixture_cases

CASES = fixture_cases()


def _parse(case):
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    body = (case / "page.html").read_bytes()
    return parse_page(body, meta["url"], meta["fetched_at"], meta.get("header_encoding")), meta


def _field_cases():
    for case in CASES:
        expected = json.loads((case / "expected.json").read_text("utf-8"))
        for name in expected:
            yield pytest.param(case, name, id=f"{case.parent.name}/{case.name}:{name}")


def test_there_are_cases_of_every_kind():
    kinds = {case.parent.name for case in CASES}
    assert {"article", "listing"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_kind(case):
    page, _ = _parse(case)
    assert page.kind == case.parent.name


@pytest.mark.parametrize(("case", "name"), list(_field_cases()))
def test_field(case, name):
    page, _ = _parse(case)
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    if name.startswith("page."):  # what the typed page carries beside the record (records.py)
        found = getattr(page, name.removeprefix("page."))
        assert (list(found) if isinstance(found, tuple) else found) == expected[name]
    else:
        assert page.as_json().get(name) == expected[name]


@pytest.mark.parametrize("case", fixture_cases("article"), ids=lambda c: c.name)
def test_articles_are_schema_valid(case, schema_validator):
    page, _ = _parse(case)
    errors = [e.message for e in schema_validator.iter_errors(page.record)]
    assert errors == []


@pytest.mark.parametrize("case", fixture_cases("article"), ids=lambda c: c.name)
def test_an_article_record_holds_the_schema_fields_and_nothing_else(case):
    """The page → record contract is typed (records.py): the record is exactly the schema's fields;
    what the crawl needs beside it (claimed id, first-choice hits, theme, neighbours) are the
    page's attributes, never ``_`` keys a consumer must know to strip."""
    from xzcrawler.core.validate import schema

    page, _ = _parse(case)
    assert set(page.record) == set(schema()["properties"])
    assert page.theme in ("tpure", "xzcf")  # every saved page is in one of the network's two markups
    assert all(isinstance(link, str) for link in page.neighbours) and isinstance(page.primary, tuple)


def test_a_page_of_no_known_theme_says_so():
    """No silent default theme: a page showing none of the themes' marks is read with every
    theme's selectors and its record says no theme was shown (None), a listing too."""
    from xzcrawler.core.pages import ArticlePage, ListingPage

    url = "http://h/index.php/post/3.html"
    page = parse_page(b"<html><body><h1>T</h1><p>text</p></body></html>", url, "2026-11-27T08:00:00Z")
    assert isinstance(page, ArticlePage) and page.theme is None and page.record["title"] == "T"
    themed = parse_page((CASES[0] / "page.html").read_bytes(), url, "2026-11-27T08:00:00Z")
    assert themed.theme is not None
    listing = parse_page(
        b'<html><body><div><ul><li><a href="/index.php/post/4.html">A</a></li></ul></div></body></html>',
        "http://h/index.php/category-2.html",
        "2026-11-27T08:00:00Z",
    )
    assert isinstance(listing, ListingPage) and listing.theme is None
