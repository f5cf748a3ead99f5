"""The store is an interface (xzcrawler/store/protocol.py), not the SQLite file: a crawl, a
reparse and an export against a second store (tests/memory_store.py) give the records the SQLite
archive gives. Both ask the same rule book (core/history.py) what an observation means, so a
re-extraction of the same captures into either gives the same records in every field: the
readers' counts from listings and own fetches, the dates a listing narrowed (issue 30)."""

from __future__ import annotations

import json
import subprocess

import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.store import SqliteStore, export_records
from xzcrawler.store.protocol import Store
from xzcrawler.tools.reparse import reparse

from .conftest import CRAWL_ENV, NOW, ROOT, crawl_args
from .memory_store import MemoryStore

SNAPSHOT_ROWS = "SELECT site, article_id, observed_at, views, source, own_fetches, own_total, rounded FROM view_snapshots ORDER BY id"


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """The same 60-article site crawled into the SQLite archive and into the memory store."""
    root = tmp_path_factory.mktemp("protocol")
    server, base = serve_in_thread(MirrorSite(60, now=NOW))
    try:
        for name, extra in (
            ("sqlite", []),
            ("memory", ["-s", "XZ_STORE=tests.memory_store.MemoryStore", "-s", "XZ_EXPORT_PATH=memory.jsonl"]),
        ):
            workdir = root / name
            workdir.mkdir()
            db = workdir / ("memory.json" if name == "memory" else "archive.db")
            command = crawl_args(base, workdir, *extra, "-s", f"XZ_DB_PATH={db}")
            result = subprocess.run(
                command,
                cwd=workdir,
                env={**CRAWL_ENV, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, result.stderr[-3000:]
    finally:
        server.shutdown()
        server.server_close()
    return root


def test_both_stores_are_stores(tmp_path):
    with MemoryStore(tmp_path / "m.json") as memory, SqliteStore(tmp_path / "a.db") as archive:
        assert isinstance(memory, Store) and isinstance(archive, Store)


def test_a_crawl_into_the_memory_store_gives_the_same_records(crawls, tmp_path):
    """Two crawls are two sets of fetches (a relative date reads by its fetch time, tpure draws the
    related list at random per render), so they agree on what each article is and says; the
    memory store's crawl agrees in every field with a reparse of its own WARC files."""
    sqlite, memory = lines(crawls / "sqlite" / "archive.jsonl"), lines(crawls / "memory" / "memory.jsonl")
    content = ("site", "article_id", "url", "title", "category", "body_text", "content_hash", "keywords", "images")
    content += ("family_id",)  # the families the rules (core/families.py) made, on both
    assert len(memory) == len(sqlite) == 60
    assert [[r[k] for k in content] for r in memory] == [[r[k] for k in content] for r in sqlite]
    state = json.loads((crawls / "memory" / "memory.json").read_text("utf-8"))
    assert [run["status"] for run in state["runs"]] == ["finished"]
    assert {row["record_type"] for row in state["warc"]} >= {"request", "response"}  # the WARC index too
    again = reparse(crawls / "memory" / "memory.json", tmp_path / "again.json", open_store=MemoryStore)
    assert again.articles == 60 and again.failures == 0
    with MemoryStore(tmp_path / "again.json", readonly=True) as store:
        families = store.family_members()
        assert list(store.iter_articles()) == [
            {name: value for name, value in record.items() if name != "family_id"} for record in memory
        ]
    assert {(r["site"], r["article_id"]): r["family_id"] for r in memory if r["family_id"]} == families


@pytest.fixture(scope="module")
def reparsed(crawls, tmp_path_factory):
    """The SQLite crawl's WARC files reparsed into a new SQLite archive and into a memory store."""
    folder = tmp_path_factory.mktemp("reparsed")
    source, warc = crawls / "sqlite" / "archive.db", crawls / "sqlite" / "warc"
    counts = (
        reparse(source, folder / "re.db", warc_dir=warc),
        reparse(source, folder / "re.json", warc_dir=warc, open_target=MemoryStore),
    )
    return folder, counts


def test_a_reparse_into_either_store_gives_the_same_records(crawls, reparsed):
    folder, (into_sqlite, into_memory) = reparsed
    assert into_memory.articles == into_sqlite.articles == 60 and into_memory.new == into_sqlite.new == 60
    with SqliteStore(folder / "re.db", readonly=True) as a, MemoryStore(folder / "re.json", readonly=True) as m:
        from_memory, from_sqlite = list(m.iter_articles()), list(a.iter_articles())
        assert from_memory == from_sqlite
        # (not by chance: the counts are the readers' once our own fetches are taken out)
        assert sum(1 for r in from_sqlite if r["views"] is not None and r["views"] != r["views_shown"]) > 0
        assert m.snapshots == [list(row) for row in a.db.execute(SNAPSHOT_ROWS)]
    source, warc = crawls / "sqlite" / "archive.db", crawls / "sqlite" / "warc"
    again = reparse(source, folder / "re.json", warc_dir=warc, open_target=MemoryStore)  # again: nothing new
    assert (again.new, again.changed, again.unchanged) == (0, 0, 60)


def test_an_export_from_either_store_is_the_same(reparsed, tmp_path, schema_validator):
    folder, _ = reparsed
    with SqliteStore(folder / "re.db", readonly=True) as archive:
        assert export_records(archive, tmp_path / "a.jsonl") == 60
    with MemoryStore(folder / "re.json", readonly=True) as memory:
        assert export_records(memory, tmp_path / "m.jsonl") == 60
        assert export_records(memory, tmp_path / "m.csv", "csv") == 60
    exported = lines(tmp_path / "m.jsonl")
    assert exported == lines(tmp_path / "a.jsonl")
    assert all(not list(schema_validator.iter_errors(record)) for record in exported)
