"""Datasette on loopback with the project's metadata: canned queries answer as JSON."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(mirror_archive, tmp_path_factory):
    pytest.importorskip("datasette")
    _, path = mirror_archive
    db = tmp_path_factory.mktemp("ds") / "evo.db"  # any file name: Datasette names the database after it
    shutil.copy(path, db)
    from xzcrawler.store import SqliteStore

    with SqliteStore(db) as archive:  # one article gains 500 views, seen later on a listing page
        site, article_id, views = archive.db.execute(
            "SELECT site, article_id, views FROM articles WHERE views IS NOT NULL ORDER BY article_id LIMIT 1"
        ).fetchone()
        # two days after the capture (conftest.NOW, 2026-11-27T16:30:00Z)
        archive.observe_listing(site, [{"article_id": article_id, "views": views + 500}], "2026-11-29T16:30:00Z")
    proc, base = start_serve(db)
    yield base, db
    proc.terminate()
    proc.wait(timeout=10)


def start_serve(db, env=None) -> tuple[subprocess.Popen, str]:
    """`xzcrawler serve DB` on a free loopback port, once it answers. Its output goes to a file:
    a pipe nobody reads fills with the request log and stalls the server."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xzcrawler.cli", "serve", str(db), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2)
            return proc, base
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace")) from None
            time.sleep(0.2)


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_most_viewed_canned_query(datasette):
    base, db = datasette
    rows = get(base + "/evo/most_viewed.json?_shape=array")
    assert rows and len(rows) == min(100, 300)
    views = [r["views"] for r in rows]
    assert views == sorted(views, reverse=True)
    import sqlite3

    assert views[0] == sqlite3.connect(db).execute("SELECT max(views) FROM articles").fetchone()[0]


def test_search_and_per_month_canned_queries(datasette):
    import sqlite3

    base, db = datasette
    rows = get(base + "/evo/search.json?_shape=array&q=" + urllib.parse.quote("园区"))
    assert rows and all("【园区】" in r["match"] for r in rows)
    months = get(base + "/evo/articles_per_month_per_category.json?_shape=array")
    dated = sqlite3.connect(db).execute("SELECT count(*) FROM articles WHERE published_date IS NOT NULL").fetchone()[0]
    assert sum(r["articles"] for r in months) == dated > 250


def test_metadata_describes_tables_and_columns(datasette):
    base, _ = datasette
    meta = get(base + "/-/metadata.json")
    tables = meta["databases"]["evo"]["tables"]
    assert {"articles", "revisions", "view_snapshots", "related_links"} <= set(tables)
    assert "body_text" in tables["articles"]["columns"]


def test_fastest_growing_views_canned_query(datasette):
    base, _ = datasette
    rows = get(base + "/evo/fastest_growing_views.json?_shape=array")
    assert len(rows) == 1 and rows[0]["gained"] == 500 and rows[0]["last_at"] == "2026-11-29T16:30:00Z"
    assert (rows[0]["span_days"], rows[0]["per_day"]) == (2.0, 250.0)  # over the real span


def test_every_canned_query_answers_and_stories_add_up(datasette):
    import sqlite3

    base, db = datasette
    meta = get(base + "/-/metadata.json")
    for name in meta["databases"]["evo"]["queries"]:
        get(base + f"/evo/{name}.json?_shape=array&q=" + urllib.parse.quote("园区"))  # an SQL error is a 400
    per_site = get(base + "/evo/stories_per_site.json?_shape=array")
    conn = sqlite3.connect(db)
    assert sum(r["articles"] for r in per_site) == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert sum(r["stories"] for r in per_site) == conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    stories = get(base + "/evo/stories.json?_shape=array&_size=max")
    assert sum(r["copies"] for r in stories) == conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_the_family_queries_add_up(datasette):
    import sqlite3

    base, db = datasette
    conn = sqlite3.connect(db)
    per_site = get(base + "/evo/families_per_site.json?_shape=array")
    assert sum(r["articles"] for r in per_site) == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    members = conn.execute("SELECT count(*) FROM family_members").fetchone()[0]
    assert sum(r["in_a_family"] for r in per_site) == members > 0
    site, aid, family = conn.execute("SELECT site, article_id, family FROM family_members ORDER BY family").fetchone()
    query = urllib.parse.urlencode({"site": site, "article_id": aid, "_shape": "array"})
    rows = get(base + "/evo/family_of_post.json?" + query)
    (size,) = conn.execute("SELECT members FROM families WHERE family = ?", [family]).fetchone()
    assert {r["family"] for r in rows} == {family} and len(rows) == size > 1
    assert (site, aid) in {(r["site"], r["article_id"]) for r in rows}
    reused = get(base + "/evo/most_reused_texts.json?_shape=array")
    assert [r["members"] for r in reused] == sorted((r["members"] for r in reused), reverse=True)
    # one site: its families of two posts or more, all of them
    pairs = get(base + "/evo/reuse_between_sites.json?_shape=array")
    assert [(r["site_a"], r["site_b"], r["families"]) for r in pairs] == [
        (site, site, conn.execute("SELECT count(*) FROM families").fetchone()[0])
    ]
    # a spanning set of links: n - 1 a family of n
    links, members, families = conn.execute(
        "SELECT (SELECT count(*) FROM family_links), sum(members), count(*) FROM families"
    ).fetchone()
    assert links == members - families


@pytest.mark.parametrize("word", ["工业园区", "园区", "徐", "5G", "5G产业园", "徐州 厂房"])
def test_datasette_search_finds_what_xzcrawler_search_finds(datasette, word):
    """The search box of articles and the canned search go through the bigram index (the
    project's Datasette plugin): the same matches, the same count, the same ranking."""
    import sqlite3

    from xzcrawler.store import search

    base, db = datasette
    conn = sqlite3.connect(db)
    total = search.count(conn, word)
    assert total > 0
    table = get(base + "/evo/articles.json?_size=1&_search=" + urllib.parse.quote(word))
    assert table["filtered_table_rows_count"] == total
    rows = get(base + "/evo/search.json?_shape=array&q=" + urllib.parse.quote(word))
    assert rows[0]["total"] == total and len(rows) == min(total, 100)
    assert all("【" in row["match"] for row in rows)
    expected = search.search(conn, word, limit=100)
    assert [(r["site"], r["article_id"]) for r in rows] == [(h.site, h.article_id) for h in expected]
    assert [r["match"] for r in rows] == [h.snippet for h in expected]
    # the plain scan agrees on the count
    pattern = [search.brute_force_pattern(term) for term in word.split()]
    scanned = sum(
        all(p.search(f"{t or ''}\n{b or ''}".lower()) for p in pattern)
        for t, b in conn.execute("SELECT title, body_text FROM articles")
    )
    assert scanned == total


def test_the_plugin_leaves_other_databases_alone(tmp_path):
    import sqlite3

    from xzcrawler.datasette import plugin

    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
    plugin.prepare_connection(other, "other", None)
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        other.execute("SELECT xz_match('园区')")
    archive = sqlite3.connect(tmp_path / "a.db")
    archive.execute("CREATE VIRTUAL TABLE search_index USING fts5(title_bi, body_bi, chars)")
    plugin.prepare_connection(archive, "a", None)
    assert archive.execute("SELECT escape_fts('工业园区')").fetchone()[0].count('"') == 6  # 工业 业园 园区
    assert archive.execute("SELECT xz_match('，。')").fetchone()[0] == plugin.NOTHING


def test_every_row_of_articles_downloads_once(datasette):
    """Datasette pages a streamed CSV by its keys; a default sort on a nullable, non-unique column
    (published_date, as the metadata had it) gave 3,605 rows for the demo's 3,600, with some twice
    and some missing. Without it the download is the table, page after page."""
    import csv
    import io
    import sqlite3

    base, db = datasette
    truth = {(site, str(aid)) for site, aid in sqlite3.connect(db).execute("SELECT site, article_id FROM articles")}
    for query in ("_stream=on&_size=50", "_stream=on&_size=max"):
        with urllib.request.urlopen(f"{base}/{db.stem}/articles.csv?{query}", timeout=60) as response:
            rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))
        assert len(rows) == len(truth) and {(r["site"], r["article_id"]) for r in rows} == truth, query


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """An archive with every table filled: two crawls of a 60-article mirror a day apart."""
    import datetime as dt

    from tests.conftest import NOW, run_crawl
    from xzcrawler.mirror.server import serve_in_thread
    from xzcrawler.mirror.site import MirrorSite

    from .conftest import replace_site

    pytest.importorskip("datasette")
    work = tmp_path_factory.mktemp("crawled")
    server, base = serve_in_thread(MirrorSite(60, now=NOW, epoch=NOW))
    try:
        for day in (0, 1):
            now = NOW + dt.timedelta(days=day)
            replace_site(server, MirrorSite(60, now=now, epoch=NOW, add=3 * day, grow_views=day))
            result = run_crawl(base, work, "-a", "full=1", now=now)
            assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    db = work / "archive.db"
    proc, url = start_serve(db)
    yield url, db
    proc.terminate()
    proc.wait(timeout=10)


def _offered_sorts(table: str, columns: list[str]) -> list[str | None]:
    """The sorts Datasette offers on ``table``: the metadata's sortable_columns, else every column."""
    from xzcrawler.datasette import metadata

    (database,) = metadata()["databases"].values()
    return [None, *database["tables"].get(table, {}).get("sortable_columns", columns)]


def test_every_table_and_view_downloads_as_it_is_with_every_offered_sort(crawled):
    """CSV (streamed) and JSON (page after page), 20 rows a page, unsorted and with each sort the
    metadata offers, both ways: the row multiset equals SQL's. Datasette 0.65 orders a sorted
    table's first page without its key as tie-break, so a sort on a column with ties lost and
    doubled rows (articles by site: 107 of 123): the metadata offers sorts on unique keys only."""
    import csv
    import io
    import sqlite3
    from collections import Counter

    base, db = crawled
    conn = sqlite3.connect(db)
    exposed = get(f"{base}/{db.stem}.json")
    names = [t["name"] for t in exposed["tables"] if not t["hidden"]] + [v["name"] for v in exposed["views"]]
    names = [n for n in names if n != "search_index" and not n.startswith("search_index_")]  # (contentless FTS)
    assert {"articles", "view_snapshots", "revisions", "stories", "crawl_runs", "warc_records"} <= set(names)
    checked = 0
    for name in names:
        # (a BLOB column is shown as a link to its bytes, not as them: compared by the other columns)
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})") if row[2].upper() != "BLOB"]
        truth = Counter(
            tuple("" if v is None else str(v) for v in row)
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM {name}")
        )
        for sort in _offered_sorts(name, columns):
            for key in ("_sort", "_sort_desc") if sort else ("",):
                query = "_size=20" + (f"&{key}={sort}" if sort else "")
                with urllib.request.urlopen(f"{base}/{db.stem}/{name}.csv?{query}&_stream=on", timeout=60) as response:
                    head, *rows = list(csv.reader(io.StringIO(response.read().decode("utf-8-sig"))))
                at = [head.index(c) for c in columns]
                assert Counter(tuple(r[i] for i in at) for r in rows) == truth, (name, query, "csv")
                rows, url = [], f"{base}/{db.stem}/{name}.json?{query}&_shape=objects"
                while url:
                    page = get(url)
                    rows += page["rows"]
                    url = page.get("next_url")
                got = Counter(tuple("" if o.get(c) is None else str(o.get(c)) for c in columns) for o in rows)
                assert got == truth, (name, query, "json")
                checked += 1
    assert checked > len(names)


def test_the_changes_feed_is_served_as_valid_atom(datasette):
    """`xzcrawler serve` serves the change feed: the canned `changes` query as Atom (datasette-atom),
    per site or for all, each entry with its stable id (issue 32, item 2)."""
    import sqlite3

    import feedparser

    base, db = datasette
    revisions = sqlite3.connect(db).execute("SELECT count(*) FROM revisions").fetchone()[0]
    with urllib.request.urlopen(f"{base}/evo/changes.atom?site=&category=", timeout=30) as response:
        parsed = feedparser.parse(response.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == min(revisions, 200)
    assert all(entry.id.startswith("tag:xzcrawler,2026:") for entry in parsed.entries)
    times = [entry.updated for entry in parsed.entries]
    assert times == sorted(times, reverse=True)
    with urllib.request.urlopen(f"{base}/evo/changes.atom?site=nowhere.example&category=", timeout=30) as response:
        (nothing,) = feedparser.parse(response.read()).entries
    assert nothing.id == "tag:xzcrawler,2026:nothing"


def test_every_csv_download_opens_right_in_excel(datasette):
    """Datasette's CSV downloads start with a UTF-8 byte order mark, as the project's own CSV
    export does (Excel shows the Chinese as mojibake without one), streamed or not."""
    base, db = datasette
    for path in (
        f"/{db.stem}/articles.csv?_size=5",
        f"/{db.stem}/articles.csv?_stream=on",
        f"/{db.stem}/most_viewed.csv",
    ):
        with urllib.request.urlopen(base + path, timeout=60) as response:
            body = response.read()
        assert body.startswith(b"\xef\xbb\xbf") and not body[3:].startswith(b"\xef\xbb\xbf"), path
        assert "徐州" in body.decode("utf-8-sig")
    with urllib.request.urlopen(f"{base}/{db.stem}/articles.json?_size=1", timeout=60) as response:
        assert not response.read().startswith(b"\xef\xbb\xbf")  # JSON is left alone


def test_every_canned_query_returns_all_its_rows_or_says_it_is_cut(datasette):
    """Nothing a reader sees is cut without saying so (issue 32, item 4): each canned query returns
    as many rows as its SQL selects, or its title says it is a top N (then exactly N, or all of
    them when there are fewer). Datasette's own cap (1,000 rows) cut the newest months of
    'articles per month per category' off the chart; 'stories posted on several sites' stopped
    at 200 of 337."""
    import re

    base, db = datasette
    meta = get(base + "/-/metadata.json")
    params = {"q": "园区", "site": "", "category": ""}
    for name, query in meta["databases"]["evo"]["queries"].items():
        sql = query["sql"]
        named = {key: value for key, value in params.items() if f":{key}" in sql}
        shown = get(base + f"/evo/{name}.json?_shape=array&" + urllib.parse.urlencode(named))
        if name == "changes":
            sql = sql.split("WITH c AS (", 1)[1].rsplit(") SELECT * FROM c", 1)[0]  # the feed's own rows
        uncut = re.sub(r"\s+LIMIT \d+\s*$", "", sql)
        total = get(
            base
            + "/evo.json?_shape=array&"
            + urllib.parse.urlencode({"sql": f"SELECT count(*) AS n FROM ({uncut})", **named})
        )[0]["n"]
        cut = re.search(r"LIMIT (\d+)\s*$", sql)
        title = query.get("title", "")
        if cut:
            n = int(cut.group(1))
            assert re.search(rf"\b(top|newest|best-ranked)\b.*\b{n}\b|\b{n}\b.*\b(best-ranked|newest)\b", title), (
                name,
                title,
            )
            assert len(shown) == min(n, total) or (name == "changes" and total == 0), name
        else:
            assert len(shown) == total, (name, len(shown), total)


def test_every_dashboard_chart_gets_all_its_rows(datasette):
    """The dashboard's charts (datasette-dashboards) read their rows through the database's JSON
    API, under the same cap as the canned queries: each returns as many rows as its SQL selects
    directly from the file, with the site filter empty and set (issue 32, item 4)."""
    import re
    import sqlite3

    base, db = datasette
    meta = get(base + "/-/metadata.json")
    charts = meta["plugins"]["datasette-dashboards"]["archive"]["charts"]
    site = sqlite3.connect(db).execute("SELECT site FROM articles LIMIT 1").fetchone()[0]
    checked = 0
    for name, chart in charts.items():
        for value in ("", site):
            # datasette-dashboards drops a [[ ... ]] block whose parameter is empty, keeps it else
            sql = re.sub(r"\[\[(.*?)\]\]", (lambda m: m.group(1)) if value else "", chart["query"], flags=re.S)
            named = {"site": value} if ":site" in sql else {}
            shown = get(base + f"/{db.stem}.json?_shape=array&" + urllib.parse.urlencode({"sql": sql, **named}))
            direct = sqlite3.connect(db)
            direct.create_function("xz_change_text", -1, lambda *args: "", deterministic=True)
            expected = direct.execute(sql, named).fetchall()
            direct.close()
            assert len(shown) == len(expected), (name, value, len(shown), len(expected))
            checked += 1
    assert checked == 2 * len(charts) >= 14


def test_the_per_month_chart_colours_the_11_largest_categories_and_counts_the_rest_as_other(mirror_archive, tmp_path):
    """At the network's size (60 categories) one colour a category was unreadable: the dashboard's
    per-month chart keeps the 11 largest and folds the rest into 'other categories', losing no
    article. (The archive is given 30 categories: the module's has 5, where no rule is needed.)"""
    import re
    import sqlite3

    _, path = mirror_archive
    db = tmp_path / "many.db"
    shutil.copy(path, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET category = 'c' || (article_id % 30)")
    meta = json.loads((Path(__file__).parents[1] / "xzcrawler/datasette/metadata.json").read_text("utf-8"))
    query = meta["plugins"]["datasette-dashboards"]["archive"]["charts"]["per-month"]["query"]
    rows = conn.execute(re.sub(r"\[\[(.*?)\]\]", "", query, flags=re.S)).fetchall()
    sizes = dict(conn.execute("SELECT category, count(*) FROM articles WHERE published_date IS NOT NULL GROUP BY 1"))
    conn.close()
    shown = {category for _, category, _ in rows}
    largest = sorted(sizes, key=lambda c: (-sizes[c], c))[:11]
    assert shown == {*largest, "other categories"}
    assert sum(n for *_, n in rows) == sum(sizes.values())  # every article counted once


def test_serve_shows_the_captured_photos_from_the_archive_alone(crawled):
    """A researcher sees an article's photos in `xzcrawler serve` from the archive's WARC files
    alone (the mirror is gone): /-/xz-photo answers the bytes as captured, with the type they were
    checked to be; an address never captured whole is a 404; the images view shows thumbnails."""
    import sqlite3
    import urllib.error

    from xzcrawler.core.images import payload_digest

    base, db = crawled
    conn = sqlite3.connect(db)
    captures = conn.execute("SELECT url, digest, content_type FROM image_captures").fetchall()
    # and photos whose bytes the WARC holds only under another address (a revisit record here)
    elsewhere = conn.execute(
        "SELECT url, digest, content_type FROM image_captures c WHERE NOT EXISTS (SELECT 1 FROM warc_records w "
        "WHERE w.url = c.url AND w.record_type = 'response')"
    ).fetchall()
    assert captures and elsewhere
    for url, digest, content_type in captures[:10] + elsewhere[:5]:
        with urllib.request.urlopen(f"{base}/-/xz-photo?url={urllib.parse.quote(url, safe='')}", timeout=10) as r:
            body = r.read()
            assert r.headers["Content-Type"] == content_type and r.headers["X-Content-Type-Options"] == "nosniff"
        assert payload_digest(body) == digest
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/-/xz-photo?url={urllib.parse.quote('http://x.example/none.jpg')}", timeout=10)
    assert missing.value.code == 404
    with urllib.request.urlopen(f"{base}/{db.stem}/images", timeout=10) as r:
        page = r.read().decode("utf-8")
    assert page.count('src="/-/xz-photo?url=') >= min(len(captures), 20)
