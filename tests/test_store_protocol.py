"""The store is an interface (xzcrawler/store/protocol.py), not the SQLite file: a crawl, a
reparse and an export against a second store (tests/memory_store.py) give the records the SQLite
archive gives. Both ask the same rule book (core/history.py) what an observation means, so a
re-extraction of the same captures into either gives the same records in every field: the
readers' counts from listings and own fetches, the dates a listing narrowed (issue 30)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess

import pytest

from xzcrawler.core.clock import Clock
from xzcrawler.mirror.network import Network, serve_network
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite
from xzcrawler.store import SqliteStore, export_records
from xzcrawler.store.merge import merge
from xzcrawler.store.protocol import Store
from xzcrawler.tools.reparse import reparse

from .conftest import CRAWL_ENV, NOW, ROOT, crawl_args, replace_site, run_crawl
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


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Two sites of the network mirror crawled into a shard each; a day later the first site has
    corrected five posts and added three, and its shard is refreshed. Beside each SQLite shard, the
    same captures reparsed into a memory store (before and after the refresh)."""
    root = tmp_path_factory.mktemp("merge-both")
    later = NOW + dt.timedelta(days=1)
    net = Network(40, now=NOW, epoch=NOW, sites=2, share=0.3)
    edited = tuple(net.sites[0].ids[3:8])
    servers, urls = serve_network(net)
    sqlite_shards, memory_shards = [], []
    try:
        for k, url in enumerate(urls):
            folder = root / f"shard{k}"
            folder.mkdir()
            assert run_crawl(url, folder).returncode == 0
            sqlite_shards.append(folder / "archive.db")
            memory_shards.append(root / f"shard{k}.json")
            reparse(folder / "archive.db", memory_shards[-1], open_target=MemoryStore)
        before = root / "shard0-before.db"
        copy, source = sqlite3.connect(before), sqlite3.connect(sqlite_shards[0])
        source.backup(copy)
        copy.close()
        source.close()
        evolved = Network(40, now=later, epoch=NOW, sites=1, share=0.3, add=3, grow_views=2, edit=edited)
        replace_site(servers[0], evolved.sites[0])
        assert run_crawl(urls[0], root / "shard0", now=later).returncode == 0
        reparse(sqlite_shards[0], root / "shard0-after.json", open_target=MemoryStore)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    return root, [before, sqlite_shards[1], sqlite_shards[0]], [*memory_shards, root / "shard0-after.json"]


def test_a_merge_into_either_store_gives_the_same_archive(shards, tmp_path):
    """Merge asks the rule book (core/merging.py) on both stores: the shards folded into the SQLite
    archive (xzcrawler merge) and their captures, reparsed into memory stores, folded into the
    memory store give the same articles, revisions (both histories of the corrected posts merged),
    view snapshots, date refinements, failures and families."""
    root, sqlite_shards, memory_shards = shards
    clock = Clock(NOW + dt.timedelta(days=1, hours=1))  # (the merge's clock: after the shards' runs, at any hour)
    merge(tmp_path / "merged.db", sqlite_shards[:2], warc=False, clock=clock)
    merge(tmp_path / "merged.db", sqlite_shards[2:], warc=False, clock=clock)
    with MemoryStore(tmp_path / "merged.json") as memory:
        for path in memory_shards:
            with MemoryStore(path, readonly=True) as shard:
                memory.merge_from(shard)
    with SqliteStore(tmp_path / "merged.db", readonly=True) as a, MemoryStore(tmp_path / "merged.json") as m:
        assert list(m.iter_articles()) == list(a.iter_articles())
        assert len(m.articles) == 83
        log = [
            (site, aid, r["revision"], r["at"], r["changed"], int(r["current"]))
            for (site, aid), entry in sorted(m.articles.items())
            for r in entry["log"]
        ]
        assert log == list(
            a.db.execute(
                "SELECT site, article_id, revision, fetched_at, changed_fields, current FROM revision_log "
                "ORDER BY site, article_id, revision"
            )
        )
        # the corrected posts: two revisions each, as the refreshed shard tells them
        (corrected,) = (
            sqlite3.connect(sqlite_shards[2]).execute("SELECT count(*) FROM revision_log WHERE revision = 2").fetchone()
        )
        assert sum(r[2] == 2 for r in log) == corrected > 0
        assert sorted(map(tuple, m.snapshots)) == sorted(a.db.execute(SNAPSHOT_ROWS))
        refinements = "SELECT site, article_id, observed_at, source, published_text, old_earliest, old_latest, "
        refinements += "old_precision, new_earliest, new_latest, new_precision FROM date_refinements"
        assert sorted(map(tuple, m.refinements)) == sorted(a.db.execute(refinements))
        failures = sorted((url, f["kind"], f["resolved_at"] is None) for url, f in m.failures.items())
        assert failures == sorted(
            (url, kind, bool(open_))
            for url, kind, open_ in a.db.execute("SELECT url, kind, resolved_at IS NULL FROM failures")
        )
        assert m.family_members() == a.family_members() and m.family_members()
    # again: nothing new on either
    with MemoryStore(tmp_path / "merged.json") as memory:
        for path in memory_shards:
            with MemoryStore(path, readonly=True) as shard:
                assert not +memory.merge_from(shard)
    assert all(not +count.written for count in merge(tmp_path / "merged.db", sqlite_shards, warc=False, clock=clock))
