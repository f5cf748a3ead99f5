"""The archive's tables and how they came to be: its field lists and the sqlite-utils migrations that
build and upgrade it (each migration frozen as written: it reads no list that may change)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from ..core import history, search, stories
from ..core import normalize as nz
from ..core.validate import schema as record_schema


def _types(spec: dict) -> list[str]:
    kind = spec.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


_V1_FIELDS = (
    "url",
    "site",
    "article_id",
    "title",
    "category",
    "category_url",
    "breadcrumbs",
    "author",
    "published_date",
    "published_at",
    "published_precision",
    "published_text",
    "views",
    "byline",
    "keywords",
    "body_text",
    "images",
    "related",
    "promo_text",
    "content_hash",
    "fetched_at",
)  # the columns of m001; later fields come with their own migration
# The record's fields come from the JSON schema, the one place that lists them: a new field is a
# schema property, its value in a page module, and a migration adding its column here.
ARTICLE_FIELDS = tuple(record_schema()["properties"])
BOOLEAN_FIELDS = tuple(name for name, spec in record_schema()["properties"].items() if "boolean" in _types(spec))
JSON_FIELDS = tuple(
    name for name, spec in record_schema()["properties"].items() if {"array", "object"} & set(_types(spec))
)

migrations = Migrations("xzcrawler")


@migrations()
def m001_articles(db: Database) -> None:
    columns = {name: str for name in _V1_FIELDS}
    columns.update({"article_id": int, "views": int, "first_seen": str, "last_seen": str})
    db["articles"].create(columns, pk=("site", "article_id"), not_null={"site", "article_id", "url"})
    db["articles"].create_index(["published_date"])
    db["articles"].create_index(["category"])
    db["articles"].create_index(["views"])
    db["crawl_runs"].create(
        {"id": int, "spider": str, "site": str, "started_at": str, "finished_at": str, "status": str, "stats": str},
        pk="id",
    )
    db["failures"].create(
        {
            "url": str,
            "kind": str,
            "reason": str,
            "http_status": int,
            "attempts": int,
            "first_seen": str,
            "last_tried": str,
            "resolved_at": str,
            "raw_body": bytes,
        },
        pk="url",
    )


# A change of these is a new revision. The related list is not among them: tpure draws it at
# random on every render (mutuality.php), so it is an observation (related_seen), not content.
CONTENT_FIELDS = history.CONTENT_FIELDS  # the fields whose change makes a revision (the rule book's)
# The content columns of a revision, as m002 created them (frozen: a migration never reads a list
# that may change). A new one is a migration adding its revision_log column and re-creating the
# revisions view, and its name added to REVISION_FIELDS.
_V2_REVISION_FIELDS = ("title", "body_text", "category", "category_url", "byline", "images", "related", "content_hash")
REVISION_FIELDS = _V2_REVISION_FIELDS


@migrations()
def m002_history(db: Database) -> None:
    """Living archive: revisions, view snapshots, related links, images, categories, HTTP validators."""
    articles = db["articles"]
    for column, kind in (
        ("views_observed_at", str),
        ("etag", str),
        ("last_modified", str),
        ("revision", int),
        ("last_checked", str),
    ):
        articles.add_column(column, kind)
    db["crawl_runs"].add_column("exit_code", int)
    db["categories"].create(
        {"site": str, "url": str, "name": str, "first_seen": str, "last_seen": str}, pk=("site", "url")
    )
    db["related_links"].create(
        {"site": str, "article_id": int, "position": int, "to_url": str, "title": str, "excerpt": str},
        pk=("site", "article_id", "position"),
    )
    db["related_links"].create_index(["to_url"])
    db["images"].create(
        {"site": str, "article_id": int, "position": int, "src": str, "alt": str}, pk=("site", "article_id", "position")
    )
    db["view_snapshots"].create(
        {"id": int, "site": str, "article_id": int, "observed_at": str, "views": int, "source": str}, pk="id"
    )
    db["view_snapshots"].create_index(["site", "article_id", "observed_at"])
    columns = {"site": str, "article_id": int, "revision": int, "fetched_at": str, "changed_fields": str}
    columns.update({name: str for name in _V2_REVISION_FIELDS})
    db["revisions"].create(columns, pk=("site", "article_id", "revision"))
    db["articles"].create_index(["site", "category", "published_date"])
    db["articles"].create_index(["last_seen"])
    # an archive written before this migration: its articles become revision 1, and so on
    db.execute("UPDATE articles SET revision = 1, views_observed_at = last_seen")
    db.execute(
        "INSERT INTO revisions (site, article_id, revision, fetched_at, changed_fields, {}) "
        "SELECT site, article_id, 1, fetched_at, NULL, {} FROM articles".format(
            ", ".join(_V2_REVISION_FIELDS), ", ".join(_V2_REVISION_FIELDS)
        )
    )
    db.execute(
        "INSERT INTO view_snapshots (site, article_id, observed_at, views, source) "
        "SELECT site, article_id, last_seen, views, 'article' FROM articles WHERE views IS NOT NULL"
    )
    db.execute(
        "INSERT INTO related_links SELECT a.site, a.article_id, CAST(r.key AS INTEGER), json_extract(r.value, '$.url'), "
        "json_extract(r.value, '$.title'), json_extract(r.value, '$.excerpt') FROM articles a, json_each(a.related) r"
    )
    db.execute(
        "INSERT INTO images SELECT a.site, a.article_id, CAST(i.key AS INTEGER), json_extract(i.value, '$.src'), "
        "json_extract(i.value, '$.alt') FROM articles a, json_each(a.images) i"
    )


@migrations()
def m003_search(db: Database) -> None:
    """CJK bigram full-text index (see search.py), filled from the articles already archived."""
    db.execute(f"CREATE VIRTUAL TABLE {search.INDEX_TABLE} USING fts5(title_bi, body_bi, chars, tokenize='unicode61')")
    rows = db.execute("SELECT rowid, title, body_text FROM articles").fetchall()
    db.conn.executemany(
        f"INSERT INTO {search.INDEX_TABLE} (rowid, title_bi, body_bi, chars) VALUES (?, ?, ?, ?)",
        ([rowid, *search.index_row(title, body).values()] for rowid, title, body in rows),
    )
    db["crawl_runs"].create_index(["site", "status"])
    db["exports"].create({"id": int, "target": str, "exported_at": str, "count": int, "path": str}, pk="id")


@migrations()
def m004_warc_index(db: Database) -> None:
    """Where each fetched page lies in the WARC files (xzcrawler reparse reads it)."""
    db["warc_records"].create(
        {
            "id": int,
            "url": str,
            "fetched_at": str,
            "file": str,
            "offset": int,
            "length": int,
            "status": int,
            "record_type": str,
            "digest": str,
            "record_id": str,
        },
        pk="id",
    )
    db["warc_records"].create_index(["url"])
    db["warc_records"].create_index(["fetched_at"])


@migrations()
def m005_date_span(db: Database) -> None:
    """The span of days a page's date text allows (see the schema's published_earliest)."""
    db["articles"].add_column("published_earliest", str)
    db["articles"].add_column("published_latest", str)
    db.execute(
        "UPDATE articles SET published_earliest = published_date, published_latest = published_date "
        "WHERE published_precision IN ('day', 'minute', 'second')"
    )


@migrations()
def m006_failure_digest(db: Database) -> None:
    """A failure keeps a bounded prefix of its raw body, with the full size and SHA-256."""
    db["failures"].add_column("raw_size", int)
    db["failures"].add_column("raw_sha256", str)
    db.execute("UPDATE failures SET raw_size = length(raw_body) WHERE raw_body IS NOT NULL")


@migrations()
def m007_export_marks(db: Database) -> None:
    """--changed exports remember change marks (a monotonic sequence), not a time."""
    db["exports"].add_column("revision_mark", int)
    db["exports"].add_column("snapshot_mark", int)


@migrations()
def m008_date_refinements(db: Database) -> None:
    """Each time a later observation narrowed (or changed) an article's date span, with its source."""
    db["date_refinements"].create(
        {
            "id": int,
            "site": str,
            "article_id": int,
            "observed_at": str,
            "source": str,
            "published_text": str,
            "old_earliest": str,
            "old_latest": str,
            "old_precision": str,
            "new_earliest": str,
            "new_latest": str,
            "new_precision": str,
        },
        pk="id",
    )
    db["date_refinements"].create_index(["site", "article_id"])


@migrations()
def m009_run_site_key(db: Database) -> None:
    """ "site" means one thing everywhere: the site key (a host name). crawl_runs kept the URL
    there; it moves to site_url."""
    db["crawl_runs"].add_column("site_url", str)
    rows = db.execute("SELECT id, site FROM crawl_runs").fetchall()
    db.conn.executemany(
        "UPDATE crawl_runs SET site_url = ?, site = ? WHERE id = ?",
        [[url, nz.site_of(url or ""), run_id] for run_id, url in rows],
    )


# One row a story: how many copies, on how many sites, and the copy posted first (the earliest
# publication day, then time, then the first seen). An article whose text is too short to tell
# a story (story_id NULL) is a story of its own.
STORIES_VIEW = """
WITH copies AS (
  SELECT coalesce(story_id, 'article:' || site || '/' || article_id) AS story_id, site, article_id, url, title,
    category, published_date, published_at, published_earliest, first_seen,
    row_number() OVER (
      PARTITION BY coalesce(story_id, 'article:' || site || '/' || article_id)
      ORDER BY published_earliest IS NULL, published_earliest, published_at IS NULL, published_at, first_seen,
        site, article_id
    ) AS position
  FROM articles
),
totals AS (SELECT story_id, count(*) AS copies, count(DISTINCT site) AS sites FROM copies GROUP BY story_id)
SELECT c.story_id, t.copies, t.sites, c.site AS first_site, c.article_id AS first_article_id, c.url AS first_url,
  c.published_date AS first_published, c.title, c.category
FROM copies c JOIN totals t USING (story_id)
WHERE c.position = 1
"""


@migrations()
def m010_stories(db: Database) -> None:
    """Cross-posted copies grouped as stories (see core/stories.py), and the stories view."""
    db["articles"].add_column("story_id", str)
    rows = db.execute("SELECT rowid, body_text FROM articles").fetchall()
    db.conn.executemany(
        "UPDATE articles SET story_id = ? WHERE rowid = ?", [[stories.story_id(body), rowid] for rowid, body in rows]
    )
    db["articles"].create_index(["story_id"])
    db.create_view("stories", STORIES_VIEW)


def _revisions_view() -> str:
    content = ",\n  ".join(
        f"CASE WHEN r.current THEN a.{name} ELSE r.{name} END AS {name}" for name in _V2_REVISION_FIELDS
    )
    return f"""
SELECT r.site, r.article_id, r.revision, r.fetched_at, r.changed_fields,
  {content},
  r.rowid AS mark
FROM revision_log r LEFT JOIN articles a ON r.current AND a.site = r.site AND a.article_id = r.article_id
"""


RELATED_LINKS_VIEW = """
SELECT a.site, a.article_id, CAST(r.key AS INTEGER) AS position, json_extract(r.value, '$.url') AS to_url,
  json_extract(r.value, '$.title') AS title, json_extract(r.value, '$.excerpt') AS excerpt
FROM articles a, json_each(a.related) r
"""
IMAGES_VIEW = """
SELECT a.site, a.article_id, CAST(i.key AS INTEGER) AS position, json_extract(i.value, '$.src') AS src,
  json_extract(i.value, '$.alt') AS alt
FROM articles a, json_each(a.images) i
"""


@migrations()
def m011_each_thing_once(db: Database) -> None:
    """Each thing stored once (the archive was ~4x its compressed WARC files):

    - revisions: the content of a revision is stored when a later one supersedes it; the current
      revision's content is the article row's (``revision_log.current``). The ``revisions`` view
      reads both as before (its ``mark`` is the change mark of ``export --changed``).
    - related_links and images: views over the article's ``related`` and ``images`` JSON,
      no longer copies of it.
    - search_index: contentless FTS5 (the index without a stored copy of its bigram text).
    """
    db.execute("ALTER TABLE revisions RENAME TO revision_log")
    db["revision_log"].add_column("current", int)
    db.execute(
        "UPDATE revision_log SET current = 1, {} WHERE (site, article_id, revision) IN "
        "(SELECT site, article_id, revision FROM articles)".format(
            ", ".join(f"{n} = NULL" for n in _V2_REVISION_FIELDS)
        )
    )
    db.execute("UPDATE revision_log SET current = 0 WHERE current IS NULL")
    db.create_view("revisions", _revisions_view())
    for table, view in (("related_links", RELATED_LINKS_VIEW), ("images", IMAGES_VIEW)):
        db[table].drop()
        db.create_view(table, view)
    db.execute(f"DROP TABLE {search.INDEX_TABLE}")
    db.execute(
        f"CREATE VIRTUAL TABLE {search.INDEX_TABLE} USING fts5(title_bi, body_bi, chars, content='', tokenize='unicode61')"
    )
    rows = db.execute("SELECT rowid, title, body_text FROM articles").fetchall()
    db.conn.executemany(
        f"INSERT INTO {search.INDEX_TABLE} (rowid, title_bi, body_bi, chars) VALUES (?, ?, ?, ?)",
        ([rowid, *search.index_row(title, body).values()] for rowid, title, body in rows),
    )


RELATED_SEEN_VIEW = """
SELECT s.site, s.article_id, c.position, s.to_url, s.title, s.excerpt, s.first_seen, s.last_seen
FROM related_seen s LEFT JOIN (
  SELECT a.site, a.article_id, CAST(r.key AS INTEGER) AS position, json_extract(r.value, '$.url') AS to_url
  FROM articles a, json_each(a.related) r
) c ON c.site = s.site AND c.article_id = s.article_id AND c.to_url = s.to_url
"""


@migrations()
def m012_readers_views_and_related_seen(db: Database) -> None:
    """The network's real theme (tpure on Z-BlogPHP):

    - views: the platform adds one view before it renders each article page (ours too), so
      ``articles.views`` becomes the readers' count, ``views_shown`` the number shown and
      ``own_fetches`` the article pages of it the archive fetched (``views_own`` of them when
      ``views_shown`` was seen); ``view_snapshots.own_fetches``
      is the own fetches the site had counted at that observation (readers = views - own_fetches).
    - site_traits: per site, whether its count includes our fetches, and the evidence.
    - related_seen: each related link seen, with when first and last; ``related_links`` reads it
      (``position`` is its place in the latest list, NULL when it is no longer shown).
    """
    db["articles"].add_column("views_shown", int)
    db["articles"].add_column("views_own", int)  # own fetches the site had when it showed views_shown
    db["articles"].add_column("own_fetches", int)
    db.execute("UPDATE articles SET views_shown = views, views_own = 0, own_fetches = 0")
    db["view_snapshots"].add_column("own_fetches", int)
    db.execute("UPDATE view_snapshots SET own_fetches = 0")
    db["site_traits"].create(
        {"site": str, "counts_own_fetches": int, "plus_one": int, "same": int, "updated_at": str}, pk="site"
    )
    db["related_seen"].create(
        {
            "site": str,
            "article_id": int,
            "to_url": str,
            "title": str,
            "excerpt": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk=("site", "article_id", "to_url"),
    )
    db.execute(
        "INSERT OR IGNORE INTO related_seen SELECT a.site, a.article_id, json_extract(r.value, '$.url'), "
        "json_extract(r.value, '$.title'), json_extract(r.value, '$.excerpt'), a.last_seen, a.last_seen "
        "FROM articles a, json_each(a.related) r"
    )
    db.execute("DROP VIEW related_links")
    db.create_view("related_links", RELATED_SEEN_VIEW)


@migrations()
def m013_sites_and_own_fetches_seen(db: Database) -> None:
    """- sites: each site's own name as its pages give it (徐州厂房网, 嘉善厂房土地招商网 ...), shown
      beside its host in the report, the dashboard and search output.
    - view_snapshots.own_total: our fetches of the article the count may have held at that
      observation, whether or not the site was known then to count them; ``own_fetches`` (those
      the site counted) is written anew from it when a site is learnt to count them.
    - listing_marks: per listing page fetched, the articles whose page the crawl had asked for
      before it came (their count on it says nothing sure of the readers'), so that a re-extraction
      from the WARC files reads the listing as the crawl did.
    """
    db["sites"].create({"site": str, "name": str, "name_seen_at": str}, pk="site")
    db["listing_marks"].create({"url": str, "fetched_at": str, "requested": str}, pk=("url", "fetched_at"))
    db["view_snapshots"].add_column("own_total", int)
    db.execute("UPDATE view_snapshots SET own_total = own_fetches")


@migrations()
def m014_archive_identity(db: Database) -> None:
    """- archive_info: the archive's own identity, a random id written once. Each WARC file's
    warcinfo record names it (``xz-archive``), so archives whose files share one folder (shards
    side by side) each index, cut and package only the files they wrote.
    """
    db.execute("CREATE TABLE archive_info (id TEXT PRIMARY KEY NOT NULL, created_at TEXT)")
    db.execute(
        "INSERT INTO archive_info (id, created_at) VALUES (lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
    )


@migrations()
def m015_views_source(db: Database) -> None:
    """- articles.views_source: which observation gave ``views``: ``article`` (its page),
    ``listing`` (a listing page read before the article was asked for), ``listing-ambiguous``
    (a listing read while the crawl's own request for the article was under way: the site may
    or may not have counted that fetch yet, so the readers' count may be one too many or too
    few; used only where no other count exists, and replaced by the next sure one). NULL:
    no count yet, or written before this column existed.
    """
    db.execute("ALTER TABLE articles ADD COLUMN views_source TEXT")


@migrations()
def m016_views_rounded(db: Database) -> None:
    """- articles.views_rounded, view_snapshots.rounded: whether the count was printed rounded, in
    万 (tpure 6.x), so that our own visits cannot be taken out of it. Before, a count printed
    whole that was a multiple of 100 from 10,000 up was taken as rounded too; a plain ``100000``
    on tpure 5.x is exact (issue 28). Rows written before keep what was assumed when they were
    written (so nothing stored changes); a re-extraction from the WARC files reads the page's
    own text again.
    """
    db["articles"].add_column("views_rounded", int)
    db["view_snapshots"].add_column("rounded", int)
    for table, column in (("articles", "views_shown"), ("view_snapshots", "views")):
        db.execute(
            f"UPDATE {table} SET {'views_rounded' if table == 'articles' else 'rounded'} = "
            f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} >= 10000 AND {column} % 100 = 0 THEN 1 ELSE 0 END"
        )


@migrations()
def m017_image_captures(db: Database) -> None:
    """- image_captures: each photo fetched whole (issue 31), one row per capture: the address,
    when, status, type, bytes, the payload's digest (its WARC record's WARC-Payload-Digest: the
    record is found in warc_records by url and fetched_at), width, height, format. The article a
    photo belongs to is the ``images`` view's (an address may show in several posts). A missing or
    broken photo is a failure of kind 'image' instead.
    """
    db["image_captures"].create(
        {
            "url": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "bytes": int,
            "digest": str,
            "width": int,
            "height": int,
            "format": str,
        },
        pk=("url", "fetched_at"),
    )
    db["image_captures"].create_index(["digest"])


@migrations()
def m018_asset_captures(db: Database) -> None:
    """- asset_captures: each file of the theme a page needs to be seen again (issue 31, item 2:
    stylesheets, scripts, fonts), one row per capture: the address, when (to the second: its WARC
    record is the response of that address at that time in warc_records), status, type, bytes and digest of the file (decoded: the
    record's WARC-Payload-Digest is of the bytes as sent, gzip when the server compressed them), its kind (style, script, font, vector) and the
    validators its server sent (ETag, Last-Modified), which the next run asks with (a 304 is the
    file unchanged: no new capture). Pictures a page needs (logo, icon, a stylesheet's
    background) are in image_captures. A missing or wrong file is a failure of kind 'asset'.
    """
    db["asset_captures"].create(
        {
            "url": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "bytes": int,
            "digest": str,
            "kind": str,
            "etag": str,
            "last_modified": str,
        },
        pk=("url", "fetched_at"),
    )
    db["asset_captures"].create_index(["digest"])


# One row a family of spun copies (core/families.py): its members, on how many sites, the member
# published first, and when the archive first saw one (the scores of the links that joined it are
# family_links').
FAMILIES_VIEW = """
WITH members AS (
  SELECT m.family, m.site, m.article_id, a.url, a.title, a.published_date, a.published_earliest,
    a.published_at, a.first_seen,
    row_number() OVER (
      PARTITION BY m.family
      ORDER BY a.published_earliest IS NULL, a.published_earliest, a.published_at IS NULL, a.published_at,
        a.first_seen, m.site, m.article_id
    ) AS position
  FROM family_members m JOIN articles a ON a.site = m.site AND a.article_id = m.article_id
),
totals AS (
  SELECT family, count(*) AS members, count(DISTINCT site) AS sites, group_concat(DISTINCT site) AS site_list,
    min(first_seen) AS first_seen
  FROM members GROUP BY family
)
SELECT t.family, t.members, t.sites, t.site_list, t.first_seen, f.published_date AS first_published,
  f.site AS first_site, f.article_id AS first_article_id, f.url AS first_url, f.title AS first_title
FROM totals t JOIN members f ON f.family = t.family AND f.position = 1
"""


@migrations()
def m019_families(db: Database) -> None:
    """Families of spun copies (issue 33, core/families.py):
    - text_signatures: which text of each article the families were computed from (its story key,
      the algorithm), its number of shingles and its MinHash (rensa's own serialisation; NULL for
      a text too short to sign): an article whose story key or algorithm differs is signed again
      (none when a run stored no new text);
    - family_links: the links that joined each family (a < b; a spanning set: a pair already in one
      family is not scored), with its estimated Jaccard similarity, containment and shingles
      shared;
    - family_members: each linked article and its family (the least member, ``site/article_id``);
    - the ``families`` view. Filled by the first crawl, reparse or merge after this migration.
    """
    db["text_signatures"].create(
        {"site": str, "article_id": int, "story_id": str, "algorithm": str, "shingles": int, "signature": bytes},
        pk=("site", "article_id"),
    )
    db["family_links"].create(
        {
            "a_site": str,
            "a_id": int,
            "b_site": str,
            "b_id": int,
            "jaccard": float,
            "containment": float,
            "shared": int,
        },
        pk=("a_site", "a_id", "b_site", "b_id"),
    )
    db["family_links"].create_index(["b_site", "b_id"])
    db["family_members"].create({"site": str, "article_id": int, "family": str}, pk=("site", "article_id"))
    db["family_members"].create_index(["family"])
    db.create_view("families", FAMILIES_VIEW)
