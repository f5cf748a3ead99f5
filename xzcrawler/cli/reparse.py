"""`xzcrawler reparse`: rebuild rows from the WARC files (xzcrawler.reparse)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import ProgressBar, archive_errors, db_option, since_option


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
    """Rebuild article rows from the WARC files with the current parser (no network); report changes."""
    from ..tools.reparse import reparse as run_reparse

    if not Path(db_path).is_file():
        raise click.ClickException(f"no archive at {db_path}")
    with ProgressBar("reparse") as progress:
        counts = run_reparse(db_path, into, since, warc_dir, workers, progress)
    for line in counts.lines():
        click.echo(line)
