"""The storage library: upserts, first/last seen, failures kept raw, atomic ordered export."""

from __future__ import annotations

import json
import sqlite3

import pytest

from xzcrawler.core import items
from xzcrawler.core.pages import parse_page
from xzcrawler.core.pages.common import RawBody
from xzcrawler.pipelines import StorePipeline, ValidatePipeline
from xzcrawler.store import SqliteStore, export_articles, write_jsonl_atomic

from .conftest import FIXTURES

REFERENCE = FIXTURES / "article" / "reference-2176"


def reference_record(fetched_at="2025-11-27T10:00:00+08:00", article_id=None):
    page = parse_page(
        (REFERENCE / "page.html").read_bytes(), "http://xuzhou.021cf.cn/index.php/post/2176.html", fetched_at
    ).record
    if article_id is not None:
        page["article_id"] = article_id
    return page


def test_upsert_keeps_first_seen_and_moves_last_seen(tmp_path):
    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.add_article(reference_record("2025-11-27T10:00:00+08:00"))
    with SqliteStore(path) as archive:
        record = reference_record("2025-12-01T10:00:00+08:00")
        record["views"] = 80
        archive.add_article(record)
    db = sqlite3.connect(path)
    rows = db.execute("SELECT first_seen, last_seen, views FROM articles").fetchall()
    assert rows == [("2025-11-27T02:00:00Z", "2025-12-01T02:00:00Z", 80)]


def test_a_story_key_is_made_for_a_new_or_changed_text_and_kept_for_the_same(tmp_path):
    """core/stories.py: the stored key stands while the text is the same (a migration remakes the
    column when the way of making it changes); a changed text gets the key of its own."""
    from xzcrawler.core import stories

    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.add_article(reference_record("2025-11-27T10:00:00+08:00"))
    db = sqlite3.connect(path)
    body = db.execute("SELECT body_text FROM articles").fetchone()[0]
    assert db.execute("SELECT story_id FROM articles").fetchone()[0] == stories.story_id(body) is not None
    with db:
        db.execute("UPDATE articles SET story_id = 'made-by-a-migration'")
    with SqliteStore(path) as archive:
        archive.add_article(reference_record("2025-11-28T10:00:00+08:00"))
    assert db.execute("SELECT story_id FROM articles").fetchone()[0] == "made-by-a-migration"
    with SqliteStore(path) as archive:
        record = reference_record("2025-11-29T10:00:00+08:00")
        record["body_text"] += "\n\n新的一段：厂房已租出，面积与价格以现场为准。"
        archive.add_article(record)
    assert db.execute("SELECT story_id FROM articles").fetchone()[0] == stories.story_id(record["body_text"])
    assert stories.story_id(record["body_text"]) != stories.story_id(body)


def test_a_batchs_categories_leave_what_writing_each_article_in_turn_leaves(tmp_path):
    """One write a category a batch: first seen from the first article, the last name given (a
    missing one keeps the name), last seen from the last article."""
    path = tmp_path / "a.db"
    url = "http://xuzhou.021cf.cn/index.php/category-2.html"
    with SqliteStore(path) as archive:
        for article_id, name, day in ((1, "厂房出租", "01"), (2, None, "02"), (3, "厂房租售", "03"), (4, None, "04")):
            record = reference_record(f"2025-12-{day}T10:00:00+08:00", article_id=article_id)
            archive.add_article({**record, "category": name, "category_url": url})
    db = sqlite3.connect(path)
    assert db.execute("SELECT name, first_seen, last_seen FROM categories WHERE url = ?", [url]).fetchall() == [
        ("厂房租售", "2025-12-01T02:00:00Z", "2025-12-04T02:00:00Z")
    ]
    with SqliteStore(path) as archive:
        record = reference_record("2025-12-05T10:00:00+08:00", article_id=5)
        archive.add_article({**record, "category": None, "category_url": url})
    assert db.execute("SELECT name, first_seen, last_seen FROM categories WHERE url = ?", [url]).fetchall() == [
        ("厂房租售", "2025-12-01T02:00:00Z", "2025-12-05T02:00:00Z")
    ]


def test_batches_are_written_on_close_and_every_batch_is_atomic(tmp_path):
    path = tmp_path / "a.db"
    archive = SqliteStore(path, batch_size=3)
    for article_id in range(1, 6):
        archive.add_article(reference_record(article_id=article_id))
    # one full batch is on disk before close, the rest after
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    archive.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5


def test_export_is_ordered_and_round_trips_the_record(tmp_path, schema_validator):
    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        for article_id in (30, 4, 1000):
            archive.add_article(reference_record(article_id=article_id))
    out = tmp_path / "out" / "articles.jsonl"
    assert export_articles(path, out) == 3
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["article_id"] for r in records] == [4, 30, 1000]
    expected = reference_record(article_id=4)
    # the record as stored, and the family it belongs to (none yet: no run ended into this archive)
    assert records[0] == {**expected, "family_id": None}
    assert not list(schema_validator.iter_errors(records[0]))
    # once the families are made (a run's end, reparse, merge), the three copies are one family
    from xzcrawler.core import families

    with SqliteStore(path) as archive:
        families.update(archive)
    export_articles(path, out)
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["family_id"] for r in records] == [f"{expected['site']}/4"] * 3


def test_a_failed_export_leaves_the_previous_file_whole(tmp_path):
    out = tmp_path / "articles.jsonl"
    out.write_text('{"old": true}\n', "utf-8")

    def broken():
        yield {"a": 1}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(broken(), out)
    assert out.read_text("utf-8") == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]


class _Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count

    def set_value(self, key, value):
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)


def test_an_invalid_article_is_kept_raw_with_its_reason(tmp_path):
    stats = _Stats()
    record = reference_record()
    record["views"] = -5  # breaks the contract
    record = items.Article(record, RawBody(b"<html>raw page</html>"))
    item = ValidatePipeline(stats).process_item(record)
    archive = SqliteStore(tmp_path / "a.db")
    store = StorePipeline(archive, stats)
    store.process_item(item)
    store.process_item(item)
    store.close_spider()
    archive.close()
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    url, kind, reason, attempts, raw = db.execute(
        "SELECT url, kind, reason, attempts, raw_body FROM failures"
    ).fetchone()
    assert url.endswith("/post/2176.html") and kind == "invalid"
    assert "views" in reason
    assert attempts == 2
    assert raw == b"<html>raw page</html>"
    assert stats.values["xz/invalid_articles"] == 1


def test_a_later_success_resolves_the_failure(tmp_path):
    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.record_failure("http://xuzhou.021cf.cn/index.php/post/2176.html", "http", "500", 500)
        archive.add_article(reference_record())
    resolved = sqlite3.connect(path).execute("SELECT resolved_at FROM failures").fetchone()[0]
    assert resolved is not None


def test_opening_an_archive_twice_applies_migrations_once(tmp_path):
    path = tmp_path / "a.db"
    SqliteStore(path).close()
    SqliteStore(path).close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations")]
    assert names == [
        "m001_articles",
        "m002_history",
        "m003_search",
        "m004_warc_index",
        "m005_date_span",
        "m006_failure_digest",
        "m007_export_marks",
        "m008_date_refinements",
        "m009_run_site_key",
        "m010_stories",
        "m011_each_thing_once",
        "m012_readers_views_and_related_seen",
        "m013_sites_and_own_fetches_seen",
        "m014_archive_identity",
        "m015_views_source",
        "m016_views_rounded",
        "m017_image_captures",
        "m018_asset_captures",
        "m019_families",
    ]


def test_an_archive_from_before_history_upgrades_in_place(tmp_path):
    from sqlite_utils import Database

    from xzcrawler.store.migrations import _V1_FIELDS, migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_history")
    record = reference_record()
    old["articles"].insert(
        {**{k: record[k] for k in _V1_FIELDS}, "first_seen": record["fetched_at"], "last_seen": record["fetched_at"]}
    )
    old.close()
    with SqliteStore(path) as archive:  # opening applies the pending migration
        db = archive.db
        assert db.execute("SELECT revision, changed_fields FROM revisions").fetchall() == [(1, None)]
        assert db.execute("SELECT views, source FROM view_snapshots").fetchall() == [(69, "article")]
        assert db.execute("SELECT COUNT(*) FROM related_links").fetchone()[0] == 8
        assert db.execute("SELECT to_url FROM related_links WHERE position = 0").fetchone()[0].endswith("/1893.html")


def test_a_changed_body_makes_a_revision_naming_the_field(tmp_path):
    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.add_article(reference_record("2025-11-27T10:00:00+08:00"))
    with SqliteStore(path) as archive:
        archive.add_article(reference_record("2025-11-28T10:00:00+08:00"))  # unchanged: no revision
    with SqliteStore(path) as archive:
        edited = reference_record("2025-11-29T10:00:00+08:00")
        edited["body_text"] += "\n\n（更正）"
        edited["views"] = 75
        archive.add_article(edited)
    db = sqlite3.connect(path)
    assert db.execute("SELECT revision, changed_fields FROM revisions ORDER BY revision").fetchall() == [
        (1, None),
        (2, '["body_text"]'),
    ]
    assert db.execute("SELECT revision, views, views_observed_at FROM articles").fetchone() == (
        2,
        75,
        "2025-11-29T02:00:00Z",
    )
    assert db.execute("SELECT views FROM view_snapshots ORDER BY id").fetchall() == [(69,), (75,)]


def test_listing_observations_snapshot_only_changes(tmp_path):
    path = tmp_path / "a.db"
    with SqliteStore(path) as archive:
        archive.add_article(reference_record())
        site = "xuzhou.021cf.cn"
        seen = [{"article_id": 2176, "views": 69}, {"article_id": 1893, "views": 112}, {"article_id": 5, "views": None}]
        assert archive.observe_listing(site, seen, "2025-11-28T00:00:00Z") == 1  # 2176 unchanged, 1893 new
        assert archive.observe_listing(site, [{"article_id": 2176, "views": 90}], "2025-11-29T00:00:00Z") == 1
    db = sqlite3.connect(path)
    assert db.execute("SELECT article_id, views, source FROM view_snapshots ORDER BY id").fetchall() == [
        (2176, 69, "article"),
        (1893, 112, "listing"),
        (2176, 90, "listing"),
    ]
    assert db.execute("SELECT views, views_observed_at FROM articles").fetchone() == (90, "2025-11-29T00:00:00Z")


def test_a_later_look_refines_the_date_and_says_so(tmp_path):
    """3天前 at 00:30 on the 28th is the 24th or the 25th; a listing showing 4天前 at 20:00 the same
    day allows the 23rd or the 24th: together, the 24th. The refinement is recorded with its
    source; an absolute date agreeing adds nothing, and a vaguer look later loses nothing."""
    from xzcrawler.core import normalize as nz

    path = tmp_path / "a.db"
    record = reference_record("2026-11-28T00:30:00+08:00", article_id=7)
    record.update(published_text="3天前", **nz.parse_published("3天前", "2026-11-28T00:30:00+08:00"))
    with SqliteStore(path) as archive:
        archive.add_article(record)
        # tpure rounds: 3天前 at 00:30 is 11-24 12:30 .. 11-25 12:30, 4天前 at 11:00 is 11-23 23:00 .. 11-24 23:00
        seen = nz.parse_published("4天前", "2026-11-28T11:00:00+08:00")
        archive.observe_listing(
            record["site"], [{"article_id": 7, "views": 70, "published_text": "4天前", **seen}], "2026-11-28T03:00:00Z"
        )
        for fetched, text in (
            ("2026-12-30T10:00:00+08:00", "1个月前 (11-24)"),
            ("2027-01-02T10:00:00+08:00", "1个月前"),
        ):
            archive.add_article(
                dict(record, fetched_at=nz.utc_iso(fetched), published_text=text, **nz.parse_published(text, fetched))
            )
    db = sqlite3.connect(path)
    assert db.execute(
        "SELECT published_date, published_precision, published_earliest, published_latest FROM articles"
    ).fetchone() == ("2026-11-24", "day", "2026-11-24", "2026-11-24")
    assert db.execute(
        "SELECT source, published_text, old_earliest, old_latest, old_precision, new_earliest, new_latest, "
        "new_precision FROM date_refinements"
    ).fetchall() == [("listing", "4天前", "2026-11-24", "2026-11-25", "month", "2026-11-24", "2026-11-24", "day")]


def test_every_field_of_the_schema_has_its_column(tmp_path):
    """A new schema property without its migration would fail here (and every write)."""
    from xzcrawler.core.validate import schema

    with SqliteStore(tmp_path / "a.db") as archive:
        columns = set(archive.db["articles"].columns_dict)
    assert set(schema()["properties"]) <= columns


def test_m010_groups_the_articles_of_an_older_archive_into_stories(tmp_path):
    """An archive written before stories existed gets its story ids and the stories view."""
    path = tmp_path / "old.db"
    body = "园区管委会表示，将继续优化营商环境，加快项目落地。记者了解到，该项目一期工程预计明年投产。"
    with SqliteStore(path) as archive:
        for site, aid, stamp in (
            ("a.example", 1, "发布日期:2024-01-02"),
            ("b.example", 7, "发布时间：2024-02-03 10:00:00"),
        ):
            record = {"url": f"http://{site}/index.php/post/{aid}.html", "site": site, "article_id": aid}
            archive.add_article(
                {**record, "title": f"t{aid}", "body_text": f"{body}\n\n{stamp}", "fetched_at": "2024-03-01T00:00:00Z"}
            )
    db = sqlite3.connect(path)
    db.executescript(
        "DROP VIEW stories; DROP INDEX idx_articles_story_id; ALTER TABLE articles DROP COLUMN story_id;"
        "DELETE FROM _sqlite_migrations WHERE name = 'm010_stories';"
    )
    db.close()
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    ids = [story for (story,) in db.execute("SELECT story_id FROM articles")]
    assert len(ids) == 2 and ids[0] == ids[1] is not None
    assert db.execute("SELECT copies, sites FROM stories").fetchall() == [(2, 2)]


def test_each_version_is_stored_once_and_the_revisions_view_reads_them_all(tmp_path):
    """A revision's content is stored once: the current one is the article row, a superseded one
    is written when it is superseded; the revisions view shows every version whole, and the
    contentless search index forgets the old text."""
    from xzcrawler.store import search

    path = tmp_path / "a.db"
    bodies = []
    with SqliteStore(path) as archive:
        for n, marker in enumerate(("", "（更正）", "（再更正：裘培兴）")):
            record = reference_record(f"2025-11-2{7 + n}T10:00:00+08:00")
            record["body_text"] += marker and f"\n\n{marker}"
            bodies.append(record["body_text"])
            archive.add_article(record)
            archive.flush()
    db = sqlite3.connect(path)
    log = db.execute(
        "SELECT revision, current, body_text IS NULL, title IS NULL FROM revision_log ORDER BY 1"
    ).fetchall()
    assert log == [(1, 0, 0, 0), (2, 0, 0, 0), (3, 1, 1, 1)]
    view = db.execute("SELECT revision, body_text, title, changed_fields FROM revisions ORDER BY 1").fetchall()
    assert [row[1] for row in view] == bodies
    assert all(row[2] == view[0][2] for row in view)
    assert [row[3] for row in view] == [None, '["body_text"]', '["body_text"]']
    # the index holds the current text only (an entry deleted with the wrong values would be corrupt)
    assert search.count(db, "再更正") == 1 and search.count(db, "裘培兴") == 1
    db.execute(f"INSERT INTO {search.INDEX_TABLE} ({search.INDEX_TABLE}) VALUES ('integrity-check')")
    assert search.count(db, "更正") == 1
    # related links and images are the article's, read through views
    assert db.execute("SELECT count(*) FROM related_links").fetchone()[0] == len(reference_record()["related"])
    assert db.execute("SELECT type FROM sqlite_master WHERE name = 'related_links'").fetchone() == ("view",)


def test_m011_stores_each_version_once_in_an_older_archive(tmp_path):
    """An archive written by m010 (revision 1 copying the article, related links copied, the
    search index with its content) keeps what it said, each thing once."""
    from sqlite_utils import Database

    from xzcrawler.core import search
    from xzcrawler.store.migrations import migrations
    from xzcrawler.store.search import count

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m011_each_thing_once")
    record = reference_record()
    record.pop("views_shown")  # a column of m012
    record.pop("views_rounded")  # a column of m016
    row = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in record.items()}
    old["articles"].insert(
        {**row, "revision": 2, "first_seen": record["fetched_at"], "last_seen": record["fetched_at"]}
    )
    fields = ("title", "body_text", "category", "category_url", "byline", "images", "related", "content_hash")
    for revision, body in ((1, "旧的正文，后来改了。" * 5), (2, row["body_text"])):
        old["revisions"].insert(
            {
                "site": row["site"],
                "article_id": row["article_id"],
                "revision": revision,
                "fetched_at": row["fetched_at"],
                **{f: row[f] for f in fields},
                "body_text": body,
            }
        )
    for i, item in enumerate(record["related"]):
        old["related_links"].insert(
            {
                "site": row["site"],
                "article_id": row["article_id"],
                "position": i,
                "to_url": item["url"],
                "title": item["title"],
                "excerpt": item.get("excerpt"),
            }
        )
    old.execute(
        f"INSERT INTO {search.INDEX_TABLE} (rowid, title_bi, body_bi, chars) VALUES (1, ?, ?, ?)",
        list(search.index_row(row["title"], row["body_text"]).values()),
    )
    old.conn.commit()
    before = old.execute("SELECT revision, body_text, related FROM revisions ORDER BY 1").fetchall()
    columns = "site, article_id, position, to_url, title, excerpt"
    links = old.execute(f"SELECT {columns} FROM related_links ORDER BY position").fetchall()
    old.close()
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT revision, body_text, related FROM revisions ORDER BY 1").fetchall() == before
    assert db.execute("SELECT body_text IS NULL, current FROM revision_log ORDER BY revision").fetchall() == [
        (0, 0),
        (1, 1),
    ]
    assert db.execute(f"SELECT {columns} FROM related_links ORDER BY position").fetchall() == links
    assert count(db, "园区") == 1 and count(db, "后来改了") == 0


def test_migrations_read_no_list_that_may_change():
    """A migration does what it did when it was written: its body names no live field list (a
    field added to REVISION_FIELDS later must not change what m002 or m011 create)."""
    import ast
    import importlib
    import inspect

    module = importlib.import_module("xzcrawler.store.migrations")

    live = {"ARTICLE_FIELDS", "JSON_FIELDS", "CONTENT_FIELDS", "REVISION_FIELDS"}
    tree = ast.parse(inspect.getsource(module))
    bodies = [n for n in tree.body if isinstance(n, ast.FunctionDef) and (n.name[:1] == "m" or n.name.startswith("_"))]
    assert len([n for n in bodies if n.name.startswith("m0")]) == len(module.migrations._migrations)
    for function in bodies:
        named = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        assert not named & live, (function.name, named & live)


def test_the_search_index_of_batches_written_inside_a_transaction_is_that_of_batches_written_alone(tmp_path):
    """Inside a transaction of the store's (a re-extraction holds one around a thousand pages), the
    search index's writes of each batch are made at the transaction's end (FTS5 writes what it
    holds at every savepoint). The index is the one batches written alone make: an article
    written twice is found by its second text only, a row the database refuses is in no index,
    and a transaction rolled back leaves nothing indexed."""
    from xzcrawler.store import search as SS

    def texts(n):
        return f"第{n}号标准厂房出租，面积两千平方米，交通便利。" * 3

    def write(archive, at):
        for article_id in (1, 2, 3):
            archive.add_article({**reference_record(at, article_id=article_id), "body_text": texts(article_id)})
            archive.flush()
        archive.add_article({**reference_record(at, article_id=2), "body_text": "仓库转让" * 10})
        archive.add_article({**reference_record(at, article_id=4), "views": 1 << 70})  # refused: too large
        archive.flush()

    alone, inside = tmp_path / "alone.db", tmp_path / "inside.db"
    with SqliteStore(alone) as archive:
        write(archive, "2025-11-27T10:00:00+08:00")
    with SqliteStore(inside) as archive:
        with archive.transaction():
            write(archive, "2025-11-27T10:00:00+08:00")
        assert [url for url, _ in archive.rejected] == [reference_record(article_id=4)["url"]]
        with pytest.raises(RuntimeError):
            with archive.transaction():
                archive.add_article(
                    {**reference_record("2025-11-28T10:00:00+08:00", article_id=5), "body_text": "机器人" * 20}
                )
                archive.flush()
                raise RuntimeError("the transaction ends in an error")
    for query in ("厂房", "第2号", "仓库", "机器人", "平"):
        found = [sorted(hit.article_id for hit in SS.search(sqlite3.connect(path), query)) for path in (alone, inside)]
        assert found[0] == found[1], query
    db = sqlite3.connect(inside)
    assert sorted(hit.article_id for hit in SS.search(db, "仓库")) == [2]
    assert sorted(hit.article_id for hit in SS.search(db, "第2号")) == []
    assert sorted(hit.article_id for hit in SS.search(db, "厂房")) == [1, 3]
    assert SS.search(db, "机器人") == [] and db.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    db.execute("INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)")
