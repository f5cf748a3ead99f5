"""Dates never claim more than the page says, whatever the hour of the fetch.

The theme prints elapsed time floored ("3天前": 3 to 4 days ago), so near midnight a day-level
form may name either of two days. Crawled at 00:30 and at 23:30 Asia/Shanghai (both clocks
pinned), no stored article claims an exact day other than the true one, and every article's
span holds its true day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from xzcrawler.mirror.server import serve_in_thread
from xzcrawler.mirror.site import MirrorSite

from .conftest import SHANGHAI, run_crawl


@pytest.mark.parametrize(
    "clock",
    [dt.datetime(2026, 11, 28, 0, 30, tzinfo=SHANGHAI), dt.datetime(2026, 11, 28, 23, 30, tzinfo=SHANGHAI)],
    ids=["00:30", "23:30"],
)
def test_no_article_claims_a_wrong_exact_day(tmp_path, clock):
    # 40 articles spread over the last ten days: the day-level forms, near midnight
    site = MirrorSite(300, now=clock, epoch=clock - dt.timedelta(days=10), add=40)
    server, base = serve_in_thread(site)
    try:
        result = run_crawl(base, tmp_path, now=clock)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    rows = db.execute(
        "SELECT article_id, published_date, published_precision, published_earliest, published_latest, published_text "
        "FROM articles WHERE published_date IS NOT NULL"
    ).fetchall()
    assert len(rows) >= 300
    wrong, uncertain = [], 0
    for article_id, date, precision, earliest, latest, text in rows:
        truth = site.published(article_id).date().isoformat()
        assert earliest <= truth <= latest, (article_id, text, truth)
        if precision in ("day", "minute", "second") and date != truth:
            wrong.append((article_id, text, date, truth))
        uncertain += precision not in ("day", "minute", "second")
    assert wrong == []
    assert uncertain > 0  # the clock did put some articles in a two-day span (the test can fail)
