"""`xzcrawler reparse`: rebuild rows from the WARC files (xzcrawler.reparse)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import ProgressBar, archive_errors, archive_lock, db_option, since_option


@click.command()
@db_option
@click.option("--into", default=None, type=click.Path(dir_okay=False), help="Rebuild into this archive instead.")
@since_option("Only records fetched at or after this time (ISO 8601).")
@click.option("--warc-dir", default=None, type=click.Path(file_okay=False), help="Default: warc/ beside --db.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Processes that parse (default: one per core for a large archive; 1: parse in this one).",
)
@archive_errors
def reparse(db_path, into, since, warc_dir, workers):
    """Rebuild article rows from the WARC files with the current parser (no network); report changes.

    In place, the archive is derived afresh from its captures and put in place of the old file
    (what was observed is not observed twice: twice gives what once gives, and what --into gives);
    the archive it writes is locked as a crawl locks it (exit 75 while another run holds it)."""
    from ..tools.reparse import ReparseRefused
    from ..tools.reparse import reparse as run_reparse

    if not Path(db_path).is_file():
        raise click.ClickException(f"no archive at {db_path}")
    with archive_lock(into or db_path), ProgressBar("reparse") as progress:
        try:
            counts = run_reparse(db_path, into, since, warc_dir, workers, progress)
        except ReparseRefused as exc:
            raise click.UsageError(str(exc)) from None
    for line in counts.lines():
        click.echo(line)
