"""Rebuild the archive from its WARC files with the current parser: no network.

Every indexed ``response`` record is read back in the order it was fetched, parsed by
``xzcrawler.core.pages`` and handed to the same pipelines a crawl uses (validate, store), so a
re-parse with an unchanged parser reproduces the crawl's rows, and one with an improved parser
leaves a revision wherever an article's content now reads differently.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from .core import items, pages, paths
from .core import normalize as nz
from .core.harvest import Exchange, harvest
from .pipelines import StorePipeline, ValidatePipeline
from .store import Archive
from .warc import reconcile


class _Stats:
    """The slice of Scrapy's stats collector the pipelines use."""

    def __init__(self):
        self.values: Counter = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count

    def set_value(self, key, value):
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)


@dataclass
class Report:
    responses: int = 0
    articles: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    listings: int = 0
    not_modified: int = 0
    failures: int = 0
    changed_fields: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        fields = ", ".join(f"{name} {count}" for name, count in self.changed_fields.most_common()) or "none"
        return [
            f"responses read : {self.responses}",
            f"articles       : {self.articles} parsed: {self.new} new, {self.changed} changed, {self.unchanged} unchanged",
            f"changed fields : {fields}",
            f"listing pages  : {self.listings}",
            f"304s           : {self.not_modified}",
            f"failures       : {self.failures}",
        ]


class TooLarge(ValueError):
    pass


def read_response(path: Path, offset: int, max_body: int = pages.MAX_BODY, refers_to=None):
    """(WARC-Date, status, content type, decoded body, etag, last-modified) of the response record at
    ``offset``; TooLarge when the decoded body is over ``max_body`` (a bomb is not unpacked). A
    revisit record (the same payload as an earlier capture) takes its body from the record it
    refers to: ``refers_to(url, record id)`` gives that record's (path, offset)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        date = record.rec_headers.get_header("WARC-Date")
        status = int(record.http_headers.get_statuscode())
        content_type = record.http_headers.get_header("Content-Type")
        etag = record.http_headers.get_header("ETag")
        last_modified = record.http_headers.get_header("Last-Modified")
        if record.rec_type == "revisit":
            target = refers_to(
                record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Refers-To")
            )
            if target is None:
                raise ValueError("a revisit record whose original is not in the index")
            *_, body, _, _ = read_response(*target, max_body=max_body)
            return date, status, content_type, body, etag, last_modified
        body = record.content_stream().read(max_body + 1)  # undoes the Content-Encoding, as Scrapy did
    if len(body) > max_body:
        raise TooLarge(f"the response body is over {max_body} bytes once decoded")
    return date, status, content_type, body, etag, last_modified


def _run_of(file: str) -> str:
    """The crawl process that wrote a WARC file: the stamp and pid of its name."""
    return "-".join(str(file).split("-")[-3:-1])


def reparse(
    source_db: str | Path,
    target_db: str | Path | None = None,
    since: str | None = None,
    warc_dir: str | Path | None = None,
) -> Report:
    """Re-read the WARC records indexed in ``source_db`` into ``target_db`` (default: in place)."""
    source_db = Path(source_db)
    target_db = Path(target_db) if target_db else source_db
    warc_dir = paths.warc_dir(source_db, warc_dir)
    with Archive(source_db, readonly=target_db != source_db) as source:
        if not source.readonly:
            reconcile(source, warc_dir)  # records a killed crawl wrote but did not index
        query = "SELECT url, file, offset FROM warc_records WHERE record_type IN ('response', 'revisit')"
        params = []
        if since:
            query += " AND fetched_at >= ?"
            params.append(nz.parse_iso(since).strftime("%Y-%m-%dT%H:%M:%S"))
        records = source.db.execute(query + " ORDER BY id", params).fetchall()
        # what the crawl had asked for when each listing came (see Archive.observe_listing)
        marks = {
            (url, fetched_at): frozenset(json.loads(requested))
            for url, fetched_at, requested in source.db.execute("SELECT url, fetched_at, requested FROM listing_marks")
        }
        originals = {
            (url, record_id): (paths.warc_file(warc_dir, file), offset)
            for url, record_id, file, offset in source.db.execute(
                "SELECT url, record_id, file, offset FROM warc_records WHERE record_type = 'response' AND record_id IN "
                "(SELECT record_id FROM warc_records WHERE record_type = 'response' AND digest IN "
                "(SELECT digest FROM warc_records WHERE record_type = 'revisit'))"
            )
            if paths.bare_warc_name(file)
        }
    stats = _Stats()
    report = Report()
    target = Archive(target_db)
    before = dict(((s, a), r) for s, a, r in target.db.execute("SELECT site, article_id, revision FROM articles"))
    validate, store = ValidatePipeline(stats), StorePipeline(target, stats)
    run = None
    try:
        for url, file, offset in records:
            report.responses += 1
            # each crawl process wrote its own files (…-<stamp>-<pid>-<seq>.warc.gz) and knew only its
            # own fetches in flight: where another run's records begin, the store forgets them too
            if _run_of(file) != run:
                run = _run_of(file)
                target.forget_run()
            try:
                date, status, content_type, body, etag, last_modified = read_response(
                    paths.warc_file(warc_dir, file),
                    offset,
                    refers_to=lambda url, record_id: originals.get((url, record_id)),
                )
            except (TooLarge, OSError, ValueError, StopIteration) as exc:
                report.failures += 1
                store.process_item(
                    items.failure(url, "reparse", f"{file}@{offset}: {type(exc).__name__}: {exc}", None, None)
                )
                continue
            exchange = Exchange(url, status, body, nz.utc_iso(date), content_type, etag, last_modified)
            for item in harvest(exchange, nz.site_of(url)).items:
                if isinstance(item, items.ListingSeen):
                    item.requested = marks.get((url, exchange.fetched_at), frozenset())
                report.articles += isinstance(item, items.Article)
                report.listings += isinstance(item, items.ListingSeen)
                report.not_modified += isinstance(item, items.NotModified)
                item = validate.process_item(item)
                report.failures += isinstance(item, items.Failure)
                store.process_item(item)
    finally:
        try:
            store.close_spider()
        finally:
            target.close()
    with Archive(target_db, readonly=True) as target:
        for site, article_id, revision in target.db.execute("SELECT site, article_id, revision FROM articles"):
            old = before.get((site, article_id))
            if old is None:
                report.new += 1
            elif revision > old:
                report.changed += 1
                for (changed,) in target.db.execute(
                    "SELECT changed_fields FROM revisions WHERE site = ? AND article_id = ? AND revision > ?",
                    [site, article_id, old],
                ):
                    report.changed_fields.update(json.loads(changed or "[]"))
            elif (site, article_id) in before:
                report.unchanged += 1
    return report
