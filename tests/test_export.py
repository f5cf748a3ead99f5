"""Exports: whole or incremental (--since, --changed), gzip, other tables; atomic, valid, ordered."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3

import pytest

from xzcrawler.store import Archive

from .conftest import cli


@pytest.fixture()
def archive_copy(mirror_archive, tmp_path):
    _, path = mirror_archive
    copy = tmp_path / "archive.db"
    shutil.copy(path, copy)
    return copy


def lines(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_gzip_export_is_the_same_records(archive_copy, tmp_path, schema_validator):
    plain, zipped = tmp_path / "a.jsonl", tmp_path / "a.jsonl.gz"
    assert cli("export", "--db", str(archive_copy), "--out", str(plain)).returncode == 0
    assert cli("export", "--db", str(archive_copy), "--out", str(zipped), "--gzip").returncode == 0
    records = lines(plain)
    assert records == lines(zipped) and len(records) == 300
    assert all(not list(schema_validator.iter_errors(r)) for r in records)
    assert [r["article_id"] for r in records] == sorted(r["article_id"] for r in records)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("related_links", ("article_id", "position")),
        ("view_snapshots", ("article_id", "observed_at", "id")),
        ("revisions", ("article_id", "revision")),
    ],
)
def test_other_tables(archive_copy, tmp_path, table, key):
    out = tmp_path / f"{table}.jsonl"
    result = cli("export", "--db", str(archive_copy), "--table", table, "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = lines(out)
    count = sqlite3.connect(archive_copy).execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    assert len(rows) == count > 0
    keys = [tuple(r[k] for k in key) for r in rows]
    assert keys == sorted(keys)
    if table == "revisions":
        assert isinstance(rows[0]["related"], list)


def test_changed_exports_only_what_changed_since_the_last_export(archive_copy, tmp_path):
    out = tmp_path / "changed.jsonl"
    first = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert first.returncode == 0 and len(lines(out)) == 300  # no export yet: everything
    plain = cli("export", "--db", str(archive_copy), "--out", str(tmp_path / "adhoc.jsonl"))
    assert plain.returncode == 0  # an ad-hoc export does not move the --changed baseline
    again = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert "exported 0 articles rows" in again.stdout and lines(out) == []
    with Archive(archive_copy) as archive:  # one article is edited, another gains views
        edited, viewed = [dict(r) for r in archive.iter_articles(" WHERE article_id IN (168, 169)")]
        edited.update(body_text=edited["body_text"] + "（更正）", fetched_at="2099-01-01T00:00:00Z")
        archive.add_article(edited)
        archive.observe_listing(
            viewed["site"], [{"article_id": 169, "views": (viewed["views"] or 0) + 5}], "2099-01-01T00:00:00Z"
        )
    third = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert third.returncode == 0
    assert [r["article_id"] for r in lines(out)] == [168, 169]
    fourth = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert "exported 0 articles rows" in fourth.stdout  # within the same second too: marks, not times
    since = cli(
        "export",
        "--db",
        str(archive_copy),
        "--since",
        "2098-12-31T00:00:00Z",
        "--table",
        "revisions",
        "--out",
        str(out),
    )
    assert since.returncode == 0 and [(r["article_id"], r["changed_fields"]) for r in lines(out)] == [
        (168, ["body_text"])
    ]


def test_bad_since_is_a_clear_error(archive_copy, tmp_path):
    result = cli("export", "--db", str(archive_copy), "--since", "last tuesday", "--out", str(tmp_path / "x.jsonl"))
    assert result.returncode != 0 and "not an ISO 8601 time" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()
