"""The merge's rule book (core/merging.py), pure: what a shard's row means beside the one the
target holds. Both stores merge by these rules (tests/test_store_protocol.py); here each rule
alone, on the cases a merge meets."""

from __future__ import annotations

import json

from xzcrawler.core import merging as M


def row(**fields) -> dict:
    return {"site": "s", "article_id": 1, "title": "t", "revision": 1, **fields}


def test_the_article_fetched_later_wins_and_keeps_the_first_seen_of_both():
    ours = row(fetched_at="2026-01-02", last_seen="2026-01-02", first_seen="2026-01-01", views=5)
    theirs = row(fetched_at="2026-01-03", last_seen="2026-01-03", first_seen="2026-01-03", views=9, revision=4)
    kept = M.article(ours, theirs)
    assert kept["views"] == 9 and kept["first_seen"] == "2026-01-01"
    assert kept["revision"] == 1  # (the number is the merged history's)
    assert M.article(theirs, ours) is None  # an older fetch never replaces a newer one
    assert M.article(None, ours) == ours
    assert M.article(ours, dict(ours, revision=7)) is None  # says nothing else: nothing to write


def test_the_same_fetch_is_won_by_the_side_that_saw_it_or_read_its_count_later():
    fetch = {"fetched_at": "2026-01-02T00:00:00Z", "first_seen": "2026-01-02T00:00:00Z"}
    ours = row(**fetch, last_seen="2026-01-02T00:00:00Z", views_observed_at="2026-01-02T00:00:00Z", views=5)
    checked = row(**fetch, last_seen="2026-01-05T00:00:00Z", views_observed_at="2026-01-02T00:00:00Z", views=5)
    listed = row(**fetch, last_seen="2026-01-02T00:00:00Z", views_observed_at="2026-01-06T00:00:00Z", views=8)
    assert M.article(ours, checked)["last_seen"] == "2026-01-05T00:00:00Z"  # a 304 later
    assert M.article(ours, listed)["views"] == 8  # a listing's count read later
    assert M.article(listed, ours) is None  # and merged again, the older word does not come back


def test_revisions_both_sides_hold_merge_by_time_and_content_never_by_number():
    a, b, c = ({"title": t, "body_text": t, "category": None, "byline": None, "images": "[]"} for t in "abc")
    ours = [M.Event("2026-01-01", 0, a), M.Event("2026-01-03", 0, c), M.Event("2026-01-03", 1, c)]
    theirs = [M.Event("2026-01-01", 0, a), M.Event("2026-01-02", 0, b), M.Event("2026-01-02", 1, b)]
    merged = M.history(ours, theirs, shard_wins=False)
    assert [(r.number, r.at, r.current) for r in merged] == [
        (1, "2026-01-01", False),
        (2, "2026-01-02", False),
        (3, "2026-01-03", True),
    ]
    assert [r.fields for r in merged] == [a, b, None]  # (the current content is the article row's)
    changed = [json.loads(r.changed) if r.changed else None for r in merged]
    assert changed == [None, ["title", "body_text"], ["title", "body_text"]]
    # the same content seen again is no revision; images compare as lists, not as their JSON
    again = [M.Event("2026-01-04", 1, {**a, "images": []})]
    assert [r.at for r in M.history([M.Event("2026-01-01", 1, a)], again, shard_wins=True)] == ["2026-01-01"]


def test_a_span_keeps_the_first_and_last_sighting_and_the_latest_words():
    ours = {"site": "s", "url": "u", "name": "厂房", "first_seen": "2026-01-02", "last_seen": "2026-01-05"}
    older = {**ours, "name": "旧名", "first_seen": "2026-01-01", "last_seen": "2026-01-03"}
    kept = M.CATEGORIES.merge(ours, older)
    assert kept == {**ours, "first_seen": "2026-01-01"}  # the name the later sighting gave stays
    newer_unnamed = {**ours, "name": None, "last_seen": "2026-01-09"}
    assert M.CATEGORIES.merge(ours, newer_unnamed) == {**ours, "last_seen": "2026-01-09"}  # keep_null
    link = {"site": "s", "article_id": 1, "to_url": "u", "title": "a", "excerpt": "x"}
    link |= {"first_seen": "2026-01-01", "last_seen": "2026-01-02"}
    later = {**link, "excerpt": None, "last_seen": "2026-01-03"}
    assert M.RELATED_SEEN.merge(link, later)["excerpt"] is None  # the related list as seen last
    assert M.CATEGORIES.merge(ours, dict(ours)) is None


def test_the_newest_word_replaces_and_a_tie_only_where_the_rule_says():
    traits = {"site": "s", "counts_own_fetches": 1, "plus_one": 3, "same": 0, "updated_at": "2026-01-02"}
    assert M.SITE_TRAITS.merge(traits, {**traits, "counts_own_fetches": 0, "updated_at": "2026-01-01"}) is None
    assert M.SITE_TRAITS.merge(traits, {**traits, "plus_one": 4}) is None  # same time: the held word stays
    assert M.SITE_TRAITS.merge(traits, {**traits, "plus_one": 4, "updated_at": "2026-01-03"})["plus_one"] == 4
    failure = {"url": "u", "kind": "http", "attempts": 1, "last_tried": "2026-01-02", "resolved_at": None}
    assert M.FAILURES.merge(failure, {**failure, "resolved_at": "2026-01-02"})["resolved_at"] == "2026-01-02"
    assert M.FAILURES.merge(failure, dict(failure)) is None
    run = {"site": "s", "spider": "articles", "started_at": "t", "status": "running"}
    assert M.CRAWL_RUNS.merge(run, {**run, "status": "finished"})["status"] == "finished"


def test_append_only_rows_are_the_union_once_each():
    assert M.union([(1, "a")], [(2, "b"), (1, "a"), (2, "b")]) == [(2, "b")]
