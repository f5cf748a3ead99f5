"""Pure cleaning functions: dates, counts, text, links.

Nothing here touches the network or the database; every function is a pure
function of its arguments (dates take the fetch time as their base).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")

# --------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------


def parse_iso(value: str | dt.datetime | None) -> dt.datetime:
    """An aware datetime from an ISO 8601 string (``Z`` allowed); naive means UTC."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return _parse_iso_text(value)


# A page's fetch time is read three or four times over while it is parsed (the harvest, the page,
# its dates): the texts seen last are remembered with what they gave (a datetime and a str are
# immutable; a text that does not parse raises each time, as it is not remembered).
@lru_cache(maxsize=256)
def _parse_iso_text(value: str) -> dt.datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def utc_iso(value: str | dt.datetime | None) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: the archive's one timestamp form."""
    if isinstance(value, str):
        return _utc_iso_text(value)
    return _iso_z(parse_iso(value))


# the archive's own form (a WARC-Date, a stored time): read only to check it is a time (year 1000 on,
# where strftime's %Y gives four digits)
_CANONICAL = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@lru_cache(maxsize=256)
def _utc_iso_text(value: str) -> str:
    if _CANONICAL.fullmatch(value):
        dt.datetime.fromisoformat(value[:-1])  # (raises for no time, as below)
        return value
    return _iso_z(_parse_iso_text(value))


def _iso_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------

_FULL_DATE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
_MONTH_DAY = re.compile(
    r"(?<![\d\-/.])(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?![\d\-/.])\s*日?"
    r"(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
# (a number after a minus sign is no elapsed time: -3天前 is not 3天前)
_RELATIVE = re.compile(
    r"(刚刚|(?<![\d\-−－])(?:\d+\s*秒钟?前|\d+\s*分钟前|\d+\s*个?小时前|\d+\s*天前"
    r"|\d+\s*周前|\d+\s*个?星期前|\d+\s*个月前|\d+\s*年前)|[昨前今]天(?:\s*\d{1,2}[:：]\d{2})?)"
)
_REL_AMOUNT = re.compile(r"(?<![\d\-−－])(\d+)\s*(秒钟?|分钟|个?小时|天|周|个?星期|个月|年)前")
_CLOCK_PARTS = re.compile(r"(\d{1,2})[:：](\d{2})")
_NEGATIVE = re.compile(r"[\-−－]\s*\d")
# The theme's time-ago rule (tpure include.php, tpure_TimeAgo, PostTIMESTYLE 0; the same in 5.x and
# 6.x): elapsed seconds are divided by year = 360 days, month = 30 days, week, day, hour, minute,
# second; the first unit with a quotient >= 1 is printed, the quotient ROUNDED half up (PHP
# round): "3天前" means 2.5 to 3.5 days, and under a second the text is 刚刚.
_UNIT_SECONDS = {
    "秒": 1,
    "秒钟": 1,
    "分钟": 60,
    "小时": 3600,
    "个小时": 3600,
    "天": 86400,
    "周": 7 * 86400,
    "星期": 7 * 86400,
    "个星期": 7 * 86400,
    "个月": 30 * 86400,
    "年": 360 * 86400,
}
CLOCK_SLACK = 60  # seconds: how far the server's clock and render time may be from our fetch time
# The window a date read from a page must fall in to be a date at all: the network's sites were set
# up long after 1990, and the platform shows future-dated posts (tpure_TimeAgo prints 刚刚 for
# them; an absolute style prints the date), so a little past the fetch is allowed. Outside it a
# date text is kept as text (published_text) and gives no date: never an exception, never a
# wrong exact date (issue 29).
DATES_FROM = dt.date(1990, 1, 1)
DATES_AHEAD = dt.timedelta(days=31)


def in_window(day: dt.date, fetch_day: dt.date) -> bool:
    return DATES_FROM <= day <= fetch_day + DATES_AHEAD


# the next larger unit of each (where the theme stops printing this one)
_UNIT_CEILING = {1: 60, 60: 3600, 3600: 86400, 86400: 7 * 86400, 7 * 86400: 30 * 86400, 30 * 86400: 360 * 86400}


def elapsed_bounds(amount: int, unit_seconds: int) -> tuple[float, float]:
    """[low, high) elapsed seconds that tpure prints as ``amount`` of a unit of ``unit_seconds``."""
    low = max((amount - 0.5) * unit_seconds, unit_seconds)
    high = min((amount + 0.5) * unit_seconds, _UNIT_CEILING.get(unit_seconds, float("inf")))
    return low, high


def _too_long_ago(seconds: float, local_fetch: dt.datetime) -> bool:
    """Whether ``seconds`` before the fetch is before the date window (or past what a datetime holds)."""
    return seconds > (local_fetch.date() - DATES_FROM).days * 86400 + 86400


def _relative_anchor(relative: str | None, local_fetch: dt.datetime) -> dt.datetime | None:
    """The moment a stale relative part (``8个月前``) points at; None when that is before the window."""
    if relative:
        match = _REL_AMOUNT.search(relative)
        if match:
            if len(match.group(1)) > 9:
                return None
            seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            if _too_long_ago(seconds, local_fetch):
                return None
            return local_fetch - dt.timedelta(seconds=seconds)
    return local_fetch


def infer_year(month: int, day: int, anchor: dt.date, latest: dt.date) -> dt.date | None:
    """The year that puts month-day nearest to ``anchor`` without passing ``latest``."""
    best = None
    for year in range(anchor.year - 2, anchor.year + 2):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate > latest:
            continue
        if best is None or abs(candidate - anchor) < abs(best - anchor):
            best = candidate
    return best


def _dateparser_relative(text: str, local_fetch: dt.datetime) -> dt.datetime | None:
    import dateparser  # imported lazily: only relative wordings outside the theme's own forms need it

    try:
        return dateparser.parse(
            text[:200],
            languages=["zh"],
            settings={
                "RELATIVE_BASE": local_fetch.replace(tzinfo=None),
                "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except (OverflowError, ValueError, ArithmeticError):  # an absurd amount: no date
        return None


def _aware_iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=SITE_TZ).isoformat()


def _relative_span(form: str, local_fetch: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool] | None:
    """(earliest, latest, exact) moments a relative form allows, in the site's time zone.

    ``N<unit>前`` is rounded elapsed time (``elapsed_bounds``); ``刚刚`` is under a second (a
    post dated in the future shows it too: that is not told apart). ``昨天``/``前天`` are calendar days (the day before the fetch's, in the site's time
    zone), with ``HH:MM`` an exact moment.
    """
    fetch = local_fetch.replace(microsecond=0)
    if form == "刚刚":
        return fetch - dt.timedelta(seconds=1 + CLOCK_SLACK), fetch, False
    match = _REL_AMOUNT.search(form)
    if match:
        if len(match.group(1)) > 9:  # a billion units ago or more: no date (and no giant int)
            return None
        low, high = elapsed_bounds(int(match.group(1)), _UNIT_SECONDS[match.group(2)])
        if low >= high:  # no elapsed time prints so (0天前, 9天前): the text says nothing
            return None
        if _too_long_ago(high + CLOCK_SLACK, fetch):  # 3000年前: before any date the archive takes
            return None
        # published = fetch - elapsed, elapsed in [low, high); widened by CLOCK_SLACK, as the
        # server's clock and render time are not exactly our fetch time
        return (
            fetch - dt.timedelta(seconds=high + CLOCK_SLACK),
            min(fetch, fetch - dt.timedelta(seconds=low - CLOCK_SLACK)),
            False,
        )
    days_back = {"今": 0, "昨": 1, "前": 2}[form[0]]
    clock = _CLOCK_PARTS.search(form)
    if clock is None:
        day = fetch - dt.timedelta(days=days_back)
        start = day.replace(hour=0, minute=0, second=0)
        return start, min(fetch, start + dt.timedelta(days=1, seconds=-1)), False
    hour, minute = int(clock.group(1)), int(clock.group(2))
    if hour > 23 or minute > 59:
        return None
    moment = (fetch - dt.timedelta(days=days_back)).replace(hour=hour, minute=minute, second=0)
    return (moment, moment, True) if moment <= fetch else None


def _precision_of(earliest: dt.date, latest: dt.date) -> str | None:
    """The finest unit the whole span [earliest, latest] shares: what the page really tells."""
    if earliest == latest:
        return "day"
    if (earliest.year, earliest.month) == (latest.year, latest.month):
        return "month"
    if earliest.year == latest.year:
        return "year"
    return None


_NO_DATE = dict.fromkeys(
    ("published_date", "published_at", "published_precision", "published_earliest", "published_latest")
)


def parse_published(text: str | None, fetched_at: str | dt.datetime | None) -> dict:
    """Resolve a date text of the site into date, timestamp, honest precision and span.

    Returns ``{"published_date", "published_at", "published_precision", "published_earliest",
    "published_latest"}``; all None when the text holds no date. ``published_earliest`` and
    ``published_latest`` are the first and last day the text allows (equal for an absolute
    date); ``published_precision`` is "day" (or finer) only when they are the same day, else the
    unit they share ("month", "year") or None; ``published_date`` is then the latest day.
    Never raises for any text: a date outside the window (``DATES_FROM`` to ``DATES_AHEAD``
    after the fetch), or one no calendar holds, is no date.
    """
    if text is not None and len(text) > 500:
        return dict(_NO_DATE)  # no date text of the site is this long
    try:
        found = _parse_published(text, fetched_at)
    except (OverflowError, ValueError):  # (dates past year 9999 or before year 1)
        return dict(_NO_DATE)
    fetch_day = parse_iso(fetched_at).astimezone(SITE_TZ).date()
    for name in ("published_date", "published_earliest", "published_latest"):
        if found[name] is not None and not in_window(date_of(found[name]), fetch_day):
            return dict(_NO_DATE)
    return found


def _parse_published(text: str | None, fetched_at: str | dt.datetime | None) -> dict:
    empty = {
        "published_date": None,
        "published_at": None,
        "published_precision": None,
        "published_earliest": None,
        "published_latest": None,
    }
    if not text:
        return empty
    text = text.strip()
    local_fetch = parse_iso(fetched_at).astimezone(SITE_TZ)
    fetch_date = local_fetch.date()

    def result(date, clock=None, precision="day"):
        published_at = None
        if clock and clock[0] is not None:
            hour, minute, second = int(clock[0]), int(clock[1]), clock[2]
            try:
                moment = dt.datetime(date.year, date.month, date.day, hour, minute, int(second or 0))
            except ValueError:
                moment = None
            if moment is not None:
                published_at = _aware_iso(moment)
                precision = "second" if second is not None else "minute"
        day = date.isoformat()
        return {
            "published_date": day,
            "published_at": published_at,
            "published_precision": precision,
            "published_earliest": day,
            "published_latest": day,
        }

    # 1. a full date wins: 2024-09-24, 2022年04月26日, 1年前 (2024-09-24)
    match = _FULL_DATE.search(text)
    if match:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        try:
            return result(dt.date(year, month, day), match.group(4, 5, 6))
        except ValueError:
            pass

    relative = _RELATIVE.search(text)
    # 2. month and day only: the year comes from the relative part and the fetch time
    match = _MONTH_DAY.search(text)
    if match and not (relative and relative.start() <= match.start() < relative.end()):
        month, day = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            anchor = _relative_anchor(relative.group(0) if relative else None, local_fetch)
            if anchor is None:
                return empty
            date = infer_year(month, day, anchor.date(), fetch_date)
            if date is not None:
                return result(date, match.group(3, 4, 5))

    # 3. relative only: the span of moments the form allows against the fetch time
    if relative:
        span = _relative_span(re.sub(r"\s+", "", relative.group(0)).replace("：", ":"), local_fetch)
        if span is None:
            return empty
        earliest, latest, exact = span
        if exact:
            return {**result(latest.date()), "published_at": _aware_iso(latest), "published_precision": "minute"}
        return {
            "published_date": latest.date().isoformat(),
            "published_at": None,
            "published_precision": _precision_of(earliest.date(), latest.date()),
            "published_earliest": earliest.date().isoformat(),
            "published_latest": latest.date().isoformat(),
        }
    # 4. other relative wordings (半小时前): dateparser's point estimate, claiming no precision (a
    # negative amount, -3天前, is no elapsed time)
    if "前" in text and not _NEGATIVE.search(text):
        moment = _dateparser_relative(text, local_fetch)
        if moment is not None and moment.date() <= fetch_date:
            return {**empty, "published_date": moment.date().isoformat()}
    return empty


DATE_FIELDS = ("published_date", "published_at", "published_precision", "published_earliest", "published_latest")
_EXACT = ("day", "minute", "second")


def _span(observation: dict) -> tuple[str, str] | None:
    if not observation.get("published_date"):
        return None
    earliest, latest = observation.get("published_earliest"), observation.get("published_latest")
    if earliest and latest:
        return earliest, latest
    if observation.get("published_precision") in _EXACT:  # rows written before spans were kept
        return observation["published_date"], observation["published_date"]
    return None


def combine_dates(old: dict, new: dict) -> dict:
    """The date fields that two observations of one article's date allow together.

    Each is a mapping with DATE_FIELDS. Where their spans overlap the result is the overlap, so a
    later look that shows more (an absolute date after a relative one, or two relative forms seen
    on different days) refines the date, and one that shows less (5天前 after 昨天 12:30) loses
    nothing; with the finer of the two time stamps when both name the same day. Where they do not
    overlap the site changed the date: the new observation wins.
    """
    new_span, old_span = _span(new), _span(old)
    if new_span is None:
        return (
            {name: old.get(name) for name in DATE_FIELDS}
            if old_span or old.get("published_date")
            else {name: new.get(name) for name in DATE_FIELDS}
        )
    if old_span is None:
        return {name: new.get(name) for name in DATE_FIELDS}
    lo, hi = max(old_span[0], new_span[0]), min(old_span[1], new_span[1])
    if lo > hi:
        return {name: new.get(name) for name in DATE_FIELDS}
    finest = {"second": 0, "minute": 1, "day": 2}
    for candidate in sorted((new, old), key=lambda o: finest.get(o.get("published_precision"), 3)):
        if _span(candidate) == (lo, hi):
            return {name: candidate.get(name) for name in DATE_FIELDS}
    return {
        "published_date": hi,
        "published_at": None,
        "published_precision": _precision_of(date_of(lo), date_of(hi)),
        "published_earliest": lo,
        "published_latest": hi,
    }


def date_of(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------

# A count: digits (thousands separators allowed), a decimal part only before a unit (1.23万), and
# no sign or exponent around it (-5 and 1e309 are no counts). Units: 万 and 亿 as tpure prints them,
# and the few other shorthands a count may come in.
_COUNT = re.compile(r"(?<![\d.\-−－+＋])(\d[\d,，]*(?:\.\d+)?)(?![\d.]|\s*[eE][+\-]?\d)\s*([万亿千wWkK]?)")
_UNITS = {"": 1, "千": 1_000, "k": 1_000, "K": 1_000, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}
_EXPONENT = re.compile(r"\d\s*[eE][+\-]?\d")
MAX_COUNT = 2**63 - 1  # what an SQLite INTEGER holds


def parse_count(text: str | None) -> int | None:
    """``69`` -> 69, ``1.2万`` -> 12000, ``3亿`` -> 300000000, ``1,234`` -> 1234; none -> None.
    Never raises: a negative or exponent form, a fraction without a unit, or a count past
    ``MAX_COUNT`` is no count (issue 29)."""
    if text is None:
        return None
    text = str(text)
    if len(text) > 200:
        return None  # no count of the site is printed so
    match = _COUNT.search(text)
    if not match or _EXPONENT.search(text):
        return None
    number = match.group(1).replace(",", "").replace("，", "")
    multiplier = _UNITS[match.group(2)]
    if len(number) > 30:
        return None
    if "." in number:
        if multiplier == 1:
            return None  # 12.5 views: no count
        whole, _, frac = number.partition(".")
        # exact decimal arithmetic: 1.2万 is 12000, not 11999
        value = int(whole or "0") * multiplier + int(frac) * multiplier // (10 ** len(frac))
    else:
        value = int(number) * multiplier
    return value if value <= MAX_COUNT else None


def count_rounded(text: str | None) -> bool | None:
    """Whether the count ``text`` shows was rounded by the theme: only when the page says so, by
    printing it in a unit (tpure 6.x prints counts of 10,000 and more in 万 to two decimals,
    12345 -> ``1.23万``, 20000 -> ``2万``; ../shared/site/README.md, "Views"). A count printed
    whole is exact however round it looks: tpure 5.x prints ``100000`` for 100,000 views (seen
    on Z-BlogPHP 1.7.3 + tpure 5.0.2, docs/platform.md). None when the text shows no count.
    Our own few visits are inside a rounding: they cannot be taken out of a rounded count, only
    of an exact one."""
    if text is None:
        return None
    match = _COUNT.search(str(text))
    if not match:
        return None
    return bool(match.group(2))


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------

# Indentation on the site: wide spaces, no-break spaces, ordinary white space.
_EDGE_SPACE = " \t\r\n\u3000\xa0\u2002\u2003\u2009\u200b\ufeff"


# What a terminal or a line of text must not receive from a page: C0 controls but tab and newline,
# DEL, C1 controls (ESC sequences retitle or clear a terminal, BEL rings it), and the bidi
# embeddings, overrides and isolates (U+202E reverses a line). Text stored from pages keeps what
# the page said minus these (issue 29, item 5); the same rule makes older rows inert when printed.
_INERT = dict.fromkeys([*range(0, 9), *range(11, 32), *range(127, 160), *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_HAS_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """``text`` without control characters (but tab and newline) and bidi controls."""
    return text.translate(_INERT) if _HAS_CONTROL.search(text) else text


def strip_indent(text: str) -> str:
    """Strip indentation and trailing space, and control characters anywhere (``inert``); leave
    everything else inside untouched."""
    return inert(text).strip(_EDGE_SPACE)


_LINE_BREAKS = re.compile(r"\s*\n\s*")


def clean_inline(text: str | None) -> str:
    """One-line text (titles, names): edges stripped, inner runs of line breaks folded."""
    if not text:
        return ""
    return _LINE_BREAKS.sub(" ", strip_indent(text))


# NFKC (the story key's and the families' folding) of the network's texts is nearly all in these:
# full-width punctuation and letters (，：（）１Ａ), the ideographic space, the squared units of a
# property post (㎡), circled numbers. Python's normalize() of a text that holds one of them
# decomposes and recomposes every ideograph: 40 us for a post of 350 characters, a tenth of a
# re-extraction's writer (issue 30). Each is replaced by its own NFKC here, which leaves the
# text's NFKD, and so its NFKC, as it was (NFKD(NFKC(c)) = NFKD(c), and a text's NFKD is its
# characters' decompositions, canonically ordered); what is then normalized already is the NFKC.
_FOLDED = {
    chr(code): unicodedata.normalize("NFKC", chr(code))
    for code in (0x3000, *range(0xFF01, 0xFF5F), *range(0x3371, 0x33E0), *range(0x2460, 0x24C0))
}
_FOLDABLE = re.compile("[" + "".join(re.escape(char) for char in _FOLDED) + "]")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster for the texts of the network."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = _FOLDABLE.sub(lambda match: _FOLDED[match.group()], text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def content_hash(body_text: str) -> str:
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


_KEYWORD_SEPARATOR = re.compile(r"[,，、;；|]+")


def split_keywords(value: str | None) -> list[str]:
    if not value:
        return []
    parts = _KEYWORD_SEPARATOR.split(value)
    seen: list[str] = []
    for part in parts:
        part = strip_indent(part)
        if part and part not in seen:
            seen.append(part)
    return seen


# --------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------


_PLAIN_ABSOLUTE = re.compile(r"^https?://[a-z0-9.\-]+(?::\d+)?/[^\s#]*$")


def absolute_url(href: str | None, base: str) -> str | None:
    """An absolute http(s) URL for ``href`` against ``base``; None for non-links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    if _PLAIN_ABSOLUTE.match(href):
        return href  # already absolute, lower-case host, no fragment: nothing to resolve
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:  # no URL at all (an unclosed IPv6 bracket, say): not a link
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def site_of(url: str) -> str:
    """The site key of a URL: its host name without a ``www.`` alias (``xuzhou.021cf.cn``); the
    scheme and port are not part of it (the same site reached under another is the same site)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # no URL at all: no site
        return ""
    return host[4:] if host.startswith("www.") and host.count(".") > 1 else host


def page_key(url: str) -> tuple[str, str]:
    """(site key, path and query) of a URL: the same page wherever the site answers (another port
    or scheme), as failures are resolved and held photos recognised."""
    parts = urlsplit(url)
    return (site_of(url), parts.path + (f"?{parts.query}" if parts.query else ""))


_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> list:
    """The order a person counts in: 127.0.0.2 before 127.0.0.10 (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part for part in _NUMBERS.split(str(text))]
