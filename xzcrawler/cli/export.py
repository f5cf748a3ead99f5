"""`xzcrawler export`: a table as JSONL or CSV (store.export)."""

from __future__ import annotations

import click

from ..core import formats
from ..core.formats import FORMATS
from .common import ProgressBar, archive_errors, db_option, since_option


@click.command()
@db_option
@click.option(
    "--out",
    default=None,
    type=click.Path(),
    help="A file, or - for standard output. Default: exports/<table>.<format> (.gz added with --gzip).",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    type=click.Choice(list(FORMATS)),
    help="jsonl (the default) or csv (UTF-8 with a BOM, for spreadsheets). Default: what the --out name says.",
)
@click.option(
    "--table",
    default="articles",
    show_default=True,
    type=click.Choice(["articles", "related_links", "view_snapshots", "revisions"]),
)
@since_option("Only rows new or changed since this time (ISO 8601).")
@click.option("--changed", is_flag=True, help="Only rows new or changed since this table's last --changed export.")
@click.option("--gzip", "compress", is_flag=True, help="gzip the file.")
@click.option(
    "--raw",
    is_flag=True,
    help="CSV: cells as stored. By default a cell that starts with = + - @ (or a tab or CR) gets a ' "
    "before it, so that a spreadsheet shows it as text instead of running it as a formula.",
)
@archive_errors
def export(db_path, out, fmt, table, since, changed, compress, raw):
    """Write a table, ordered, as JSONL or CSV (atomic: a temporary file renamed into place).

    CSV has one row per record: a list of strings (breadcrumbs, keywords) is one cell with one
    item per line, a list of objects (images, related) is one cell of JSON text."""
    from ..store import export as run_export

    if changed and since:
        raise click.UsageError(
            "--changed and --since exclude each other: --changed exports since the last --changed export"
        )
    fmt = fmt or (formats.format_of_name(out) if out else None) or "jsonl"
    out = out or f"exports/{table}.{fmt}" + (".gz" if compress else "")
    with ProgressBar(f"export {table}") as progress:
        count, since_used = run_export(db_path, out, table, since, changed, compress, fmt, progress, raw)
    scope = (
        " new or changed since the last --changed export"
        if changed
        else f" new or changed since {since_used}"
        if since_used
        else ""
    )
    click.echo(f"exported {count} {table} rows{scope} to {'standard output' if out == '-' else out}", err=out == "-")
