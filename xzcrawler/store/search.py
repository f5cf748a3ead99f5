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


def count(db, query: str, category: str | None = None, since: str | None = None, stories: bool = False) -> int:
    """How many articles match ``query`` and the filters (all of them, whatever a search's limit);
    ``stories``: how many stories (an article without a story key is one of its own)."""
    check_query(query)
    expression = match_expression(query)
    if expression is None:
        return 0
    conn = getattr(db, "conn", db)
    where, params = _filters(category, since)
    matched = f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?{where}"
    if stories:
        return conn.execute(
            f"SELECT count(DISTINCT coalesce(story_id, 'article:' || site || '/' || article_id)) FROM articles "
            f"WHERE rowid IN ({matched})",
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
    db, query: str, limit: int = 20, category: str | None = None, since: str | None = None, stories: bool = False
) -> list[Hit]:
    """Ranked hits for ``query`` in an archive's sqlite-utils Database (or sqlite3 connection).
    ``stories``: each story once (its best-ranked copy), not each cross-posted copy."""
    check_query(query)
    conn = getattr(db, "conn", db)
    where, params = _filters(category, since)
    fetch = limit
    while True:
        rowids = _ranked_rowids(conn, query, fetch, where, params)
        hits: list[Hit] = []
        told: set[str] = set()
        for rowid in rowids:
            site, article_id, title, url, published, cat, body, story, name = conn.execute(
                "SELECT a.site, a.article_id, a.title, a.url, a.published_date, a.category, a.body_text, a.story_id, "
                "s.name FROM articles a LEFT JOIN sites s ON s.site = a.site WHERE a.rowid = ?",
                [rowid],
            ).fetchone()
            key = story or f"article:{site}/{article_id}"
            if stories and key in told:
                continue
            told.add(key)
            copies = (
                conn.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story]).fetchone()[0] if story else 1
            )
            text = body if any(brute_force_pattern(t).search((body or "").lower()) for t in query.split()) else title
            hits.append(
                Hit(site, article_id, title, url, published, cat, snippet(text or "", query), story, copies, name)
            )
            if len(hits) == limit:
                return hits
        if not stories or len(rowids) < fetch:
            return hits
        fetch *= 4  # copies took places: look further down the ranking
