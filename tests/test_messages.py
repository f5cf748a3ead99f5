"""Every message names the fix, without a traceback (issue 32, item 5)."""

from __future__ import annotations

import socket
import subprocess
import sys

from .conftest import CRAWL_ENV, ROOT, cli


def test_a_misspelt_spider_is_one_line_that_names_the_right_one(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "artcles", "-s", f"XZ_DB_PATH={tmp_path / 'a.db'}"],
        cwd=ROOT,
        env=CRAWL_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "did you mean 'scrapy crawl articles'" in result.stderr.strip().splitlines()[-1]


def test_the_mirror_on_a_busy_port_says_to_choose_another(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("mirror", "--port", str(port), "--articles", "5", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "choose another --port" in result.stderr


def test_the_mirror_listens_on_loopback_unless_told_otherwise():
    result = cli("mirror", "--host", "0.0.0.0", "--port", "0", "--articles", "5", timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not a loopback address" in result.stderr and "--not-loopback" in result.stderr


def test_search_says_when_the_category_does_not_exist_and_counts_stories(mirror_archive):
    _, archive = mirror_archive
    missing = cli("search", "园区", "--db", str(archive), "--category", "不存在")
    assert missing.returncode == 2 and "no category '不存在'" in missing.stderr, missing.stderr
    near = cli("search", "园区", "--db", str(archive), "--category", "徐州")
    assert near.returncode == 2 and "徐州产业信息" in near.stderr
    stories = cli("search", "园区", "--db", str(archive), "--stories", "--limit", "3")
    assert stories.returncode == 0, stories.stderr
    assert "of " in stories.stderr and "matching stories shown" in stories.stderr


def test_simulated_days_export_only_where_told(tmp_path):
    db, out = tmp_path / "days.db", tmp_path / "out" / "days.jsonl"
    start = "2026-01-01T03:17:00+08:00"  # (a pinned first day: no wall clock)
    result = cli(
        "demo", "--days", "1", "--articles", "20", "--start", start, "--db", str(db), "--out", str(out), timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.is_file() and not (tmp_path / "days.jsonl").exists()
