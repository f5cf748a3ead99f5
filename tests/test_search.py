"""Chinese search equals a brute-force scan of the same text, for 1-, 2-, 3+-character and mixed queries."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xzcrawler.core import search as S
from xzcrawler.store import search as SS

from .conftest import cli


def brute_force(path, query):
    db = sqlite3.connect(path)
    patterns = [S.brute_force_pattern(term) for term in query.split()]
    return {
        aid
        for aid, title, body in db.execute("SELECT article_id, title, body_text FROM articles")
        if all(p.search((title or "").lower()) or p.search((body or "").lower()) for p in patterns)
    }


def indexed(path, query):
    return {hit.article_id for hit in SS.search(sqlite3.connect(path), query, limit=1_000_000)}


@pytest.mark.parametrize(
    "query",
    [
        "徐州",
        "园区",
        "科创产业带",
        "5G",
        "徐",
        "园",
        "高新技术产业园",
        "5G园区",
        "园区5G",
        "徐州 5G",
        "5g",
        "一城两区",
        "蕞近",
    ],
)
def test_search_equals_brute_force(mirror_archive, query):
    _, path = mirror_archive
    expected = brute_force(path, query)
    assert indexed(path, query) == expected
    if query in ("徐州", "园区", "5G", "徐"):
        assert expected, "the mirror should contain this word"


def test_tokens_are_bigrams_plus_the_last_character_and_ascii_words():
    assert S.tokens("徐州市5G产业园，Park") == ["徐州", "州市", "市", "5g", "产业", "业园", "园", "park"]
    assert S.characters("徐州", "州市") == "州 市 徐"


def test_ranking_prefers_title_matches(mirror_archive):
    _, path = mirror_archive
    hits = SS.search(sqlite3.connect(path), "产业园", limit=50)
    in_title = [("产业园" in h.title) for h in hits]
    assert in_title[0] and in_title == sorted(in_title, reverse=True)


def test_filters_and_snippet(mirror_archive):
    _, path = mirror_archive
    hits = SS.search(sqlite3.connect(path), "园区", limit=500, category="徐州产业信息", since="2000-01-01")
    assert hits and all(h.category == "徐州产业信息" for h in hits)
    assert all("【园区】" in h.snippet for h in hits if "园区" in h.snippet.replace("【", "").replace("】", ""))


@pytest.mark.parametrize(
    ("category", "since"), [(None, None), ("徐州产业信息", None), (None, "2025-06-01"), ("徐州厂房出租", "2025-01-01")]
)
def test_the_total_counts_what_the_filters_select(mirror_archive, category, since):
    """`5 hit(s) shown; N article(s) match`: N is what the query and its filters select (it was the
    unfiltered count), and each --json line carries it."""
    _, path = mirror_archive
    db = sqlite3.connect(path)
    rows = dict(
        db.execute("SELECT article_id, coalesce(category, '') || '|' || coalesce(published_date, '') FROM articles")
    )
    expected = {
        aid
        for aid in brute_force(path, "园区")
        if (category is None or rows[aid].split("|")[0] == category)
        and (since is None or rows[aid].split("|")[1] >= since)
    }
    assert SS.count(db, "园区", category=category, since=since) == len(expected)
    args = [*(["--category", category] if category else []), *(["--since", since] if since else [])]
    result = cli("search", "园区", "--db", str(path), "--limit", "5", *args)
    assert result.returncode == 0, result.stderr
    assert f"; {len(expected)} article(s) match" in result.stderr
    lines = cli("search", "园区", "--db", str(path), "--json", "--limit", "5", *args).stdout.splitlines()
    assert {json.loads(line)["total"] for line in lines} == {len(expected)}
    if category or since:
        assert len(expected) < len(brute_force(path, "园区"))  # the filter narrowed it


def test_cli_prints_date_title_url_and_marked_snippet(mirror_archive):
    _, path = mirror_archive
    result = cli("search", "科创产业带", "--db", str(path), "--limit", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "/index.php/post/" in lines[1] and "【科创产业带】" in lines[2]
    result = cli("search", "徐州", "--db", str(path), "--json", "--limit", "2")
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()]


def test_index_follows_edits(tmp_path):
    from xzcrawler.store import SqliteStore

    from .test_archive import reference_record

    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.add_article(reference_record())
    assert indexed(path, "裘培兴") == {2176}
    with SqliteStore(path) as archive:
        record = reference_record("2025-12-01T00:00:00Z")
        record["body_text"] = record["body_text"].replace("裘培兴", "某某")
        archive.add_article(record)
    assert indexed(path, "裘培兴") == set() and indexed(path, "某某") == {2176}


def test_common_words_list_title_matches_first_and_still_find_everything(mirror_archive, monkeypatch):
    _, path = mirror_archive
    monkeypatch.setattr(SS, "RANK_ALL_UP_TO", 5)  # as if the archive were 100,000 articles
    for query in ("园区", "徐"):
        hits = SS.search(sqlite3.connect(path), query, limit=1_000_000)
        assert {h.article_id for h in hits} == brute_force(path, query)
        in_title = [query in h.title for h in hits]
        assert in_title == sorted(in_title, reverse=True)


# Characters at and past the edges of the CJK ranges, ASCII words, punctuation and others (a lone
# surrogate, an ideograph past the BMP).
EDGES = "徐州市厂房aZ09 ，。_-é\x00\n\u3400\u4dbf\u4dc0\u4e00\u9fff\ua000\uf900\ufaff\ufb00\ud800\U00020000"


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(EDGES)), st.one_of(st.none(), st.text(st.sampled_from(EDGES))), st.text(max_size=40))
def test_an_index_row_is_its_definition(title, body, other):
    """The index's tokens and characters (made fast) against their definition written plainly: each
    run of ideographs its overlapping bigrams and its last character, each ASCII word lower-cased;
    each distinct ideograph once, in code point order."""

    def tokens(text):
        out = []
        for segment in re.findall(f"[{S.CJK}]+|[0-9A-Za-z]+", text or ""):
            if re.fullmatch(f"[{S.CJK}]+", segment):
                out += [segment[i : i + 2] for i in range(len(segment) - 1)] + [segment[-1]]
            else:
                out.append(segment.lower())
        return out

    for text in (title, body, other):
        assert S.tokens(text) == tokens(text)
    chars = sorted({c for text in (title, body) for c in (text or "") if re.fullmatch(f"[{S.CJK}]", c)})
    assert S.index_row(title, body) == {
        "title_bi": " ".join(tokens(title)),
        "body_bi": " ".join(tokens(body)),
        "chars": " ".join(chars),
    }
