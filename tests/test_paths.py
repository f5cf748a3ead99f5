"""File names are data, not syntax: archives, shards, exports and reports whose names hold URI
characters (``#``, ``?``, ``%41``), spaces and quotes are read and written as named."""

from __future__ import annotations

import json
import sqlite3

import pytest

from xzcrawler.store import SqliteStore

from .conftest import cli
from .test_archive import reference_record

NAMES = ["hash#1.db", "what?.db", "pct%41.db", "with space.db", 'quote\'d "x".db']


def _archive(path, article_id: int, title: str):
    """An archive of one article, fetched in one run of its site (what a merge takes as a shard)."""
    with SqliteStore(path) as archive:
        record = reference_record(article_id=article_id)
        record["title"] = title
        run = archive.start_run("articles", record["site"], started_at=record["fetched_at"])
        archive.add_article(record)
        archive.flush()
        archive.finish_run(run, "finished", {}, finished_at=record["fetched_at"])


@pytest.mark.parametrize("name", NAMES)
def test_export_search_and_report_read_the_archive_named(tmp_path, name):
    path = tmp_path / name
    _archive(path, 5001, "名字里的档案")
    if "%41" in name:  # a decoy: what the unescaped URI would open instead
        _archive(tmp_path / name.replace("%41", "A"), 5002, "不该读到的档案")
    out = tmp_path / f"out {name}.jsonl"
    result = cli("export", "--db", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    (line,) = out.read_text("utf-8").splitlines()
    assert json.loads(line)["title"] == "名字里的档案"
    hits = cli("search", "档案", "--db", str(path), "--json")
    assert hits.returncode == 0, hits.stderr
    assert [json.loads(h)["article_id"] for h in hits.stdout.splitlines()] == [5001]
    report = tmp_path / f"report {name}.html"
    made = cli("report", str(path), "--out", str(report))
    assert made.returncode == 0, made.stderr
    assert "1 articles" in report.read_text("utf-8")


def test_merge_reads_shards_named_with_uri_characters(tmp_path):
    shards = []
    for k, name in enumerate(NAMES):
        shards.append(tmp_path / name)
        _archive(shards[-1], 6000 + k, f"分片{k}")
    _archive(tmp_path / "pctA.db", 6999, "不该合并的分片")  # what pct%41.db would be misread as
    into = tmp_path / "into #1.db"
    result = cli("merge", *map(str, shards), "--into", str(into))
    assert result.returncode == 0, result.stderr
    ids = {aid for (aid,) in sqlite3.connect(into).execute("SELECT article_id FROM articles")}
    assert ids == {6000 + k for k in range(len(NAMES))}
    for path in [into, *shards]:
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
