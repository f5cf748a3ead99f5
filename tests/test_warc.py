"""WARC capture of a whole crawl, and re-parsing it into a new archive without the network."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from .conftest import cli, run_crawl


@pytest.fixture(scope="module")
def crawled(mirror300, tmp_path_factory):
    _, base = mirror300
    workdir = tmp_path_factory.mktemp("warc")
    result = run_crawl(base, workdir)
    assert result.returncode == 0, result.stderr[-3000:]
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
    assert responses["response"] == responses["request"] == stats
    assert db.execute("SELECT COUNT(*) FROM warc_records WHERE url LIKE '%/robots.txt'").fetchone()[0] == 2


def test_reparse_into_a_new_archive_gives_identical_article_rows(crawled, tmp_path):
    result = cli("reparse", "--db", str(crawled / "archive.db"), "--into", str(tmp_path / "new.db"))
    assert result.returncode == 0, result.stderr
    assert "300 new, 0 changed" in result.stdout
    old, new = sqlite3.connect(crawled / "archive.db"), sqlite3.connect(tmp_path / "new.db")
    query = "SELECT * FROM articles ORDER BY site, article_id"
    assert new.execute(query).fetchall() == old.execute(query).fetchall()
    for table in ("related_links", "images", "revisions", "view_snapshots", "categories", "date_refinements"):
        columns = {
            "view_snapshots": "site, article_id, observed_at, views, source",
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
