"""`xzcrawler merge`: shard archives into one (store.merge), under the archive's lock."""

from __future__ import annotations

from pathlib import Path

import click

from .common import ProgressBar, archive_errors, archive_lock


@click.command(name="merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False), help="The archive merged into.")
@click.option("--no-warc", is_flag=True, help="Leave the WARC files where they are (and their index out).")
@click.option(
    "--max-seconds",
    default=3600,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="A shard whose vetting or merge takes longer is refused (its transaction rolled back).",
)
@click.option(
    "--max-bytes",
    default=64 * 1024**3,
    show_default=True,
    type=click.IntRange(min=1),
    help="A shard file (with its write-ahead log) larger than this is refused.",
)
@archive_errors
def merge_command(shards, into, no_warc, max_seconds, max_bytes):
    """Fold shard archives (one per site or job) into one archive, with all their history.

    Merging a shard again writes nothing; a refreshed shard writes only what changed. Every shard
    is vetted first (its tables, sites, times and WARC names; see docs/scale.md): one refused
    leaves the archive as it was. --into must be an archive or a new path. Exits 75 when another
    run holds the archive."""
    from ..store.merge import check_target, merge

    missing = [shard for shard in shards if not Path(shard).is_file()]
    if missing:
        raise click.ClickException(f"no archive at {missing[0]}")
    check_target(Path(into))
    with archive_lock(into), ProgressBar("merge (vet, then merge, each shard)") as progress:
        counts = merge(
            into, list(shards), warc=not no_warc, max_seconds=max_seconds, max_bytes=max_bytes, progress=progress
        )
    for shard_counts in counts:
        click.echo(shard_counts.line())
