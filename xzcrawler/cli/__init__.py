"""The ``xzcrawler`` command: a thin click layer over the library, one module per command."""

from __future__ import annotations

import click

from . import demo, export, merge, mirror, parse, reparse, report, search, serve, status, verify, wacz


@click.group()
@click.version_option(package_name="xzcrawler")
def main():
    """Archive 徐州厂房网 and its sister sites: crawl, parse, store, export."""


for command in (
    mirror.mirror,
    parse.parse,
    export.export,
    reparse.reparse,
    report.report,
    wacz.wacz,
    merge.merge_command,
    search.search_command,
    demo.demo,
    serve.serve,
    verify.verify,
    status.status,
):
    main.add_command(command)

__all__ = ["main"]
