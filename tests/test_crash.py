"""A crawl killed mid-run (kill -9) leaves a sound archive, and the next run completes it."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import RECONSTRUCTION, XUZHOU, MirrorSite

from .conftest import CRAWL_ENV, NOW, crawl_args, run_crawl


def stored(path) -> int:
    try:
        return sqlite3.connect(path, timeout=5).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


# the network's real theme (no validators: every re-check a full fetch) and the reconstruction's
PROFILES = pytest.mark.parametrize("profile", [XUZHOU, RECONSTRUCTION], ids=["tpure", "reconstruction"])


def slow_mirror(tmp_path, profile):
    """A 300-article site served slowly (20 ms a response), the archive path, (server, address)."""
    site = MirrorSite(300, now=NOW, profile=profile)
    return site, tmp_path / "archive.db", serve_in_thread(site, delay=0.02)


def crawl_until(command: list[str], workdir, db, articles: int) -> subprocess.Popen:
    """A crawl started in the background, once it has stored ``articles`` (within a minute)."""
    crawl = subprocess.Popen(command, cwd=workdir, env=CRAWL_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while stored(db) < articles:
        assert time.monotonic() < deadline and crawl.poll() is None
        time.sleep(0.05)
    return crawl


@PROFILES
def test_killed_run_then_recovery(tmp_path, profile):
    site, db, (slow, slow_base) = slow_mirror(tmp_path, profile)
    try:
        crawl = crawl_until(crawl_args(slow_base, tmp_path, "-s", "XZ_DB_BATCH_SIZE=5"), tmp_path, db, 240)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    finally:
        slow.shutdown()
        slow.server_close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert 240 <= partial < 300
    assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("running",)]
    conn.close()

    server, base = serve_in_thread(site)
    try:
        again = run_crawl(base, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert again.returncode == 0, again.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 300  # the whole site, not just page 1s
    assert [s for (s,) in conn.execute("SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "finished"]
    # after an interrupted run every listing page is walked (home + 17 category pages), none cut short
    stats = json.loads(conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert stats["xz/listing_pages"] == 1 + sum(site.category_pages(c) for c in CATEGORIES)
    assert "xz/listing_walks_stopped" not in stats
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@PROFILES
def test_pause_and_resume_with_scrapy_jobdir(tmp_path, profile):
    """Ctrl-C once (a graceful stop), then the same command resumes from Scrapy's JOBDIR."""
    site, db, (server, base) = slow_mirror(tmp_path, profile)
    try:
        command = crawl_args(base, tmp_path, "-s", f"JOBDIR={tmp_path / 'job'}", "-s", "XZ_DB_BATCH_SIZE=5")
        crawl = crawl_until(command, tmp_path, db, 60)
        crawl.send_signal(signal.SIGINT)
        assert crawl.wait(timeout=60) == 6  # did not finish: says so
        assert stored(db) < 300
        resumed = subprocess.run(command, cwd=tmp_path, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 300
    assert [s for (s,) in conn.execute("SELECT status FROM crawl_runs ORDER BY id")] == [
        "failed: the crawl did not finish (finish_reason=shutdown)",
        "finished",
    ]
