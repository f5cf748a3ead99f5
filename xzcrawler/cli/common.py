"""Options and helpers the commands share: --db, --since, progress bars, one-line errors."""

from __future__ import annotations

import contextlib
import sys

import click

from ..core import normalize as nz
from ..core.paths import DEFAULT_DB


def db_option(func):
    return click.option(
        "--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="The archive."
    )(func)


def since_option(help_text: str):
    def check(ctx, param, value):
        if value is None:
            return None
        try:
            return nz.utc_iso(value)
        except ValueError:
            raise click.BadParameter(
                f"not an ISO 8601 time: {value!r} (e.g. 2026-11-01 or 2026-11-01T08:00:00+08:00)"
            ) from None

    return click.option("--since", default=None, callback=check, help=help_text)


class ProgressBar:
    """A progress bar on standard error when it is a terminal, nothing otherwise (cron, pipes,
    files): the callback ``progress(done, total)`` the library's long operations take."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = 0
        self.tty = sys.stderr.isatty()

    def __enter__(self):
        return self if self.tty else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(total, 1), label=self.label, file=sys.stderr, show_pos=True, show_percent=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def archive_errors(func):
    """The library's refusals (no archive, a target that must not be written) as one-line errors."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from ..store import ExportTargetError, StoreError
        from ..store.lock import ArchiveLocked

        try:
            return func(*args, **kwargs)
        except ArchiveLocked:
            raise  # (archive_lock says it, with its own exit status)
        except (StoreError, ExportTargetError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@contextlib.contextmanager
def archive_lock(path):
    """Hold the run lock of the archive at ``path`` (the one a crawl takes) while a command writes
    it; when another run holds it, say so and exit 75 with nothing written."""
    from ..core.health import LOCKED
    from ..store.lock import ArchiveLocked, RunLock

    try:
        lock = RunLock.acquire(path)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}: try again when it is done (exit {LOCKED}, nothing written)", err=True)
        sys.exit(LOCKED)
    with lock:
        yield
