"""When a known article is due for another look: a pure, age-based policy.

Young articles change (edits, view counts) more than old ones, so they are re-fetched
more often. The policy is the Scrapy setting ``XZ_REFETCH_POLICY``: a list of
``[max_age_days, recheck_after_days]`` pairs, the last with ``None`` for "older".
"""

from __future__ import annotations

import datetime as dt

from . import normalize as nz

DEFAULT_POLICY = [[7, 1], [30, 3], [365, 14], [None, 60]]
# A check is due a little before its interval is over: a daily cron at 03:17 finds yesterday's
# checks, made at 03:17 and some minutes into that run, a few minutes short of a day; without the
# slack they would wait for the day after (and how many did would depend on how fast the last run went).
DUE_SLACK = 0.1  # of the interval


def recheck_after(published_date: str | None, now: dt.datetime, policy=DEFAULT_POLICY) -> dt.timedelta:
    age = None
    if published_date:
        try:
            age = (now.date() - dt.date.fromisoformat(published_date)).days
        except ValueError:
            age = None
    for max_age, after in policy:
        if max_age is None or (age is not None and age <= max_age):
            return dt.timedelta(days=float(after))
    return dt.timedelta(days=float(policy[-1][1]))


def is_due(published_date: str | None, last_checked: str | None, now: dt.datetime, policy=DEFAULT_POLICY) -> bool:
    if not last_checked:
        return True
    return now - nz.parse_iso(last_checked) >= recheck_after(published_date, now, policy) * (1 - DUE_SLACK)
