"""Property-based: the parser never raises, on arbitrary bytes or on mutated real pages,
and whatever it calls an article satisfies the record contract.

The default run tries a few hundred examples; `make test-slow` runs >= 10,000."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xzcrawler.core.pages import article, load_document, parse_page
from xzcrawler.core.pages.common import element_text

from .conftest import FIXTURES

PAGES = [p.read_bytes() for p in sorted(FIXTURES.glob("*/*/page.html"))]
URLS = st.sampled_from(
    [
        "http://xuzhou.021cf.cn/index.php/post/2176.html",
        "http://xuzhou.021cf.cn/index.php/category-3_2.html",
        "http://jiashan.021cf.cn/",
        "not a url",
        "",
    ]
)
FETCHED = st.sampled_from(["2025-11-27T10:00:00+08:00", "2026-01-01T00:00:00Z", None])
SNIPPETS = st.sampled_from(
    [
        b"<p>",
        b"</div>",
        b"<br/>",
        b"\xe3\x80\x80",
        b"\xff\xfe",
        b"<!--",
        b"<script>",
        b"1\xe5\xb9\xb4\xe5\x89\x8d (2024-13-45)",
        b"8\xe4\xb8\xaa\xe6\x9c\x88\xe5\x89\x8d (02-30)",
        b'<meta charset="gbk">',
        b'<div class="post-body">',
        b"<h1>",
        b"&#0;",
        b"\x00",
        b"\xb9\xfa",
        b"<img src=javascript:x>",
        b"<a href='http://[::1'>x</a>",
        b"99999999999\xe4\xb8\x87",
    ]
)


@st.composite
def mutated_pages(draw):
    body = bytearray(draw(st.sampled_from(PAGES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["cut", "delete", "insert", "duplicate", "flip"]))
        at = draw(st.integers(0, len(body)))
        if op == "cut":
            del body[at:]
        elif op == "delete":
            del body[at : at + draw(st.integers(1, 400))]
        elif op == "insert":
            body[at:at] = draw(st.one_of(SNIPPETS, st.binary(max_size=40)))
        elif op == "duplicate":
            body[at:at] = body[at : at + draw(st.integers(1, 300))]
        elif body:
            body[min(at, len(body) - 1)] ^= draw(st.integers(1, 255))
    return bytes(body)


INPUTS = st.one_of(st.binary(max_size=2000), mutated_pages())


def check(body: bytes, url: str, fetched_at, validator) -> None:
    page = parse_page(body, url, fetched_at)
    assert page.kind in ("article", "listing", "other"), getattr(page, "reason", None)
    if page.kind == "article":
        errors = [e.message for e in validator.iter_errors(page.record)]
        assert errors == [], errors


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=INPUTS, url=URLS, fetched_at=FETCHED)
def test_never_raises_quick(body, url, fetched_at, schema_validator):
    check(body, url, fetched_at, schema_validator)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=INPUTS, url=URLS, fetched_at=FETCHED)
def test_never_raises_10000(body, url, fetched_at, schema_validator):
    check(body, url, fetched_at, schema_validator)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=INPUTS)
def test_an_elements_text_is_what_itertext_joins(body):
    """element_text takes the subtree's text from libxml2 in one piece (with no tail): on mutated
    pages and arbitrary bytes (broken UTF-8, NULs, entities, scripts, cut tags) it is, element by
    element, the string lxml's itertext() gives piece by piece."""
    doc, _ = load_document(body)
    if doc is None:
        return
    for el in doc.iter():
        assert element_text(el) == "".join(el.itertext()), el.tag


@pytest.mark.parametrize("page", PAGES[:: max(1, len(PAGES) // 40)], ids=lambda b: f"{len(b)}B")
def test_an_elements_text_on_saved_pages(page):
    doc, _ = load_document(page)
    for el in doc.iter():
        assert element_text(el) == "".join(el.itertext()), el.tag


def _reference_document(body: bytes):
    """What load_document parsed before it passed the bytes as sent: the decoded text, cleaned,
    encoded again."""
    import re

    from lxml import etree

    from xzcrawler.core.pages import _parser, decode_html

    text, _ = decode_html(body)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1, flags=re.I).replace("\x00", "")
    if not text or text.isspace():
        return None
    return etree.fromstring(text.encode("utf-8", "surrogatepass"), _parser())


def _same_tree(body: bytes) -> None:
    from lxml import etree

    doc, reference = load_document(body)[0], _reference_document(body)
    assert (doc is None) == (reference is None)
    if doc is not None:
        assert etree.tostring(doc, encoding="unicode") == etree.tostring(reference, encoding="unicode")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=INPUTS)
def test_the_bytes_as_sent_parse_as_their_decoded_text(body):
    _same_tree(body)


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><p>徐州厂房</p></body></html>\n".encode(),
        b"\xef\xbb\xbf<html><body><p>\xe5\xbe\x90</p></body></html>",  # byte-order mark
        "<html><body><p>徐州厂房</p></body></html>".encode()[:-1],  # cut short, not in a character
        "<html><body><p>徐州".encode()[:-1],  # cut inside a character
        b"<html><body><p>\xe5\xbe\x90\xff</p></body></html>",  # a stray bad byte
        "<html><body><p>\ufffd徐州</p></body></html>".encode(),  # a replacement character sent as such
        b"<?xml version='1.0'?><html><body><p>x</p></body></html>",
        b"  \n<?XML version='1.0'?>\n<html><body><p>x</p></body></html>",
        b"<html><body><p>a\x00b</p></body></html>",
        "<html><body><p>徐州</p></body></html>".encode("gb18030"),
        "\u3000<html><body><p>x</p></body></html>".encode(),
    ],
)
def test_the_bytes_as_sent_on_the_edges(body):
    _same_tree(body)


def test_indentation_between_tags_reads_as_the_newline_rule_reads_it():
    """A text of only spaces, tabs and newlines (the source's indentation between two tags, half of a
    post's texts) is taken without the newline rule's regular expression: it must read as the rule
    reads it."""
    for size in range(1, 6):
        for chars in itertools.product(" \t\n", repeat=size):
            value = "".join(chars)
            collector = article._Collector("")
            collector.text(value)
            expected = article._SOURCE_NEWLINE.sub(article._fold_newline, value) if "\n" in value else value
            assert collector._buf == [expected], repr(value)
