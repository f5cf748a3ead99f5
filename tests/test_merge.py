"""`xzcrawler merge SHARD... --into ARCHIVE`: shards of one site each (as Scrapyd jobs write them)
fold into one archive with all their history; again is a no-op; a refreshed shard brings only
what changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3

import pytest

from tests.conftest import NOW, cli, replace_site, run_crawl
from xzcrawler.mirror.network import Network, serve_network

TABLES = (
    "articles",
    "revision_log",
    "view_snapshots",
    "date_refinements",
    "categories",
    "failures",
    "crawl_runs",
    "warc_records",
    "image_captures",
)


def checksums(path) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of each table (the search index included)."""
    db = sqlite3.connect(path)
    sums = {}
    for table in (*TABLES, "search_index"):
        rows = sorted(repr(row) for row in db.execute(f"SELECT rowid, * FROM {table}"))
        sums[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    db.close()
    return sums


def crawl_shards(urls: list[str], root, now: dt.datetime) -> list:
    shards = []
    for k, url in enumerate(urls):
        folder = root / f"shard{k}"
        folder.mkdir(exist_ok=True)
        result = run_crawl(url, folder, now=now)
        assert result.returncode == 0, result.stderr[-2000:]
        shards.append(folder / "archive.db")
    return shards


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Three sites crawled into a shard each; the servers stay up, so a refresh reaches the
    sites at the same addresses."""
    root = tmp_path_factory.mktemp("shards")
    net = Network(120, now=NOW, epoch=NOW, sites=3, share=0.3)
    servers, urls = serve_network(net)
    try:
        yield net, root, crawl_shards(urls, root, NOW), (servers, urls)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_merge_folds_shards_with_history_and_again_changes_nothing(shards, tmp_path):
    net, _, paths, _ = shards
    target = tmp_path / "network.db"
    result = cli("merge", *map(str, paths), "--into", str(target))
    assert result.returncode == 0, result.stderr
    merged = sqlite3.connect(target)
    # every article of every shard, once, each under its site
    total = 0
    for path in paths:
        shard = sqlite3.connect(path)
        for table in TABLES:
            (count,) = shard.execute(f"SELECT count(*) FROM {table}").fetchone()
            total += count if table == "articles" else 0
        site_rows = shard.execute("SELECT site, article_id, title, body_text, views, story_id FROM articles").fetchall()
        (site,) = {row[0] for row in site_rows}
        assert sorted(
            merged.execute(
                "SELECT site, article_id, title, body_text, views, story_id FROM articles WHERE site = ?", [site]
            )
        ) == sorted(site_rows)
        runs = shard.execute("SELECT site, started_at, status, exit_code FROM crawl_runs").fetchall()
        assert set(runs) <= set(merged.execute("SELECT site, started_at, status, exit_code FROM crawl_runs"))
    assert merged.execute("SELECT count(*) FROM articles").fetchone() == (total,) == (360,)
    # the photos each shard captured, all of them (merge keeps image captures as it keeps pages)
    photos = set()
    for path in paths:
        photos |= set(sqlite3.connect(path).execute("SELECT * FROM image_captures").fetchall())
    assert set(merged.execute("SELECT * FROM image_captures")) == photos and photos
    # the stories span the shards: the planted copies, exactly
    groups: dict = {}
    for story, site, aid in merged.execute("SELECT story_id, site, article_id FROM articles"):
        groups.setdefault(story, set()).add((site, aid))
    found = {frozenset(g) for g in groups.values() if len(g) > 1}
    truth = {frozenset((f"127.0.0.{k + 1}", aid) for k, aid in story) for story in net.stories()}
    assert found == truth and truth
    # the search index answers over all shards
    hits = cli("search", "园区", "--db", str(target), "--limit", "1000", "--json").stdout.splitlines()
    shard_hits = sum(
        len(cli("search", "园区", "--db", str(p), "--limit", "1000", "--json").stdout.splitlines()) for p in paths
    )
    assert len(hits) == shard_hits > 0
    # each hit names its site beside its host, whichever shard it came from
    assert {json.loads(hit)["site_name"] for hit in hits} == {site.profile.name for site in net.sites}
    # the WARC files came along: reparse finds every page's record
    assert len(list((tmp_path / "warc").glob("*.warc.gz"))) == 3
    assert merged.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    merged.close()

    before = checksums(target)
    again = cli("merge", *map(str, paths), "--into", str(target))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("nothing new") == 3
    assert checksums(target) == before


def test_merge_gives_the_families_of_one_crawl_of_the_same_pages(shards, tmp_path):
    """The families are derived, not copied: the merged shards' are those of one crawl of all the
    sites into one archive (the spun network mirror: families span the sites)."""
    _, _, paths, (_, urls) = shards
    target = tmp_path / "network.db"
    assert cli("merge", *map(str, paths), "--into", str(target)).returncode == 0
    whole = tmp_path / "whole"
    whole.mkdir()
    assert run_crawl(",".join(urls), whole, now=NOW).returncode == 0

    def families(path):
        db = sqlite3.connect(path)
        return (
            sorted(db.execute("SELECT site, article_id, family FROM family_members")),
            sorted(db.execute("SELECT * FROM family_links")),
        )

    members, links = families(target)
    whole_members, whole_links = families(whole / "archive.db")
    # the same families; their links join them (a spanning set: which pairs depends on the order)
    assert members == whole_members and len(links) == len(whole_links) == len(members) - len(
        {family for *_, family in members}
    )
    assert len({site for _, _, family in members for site in [family.split("/")[0]]}) > 1
    assert any(a_site != b_site for a_site, _, b_site, *_ in links)  # across the shards


def _copy(path, to):
    source, copy = sqlite3.connect(path), sqlite3.connect(to)
    source.backup(copy)
    source.close()
    copy.close()


def _written(stdout: str, shard, table: str) -> int:
    (line,) = [line for line in stdout.splitlines() if line.startswith(str(shard))]
    found = [
        part.split()[-1] for part in line.split(": ", 1)[1].split(";")[0].split(", ") if part.startswith(table + " ")
    ]
    return int(found[0]) if found else 0


def test_a_refreshed_shard_merges_only_what_changed(shards, tmp_path):
    _, root, paths, (servers, urls) = shards
    target = tmp_path / "network.db"
    assert cli("merge", *map(str, paths), "--into", str(target)).returncode == 0
    before = checksums(target)
    old = tmp_path / "shard-before.db"
    _copy(paths[0], old)
    # a day later the first site has 3 new articles and more readers; its shard refreshes
    later = NOW + dt.timedelta(days=1)
    evolved = Network(120, now=later, epoch=NOW, sites=1, share=0.3, add=3, grow_views=2)
    replace_site(servers[0], evolved.sites[0])  # the same address: no URL moves
    assert crawl_shards(urls[:1], root, later) == paths[:1]
    result = cli("merge", str(paths[0]), "--into", str(target))
    assert result.returncode == 0, result.stderr
    after = checksums(target)
    # the merge wrote what the refresh changed in the shard, and nothing else
    shard = sqlite3.connect(paths[0])
    shard.execute("ATTACH DATABASE ? AS old", [str(old)])
    columns = [row[1] for row in shard.execute("PRAGMA table_info(articles)")]
    (changed,) = shard.execute(
        "SELECT count(*) FROM articles s LEFT JOIN old.articles o USING (site, article_id) WHERE o.article_id IS NULL OR "
        + " OR ".join(f"s.{c} IS NOT o.{c}" for c in columns)
    ).fetchone()
    assert 3 <= changed < 123  # the refresh touched some articles, not all
    assert _written(result.stdout, paths[0], "articles") == changed
    for table in ("revision_log", "view_snapshots", "crawl_runs"):
        (new_rows,) = shard.execute(
            f"SELECT (SELECT count(*) FROM main.{table}) - (SELECT count(*) FROM old.{table})"
        ).fetchone()
        assert after[table][0] - before[table][0] == new_rows, table
    assert after["articles"][0] - before["articles"][0] == 3
    # the other shards' sites are as they were; the refreshed site matches its shard again
    merged = sqlite3.connect(target)
    query = "SELECT site, article_id, revision, views, last_seen, story_id FROM articles"
    assert sorted(merged.execute(query + " WHERE site = '127.0.0.1'")) == sorted(shard.execute(query))
    for path in paths[1:]:
        other = sqlite3.connect(path)
        (site,) = other.execute("SELECT DISTINCT site FROM articles").fetchone()
        assert sorted(merged.execute(query + " WHERE site = ?", [site])) == sorted(other.execute(query))
    assert merged.execute("SELECT count(*) FROM crawl_runs WHERE site = '127.0.0.1'").fetchone() == (2,)
    assert merged.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_merge_refuses_what_is_no_shard(shards, tmp_path):
    _, _, paths, _ = shards
    target = tmp_path / "network.db"
    assert cli("merge", str(paths[0]), "--into", str(target)).returncode == 0
    before = checksums(target)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    for args in ([str(junk)], [str(tmp_path / "missing.db")], [str(target)]):
        result = cli("merge", *args, "--into", str(target))
        assert result.returncode == 1, args
        assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert checksums(target) == before
