"""Chinese full-text search on SQLite 3.40 (whose trigram tokenizer cannot match 2-character words).

The index is an FTS5 table over token streams made here, in the manner of Lucene's CJK
analyzer:
- each run of CJK ideographs gives its overlapping bigrams, then its last character alone
  (``徐州市`` -> ``徐州 州市 市``), so any 2+-character word is a phrase of bigrams;
- each ASCII word gives itself, lower-cased (``5G`` -> ``5g``); words match whole;
- a third column holds each distinct ideograph of the article once, for 1-character queries.
A query is tokenized the same way, each whitespace-separated term becoming an FTS5 phrase
(all terms must match).

Ranking: bm25 with the title weighted over the body, when at most RANK_ALL_UP_TO articles
match. A word found in more articles than that (徐州 on a 徐州 site) carries almost no
information for bm25, and scoring every match costs ~1.5 us each (130 ms at 90,000 matches on
the 100,000-article benchmark); such queries list title matches first, then the rest, each
most recently archived first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import add

import numpy as np

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SEGMENT = re.compile(f"[{CJK}]+|[0-9A-Za-z]+")
_CJK_RUN = re.compile(f"^[{CJK}]+$")
# Where CJK's blocks of ideographs begin and end (past their last): the code points the index's
# third column keeps (``characters``).
_IDEOGRAPH_BOUNDS = np.array(
    [bound for first, last in re.findall("(.)-(.)", CJK) for bound in (ord(first), ord(last) + 1)], dtype="<u4"
)
INDEX_TABLE = "search_index"
WEIGHTS = (8.0, 1.0, 0.5)  # title, body, single characters
RANK_ALL_UP_TO = 15_000
MAX_TERMS = 16  # whitespace-separated terms in one query
MAX_QUERY_CHARS = 256


class QueryTooLarge(ValueError):
    """A query past the caps: each term is an FTS5 phrase, and thousands of them take minutes."""


def check_query(query: str) -> None:
    terms = query.split()
    if len(terms) > MAX_TERMS or len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(
            f"the query has {len(terms)} terms and {len(query)} characters: "
            f"at most {MAX_TERMS} terms and {MAX_QUERY_CHARS} characters"
        )


def tokens(text: str | None) -> list[str]:
    """The index token stream of a text."""
    out: list[str] = []
    for segment in _SEGMENT.findall(text or ""):
        if segment[0] > "\x7f":  # a run of ideographs (a segment is one, or an ASCII word)
            out.extend(map(add, segment, segment[1:]))  # (its bigrams, made in C: the index's cost was a
            out.append(segment[-1])  # generator step a character)
        else:
            out.append(segment.lower())
    return out


def characters(*texts: str | None) -> str:
    """Each distinct ideograph of the texts once, in code point order, a space between. (Done on
    the code points in numpy: a set of the characters made a string object of each, 45 us a post,
    a twentieth of a re-extraction's writer; issue 30.)"""
    codes = np.frombuffer("".join(text or "" for text in texts).encode("utf-32-le", "surrogatepass"), "<u4").copy()
    codes.sort()
    at = np.searchsorted(codes, _IDEOGRAPH_BOUNDS).tolist()  # where each block begins and ends
    codes = np.concatenate([codes[at[i] : at[i + 1]] for i in range(0, len(at), 2)])
    if not len(codes):
        return ""
    first = np.empty(len(codes), dtype=bool)  # (each once)
    first[0] = True
    np.not_equal(codes[1:], codes[:-1], out=first[1:])
    codes = codes[first]
    spaced = np.full(2 * len(codes) - 1, ord(" "), dtype="<u4")
    spaced[0::2] = codes
    return spaced.tobytes().decode("utf-32-le")


def index_row(title: str | None, body: str | None) -> dict:
    return {"title_bi": " ".join(tokens(title)), "body_bi": " ".join(tokens(body)), "chars": characters(title, body)}


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def term_expression(term: str, title_only: bool = False) -> str | None:
    """The FTS5 expression for one query term, or None if it has nothing searchable."""
    segments = _SEGMENT.findall(term)
    if not segments:
        return None
    if len(segments) == 1 and _CJK_RUN.match(segments[0]) and len(segments[0]) == 1:
        if title_only:  # a bigram starting with it, or a run ending with it
            return f"title_bi : ({_quote(segments[0])}*)"
        return f"chars : {_quote(segments[0])}"
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if not _CJK_RUN.match(segment):
            parts.append(_quote(segment.lower()))
        elif len(segment) == 1:
            # alone: the text has it as a run's last character, or as the start of a bigram
            parts.append(_quote(segment) + "*" if last else _quote(segment))
        else:
            run = [segment[i : i + 2] for i in range(len(segment) - 1)]
            if not last:
                run.append(segment[-1])  # the run ends here in the text too
            parts.extend(_quote(t) for t in run)
    columns = "title_bi" if title_only else "{title_bi body_bi}"
    return f"{columns} : (" + " + ".join(parts) + ")"


def match_expression(query: str, title_only: bool = False) -> str | None:
    terms = [t for t in (term_expression(term, title_only) for term in query.split()) if t]
    return " AND ".join(f"({t})" for t in terms) if terms else None


def brute_force_pattern(term: str) -> re.Pattern:
    """What a term means as a plain scan of the text: the same matches the index gives."""
    pattern = re.escape(term.lower())
    if re.match(r"[0-9A-Za-z]", term):
        pattern = "(?<![0-9a-z])" + pattern
    if re.search(r"[0-9A-Za-z]$", term):
        pattern += "(?![0-9a-z])"
    return re.compile(pattern)


@dataclass
class Hit:
    site: str
    article_id: int
    title: str
    url: str
    published_date: str | None
    category: str | None
    snippet: str
    story_id: str | None = None
    copies: int = 1  # articles that tell the same story (cross-posts), this one included
    site_name: str | None = None  # the site's own name (徐州厂房网), when its home page gave it
    family_id: str | None = None  # the family of posts made from the same text (core/families.py)
    family_members: int = 1  # posts of that family, this one included
    family_sites: int = 1  # sites they were posted on


def snippet(text: str, query: str, width: int = 36, mark: tuple[str, str] = ("【", "】")) -> str:
    """A piece of ``text`` around the first match of any query term, the match marked."""
    lowered = text.lower()
    best = None
    for term in query.split():
        found = brute_force_pattern(term).search(lowered)
        if found and (best is None or found.start() < best.start()):
            best = found
    if best is None:
        return text[: width * 2].replace("\n", " ")
    start = max(0, best.start() - width)
    end = min(len(text), best.end() + width)
    piece = text[start : best.start()] + mark[0] + text[best.start() : best.end()] + mark[1] + text[best.end() : end]
    return ("…" if start else "") + piece.replace("\n", " ") + ("…" if end < len(text) else "")


def hit_snippet(title: str | None, body: str | None, query: str) -> str:
    """The snippet of a hit: from the body when a term is found there, else from the title."""
    text = body if any(brute_force_pattern(t).search((body or "").lower()) for t in query.split()) else title
    return snippet(text or "", query)
