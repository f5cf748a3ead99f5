"""The whole network in one run: the sites of XZ_NETWORK (twelve), each on its own loopback host, crawled by one process
into one archive, each site under its own key and verdict; cross-posted copies grouped as stories."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import CRAWL_ENV, NOW, cli, run_crawl
from xzcrawler.core import health
from xzcrawler.core.normalize import site_of as _site_key
from xzcrawler.mirror.network import SITES, Network, serve_network
from xzcrawler.settings import XZ_NETWORK

PER_SITE = 40
N = len(SITES)  # twelve: the list of the setting, mirrored site for site


@pytest.fixture(scope="module")
def network():
    net = Network(PER_SITE, now=NOW)
    servers, urls = serve_network(net)
    yield net, urls
    for server in servers:
        server.shutdown()
        server.server_close()


def _story_groups(db) -> set[frozenset]:
    """Groups of (site key, article id) the archive holds as one story, two copies or more."""
    rows = db.execute("SELECT story_id, site, article_id FROM articles WHERE story_id IS NOT NULL").fetchall()
    groups: dict[str, set] = {}
    for story, site, aid in rows:
        groups.setdefault(story, set()).add((site, aid))
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def test_the_network_mirror_is_the_settings_sites_with_planted_copies():
    net = Network(60, now=NOW)
    assert [address for address, _ in SITES] == XZ_NETWORK
    assert len(net.sites) == N == 12 and "http://laian.021cf.cn/" in XZ_NETWORK
    names = {site.profile.name for site in net.sites}
    assert len(names) == N
    # themes and versions mixed as on the network: tpure 5.x and 6.x, time styles, one reconstruction
    profiles = [site.profile for site in net.sites]
    assert {p.theme for p in profiles} == {"tpure", "xzcf"}
    assert any(p.v6 for p in profiles) and any(p.time_style is not None for p in profiles)
    assert any(p.navbar_fixed for p in profiles) and sum(p.theme == "tpure" and not p.v6 for p in profiles) > N // 2
    category_ids = [{site.category_id(kind) for kind in site.by_category} for site in net.sites]
    assert all(not (a & b) for i, a in enumerate(category_ids) for b in category_ids[i + 1 :])
    assert len({tuple(site.ids) for site in net.sites}) == N  # each its own id space
    stories = net.stories()
    assert sum(len(story) - 1 for story in stories) >= 30
    # a copy tells its origin's text, was published after it, and lives on another site
    retitled = 0
    for story in stories:
        (origin_k, origin_aid), *_ = sorted(story, key=lambda c: net.sites[c[0]].published(c[1]))
        origin = net.sites[origin_k].article(origin_aid)
        for k, aid in story - {(origin_k, origin_aid)}:
            copy = net.sites[k].article(aid)
            assert k != origin_k
            assert [b for b in copy.blocks if b[0] == "p"] == [b for b in origin.blocks if b[0] == "p"]
            retitled += copy.title != origin.title
    assert retitled > 0  # some copies carry another title


def test_one_run_archives_every_site_and_groups_the_copies_exactly(network, tmp_path):
    net, urls = network
    result = run_crawl(",".join(urls), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    for k, url in enumerate(urls):
        stored = {aid for (aid,) in db.execute("SELECT article_id FROM articles WHERE site = ?", [_site_key(url)])}
        assert stored == set(net.sites[k].ids), url
        names = {n for (n,) in db.execute("SELECT name FROM categories WHERE site = ?", [_site_key(url)])}
        assert names == {name for _, name in net.sites[k].profile.categories}, url
    # one run row, one verdict, one summary line per site; then the network's line
    runs = db.execute("SELECT site, status, exit_code FROM crawl_runs ORDER BY id").fetchall()
    assert sorted(site for site, _, _ in runs) == sorted(_site_key(u) for u in urls)
    assert {(status, code) for _, status, code in runs} == {("finished", 0)}
    assert len(re.findall(r"xzcrawler run \d+ \(127\.0\.0\.\d+\): finished", result.stderr)) == N
    assert f"xzcrawler network: {N} sites, {N} healthy | exit 0" in result.stderr
    # stories: exactly the planted copies, no more, no fewer
    truth = {frozenset((_site_key(urls[k]), aid) for k, aid in story) for story in net.stories()}
    assert _story_groups(db) == truth
    (stories,) = db.execute("SELECT count(*) FROM stories").fetchone()
    assert stories == sum(len(s.ids) for s in net.sites) - sum(len(story) - 1 for story in truth)
    # where each story was posted first: its origin (the earliest published copy), wherever every
    # copy shows a date (a page with no date cannot say when it was posted)
    firsts = dict(
        db.execute("SELECT story_id, first_site || '/' || first_article_id FROM stories WHERE copies > 1").fetchall()
    )
    checked = 0
    for story in net.stories():
        some_k, some_aid = next(iter(story))
        dated = db.execute(
            "SELECT count(published_earliest), max(story_id) FROM articles WHERE story_id = "
            "(SELECT story_id FROM articles WHERE site = ? AND article_id = ?)",
            [_site_key(urls[some_k]), some_aid],
        ).fetchone()
        if dated[0] < len(story):
            continue
        k, aid = min(story, key=lambda c: net.sites[c[0]].published(c[1]))
        assert firsts[dated[1]] == f"{_site_key(urls[k])}/{aid}"
        checked += 1
    assert checked >= len(truth) // 2
    # one WARC file per site, the export written once with every article
    warcs = sorted(p.name for p in (tmp_path / "warc").glob("*.warc.gz"))
    assert len(warcs) == N and len({name.split("-2026")[0] for name in warcs}) == N
    assert result.stderr.count(" articles to ") == 1  # the export: once, after every site
    exported = (tmp_path / "archive.jsonl").read_text("utf-8").splitlines()
    assert len(exported) == sum(len(s.ids) for s in net.sites)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # every listing of the mirror shows each article's count: no article is left without views,
    # the pages that show none (and were asked for before their listing came) included
    assert db.execute("SELECT site, article_id FROM articles WHERE views IS NULL").fetchall() == []

    # a second run refreshes every site: nothing new, nothing fetched twice
    again = run_crawl(",".join(urls), tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(re.findall(r"finished \| articles new 0, changed 0", again.stderr)) == N
    assert db.execute("SELECT count(*) FROM crawl_runs WHERE status = 'finished'").fetchone() == (2 * N,)
    assert _story_groups(db) == truth


def test_the_exit_status_is_the_worst_sites_and_the_summary_names_it(tmp_path):
    """Two healthy sites and one whose articles all fail: the run exits 3 (errors), the healthy
    sites' runs are recorded finished, and the export is not refreshed."""
    net = Network(30, now=NOW, sites=3)
    broken = net.sites[2]
    broken.failing = frozenset(broken.ids)
    servers, urls = serve_network(net)
    try:
        result = run_crawl(",".join(urls), tmp_path)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert result.returncode == health.ERRORS, result.stderr[-2000:]
    assert f"failed: {_site_key(urls[2])} (exit 3)" in result.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    codes = dict(db.execute("SELECT site, exit_code FROM crawl_runs").fetchall())
    assert codes == {_site_key(urls[0]): 0, _site_key(urls[1]): 0, _site_key(urls[2]): health.ERRORS}
    assert not (tmp_path / "archive.jsonl").exists()
    assert db.execute("SELECT count(*) FROM failures WHERE url LIKE ?", [urls[2] + "%"]).fetchone()[0] == 30


def test_site_network_crawls_the_sites_of_the_setting(network, tmp_path):
    net, urls = network
    result = run_crawl("network", tmp_path, "-s", f"XZ_NETWORK={urls[3]},{urls[7]}")
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    sites = dict(db.execute("SELECT site, count(*) FROM articles GROUP BY site").fetchall())
    assert sites == {_site_key(urls[3]): PER_SITE, _site_key(urls[7]): PER_SITE}


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("http://127.0.0.1:9/,http://127.0.0.1:9/", "more than once"),
        ("http://127.0.0.1:9/,ftp://x/", "http(s) URL"),
        ("http://127.0.0.1:9/,", "http(s) URL"),
    ],
)
def test_a_bad_site_list_is_refused_before_any_request(tmp_path, site, message):
    result = run_crawl(site, tmp_path)
    assert result.returncode == health.USAGE
    assert message in result.stderr
    assert not (tmp_path / "archive.db").exists()


def test_mirror_network_prints_the_site_list_first(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "xzcrawler.cli", "mirror", "--network", "--port", "0", "--articles", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CRAWL_ENV,
    )
    try:
        first = process.stdout.readline().strip()
    finally:
        process.kill()
        process.wait()
    urls = first.split(",")
    assert len(urls) == N
    assert [_site_key(u) for u in urls] == [f"127.0.0.{k}" for k in range(1, N + 1)]
    assert len({u.rsplit(":", 1)[1] for u in urls}) == 1  # one port


def test_search_stories_counts_each_story_once(network, tmp_path):
    net, urls = network
    assert run_crawl(",".join(urls[:4]), tmp_path).returncode == 0
    db_path = str(tmp_path / "archive.db")
    db = sqlite3.connect(db_path)
    # a word of a story with copies on these four sites
    story, copies = db.execute(
        "SELECT story_id, count(*) FROM articles WHERE story_id IS NOT NULL GROUP BY story_id "
        "HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    (body,) = db.execute("SELECT body_text FROM articles WHERE story_id = ? LIMIT 1", [story]).fetchone()
    # words of its text (six letters in a row): every copy has them, whatever its title
    word = re.findall(r"[^\W\d_]{6,}", body)[0][:6]
    plain = [
        json.loads(line)
        for line in cli("search", word, "--db", db_path, "--json", "--limit", "500").stdout.splitlines()
    ]
    grouped = [
        json.loads(line)
        for line in cli("search", word, "--db", db_path, "--json", "--limit", "500", "--stories").stdout.splitlines()
    ]
    assert len({hit["story_id"] or hit["url"] for hit in plain}) == len(grouped)
    assert len(grouped) < len(plain)
    assert len({hit["story_id"] or hit["url"] for hit in grouped}) == len(grouped)
    assert any(hit["story_id"] == story and hit["copies"] == copies for hit in grouped)


def test_demo_network_crawls_every_site_of_the_network(tmp_path):
    result = cli(
        "demo",
        "--network",
        "--articles",
        "20",
        "--db",
        str(tmp_path / "d.db"),
        "--out",
        str(tmp_path / "d.jsonl"),
        env=CRAWL_ENV,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"articles in archive : {20 * N}" in result.stdout
    assert f"sites               : {N}" in result.stdout
    assert "run status          : finished\n" in result.stdout
    assert len((tmp_path / "d.jsonl").read_text("utf-8").splitlines()) == 20 * N
    # the families of the spun text, across the sites: as the archive's view counts them
    db = sqlite3.connect(tmp_path / "d.db")
    families, members, spanning = db.execute("SELECT count(*), sum(members), sum(sites > 1) FROM families").fetchone()
    assert spanning > 0
    assert f"families            : {families} of {members} posts made from one text ({spanning} across" in result.stdout


def test_each_site_of_a_run_keeps_its_own_job_directory(network, tmp_path):
    """Scrapy's JOBDIR (pause and resume) holds one scheduler's state: each site gets a folder."""
    _, urls = network
    result = run_crawl(",".join(urls[:2]), tmp_path, "-s", f"JOBDIR={tmp_path / 'job'}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "job").iterdir()) == ["127.0.0.1", "127.0.0.2"]
    assert all((tmp_path / "job" / name / "requests.seen").exists() for name in ("127.0.0.1", "127.0.0.2"))


def test_each_site_is_crawled_under_its_own_robots_txt(tmp_path):
    """One process, two hosts: the first forbids its article pages, the second does not."""
    from tests.hostile import Host

    forbid = "User-agent: *\nDisallow: /index.php/post/\n"
    with Host("127.0.0.1") as strict, Host("127.0.0.2") as open_site:
        strict.on("/robots.txt", lambda h, m: (200, {"Content-Type": "text/plain"}, forbid.encode()))
        result = run_crawl(f"{strict.base}/,{open_site.base}/", tmp_path)
        assert strict.asked("/robots.txt") == ["/robots.txt"] and open_site.asked("/robots.txt") == ["/robots.txt"]
        assert strict.asked(r"/index\.php/post/.*") == []
        assert len(open_site.asked(r"/index\.php/post/.*")) == len(open_site.site.ids)
    db = sqlite3.connect(tmp_path / "archive.db")
    counts = dict(db.execute("SELECT site, count(*) FROM articles GROUP BY site").fetchall())
    assert counts == {"127.0.0.2": len(open_site.site.ids)}
    # obeyed, not failed: each forbidden page is kept as such, and neither run is unhealthy
    assert result.returncode == 0, result.stderr[-2000:]
    kinds = dict(db.execute("SELECT kind, count(*) FROM failures GROUP BY kind").fetchall())
    assert kinds == {"robots": len(strict.site.ids)}
    assert "30 page(s) forbidden by robots.txt" in result.stderr


def test_an_unreachable_site_fails_alone(network, tmp_path):
    """A site that does not answer is that site's failure (exit 9, unreachable, with the cause);
    the others are archived and recorded healthy."""
    import socket

    _, urls = network
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.12", 0))
        dead = f"http://127.0.0.12:{sock.getsockname()[1]}/"
    result = run_crawl(f"{urls[0]},{dead}", tmp_path, "-s", "RETRY_TIMES=0", "-s", "XZ_UNREACHABLE_SECONDS=3")
    assert result.returncode == health.UNREACHABLE, result.stderr[-2000:]
    assert "failed: 127.0.0.12 (exit 9)" in result.stderr
    assert f"unreachable: connection refused to {dead[7:-1]}" in result.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    assert dict(db.execute("SELECT site, exit_code FROM crawl_runs").fetchall()) == {"127.0.0.1": 0, "127.0.0.12": 9}
    assert db.execute("SELECT count(*) FROM articles WHERE site = '127.0.0.1'").fetchone()[0] == PER_SITE
    assert db.execute("SELECT kind FROM failures WHERE url = ?", [dead]).fetchone() == ("network",)
