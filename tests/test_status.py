"""`xzcrawler status`: the operator's view (issue 32, item 3) — runs with verdicts, open failures
with reasons, what a refresh re-checks next — read-only, as text and JSON."""

from __future__ import annotations

import datetime as dt
import json

from xzcrawler.mirror.site import MirrorSite

from .conftest import NOW, cli, crawled_mirror


def test_status_shows_runs_failures_and_what_is_due(tmp_path):
    failing = [aid for aid in MirrorSite(40, now=NOW).ids][5]
    root = crawled_mirror(tmp_path, 40, fail=(failing,))
    archive = root / "archive.db"
    before = archive.read_bytes()
    # just after the crawl nothing is due yet; sixty days on, every article is
    soon = cli("status", str(archive), "--json", "--now", (NOW + dt.timedelta(hours=1)).isoformat())
    later = cli("status", str(archive), "--json", "--now", (NOW + dt.timedelta(days=400)).isoformat())
    assert soon.returncode == later.returncode == 0, soon.stderr
    (site,) = json.loads(soon.stdout)
    assert site["name"] == "徐州厂房网" and site["articles"] == 39
    (run,) = site["runs"]
    assert run["exit_code"] == 0 and run["new"] == 39 and run["pages"] > 39
    (failure,) = site["open_failures"]
    assert failure["url"].endswith(f"/index.php/post/{failing}.html") and failure["http_status"] == 500
    assert site["due_now"] == 0 and site["next_due"] > NOW.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert json.loads(later.stdout)[0]["due_now"] == 39
    text = cli("status", str(archive), "--now", (NOW + dt.timedelta(hours=1)).isoformat())
    assert "open failures: 1" in text.stdout and "HTTP 500" in text.stdout
    assert "re-checks 0 article(s) due now" in text.stdout
    assert archive.read_bytes() == before  # read-only
    missing = cli("status", str(tmp_path / "none" / "none.db"))
    assert missing.returncode == 1 and "no archive" in missing.stderr and "Traceback" not in missing.stderr
