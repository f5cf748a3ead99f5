"""WARC capture of a whole crawl, and re-parsing it into a new archive without the network."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from .conftest import cli, crawl_ok, run_crawl


@pytest.fixture(scope="module")
def crawled(mirror300, tmp_path_factory):
    _, base = mirror300
    workdir = tmp_path_factory.mktemp("warc")
    crawl_ok(base, workdir)
    return workdir


def test_every_exchange_is_in_a_valid_warc(crawled):
    files = sorted((crawled / "warc").glob("*.warc.gz"))
    assert files
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    db = sqlite3.connect(crawled / "archive.db")
    responses = dict(db.execute("SELECT record_type, COUNT(*) FROM warc_records GROUP BY record_type"))
    stats = db.execute("SELECT json_extract(stats, '$.downloader/response_count') FROM crawl_runs").fetchone()[0]
    # (a photo whose bytes were captured under another address is a revisit record of it)
    assert responses["response"] + responses.get("revisit", 0) == responses["request"] == stats
    assert db.execute("SELECT COUNT(*) FROM warc_records WHERE url LIKE '%/robots.txt'").fetchone()[0] == 2


def test_every_response_of_a_crawl_reads_as_warcio_reads_it(crawled):
    """The reader's own path (warc/reader.py) against warcio, record by record, on what a crawl wrote."""
    from xzcrawler.warc import read_response, reader

    db = sqlite3.connect(crawled / "archive.db")
    records = db.execute("SELECT file, offset FROM warc_records WHERE record_type = 'response'").fetchall()
    plain = 0
    for file, offset in records:
        path = crawled / "warc" / file
        with open(path, "rb") as fh:
            fh.seek(offset)
            expected = reader._warcio_response(fh, 1 << 24, None)
            fh.seek(offset)
            plain += reader._plain_response(fh, 1 << 24) is not None
        assert read_response(path, offset) == expected, (file, offset)
    assert len(records) > 300 and plain == len(records)  # every one of them the common form


def test_records_read_through_files_kept_open_read_as_each_alone(crawled, tmp_path):
    """``OpenFiles`` (a re-extraction's worker): every record, read in the index's order and in
    reverse, from two files in turn through at most ``limit`` files kept open, reads as it does
    from a file opened for it alone, and no more than ``limit`` files are open at once; ``close``
    closes them."""
    import shutil

    from xzcrawler.warc import read_response
    from xzcrawler.warc.reader import OpenFiles

    db = sqlite3.connect(crawled / "archive.db")
    records = db.execute("SELECT file, offset FROM warc_records WHERE record_type = 'response' ORDER BY id").fetchall()
    copies = {file: shutil.copy(crawled / "warc" / file, tmp_path / file) for file, _ in records}
    files = OpenFiles(limit=1)
    for turn, (file, offset) in enumerate([*records, *reversed(records)]):
        path = crawled / "warc" / file if turn % 2 else copies[file]  # (another file each record)
        assert read_response(path, offset, files=files) == read_response(path, offset), (file, offset)
        assert len(files._open) == 1
    held = list(files._open.values())
    files.close()
    assert not files._open and all(fh.closed for fh in held)


@pytest.mark.parametrize("workers", [[], ["--workers", "1"], ["--workers", "3"]], ids=["auto", "one", "three"])
def test_reparse_into_a_new_archive_gives_identical_article_rows(crawled, tmp_path, workers):
    """The same rows whether the pages are parsed in this process or by worker processes."""
    result = cli("reparse", "--db", str(crawled / "archive.db"), "--into", str(tmp_path / "new.db"), *workers)
    assert result.returncode == 0, result.stderr
    assert "300 new, 0 changed" in result.stdout
    old, new = sqlite3.connect(crawled / "archive.db"), sqlite3.connect(tmp_path / "new.db")
    query = "SELECT * FROM articles ORDER BY site, article_id"
    assert new.execute(query).fetchall() == old.execute(query).fetchall()
    for table in ("related_links", "images", "revisions", "view_snapshots", "categories", "date_refinements"):
        columns = {
            # the readers' series: which observation showed a count (the listing, or the page the
            # crawl had asked for while that listing came) the crawl alone knew
            "view_snapshots": "site, article_id, observed_at, views - coalesce(own_fetches, 0)",
            "date_refinements": "site, article_id, observed_at, source, new_earliest, new_latest",
        }.get(table, "*")
        q = f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3"
        assert new.execute(q).fetchall() == old.execute(q).fetchall(), table


def test_reparse_in_place_reports_nothing_changed(crawled, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    result = cli("reparse", "--db", str(copy / "archive.db"))
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 changed, 300 unchanged" in result.stdout


def test_reparse_gives_an_archive_made_by_an_older_parser_the_fields_it_missed(crawled, tmp_path):
    """The archive of a tpure site crawled before the parser read tpure had no category, author,
    date or views (issue 16): re-extraction from its WARC files gives them, without the network."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    db = sqlite3.connect(copy / "archive.db")
    truth = db.execute("SELECT article_id, category, author, published_date, views FROM articles ORDER BY 1").fetchall()
    assert sum(1 for row in truth if row[1] and row[2] and row[3]) > 250
    db.execute(
        "UPDATE articles SET category = NULL, category_url = NULL, author = NULL, published_date = NULL, "
        "published_precision = NULL, published_earliest = NULL, published_latest = NULL, published_at = NULL"
    )
    db.commit()
    db.close()
    result = cli("reparse", "--db", str(copy / "archive.db"))
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(copy / "archive.db")
    again = db.execute("SELECT article_id, category, author, published_date, views FROM articles ORDER BY 1").fetchall()
    assert [row[:4] for row in again] == [row[:4] for row in truth]


def test_an_unchanged_page_fetched_again_is_a_revisit_record_that_replays_and_reparses(reconstruction300, tmp_path):
    """The same site crawled twice at the same time: every page whose payload is the same as its
    last capture (home, listings; robots.txt is too small to gain) is a revisit record of headers only, referring to
    that capture; the files stay valid and a reparse reads the revisits through their originals."""
    from warcio.archiveiterator import ArchiveIterator

    site, base = reconstruction300
    for _ in range(2):
        result = run_crawl(base, tmp_path, "-a", "full=1")
        assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    revisits = db.execute(
        # the capture written before (both runs start on the same pinned clock: ids, not times, say which came first)
        "SELECT r.url, r.digest, o.digest, o.record_id, r.file, r.offset, o.fetched_at <= r.fetched_at "
        "FROM warc_records r JOIN warc_records o ON o.url = r.url AND o.record_type = 'response' "
        "AND o.id < r.id WHERE r.record_type = 'revisit'"
    ).fetchall()
    listing_pages = db.execute("SELECT json_extract(stats, '$.\"xz/listing_pages\"') FROM crawl_runs").fetchall()
    assert len({row[0] for row in revisits}) >= listing_pages[1][0]  # the home page and every listing page
    assert not any(row[0].endswith("/robots.txt") for row in revisits)  # under 1 KB: a revisit would be no smaller
    assert all(new == old for _, new, old, *_ in revisits)
    stats = db.execute("SELECT json_extract(stats, '$.\"xz/warc_revisits\"') FROM crawl_runs ORDER BY id").fetchall()
    # the first run's revisits are photos whose bytes it had captured under another address
    (photos,) = db.execute(
        "SELECT count(*) FROM warc_records WHERE record_type = 'revisit' AND url LIKE '%/zb_users/upload/%'"
    ).fetchone()
    assert stats[0][0] == photos and stats[1][0] == len({(row[4], row[5]) for row in revisits})
    url, _, _, original, file, offset, _ = revisits[0]
    with open(tmp_path / "warc" / file, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
    assert record.rec_type == "revisit"
    assert record.rec_headers.get_header("WARC-Refers-To") == original
    assert record.rec_headers.get_header("WARC-Profile").endswith("identical-payload-digest")
    assert record.content_stream().read() == b""  # headers only
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    # a reparse reads every record, revisits through their originals, and finds the same articles
    again = cli("reparse", "--db", str(tmp_path / "archive.db"), "--into", str(tmp_path / "new.db"))
    assert again.returncode == 0, again.stderr
    assert "failures       : 0" in again.stdout
    (responses,) = db.execute(
        "SELECT count(*) FROM warc_records WHERE record_type IN ('response', 'revisit')"
    ).fetchone()
    assert f"responses read : {responses}" in again.stdout
    query = "SELECT site, article_id, title, body_text, views FROM articles ORDER BY 1, 2"
    assert sqlite3.connect(tmp_path / "new.db").execute(query).fetchall() == db.execute(query).fetchall()
