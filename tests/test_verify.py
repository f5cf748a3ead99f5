"""`xzcrawler verify` proves an archive whole (issue 32, item 1): it holds on a crawled archive,
and each corruption of one link (a byte of a WARC file, a WARC file gone, a row edited by hand, a
search row missing, a truncated export) fails exactly its check, with what to do."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from .conftest import cli, crawled_mirror

CHECKS = [
    "sqlite",
    "warc-files",
    "warc-records",
    "articles",
    "revisions",
    "search",
    "stories",
    "families",
    "export",
    "runs",
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = crawled_mirror(tmp_path_factory.mktemp("verify"), 40)
    assert (root / "archive.jsonl").is_file()
    return root


@pytest.fixture
def copy(crawled, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(crawled, target)
    return target


def run(folder, *extra):
    result = cli(
        "verify", str(folder / "archive.db"), "--full", "--json", "--export", str(folder / "archive.jsonl"), *extra
    )
    checks = {line["check"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert list(checks) == CHECKS, result.stderr
    return result, checks


def failed(checks) -> set[str]:
    return {name for name, check in checks.items() if not check["ok"]}


def test_a_crawled_archive_holds_and_is_not_written(copy):
    before = {p.name: p.read_bytes() for p in copy.rglob("*") if p.is_file() and p.suffix in (".db", ".gz", ".jsonl")}
    result, checks = run(copy)
    assert result.returncode == 0, result.stdout
    assert failed(checks) == set()
    assert checks["articles"]["checked"] == 40 and checks["warc-records"]["checked"] > 40
    after = {p.name: p.read_bytes() for p in copy.rglob("*") if p.is_file() and p.suffix in (".db", ".gz", ".jsonl")}
    assert after == before


def _article_record(folder) -> tuple[str, int, int]:
    db = sqlite3.connect(folder / "archive.db")
    return db.execute(
        "SELECT file, offset, length FROM warc_records WHERE record_type = 'response' AND url LIKE '%/post/%' LIMIT 1"
    ).fetchone()


def test_a_flipped_byte_of_a_warc_file_fails_the_records_check(copy):
    file, offset, length = _article_record(copy)
    path = copy / "warc" / file
    data = bytearray(path.read_bytes())
    data[offset + length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    result, checks = run(copy)
    assert result.returncode == 1
    assert failed(checks) == {"warc-records"}
    assert "restore their WARC files from a backup" in checks["warc-records"]["fix"]


def test_a_deleted_warc_file_fails_the_files_check(copy):
    file, _, _ = _article_record(copy)
    (copy / "warc" / file).unlink()
    result, checks = run(copy)
    assert result.returncode == 1 and failed(checks) == {"warc-files"}
    assert f"{file} missing" in checks["warc-files"]["examples"][0]


def test_a_row_edited_by_hand_fails_the_articles_check(copy):
    db = sqlite3.connect(copy / "archive.db")
    aid = db.execute("SELECT article_id FROM articles ORDER BY article_id LIMIT 1 OFFSET 7").fetchone()[0]
    db.execute("UPDATE articles SET title = title || '（改）' WHERE article_id = ?", [aid])
    db.commit()
    db.close()
    result, checks = run(copy, "--export", str(copy / "archive.jsonl"))
    assert result.returncode == 1 and failed(checks) == {"articles"}
    assert f"/{aid} title" in checks["articles"]["examples"][0] and "reparse" in checks["articles"]["fix"]


def test_a_missing_search_row_fails_the_search_check(copy):
    db = sqlite3.connect(copy / "archive.db")
    rowid = db.execute("SELECT min(id) FROM search_index_docsize").fetchone()[0]
    db.execute("DELETE FROM search_index_docsize WHERE id = ?", [rowid])
    db.commit()
    db.close()
    result, checks = run(copy)
    assert result.returncode == 1 and failed(checks) == {"search"}
    assert "not in the index" in checks["search"]["examples"][0]


def test_a_truncated_export_fails_the_export_check(copy):
    export = copy / "archive.jsonl"
    lines = export.read_text("utf-8").splitlines(keepends=True)
    export.write_text("".join(lines[:-3]) + lines[-3][:40], "utf-8")
    result, checks = run(copy)
    assert result.returncode == 1 and failed(checks) == {"export"}
    assert "xzcrawler export" in checks["export"]["fix"]


def test_a_run_left_running_without_its_lock_fails_the_runs_check(copy):
    db = sqlite3.connect(copy / "archive.db")
    db.execute("UPDATE crawl_runs SET status = 'running'")
    db.commit()
    db.close()
    result, checks = run(copy)
    assert result.returncode == 1 and failed(checks) == {"runs"}


def test_a_family_edited_by_hand_or_a_text_left_unsigned_fails_the_families_check(copy):
    _, checks = run(copy)
    assert checks["families"]["ok"] and checks["families"]["checked"] == 40
    db = sqlite3.connect(copy / "archive.db")
    (site, aid) = db.execute("SELECT site, article_id FROM family_members LIMIT 1").fetchone()
    db.execute("UPDATE family_members SET family = 'x/1' WHERE site = ? AND article_id = ?", [site, aid])
    db.execute("DELETE FROM text_signatures WHERE rowid = (SELECT min(rowid) FROM text_signatures)")
    db.commit()
    db.close()
    result, checks = run(copy)
    assert result.returncode != 0 and failed(checks) == {"families"} and checks["families"]["wrong"] == 2
    wrong = " ".join(checks["families"]["examples"])
    assert f"{site}/{aid}: in family x/1" in wrong and "text not signed as it is" in wrong
