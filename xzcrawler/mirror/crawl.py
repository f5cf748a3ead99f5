"""The `scrapy crawl articles` command line the demo, the simulation, the tests and the
benchmarks run against the mirror (a tool: the crawler never imports it)."""

from __future__ import annotations

import os
import sys

# The environment of a crawl started from another folder than the project's (where scrapy.cfg
# names the settings): the one place outside scrapy.cfg that names the settings module.
ENV = {**os.environ, "SCRAPY_SETTINGS_MODULE": "xzcrawler.settings"}


def crawl_command(site_url: str, db_path: str, export_path: str | None, extra: list[str]) -> list[str]:
    """The `scrapy crawl articles` command line the demo, tests and benchmarks run (``export_path``
    None: the archive's own, see paths.export_path)."""
    export = ["-s", f"XZ_EXPORT_PATH={export_path}"] if export_path else []
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "articles",
        "-a",
        f"site={site_url}",
        "-s",
        f"XZ_DB_PATH={db_path}",
        *export,
        *extra,
    ]


LOOPBACK_SETTINGS = [
    # the mirror is on loopback: no need to wait for a far server
    "-s",
    "AUTOTHROTTLE_START_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s",
    "LOGSTATS_INTERVAL=1",
]
