"""What the crawl and the tools ask of the archive (read only)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..core import normalize as nz
from .migrations import ARTICLE_FIELDS, BOOLEAN_FIELDS, JSON_FIELDS

# The articles whose text is not signed for the families as it is now (no row, another story key,
# another algorithm: the ``?``): what an update signs, and what verify reports.
UNSIGNED = (
    "FROM articles a LEFT JOIN text_signatures s ON s.site = a.site AND s.article_id = a.article_id "
    "WHERE s.site IS NULL OR s.algorithm IS NOT ? OR s.story_id IS NOT a.story_id"
)


class Queries:
    """Reading methods of the SQLite store (``self.db``: a sqlite-utils Database)."""

    @property
    def identity(self) -> str:
        """The archive's own id (``archive_info``): what its WARC files' warcinfo records name."""
        return self.db.execute("SELECT id FROM archive_info").fetchone()[0]

    def warc_files_indexed(self) -> dict[str, int]:
        """Each WARC file name the index lists, and the offset where its last indexed record ends."""
        return dict(self.db.execute("SELECT file, max(offset + length) FROM warc_records GROUP BY file").fetchall())

    def article_count(self) -> int:
        return self.db["articles"].count

    def known_articles(self, site: str) -> dict[int, dict]:
        """What a refresh needs to know of each archived article of ``site``, by article id."""
        cursor = self.db.execute(
            "SELECT article_id, url, etag, last_modified, last_checked, published_date FROM articles WHERE site = ?",
            [site],
        )
        return {
            aid: {
                "article_id": aid,
                "url": url,
                "etag": etag,
                "last_modified": lm,
                "last_checked": checked,
                "published_date": pd,
            }
            for aid, url, etag, lm, checked, pd in cursor
        }

    def named_categories(self, site: str) -> list[str]:
        """The category addresses the archive holds for ``site`` (those its posts named, and its
        navigation's), in the order first seen: what a run walks when the home page links no
        category. (The categories table, which every stored post's category is written to: a few
        rows, where a scan of the articles took 30-70 ms at 20,000 on each run's start.)"""
        cursor = self.db.execute("SELECT url FROM categories WHERE site = ? ORDER BY first_seen, url", [site])
        return [url for (url,) in cursor]

    def posts(self, site: str, article_ids: list[int]) -> dict[int, dict]:
        """Title and content hash of these articles of ``site`` (what a page must show to be them)."""
        if not article_ids:
            return {}
        cursor = self.db.execute(
            f"SELECT article_id, title, content_hash FROM articles WHERE site = ? AND article_id IN "
            f"({','.join('?' * len(article_ids))})",
            [site, *article_ids],
        )
        return {aid: {"title": title, "content_hash": digest} for aid, title, digest in cursor}

    def held_images(self) -> set[tuple[str, str]]:
        """The photos the archive holds whole (a row of image_captures), each as (site key, path):
        a refresh does not fetch them again, whatever port or scheme the site answers on now."""
        return {nz.page_key(url) for (url,) in self.db.execute("SELECT DISTINCT url FROM image_captures")}

    def texts_to_sign(self, algorithm: str) -> list[tuple[tuple[str, int], str | None, str | None]]:
        """The articles whose text the families have not seen as it is (store/protocol.py)."""
        cursor = self.db.execute(
            f"SELECT a.site, a.article_id, a.story_id, a.body_text {UNSIGNED} ORDER BY a.site, a.article_id",
            [algorithm],
        )
        return [((site, aid), story, body) for site, aid, story, body in cursor]

    def signatures(self, algorithm: str) -> Iterator[tuple[tuple[str, int], int, bytes]]:
        cursor = self.db.execute(
            "SELECT site, article_id, shingles, signature FROM text_signatures "
            "WHERE algorithm = ? AND signature IS NOT NULL",
            [algorithm],
        )
        for site, aid, count, state in cursor:
            yield (site, aid), count, state

    def signed_texts(self, algorithm: str) -> dict:
        """The signatures that stand for their article's text as it is (store/protocol.py)."""
        cursor = self.db.execute(
            "SELECT s.site, s.article_id, s.story_id, a.content_hash, s.shingles, s.signature FROM text_signatures s "
            "JOIN articles a ON a.site = s.site AND a.article_id = s.article_id "
            "WHERE s.algorithm = ? AND s.story_id IS a.story_id",
            [algorithm],
        )
        return {((site, aid), story): (digest, count, state) for site, aid, story, digest, count, state in cursor}

    def family_members(self) -> dict[tuple[str, int], str]:
        """(site, article id) -> family, of each post in a family."""
        cursor = self.db.execute("SELECT site, article_id, family FROM family_members")
        return {(site, aid): family for site, aid, family in cursor}

    def family_pairs(self) -> list[tuple[tuple[str, int], tuple[str, int]]]:
        cursor = self.db.execute("SELECT a_site, a_id, b_site, b_id FROM family_links")
        return [((a_site, a_id), (b_site, b_id)) for a_site, a_id, b_site, b_id in cursor]

    def held_assets(self) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """The theme's files the archive holds, as (site key, path and query) -> the validators
        of the newest capture (ETag, Last-Modified): a refresh asks for each with them."""
        return {
            nz.page_key(url): (etag, last_modified)
            for url, etag, last_modified in self.db.execute(
                "SELECT url, etag, last_modified FROM asset_captures ORDER BY fetched_at"
            )
        }

    def image_failures(self) -> dict[tuple[str, str], int]:
        """The photos (and theme files) whose capture failed and is not resolved, as (site key,
        path) -> attempts: a refresh asks for one again as a retry (not a new failure), until
        XZ_MAX_ATTEMPTS."""
        return {
            nz.page_key(url): attempts
            for url, attempts in self.db.execute(
                "SELECT url, attempts FROM failures WHERE kind IN ('image', 'asset') AND resolved_at IS NULL"
            )
        }

    def pending_failures(self, site: str, max_attempts: int) -> list[str]:
        """URLs of ``site`` whose last attempt failed and that have attempts left (a listing trap
        is not retried: it would walk the trap again; a photo is asked for again with its post, a file
        of the theme with the next page that links to it)."""
        return [
            url
            for (url,) in self.db.execute(
                "SELECT url FROM failures WHERE resolved_at IS NULL AND attempts < ? AND kind NOT IN ('trap', 'image', 'asset') "
                "ORDER BY first_seen",
                [max_attempts],
            )
            if nz.site_of(url) == site
        ]

    def recent_runs(self, site: str, limit: int) -> list[dict]:
        """Stats of the last healthy runs on ``site`` (a site key), newest first."""
        cursor = self.db.execute(
            "SELECT stats FROM crawl_runs WHERE site = ? AND status = 'finished' AND stats IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            [site, limit],
        )
        return [json.loads(stats) for (stats,) in cursor]

    def iter_articles(self, where: str = "", params=()) -> Iterator[dict]:
        """Every article (or those ``where`` selects) as its schema record, ordered by (site, article_id)."""
        cursor = self.db.execute(
            "SELECT {} FROM articles{} ORDER BY site, article_id".format(", ".join(ARTICLE_FIELDS), where), params
        )
        for values in cursor:
            record = dict(zip(ARTICLE_FIELDS, values, strict=True))
            for name in JSON_FIELDS:
                record[name] = json.loads(record[name]) if record[name] else []
            for name in BOOLEAN_FIELDS:  # SQLite keeps 0 and 1
                if record[name] is not None:
                    record[name] = bool(record[name])
            yield record

    def last_capture(self, url: str) -> tuple[str, str, str] | None:
        """(payload digest, WARC-Record-ID, WARC-Date) of the last full response record of ``url``."""
        row = self.db.execute(
            "SELECT digest, record_id, fetched_at FROM warc_records WHERE url = ? AND record_type = 'response' "
            "ORDER BY id DESC LIMIT 1",
            [url],
        ).fetchone()
        return tuple(row) if row else None

    def capture_of_digest(self, digest: str) -> tuple[str, str, str] | None:
        """(url, WARC-Record-ID, WARC-Date) of a full response record of a photo (or a file of the
        theme) whose payload has this digest, under any address (found through the digest indexes
        of image_captures and asset_captures)."""
        row = self.db.execute(
            "SELECT w.url, w.record_id, w.fetched_at, w.id FROM image_captures c JOIN warc_records w "
            "ON w.url = c.url AND w.digest = c.digest AND w.record_type = 'response' WHERE c.digest = ?1 "
            # a theme file's row keeps the digest of its bytes; its record, of the bytes as sent
            # (gzip, when the server compressed them): found by capture (a few rows a site)
            "UNION ALL SELECT w.url, w.record_id, w.fetched_at, w.id FROM (SELECT DISTINCT url FROM asset_captures) a "
            "JOIN warc_records w ON w.url = a.url AND w.record_type = 'response' AND w.status BETWEEN 200 AND 299 "
            "WHERE w.digest = ?1 "
            "ORDER BY 4 LIMIT 1",
            [digest],
        ).fetchone()
        row = row[:3] if row else None
        return tuple(row) if row else None

    def last_run_status(self, site: str) -> str | None:
        """Status of the latest run on ``site`` (a site key), or None if there was none."""
        row = self.db.execute(
            "SELECT status FROM crawl_runs WHERE site = ? ORDER BY id DESC LIMIT 1", [site]
        ).fetchone()
        return row[0] if row else None

    # -- runs --------------------------------------------------------------------------------
    def last_run_id(self) -> int:
        """The id of the latest crawl run (0: none yet)."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0]

    def runs_after(self, run_id: int) -> list[tuple[str, dict]]:
        """(status, stats) of each run after ``run_id``, in order."""
        rows = self.db.execute("SELECT status, stats FROM crawl_runs WHERE id > ? ORDER BY id", [run_id])
        return [(status, json.loads(stats or "{}")) for status, stats in rows]

    def last_run_stats(self) -> dict:
        """The Scrapy stats of the latest run ({} when none)."""
        row = self.db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def totals(self) -> dict[str, int]:
        """articles, sites, categories, stories, stories posted on several sites, families (of
        spun copies), the posts in them, and the families that span several sites."""
        articles, sites, categories = self.db.execute(
            "SELECT count(*), count(DISTINCT site), count(DISTINCT category) FROM articles"
        ).fetchone()
        stories, copied = self.db.execute("SELECT count(*), coalesce(sum(copies > 1), 0) FROM stories").fetchone()
        families, members, spanning = self.db.execute(
            "SELECT count(*), coalesce(sum(members), 0), coalesce(sum(sites > 1), 0) FROM families"
        ).fetchone()
        return {
            "articles": articles,
            "sites": sites,
            "categories": categories,
            "stories": stories,
            "copied": copied,
            "families": families,
            "family_members": members,
            "families_across_sites": spanning,
        }

    # -- what the tools read -----------------------------------------------------------------
    def captured_pages(self) -> list[dict]:
        """Each archived article's newest capture: the address it was fetched from, as the WARC
        record says (a site that moved since keeps its old captures under their old address), the
        article's title and the capture's WARC-Date; in (site, id) order. Articles with no
        capture in the index are not listed (nothing could replay them)."""
        from ..core.pages import article_id_from_url

        titles = {
            (site, aid): title for site, aid, title in self.db.execute("SELECT site, article_id, title FROM articles")
        }
        newest: dict[tuple[str, int], tuple[str, str]] = {}
        rows = self.db.execute(
            "SELECT url, fetched_at FROM warc_records WHERE record_type IN ('response', 'revisit') "
            "AND (status IS NULL OR status < 400) ORDER BY id"
        )
        for url, fetched_at in rows:
            key = (nz.site_of(url), article_id_from_url(url))
            if key in titles:
                newest[key] = (url, fetched_at)
        return [{"url": url, "title": titles[key], "ts": ts} for key, (url, ts) in sorted(newest.items())]

    def warc_responses(self, since: str | None = None) -> list[tuple[str, str, int]]:
        """(url, file, offset) of each response and revisit record in the index, in the order they
        were fetched; ``since``: fetched at or after (UTC, ISO 8601)."""
        query = "SELECT url, file, offset FROM warc_records WHERE record_type IN ('response', 'revisit')"
        params = []
        if since:
            query += " AND fetched_at >= ?"
            params.append(nz.parse_iso(since).strftime("%Y-%m-%dT%H:%M:%S"))
        return self.db.execute(query + " ORDER BY id", params).fetchall()

    def listing_marks(self) -> dict[tuple[str, str], frozenset]:
        """What the crawl had asked for when each listing came: (url, fetched_at) -> article ids."""
        return {
            (url, fetched_at): frozenset(json.loads(requested))
            for url, fetched_at, requested in self.db.execute("SELECT url, fetched_at, requested FROM listing_marks")
        }

    def revisit_originals(self) -> list[tuple[str, str, str, int]]:
        """(url, record id, file, offset) of each full response record a revisit record refers to."""
        return self.db.execute(
            "SELECT url, record_id, file, offset FROM warc_records WHERE record_type = 'response' AND record_id IN "
            "(SELECT record_id FROM warc_records WHERE record_type = 'response' AND digest IN "
            "(SELECT digest FROM warc_records WHERE record_type = 'revisit'))"
        ).fetchall()

    def article_revisions(self) -> dict[tuple[str, int], int]:
        """Each article's current revision number, by (site, article id)."""
        return {(s, a): r for s, a, r in self.db.execute("SELECT site, article_id, revision FROM articles")}

    def fields_changed_after(self, site: str, article_id: int, revision: int) -> list[str]:
        """The fields each revision of an article after ``revision`` changed (repeats kept)."""
        changed = []
        for (fields,) in self.db.execute(
            "SELECT changed_fields FROM revisions WHERE site = ? AND article_id = ? AND revision > ?",
            [site, article_id, revision],
        ):
            changed += json.loads(fields or "[]")
        return changed

    def report_data(self, growth_query: str, reuse_query: str | None = None) -> dict:
        """What the report charts: sites and their names, articles per month and category, view
        counts, the fastest-growing articles (``growth_query``, the canned query of the same name)
        and the view series of the first eight, crawl runs, articles and stories per site, and the
        reuse of text between sites (``reuse_query``, the canned query reuse_between_sites) with
        the number of families."""
        db = self.db
        growth = db.execute(growth_query).fetchall()
        return {
            "reuse": db.execute(reuse_query).fetchall() if reuse_query else [],
            "families": db.execute("SELECT count(DISTINCT family) FROM family_members").fetchone()[0],
            "sites": [site for (site,) in db.execute("SELECT site FROM articles GROUP BY site ORDER BY count(*) DESC")],
            "names": dict(db.execute("SELECT site, name FROM sites WHERE name IS NOT NULL").fetchall()),
            "per_month": db.execute(
                "SELECT site, substr(published_date, 1, 7) AS month, category, count(*) FROM articles "
                "WHERE published_date IS NOT NULL GROUP BY site, month, category ORDER BY month"
            ).fetchall(),
            "views": [v for (v,) in db.execute("SELECT views FROM articles WHERE views IS NOT NULL")],
            "growth": growth,
            "series": {
                url: db.execute(
                    "SELECT s.observed_at, s.views - coalesce(s.own_fetches, 0) FROM view_snapshots s "
                    "JOIN articles a USING (site, article_id) WHERE a.url = ? ORDER BY s.observed_at",
                    [url],
                ).fetchall()
                for _title, url, *_ in growth[:8]
            },
            "runs": db.execute(
                "SELECT id, site, started_at, status, exit_code, stats FROM crawl_runs ORDER BY id"
            ).fetchall(),
            "per_site": db.execute(
                "SELECT a.site, count(*), count(DISTINCT coalesce(a.story_id, a.site || '/' || a.article_id)), "
                "(SELECT count(*) FROM stories s WHERE s.first_site = a.site AND s.copies > 1) FROM articles a "
                "GROUP BY a.site ORDER BY count(*) DESC"
            ).fetchall(),
        }

    # -- full-text search (store/search.py) ---------------------------------------------------
    def search(self, query: str, **filters) -> list:
        """Ranked hits (core.search.Hit); ``filters``: limit, category, since, stories."""
        from .search import search

        return search(self.db, query, **filters)

    def category_names(self, like: str | None = None) -> list[str]:
        """The names of the archive's categories (those of its articles), by how many articles
        each has; ``like``: only names containing it."""
        rows = self.db.execute(
            "SELECT category FROM articles WHERE category IS NOT NULL AND instr(category, ?) > 0 "
            "GROUP BY category ORDER BY count(*) DESC, category LIMIT 50",
            [like or ""],
        )
        return [name for (name,) in rows]

    def count_matches(self, query: str, **filters) -> int:
        """How many articles match ``query`` and the filters (category, since)."""
        from .search import count

        return count(self.db, query, **filters)
