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
    type=click.Choice([*FORMATS, "atom"]),
    help="jsonl (the default), csv (UTF-8 with a BOM, for spreadsheets) or atom (a feed of new and changed "
    "articles, newest first). Default: what the --out name says.",
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
@click.option("--site", default=None, help="atom: only this site's changes (its host, as stored).")
@click.option("--category", default=None, help="atom: only changes of articles of this category.")
@click.option(
    "--limit", default=100, show_default=True, type=click.IntRange(1, 100_000), help="atom: the newest N changes."
)
@archive_errors
def export(db_path, out, fmt, table, since, changed, compress, raw, site, category, limit):
    """Write a table, ordered, as JSONL or CSV (atomic: a temporary file renamed into place).

    CSV has one row per record: a list of strings (breadcrumbs, keywords) is one cell with one
    item per line, a list of objects (images, related) is one cell of JSON text."""
    from ..store import export as run_export

    if changed and since:
        raise click.UsageError(
            "--changed and --since exclude each other: --changed exports since the last --changed export"
        )
    if fmt == "atom" or (out and str(out).endswith(".atom")):
        _atom(db_path, out, table, since, changed, compress, site, category, limit)
        return
    if site or category:
        raise click.UsageError("--site and --category go with --format atom")
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


def _atom(db_path, out, table, since, changed, compress, site, category, limit):
    """`export --format atom`: the newest changes as an Atom feed (core.atom)."""
    import sys

    from ..core import atom
    from ..store.atomic import atomic_file
    from ..store.export import changes, check_export_target

    if table != "articles" or changed or compress:
        raise click.UsageError("--format atom is a feed of the articles' changes: no --table, --changed or --gzip")
    out = out or "exports/changes.atom"
    if out != "-":
        check_export_target(out, db_path, False)
    entries = changes(db_path, site, category, since, limit)
    from urllib.parse import quote

    scope = "/".join(part for part in (site, category) if part) or "all"
    document = atom.feed(
        entries, f"tag:xzcrawler,2026:changes:{quote(scope)}", f"xzcrawler: new and changed articles ({scope})"
    )
    if out == "-":
        sys.stdout.buffer.write(document)
    else:
        with atomic_file(out) as fh:
            fh.write(document)
    click.echo(f"exported {len(entries)} changes as Atom to {'standard output' if out == '-' else out}", err=out == "-")
