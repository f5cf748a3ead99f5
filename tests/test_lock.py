"""Two crawls of one archive at once: the second exits 75 at once and touches nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import time

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import CRAWL_ENV, NOW, crawl_args, run_crawl


def test_second_concurrent_run_exits_75_and_the_first_finishes(tmp_path):
    server, base = serve_in_thread(MirrorSite(40, now=NOW), delay=0.05)  # a slow site: the first run lasts a while
    try:
        env = CRAWL_ENV
        command = crawl_args(base, tmp_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        first = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        lock = tmp_path / "archive.db.lock"
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().startswith("pid")):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        started = time.monotonic()
        second = run_crawl(base, tmp_path)
        assert second.returncode == 75
        assert "another run holds" in second.stderr and "exiting 75" in second.stderr
        assert time.monotonic() - started < 10
        assert first.poll() is None, "the first run was still going while the second was refused"
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM crawl_runs").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 40
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
