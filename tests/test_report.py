"""`xzcrawler report`: one self-contained HTML file, whatever the archive holds (the browser
test, tests/test_browser.py, checks the charts draw)."""

from __future__ import annotations

import re

from tests.conftest import cli
from xzcrawler.store import SqliteStore

SECTIONS = {"per-month", "views", "growth", "series", "runs", "sites"}


def test_an_empty_archive_gives_a_report_with_every_section(tmp_path):
    SqliteStore(tmp_path / "empty.db").close()
    result = cli("report", str(tmp_path / "empty.db"), "--out", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text("utf-8")
    assert set(re.findall(r'<section id="([\w-]+)"', page)) == SECTIONS
    assert "0 articles, 0 stories, 0 site(s)" in page
    assert not re.search(r"<script[^>]+src=", page)
    # each empty chart says what it needs
    notes = dict(re.findall(r'<section id="([\w-]+)"[^>]*><h2>[^<]*</h2>\n<p class="note">([^<]+)</p>', page))
    assert set(notes) == {"views", "growth", "series", "runs"}
    assert "observed at least twice" in notes["growth"] and "no crawl has run" in notes["runs"]


def test_a_fresh_crawl_says_why_its_growth_charts_are_empty(mirror_archive):
    """One crawl is one observation of each count: the growth charts are empty, and say why."""
    _, path = mirror_archive
    page = cli("report", str(path), "--out", "-").stdout
    notes = dict(re.findall(r'<section id="([\w-]+)"[^>]*><h2>[^<]*</h2>\n<p class="note">([^<]+)</p>', page))
    assert set(notes) >= {"growth", "series"} and "views" not in notes


def test_report_to_stdout_and_refusals(mirror_archive, tmp_path):
    _, path = mirror_archive
    out = cli("report", str(path), "--out", "-")
    assert out.returncode == 0 and out.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert "300 articles" in out.stdout
    # each panel by the site's own name beside its host (plotly keeps text as \uXXXX escapes)
    assert re.search(r"\\u5f90\\u5dde\\u5382\\u623f\\u7f51 \(127\.0\.0\.1\)|徐州厂房网 \(127\.0\.0\.1\)", out.stdout)
    for target in (str(path), str(tmp_path)):  # the archive itself, a directory
        refused = cli("report", str(path), "--out", target)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
    missing = cli("report", str(tmp_path / "missing.db"), "--out", str(tmp_path / "r.html"))
    assert missing.returncode == 1 and "no archive at" in missing.stderr
