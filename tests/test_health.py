"""The run verdict (exit status) and the refresh policy, as pure functions."""

from __future__ import annotations

import datetime as dt

from xzcrawler.core import health
from xzcrawler.core.refresh import is_due, recheck_after

LIMITS = {"max_error_rate": 0.1, "drift_points": 20.0, "drift_min_seen": 10}


def run(**extra):
    stats = {
        "finish_reason": "finished",
        "response_received_count": 100,
        "xz/categories": 5,
        "xz/listing_pages": 5,
        "xz/listing_items": 100,
        "xz/fill/views/seen": 100,
        "xz/fill/views/filled": 95,
        "xz/fill/published_date/seen": 100,
        "xz/fill/published_date/filled": 100,
    }
    stats.update(extra)
    return stats


def test_a_healthy_run_exits_zero():
    verdict = health.assess(run(), [run(), run()], **LIMITS)
    assert (verdict.exit_code, verdict.status) == (0, "finished")


def test_drift_names_the_field_and_uses_the_median():
    previous = [run(), run(**{"xz/fill/views/filled": 10}), run()]  # one bad run does not move the median
    verdict = health.assess(run(**{"xz/fill/views/filled": 60}), previous, **LIMITS)
    assert verdict.exit_code == health.DRIFT
    assert "'views'" in verdict.message and "35.0 points" in verdict.message
    assert health.assess(run(**{"xz/fill/views/filled": 80}), previous, **LIMITS).exit_code == 0


def test_a_fall_that_chance_explains_is_no_drift():
    """A refresh sees few pages; the site mixes page shapes (some carry no meta line): 13 of 17
    pages with a category where the last runs had all is chance, 2 of 17 is not."""
    history = [run(**{"xz/primary/category/seen": 12, "xz/primary/category/hit": 12})] * 4
    chance = run(**{"xz/primary/category/seen": 17, "xz/primary/category/hit": 13})
    assert health.assess(chance, history, **LIMITS).exit_code == 0
    broken = run(**{"xz/primary/category/seen": 17, "xz/primary/category/hit": 2})
    assert health.assess(broken, history, **LIMITS).exit_code == health.SELECTORS
    assert (
        health.assess(
            run(**{"xz/primary/category/seen": 10, "xz/primary/category/hit": 0}), history, **LIMITS
        ).exit_code
        == health.SELECTORS
    )


def test_drift_needs_enough_observations_and_some_history():
    few = run(**{"xz/fill/views/seen": 5, "xz/fill/views/filled": 0})
    assert health.assess(few, [run()], **LIMITS).exit_code == 0
    assert health.assess(run(**{"xz/fill/views/filled": 0}), [], **LIMITS).exit_code == 0


def test_errors_no_items_and_unfinished():
    assert health.assess(run(**{"xz/failed_urls": 11}), [], **LIMITS).exit_code == health.ERRORS
    assert health.assess(run(**{"xz/failed_urls": 7, "log_count/ERROR": 7}), [], **LIMITS).exit_code == 0  # once each
    assert health.assess(run(**{"spider_exceptions/KeyError": 11}), [], **LIMITS).exit_code == health.ERRORS
    assert health.assess(run(**{"xz/failures_retried/http": 50}), [], **LIMITS).exit_code == 0  # old failures again
    assert health.assess(run(**{"xz/listing_items": 0}), [], **LIMITS).exit_code == health.NO_ITEMS
    assert health.assess(run(**{"xz/categories": 0}), [], **LIMITS).exit_code == health.NO_ITEMS
    # a home page that links no category (the platform's defaults) is none when the posts name theirs
    assert health.assess(run(**{"xz/categories": 0, "xz/categories_from_posts": 2}), [], **LIMITS).exit_code == 0
    assert health.assess(run(finish_reason="shutdown"), [], **LIMITS).exit_code == health.UNFINISHED


def test_a_write_that_did_not_happen_fails_the_run():
    verdict = health.assess(
        run(
            **{
                "xz/storage_errors": 1,
                "xz/storage_error": "OperationalError: database is locked",
                "xz/articles_not_written": 12,
            }
        ),
        [],
        **LIMITS,
    )
    assert verdict.exit_code == health.STORAGE
    assert "database is locked" in verdict.message and "12 article(s) not written" in verdict.message
    stopped = health.assess(run(finish_reason="storage_error", **{"xz/storage_errors": 1}), [], **LIMITS)
    assert stopped.exit_code == health.STORAGE


def test_refresh_policy_checks_young_articles_more_often():
    now = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    assert recheck_after("2026-11-25", now) == dt.timedelta(days=1)
    assert recheck_after("2026-10-30", now) == dt.timedelta(days=3)
    assert recheck_after("2023-01-01", now) == dt.timedelta(days=60)
    assert recheck_after(None, now) == dt.timedelta(days=60)
    assert is_due("2026-11-25", "2026-11-26T11:00:00Z", now)
    # a daily cron: yesterday's check made minutes into its run is due today all the same
    assert is_due("2026-11-25", "2026-11-26T12:20:00Z", now)
    assert not is_due("2026-11-25", "2026-11-26T16:00:00Z", now)
    assert not is_due("2023-01-01", "2026-11-01T00:00:00Z", now)
    assert is_due("2023-01-01", None, now)


def test_a_primary_selector_that_stopped_matching_is_selector_drift():
    healthy = run(**{"xz/primary/title/seen": 100, "xz/primary/title/hit": 98})
    broken = run(**{"xz/primary/title/seen": 100, "xz/primary/title/hit": 0, "xz/fallback/title": 100})
    verdict = health.assess(broken, [healthy, healthy], **LIMITS)
    assert verdict.exit_code == health.SELECTORS and "'title'" in verdict.message and "100 pages" in verdict.message
    assert health.assess(healthy, [healthy, healthy], **LIMITS).exit_code == 0
    assert health.assess(broken, [], **LIMITS).exit_code == 0  # no history: nothing to compare with
