"""Full-text search of an archive: the queries over the search index (its tokens, query syntax
and snippets are core.search's, pure). Any sqlite-utils Database or sqlite3 connection."""

from __future__ import annotations

from ..core.search import (
    INDEX_TABLE,
    RANK_ALL_UP_TO,
    WEIGHTS,
    Hit,
    brute_force_pattern,
    check_query,
    match_expression,
    snippet,
)


def _filters(category: str | None, since: str | None) -> tuple[str, list]:
    """The SQL that narrows the index's matches to the articles a search's filters select."""
    filters, params = [], []
    if category:
        filters.append("category = ?")
        params.append(category)
    if since:
        filters.append("published_date >= ?")
        params.append(since)
    where = f" AND rowid IN (SELECT rowid FROM articles WHERE {' AND '.join(filters)})" if filters else ""
    return where, params


# What one hit stands for when hits are grouped: the story (exact copies), or the family (the posts
# made from one text, core/families.py; a post in no family is its story); else the article itself.
_STORY_KEY = "coalesce(a.story_id, 'article:' || a.site || '/' || a.article_id)"
_FAMILY = "(SELECT family FROM family_members m WHERE m.site = a.site AND m.article_id = a.article_id)"
_FAMILY_KEY = f"coalesce('family:' || {_FAMILY}, {_STORY_KEY})"


def count(
    db,
    query: str,
    category: str | None = None,
    since: str | None = None,
    stories: bool = False,
    families: bool = False,
) -> int:
    """How many articles match ``query`` and the filters (all of them, whatever a search's limit);
    ``stories``: how many stories (an article without a story key is one of its own);
    ``families``: how many families (a post in none counts as its story)."""
    check_query(query)
    expression = match_expression(query)
    if expression is None:
        return 0
    conn = getattr(db, "conn", db)
    where, params = _filters(category, since)
    matched = f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?{where}"
    if stories or families:
        return conn.execute(
            f"SELECT count(DISTINCT {_FAMILY_KEY if families else _STORY_KEY}) FROM articles a "
            f"WHERE a.rowid IN ({matched})",
            [expression, *params],
        ).fetchone()[0]
    return conn.execute(f"SELECT count(*) FROM ({matched})", [expression, *params]).fetchone()[0]


def _ranked_rowids(conn, query: str, limit: int, where: str, params: list) -> list[int]:
    expression = match_expression(query)
    if expression is None:
        return []
    t = INDEX_TABLE
    (count,) = conn.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH ?{where}", [expression, *params]).fetchone()
    if count <= RANK_ALL_UP_TO:
        return [
            rowid
            for (rowid,) in conn.execute(
                f"SELECT rowid FROM {t} WHERE {t} MATCH ?{where} ORDER BY bm25({t}, {', '.join(map(str, WEIGHTS))}) LIMIT ?",
                [expression, *params, limit],
            )
        ]
    rowids: list[int] = []
    for expr in (match_expression(query, title_only=True), expression):
        sql = f"SELECT rowid FROM {t} WHERE {t} MATCH ?{where} ORDER BY rowid DESC LIMIT ?"
        for (rowid,) in conn.execute(sql, [expr, *params, limit + len(rowids)]):
            if rowid not in rowids:
                rowids.append(rowid)
        if len(rowids) >= limit:
            break
    return rowids[:limit]


def search(
    db,
    query: str,
    limit: int = 20,
    category: str | None = None,
    since: str | None = None,
    stories: bool = False,
    families: bool = False,
) -> list[Hit]:
    """Ranked hits for ``query`` in an archive's sqlite-utils Database (or sqlite3 connection).
    ``stories``: each story once (its best-ranked copy), not each cross-posted copy; ``families``:
    each family once (its best-ranked member), not each post made from the same text."""
    check_query(query)
    conn = getattr(db, "conn", db)
    where, params = _filters(category, since)
    fetch = limit
    while True:
        rowids = _ranked_rowids(conn, query, fetch, where, params)
        hits: list[Hit] = []
        told: set[str] = set()
        for rowid in rowids:
            site, article_id, title, url, published, cat, body, story, name, family = conn.execute(
                "SELECT a.site, a.article_id, a.title, a.url, a.published_date, a.category, a.body_text, a.story_id, "
                f"s.name, {_FAMILY} FROM articles a LEFT JOIN sites s ON s.site = a.site WHERE a.rowid = ?",
                [rowid],
            ).fetchone()
            key = story or f"article:{site}/{article_id}"
            if families and family:
                key = f"family:{family}"
            if (stories or families) and key in told:
                continue
            told.add(key)
            copies = (
                conn.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story]).fetchone()[0] if story else 1
            )
            members, sites = (
                conn.execute(
                    "SELECT count(*), count(DISTINCT site) FROM family_members WHERE family = ?", [family]
                ).fetchone()
                if family
                else (1, 1)
            )
            text = body if any(brute_force_pattern(t).search((body or "").lower()) for t in query.split()) else title
            hits.append(
                Hit(
                    site,
                    article_id,
                    title,
                    url,
                    published,
                    cat,
                    snippet(text or "", query),
                    story,
                    copies,
                    name,
                    family,
                    members,
                    sites,
                )
            )
            if len(hits) == limit:
                return hits
        if not (stories or families) or len(rowids) < fetch:
            return hits
        fetch *= 4  # copies (or a family's members) took places: look further down the ranking
