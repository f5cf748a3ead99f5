"""Every value read from a page is bounded and total (issue 29, item 1): dates, counts, the feed's
pubDate and the site's name, over arbitrary text, never raise and never leave their range."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html

from xzcrawler.core import normalize as nz
from xzcrawler.core.pages import site_name
from xzcrawler.core.pages.feed import parse_feed

FETCHED = "2025-11-27T02:00:00Z"
FETCH_DAY = dt.date(2025, 11, 27)
LATEST = (FETCH_DAY + nz.DATES_AHEAD).isoformat()

# text built from what date and count texts are made of, so that the parsers' paths are reached
PIECES = st.sampled_from(
    [
        "年前",
        "个月前",
        "周前",
        "天前",
        "小时前",
        "分钟前",
        "秒前",
        "刚刚",
        "昨天",
        "前天",
        "今天",
        " (",
        ")",
        "-",
        "−",
        "－",
        "/",
        ".",
        ":",
        "：",
        "年",
        "月",
        "日",
        "万",
        "亿",
        "千",
        "k",
        "e",
        "E",
        "+",
        ",",
        "，",
        "0",
        "1",
        "9",
        "12",
        "31",
        "2024",
        "0001",
        "9999",
        "99999999",
        "9" * 25,
        "1e309",
        " ",
        "\u3000",
        "半",
        "发布时间：",
        "阅读",
        "次",
    ]
)
TEXT = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=12).map("".join))
EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(text=TEXT)
def test_a_date_text_never_raises_and_stays_in_the_window(text):
    found = nz.parse_published(text, FETCHED)
    for name in ("published_date", "published_earliest", "published_latest"):
        if found[name] is not None:
            assert nz.DATES_FROM.isoformat() <= found[name] <= LATEST, (text, found)
    if found["published_at"] is not None:
        assert found["published_at"][:10] == found["published_date"]


@EXAMPLES
@given(text=TEXT)
def test_a_count_never_raises_and_fits_sqlite(text):
    count = nz.parse_count(text)
    assert count is None or 0 <= count <= nz.MAX_COUNT


@EXAMPLES
@given(text=TEXT)
def test_a_feed_pubdate_never_raises_and_stays_in_the_window(text):
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>http://h/index.php/post/5.html</link><pubDate></pubDate></item>"
        b"<item><title>b</title><link>http://h/index.php/post/6.html</link>"
        b"<pubDate>Tue, 24 Sep 2024 10:00:00 +0800</pubDate></item></channel></rss>"
    )
    from xml.sax.saxutils import escape

    clean = "".join(c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd")
    body = body.replace(b"<pubDate></pubDate>", f"<pubDate>{escape(clean)}</pubDate>".encode())
    page = parse_feed(body, "http://h/feed.php", FETCHED)
    assert page.kind == "feed"
    first, second = page.articles
    assert second["published_at"] == "2024-09-24T10:00:00+08:00"  # one bad item costs only itself
    if first["published_date"] is not None:
        assert nz.DATES_FROM.isoformat() <= first["published_date"] <= LATEST


@EXAMPLES
@given(name=st.text(max_size=400))
def test_a_site_name_never_raises_and_is_bounded(name):
    from xml.sax.saxutils import quoteattr

    clean = "".join(c for c in name if " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd")
    doc = html.fromstring(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.php" title={quoteattr(clean)} />'
        "</head><body><p>x</p></body></html>"
    )
    found = site_name(doc)
    assert found is None or len(found) <= 200


@pytest.mark.parametrize(
    "text",
    [
        "99999999年前",
        "9999年前",
        "3000年前",
        "-3天前",
        "－3天前",
        "1年前 (0001-01-01)",
        "1年前 (9999-12-31)",
        "1900-01-01",
    ],
)
def test_absurd_and_negative_dates_are_no_date(text):
    assert nz.parse_published(text, FETCHED)["published_date"] is None


@pytest.mark.parametrize("text", ["-5", "1e309", "99999999999999999999", "9999999999999亿", "12.5", str(2**63)])
def test_absurd_counts_are_no_count(text):
    assert nz.parse_count(text) is None


@pytest.mark.parametrize(
    ("pubdate", "expected"),
    [
        ("Fri, 31 Dec 9999 23:00:00 -0800", None),  # past year 9999 in Shanghai: OverflowError before
        ("Mon, 01 Jan 1900 00:00:00 +0800", None),  # was 1900-01-01T00:05:43+08:05:43 (LMT)
        ("Mon, 01 Jan 0001 00:00:00 +0800", None),  # was an exact 2001-01-01 (two-digit-year rule)
        ("Tue, 24 Sep 2024 10:00:00 +0800", "2024-09-24T10:00:00+08:00"),
    ],
)
def test_feed_dates_outside_reason_are_no_date(pubdate, expected):
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>a</title><link>http://h/index.php/post/5.html</link><pubDate>{pubdate}</pubDate></item>"
        "</channel></rss>"
    ).encode()
    (item,) = parse_feed(body, "http://h/feed.php", FETCHED).articles
    assert item["published_at"] == expected
