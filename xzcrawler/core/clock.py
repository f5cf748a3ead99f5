"""The crawl's clock: real time by default, or a simulated one (``-s XZ_NOW=<ISO 8601>``).

Every time the crawl writes (fetch times, WARC-Dates, view observations, due-ness of re-checks,
run start and end) comes from one clock per crawl, so a simulation or a test can set it: a set
clock starts at ``XZ_NOW`` and advances with real elapsed time (monotonic), so times within a
run stay ordered.
"""

from __future__ import annotations

import datetime as dt
import time

from . import normalize as nz


class Clock:
    def __init__(self, start: dt.datetime | str | None = None):
        self.start = nz.parse_iso(start) if start else None
        self._t0 = time.monotonic()

    def now(self) -> dt.datetime:
        """An aware datetime in UTC."""
        if self.start is None:
            return dt.datetime.now(dt.UTC)
        return (self.start + dt.timedelta(seconds=time.monotonic() - self._t0)).astimezone(dt.UTC)

    def iso(self) -> str:
        """The archive's timestamp form (UTC, to the second)."""
        return nz.utc_iso(self.now())


class CaptureClock(Clock):
    """The clock of a re-extraction: the time of the capture being written (``at``), so that what
    is derived from the same captures carries the same times, however often and whenever it runs."""

    def __init__(self):
        super().__init__()
        self.at: str | None = None

    def now(self) -> dt.datetime:
        return nz.parse_iso(self.at) if self.at is not None else super().now()
