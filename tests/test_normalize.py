"""Pure cleaning: dates against the fetch time, 万/亿 counts, text, links."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xzcrawler.core import normalize as nz

FETCHED = "2025-11-27T10:00:00+08:00"


@pytest.mark.parametrize(
    ("text", "date", "at", "precision"),
    [
        ("1年前 (2024-09-24)", "2024-09-24", None, "day"),
        ("2年前 (2024-06-28)", "2024-06-28", None, "day"),  # the stale relative part loses
        ("8个月前 (09-24)", "2025-03-24" if False else "2025-09-24", None, "day"),
        ("1个月前 (09-21)", "2025-09-21", None, "day"),
        ("2024-09-24 10:31:05", "2024-09-24", "2024-09-24T10:31:05+08:00", "second"),
        ("2024-09-24 10:31", "2024-09-24", "2024-09-24T10:31:00+08:00", "minute"),
        ("2022年04月26日", "2022-04-26", None, "day"),
        ("9月14日", "2025-09-14", None, "day"),
        ("12月30日", "2024-12-30", None, "day"),  # never after the fetch time
        ("3天前", "2025-11-24", None, "month"),  # 2.5 to 3.5 days back (tpure rounds): the 23rd or the 24th
        ("昨天 12:30", "2025-11-26", "2025-11-26T12:30:00+08:00", "minute"),
        ("刚刚", "2025-11-27", None, "day"),
        ("5分钟前", "2025-11-27", None, "day"),
        ("11小时前", "2025-11-26", None, "day"),
        ("1年前", "2024-12-02", None, "year"),  # 360 to 540 days back (tpure's year is 360 days, rounded)
        ("3个月前", "2025-09-13", None, "year"),  # 75 to 105 days back (30-day months, rounded)
        ("", None, None, None),
        ("admin", None, None, None),
    ],
)
def test_parse_published(text, date, at, precision):
    got = nz.parse_published(text, FETCHED)
    assert (got["published_date"], got["published_at"], got["published_precision"]) == (date, at, precision)


@pytest.mark.parametrize(
    ("text", "fetched", "earliest", "latest", "precision"),
    [
        ("3天前", "2026-11-28T00:30:00+08:00", "2026-11-24", "2026-11-25", "month"),
        ("3天前", "2026-11-28T23:30:00+08:00", "2026-11-25", "2026-11-26", "month"),
        ("3天前", "2026-12-04T10:00:00+08:00", "2026-11-30", "2026-12-01", "year"),  # across a month's end
        ("1小时前", "2026-11-28T00:30:00+08:00", "2026-11-27", "2026-11-27", "day"),  # 23:30-23:30 the day before
        ("1小时前", "2026-11-28T01:30:00+08:00", "2026-11-27", "2026-11-28", "month"),  # across midnight
        ("1小时前", "2026-11-28T02:30:00+08:00", "2026-11-28", "2026-11-28", "day"),
        ("昨天 23:45", "2026-11-28T00:30:00+08:00", "2026-11-27", "2026-11-27", "minute"),
        ("8个月前 (09-24)", "2026-11-28T00:30:00+08:00", "2026-09-24", "2026-09-24", "day"),
    ],
)
def test_relative_dates_claim_only_what_the_text_says(text, fetched, earliest, latest, precision):
    got = nz.parse_published(text, fetched)
    assert (got["published_earliest"], got["published_latest"], got["published_precision"]) == (
        earliest,
        latest,
        precision,
    )
    assert got["published_date"] == latest


@pytest.mark.parametrize("hour", [(0, 30), (23, 30), (12, 0)], ids=["00:30", "23:30", "12:00"])
def test_a_span_always_holds_the_truth_against_the_themes_rule(hour):
    """Thousands of random publish/fetch pairs rendered by the mirror's copy of tpure_TimeAgo
    (mirror/site.py, from the theme's include.php): the span holds the true day at every fetch
    hour, and a day claimed exactly is the true day."""
    import datetime as dt
    import random

    from xzcrawler.mirror.site import relative_time

    rng = random.Random(f"dates:{hour}")
    tz = dt.timezone(dt.timedelta(hours=8))
    checked = exact = 0
    for _ in range(4000):
        fetch = dt.datetime(2026, 1, 1, *hour, tzinfo=tz) + dt.timedelta(days=rng.randrange(0, 365))
        fetch += dt.timedelta(seconds=rng.randrange(-1800, 1800))
        # ages from under a second to three years, denser where the forms change
        age = rng.choice([rng.uniform(0, 120), rng.uniform(0, 3 * 86400), rng.uniform(0, 60 * 86400)])
        age = rng.choice([age, rng.uniform(0, 1100 * 86400)])
        published = (fetch - dt.timedelta(seconds=age)).replace(microsecond=0)
        text = relative_time(published, fetch)
        got = nz.parse_published(text, fetch.isoformat())
        truth = published.date().isoformat()
        assert got["published_earliest"] <= truth <= got["published_latest"], (text, fetch, published)
        if got["published_precision"] in ("day", "minute", "second"):
            exact += 1
            assert got["published_date"] == truth, (text, fetch, published)
        checked += 1
    assert checked == 4000 and 0 < exact < checked  # both kinds were met: the test can fail either way


def test_the_rounding_rule_at_its_edges():
    # tpure rounds half up: 3天前 is 2.5 to 3.5 days; 7天前 stops at 7 days (then 1周前 (m-d))
    fetch = "2026-03-10T18:00:00+08:00"
    # 3.5 days back is 03-07 06:00, 2.5 days 03-08 06:00 (a floored rule would say 03-06 .. 03-07)
    assert nz.parse_published("3天前", fetch)["published_earliest"] == "2026-03-07"
    assert nz.parse_published("3天前", fetch)["published_latest"] == "2026-03-08"
    assert nz.parse_published("1天前", fetch)["published_latest"] == "2026-03-09"  # at least one day
    assert nz.parse_published("2周前 (02-24)", fetch)["published_date"] == "2026-02-24"
    assert nz.parse_published("12个月前 (03-20)", fetch)["published_date"] == "2025-03-20"
    assert nz.parse_published("0天前", fetch)["published_date"] is None  # no elapsed time prints so


def test_month_day_year_comes_from_the_relative_part():
    # 8个月前 from 2025-11-27 points at 2025-03-27: 09-24 nearest to it without passing the fetch is 2025-09-24?
    # No: nearest to 2025-03-27 is 2024-09-24 (184 days) vs 2025-09-24 (181 days) -- both honest; the rule picks nearest.
    assert nz.parse_published("8个月前 (03-20)", FETCHED)["published_date"] == "2025-03-20"
    assert nz.parse_published("13个月前 (10-30)", FETCHED)["published_date"] == "2024-10-30"
    # fetched early in January: a December date belongs to the previous year
    assert nz.parse_published("1个月前 (12-05)", "2026-01-03T09:00:00+08:00")["published_date"] == "2025-12-05"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("69", 69),
        ("1.2万", 12000),
        ("3亿", 300_000_000),
        ("1,234", 1234),
        ("阅读(87)", 87),
        ("2.35万次", 23500),
        ("", None),
        (None, None),
        ("暂无", None),
    ],
)
def test_parse_count(text, count):
    assert nz.parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "rounded"),
    [
        # tpure 5.x prints the whole count: however round, it is exact (issue 28)
        ("100000", False),
        ("10000", False),
        ("99999", False),
        ("1,200,000", False),
        # tpure 6.x prints 10,000 and more in 万 (tpure_Myriabit): rounded to the unit's decimals
        ("1.23万", True),
        ("2万", True),
        ("3亿", True),
        ("2.35万次", True),
        ("", None),
        (None, None),
        ("暂无", None),
    ],
)
def test_a_count_is_rounded_only_where_the_page_says_so(text, rounded):
    assert nz.count_rounded(text) is rounded


def test_strip_indent_keeps_inner_text():
    assert nz.strip_indent("\u3000\u3000蕞近，*近  **\xa0") == "蕞近，*近  **"
    assert nz.strip_indent("\xa0\xa0 text \u3000") == "text"


def test_links():
    base = "http://xuzhou.021cf.cn/index.php/post/1.html"
    assert nz.absolute_url("/index.php/post/2.html", base) == "http://xuzhou.021cf.cn/index.php/post/2.html"
    assert nz.absolute_url("3.html#x", base) == "http://xuzhou.021cf.cn/index.php/post/3.html"
    assert nz.absolute_url("javascript:void(0)", base) is None
    assert nz.absolute_url("#", base) is None
    assert nz.site_of("http://XuZhou.021cf.cn:8080/a") == "xuzhou.021cf.cn"
    # no URL at all (found by the 10,000-example property test: a breadcrumb link "a://[")
    assert nz.absolute_url("a://[", base) is None
    assert nz.absolute_url("http://[::1", base) is None
    assert nz.site_of("http://[::1/x") == ""


def test_a_page_with_a_link_that_is_no_url_still_parses():
    from xzcrawler.core.pages import parse_page

    page = parse_page(b"<div class=place><a href=a://[>\x01<h1>", "http://xuzhou.021cf.cn/index.php/post/2176.html")
    assert page.kind in ("article", "listing", "other"), getattr(page, "reason", None)


def test_times_are_utc():
    assert nz.utc_iso("2025-11-27T10:00:00+08:00") == "2025-11-27T02:00:00Z"
    assert nz.utc_iso("2025-11-27T02:00:00Z") == "2025-11-27T02:00:00Z"


@pytest.mark.parametrize(
    "text",
    [
        "2025-11-27T02:00:00Z",  # the archive's own form, taken as it is once it is checked
        "2025-11-27T02:00:00.999999Z",
        "2025-11-27T02:00:00z",
        "2025-11-27T10:00:00+08:00",
        "2025-11-27 02:00:00",
        "0999-01-02T03:04:05Z",  # strftime's %Y: no padding below the year 1000
        " 2025-11-27T02:00:00Z ",
        "2025-11-27",
    ],
)
def test_a_time_in_the_archives_form_reads_as_any_other(text):
    """utc_iso takes a text already in the archive's form as it is: what parsing it gives."""
    import datetime as dt

    moment = dt.datetime.fromisoformat(text.strip().replace("z", "+00:00").replace("Z", "+00:00"))
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    assert nz.utc_iso(text) == moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("text", ["2025-02-30T02:00:00Z", "2025-11-27T24:00:00Z", "2025-13-01T00:00:00Z", "soon"])
def test_a_time_that_is_none_raises_in_any_form(text):
    with pytest.raises(ValueError):
        nz.utc_iso(text)
    with pytest.raises(ValueError):
        nz.utc_iso(text)  # (a failure is not remembered as a value)


def test_the_records_site_is_what_the_packaged_schema_says_it_is():
    """The schema's words and the value agree: its example of a www. host is what site_of gives."""
    import re
    from pathlib import Path

    schema = json.loads((Path(nz.__file__).parents[1] / "schema" / "article.schema.json").read_text("utf-8"))
    words = schema["properties"]["site"]["description"]
    host, key = re.search(r"(www\.[\w.]+) gives ([\w.]+)", words).groups()
    assert nz.site_of(f"http://{host}/index.php/post/1.html") == key.rstrip(".")
    assert nz.site_of("http://XUZHOU.021cf.cn:8080/") == "xuzhou.021cf.cn"


# What NFKC's shortcut (nz.nfkc) must equal: Python's own normalize, for texts of the characters it
# replaces first (full-width forms, the ideographic space, squared units, circled numbers) mixed
# with what composes with them or around them (combining marks, half-width kana and their sound
# marks, Hangul jamo, ideographs, ASCII).
_NFKC_ALPHABET = "".join(
    chr(code)
    for code in (
        *range(0xFF01, 0xFF5F),
        0x3000,
        *range(0x3371, 0x3380),
        0x33A1,
        0x2460,
        0x2474,
        *range(0x0300, 0x0310),
        0x3099,
        0x309A,
        *range(0xFF66, 0xFF70),
        0xFF9E,
        0xFF9F,
        *range(0x304B, 0x3050),
        0x1100,
        0x1161,
        0x11A8,
        0xAC00,
        *range(0x4E00, 0x4E08),
        0x41,
        0x65,
        0x0A,
    )
)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_NFKC_ALPHABET, max_size=12) | st.text(max_size=12))
def test_nfkc_is_pythons_nfkc(text):
    import unicodedata

    assert nz.nfkc(text) == unicodedata.normalize("NFKC", text)


def test_nfkc_of_a_post_folds_its_full_width_punctuation_and_units():
    assert nz.nfkc("厂房面积：５０００㎡，层高８米。\u3000①") == "厂房面积:5000m2,层高8米。 1"
