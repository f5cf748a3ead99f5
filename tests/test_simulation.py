"""A simulated month of daily cron refreshes: after each day the archive is compared with the
mirror's truth (xzcrawler/mirror/simulate.py holds the schedule of the site's changes)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from xzcrawler.core import normalize as nz
from xzcrawler.mirror.simulate import BREAK_DAYS, EDIT_EVERY, FAIL_DAY, Simulation
from xzcrawler.mirror.site import RECONSTRUCTION, SEED_ID

from .conftest import cli

EXACT = ("day", "minute", "second")


def day_of(sim: Simulation, stamp: str) -> int:
    return int((nz.parse_iso(stamp) - sim.start) / dt.timedelta(days=1))


def expected_exit(day: int) -> int:
    return 8 if day in BREAK_DAYS else 0  # the title selector broke site-wide: selector drift


def edit_day(sim: Simulation, article_id: int) -> int | None:
    """The day on which the site edited ``article_id``, if it did (the schedule of simulate.py)."""
    if article_id not in sim._ids()[sim.articles :]:
        return None
    return next((d for d in range(2, 5_000, EDIT_EVERY) if sim.new_on(d - 1)[0] == article_id), None)


def check_day(sim: Simulation, day) -> None:
    site = day.site
    assert day.exit_code == expected_exit(day.number), (day.number, day.stats.get("xz/verdict"))
    db = sqlite3.connect(sim.db_path)
    db.row_factory = sqlite3.Row
    rows = {row["article_id"]: row for row in db.execute("SELECT * FROM articles")}
    expected = set(site.ids) - set(site.failing)
    assert set(rows) == expected, (day.number, expected ^ set(rows))
    for article_id, row in rows.items():
        truth = site.published(article_id).date().isoformat()
        if row["published_date"] is not None:  # every date exact or honestly uncertain
            assert row["published_earliest"] <= truth <= row["published_latest"], (day.number, article_id)
            if row["published_precision"] in EXACT:
                assert row["published_date"] == truth, (day.number, article_id, row["published_text"])
        if row["views"] is not None and article_id != SEED_ID:  # the latest views, as the site showed them then
            seen = sim.site(day_of(sim, row["views_observed_at"]))
            off = abs(row["views"] - seen.article(article_id).views)
            # exact, but for a count only a listing read while our own fetch was under way gave
            # (the site may or may not have counted that fetch yet): one more or less, and said so
            assert off == 0 or (off == 1 and row["views_source"] == "listing-ambiguous"), (day.number, article_id)
    last: dict[int, int] = {}
    for article_id, views, observed in db.execute(
        "SELECT article_id, views - coalesce(own_fetches, 0), observed_at FROM view_snapshots "
        "WHERE article_id != ? ORDER BY id",
        [SEED_ID],
    ):
        # each observed change is true: the readers' count (the shown one less our fetches it held)
        assert views == sim.site(day_of(sim, observed)).article(article_id).views
        assert last.get(article_id) != views  # and a change
        last[article_id] = views
    revised = {}
    for article_id, changed in db.execute("SELECT article_id, changed_fields FROM revisions WHERE revision > 1"):
        assert json.loads(changed) == ["body_text"], (day.number, article_id, changed)
        revised[article_id] = revised.get(article_id, 0) + 1
    edited = set(site.edits)
    assert set(revised) <= edited and all(count == 1 for count in revised.values())
    for article_id in edited:  # an edit is seen once the article was looked at again after it
        checked = day_of(sim, rows[article_id]["last_checked"])
        assert (article_id in revised) == (checked >= edit_day(sim, article_id)), (day.number, article_id)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_thirty_days_of_cron_keep_the_archive_true(tmp_path):
    """On the network's real theme (tpure: no validators, a view added by every article fetch)."""
    sim = Simulation(tmp_path)
    days = sim.run(30, after_day=lambda day: check_day(sim, day))
    db = sqlite3.connect(sim.db_path)
    assert db.execute("SELECT COUNT(*) FROM crawl_runs").fetchone()[0] == 30
    # history for researchers: views grew, edits made revisions, the failure came in the next day
    assert db.execute("SELECT COUNT(*) FROM view_snapshots").fetchone()[0] > 2 * 300
    assert db.execute("SELECT COUNT(*) FROM revisions WHERE revision > 1").fetchone()[0] >= 4
    failed = sim.new_on(FAIL_DAY)[0]
    assert db.execute("SELECT resolved_at FROM failures WHERE url LIKE ?", [f"%/{failed}.html"]).fetchone()[0]
    assert [d.exit_code for d in days].count(8) == 2
    # views are the readers': our own fetches (counted by the site) never made a snapshot
    assert db.execute("SELECT counts_own_fetches FROM site_traits").fetchall() == [(1,)]
    # the change feed of the thirty days (issue 32): valid Atom, every revision the archive holds
    # once, newest first, and each body change with its diff
    import feedparser

    out = tmp_path / "changes.atom"
    assert (
        cli("export", "--db", str(sim.db_path), "--format", "atom", "--limit", "100000", "--out", str(out)).returncode
        == 0
    )
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo and parsed.version == "atom10"
    held = db.execute("SELECT site, article_id, revision FROM revisions").fetchall()
    assert sorted(e.id for e in parsed.entries) == sorted(f"tag:xzcrawler,2026:{s}:{a}:{r}" for s, a, r in held)
    assert [e.updated for e in parsed.entries] == sorted((e.updated for e in parsed.entries), reverse=True)
    bodies = [e for e in parsed.entries if "Changed: " in e.summary and "body_text" in e.summary.splitlines()[0]]
    assert bodies and all("@@" in e.summary for e in bodies)


def test_twelve_days_on_the_reconstructed_markup(tmp_path):
    """The earlier markup (validators, 304s): the same truths through the fail day, an edit and the
    two broken days with their repair."""
    sim = Simulation(tmp_path, profile=RECONSTRUCTION)
    days = sim.run(12, after_day=lambda day: check_day(sim, day))
    assert [d.exit_code for d in days].count(8) == 2
    db = sqlite3.connect(sim.db_path)
    assert db.execute("SELECT COUNT(*) FROM revisions WHERE revision > 1").fetchone()[0] >= 2


@pytest.mark.slow
def test_a_year_of_cron_on_a_small_site(tmp_path):
    sim = Simulation(tmp_path, articles=40)
    sim.run(365, after_day=lambda day: check_day(sim, day) if day.number % 7 == 0 or day.number > 358 else None)


def test_demo_days_starts_its_own_archive_and_refuses_to_mix_into_another(tmp_path):
    """Mixed into an archive that already holds the site, every simulated day said "new 0"."""

    db, out = tmp_path / "days.db", tmp_path / "days.jsonl"
    args = ["demo", "--days", "2", "--articles", "20", "--start", "2026-01-01T03:17:00+08:00"]
    first = cli(*args, "--db", str(db), "--out", str(out), cwd=tmp_path, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "day   0" in first.stdout and "new  20" in first.stdout
    again = cli(*args, "--db", str(db), "--out", str(out), cwd=tmp_path, timeout=600)
    assert again.returncode == 2 and "already holds" in again.stderr and "--db" in again.stderr
