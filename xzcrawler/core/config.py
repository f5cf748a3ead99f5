"""Checks of the project's settings and spider arguments, at start, before any request.

Every ``XZ_*`` setting has a rule here; an unknown ``XZ_*`` name (a typo) is refused, as is
an unknown ``-a`` argument. A refusal is one line naming the setting and what it allows.
This is not a second configuration system: the values stay Scrapy settings; this only reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import normalize as nz
from . import paths


class ConfigError(ValueError):
    """A setting or argument that cannot work; the message names it and what is allowed."""


def _number(kind, minimum=None, maximum=None, allow_none=False) -> Callable:
    def check(name, value):
        if value is None or value == "":
            if allow_none:
                return None
            raise ConfigError(f"{name} must be set")
        try:
            number = kind(value)
            if kind is int and float(value) != number:
                raise ValueError
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be {'an integer' if kind is int else 'a number'} (got {value!r})") from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise ConfigError(f"{name} must be {bounds} (got {value!r})")
        return number

    return check


def _boolean(name, value):
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    if str(value).strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    raise ConfigError(f"{name} must be true or false (got {value!r})")


def _maybe_boolean(name, value):
    return None if value is None or value == "" else _boolean(name, value)


def _path(allow_none=False) -> Callable:
    def check(name, value):
        if value is None or str(value).strip() == "":
            if allow_none:
                return None
            raise ConfigError(f"{name} must be a file path (got {value!r})")
        return str(value)

    return check


def _class_path(name, value):
    import importlib

    try:
        module, _, attribute = str(value).rpartition(".")
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError, TypeError):
        raise ConfigError(f"{name} must be the import path of a store class (got {value!r})") from None


def _time(name, value):
    if value in (None, ""):
        return None
    try:
        return nz.parse_iso(str(value))
    except ValueError:
        raise ConfigError(
            f"{name} must be an ISO 8601 time such as 2026-11-28T00:30:00+08:00 (got {value!r})"
        ) from None


def _policy(name, value):
    try:
        policy = json.loads(value) if isinstance(value, str) else value
        rows = [list(row) for row in policy]
        ok = bool(rows) and all(
            len(row) == 2 and (row[0] is None or float(row[0]) >= 0) and float(row[1]) >= 0 for row in rows
        )
        ok = ok and rows[-1][0] is None and all(row[0] is not None for row in rows[:-1])
    except (TypeError, ValueError, json.JSONDecodeError):
        ok = False
    if not ok:
        raise ConfigError(
            f"{name} must be a JSON list of [max_age_days, recheck_after_days] pairs, the last with null "
            f"for older, e.g. [[7, 1], [30, 3], [null, 60]] (got {value!r})"
        )
    return rows


def site_url(value, name: str = "site") -> str:
    """An http(s) URL with a host, normalised to end in '/' when it has no path."""
    text = (value or "").strip() if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed IPv6 bracket, say
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be an http(s) URL with a host, such as http://xuzhou.021cf.cn/ (got {value!r})")
    try:
        parts.port  # noqa: B018  (raises on a port that is no number)
    except ValueError:
        raise ConfigError(f"{name} has an invalid port (got {value!r})") from None
    return text if parts.path else text + "/"


NETWORK = "network"  # -a site=network: every site of XZ_NETWORK


def _site_list(value) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return [text]
        else:
            return [part.strip() for part in text.split(",")]
    return list(value or ())


def site_urls(value, network=None, name: str = "-a site") -> list[str]:
    """The site URLs a crawl covers: one URL, a comma-separated list, or ``network`` (the sites of
    ``network``, the XZ_NETWORK setting). Each is checked as ``site_url``; a site named twice
    (the same host, or its ``www.`` alias) is refused."""
    if isinstance(value, str) and value.strip() == NETWORK:
        urls = [site_url(url, "XZ_NETWORK") for url in _site_list(network)]
        if not urls:
            raise ConfigError("-a site=network needs XZ_NETWORK, a list of site URLs")
    else:
        urls = [site_url(url, name) for url in _site_list(value)] if value is not None else []
        if not urls:
            raise ConfigError(
                f"{name} must be an http(s) URL with a host, such as http://xuzhou.021cf.cn/ (got {value!r})"
            )
    keys = [nz.site_of(url) for url in urls]
    doubles = sorted({key for key in keys if keys.count(key) > 1})
    if doubles:
        raise ConfigError(f"{name} names the site {doubles[0]} more than once")
    return urls


def _feed_path(name, value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not value.startswith("/") or "//" in value:
        raise ConfigError(f"{name} must be a path on the site such as /feed.php, or empty for none (got {value!r})")
    return value


def _hosts(name, value):
    """Host names (as ``site_of`` gives them: lower case, no port for 80/443, no ``www.``)."""
    hosts = [part.strip().lower() for part in _site_list(value) if part and part.strip()]
    bad = [host for host in hosts if "/" in host or " " in host or ":" in host.rstrip("0123456789").rstrip(":")]
    if bad:
        raise ConfigError(f"{name} must list host names such as img.021cf.cn, no URLs (got {bad[0]!r})")
    return tuple(host.removeprefix("www.") for host in hosts)


def _network(name, value):
    urls = [site_url(url, name) for url in _site_list(value)]
    if not urls:
        raise ConfigError(f"{name} must list at least one site URL")
    return urls


RULES: dict[str, Callable] = {
    "XZ_SITE_URL": lambda name, value: site_url(value, name),
    "XZ_NETWORK": _network,
    "XZ_FEED_PATH": _feed_path,
    "XZ_DB_PATH": _path(),
    "XZ_STORE": _class_path,
    "XZ_EXPORT_PATH": _path(allow_none=True),
    "XZ_EXPORT_ON_CLOSE": _boolean,
    "XZ_DB_BATCH_SIZE": _number(int, 1, 100_000),
    "XZ_DB_BUSY_TIMEOUT": _number(float, 0, 86_400),
    "XZ_NOW": _time,
    "XZ_REFETCH_POLICY": _policy,
    "XZ_MAX_ATTEMPTS": _number(int, 1, 1000),
    "XZ_MAX_LISTING_PAGES": _number(int, 1, 10_000_000),
    "XZ_RETRY_AFTER_MAX": _number(float, 0, 3600),
    "XZ_UNREACHABLE_AFTER": _number(int, 1, 1_000_000),
    "XZ_UNREACHABLE_SECONDS": _number(float, 0, 86_400),
    "XZ_MAX_ERROR_RATE": _number(float, 0, 1),
    "XZ_DRIFT_POINTS": _number(float, 0, 100),
    "XZ_DRIFT_RUNS": _number(int, 1, 1000),
    "XZ_DRIFT_MIN_OBSERVATIONS": _number(int, 1),
    "XZ_LOG_DIR": _path(allow_none=True),
    "XZ_LOG_MAX_BYTES": _number(int, 1024),
    "XZ_LOG_BACKUPS": _number(int, 0, 1000),
    "XZ_PROGRESS_BAR": _maybe_boolean,
    "XZ_WARC_ENABLED": _boolean,
    "XZ_WARC_DIR": _path(allow_none=True),
    "XZ_WARC_MAX_BYTES": _number(int, 1024 * 1024),
    "XZ_IMAGES": _boolean,
    "XZ_IMAGE_HOSTS": _hosts,
    "XZ_IMAGE_MAX_BYTES": _number(int, 1024),
    "XZ_MAX_IMAGE_FAILURE_RATE": _number(float, 0, 1),
    "XZ_PAGE_RESOURCES": _boolean,
    "XZ_THUMBNAILS": _boolean,
    "XZ_MAX_RESOURCES": _number(int, 0, 100_000),
    "XZ_FAMILIES": _boolean,
}

SPIDER_ARGUMENTS = {
    "site": "an http(s) site URL, several separated by commas, or 'network' (XZ_NETWORK)",
    "full": "1 to walk every listing page and re-check every article",
    "move": "1 to move the site's stored addresses to this one and fetch every post again, "
    "when it serves other posts than those stored",
}


# arguments a scheduler adds to every job: Scrapyd's job id (the spider's own, not ours)
SCHEDULER_ARGUMENTS = ("_job",)


def check_spider_arguments(arguments: dict, network=None) -> None:
    for name in arguments:
        if name not in SPIDER_ARGUMENTS and name not in SCHEDULER_ARGUMENTS:
            allowed = "; ".join(f"-a {key}=... ({what})" for key, what in SPIDER_ARGUMENTS.items())
            raise ConfigError(f"unknown spider argument {name!r}: the articles spider takes {allowed}")
    if "site" in arguments:
        site_urls(arguments["site"], network)
    if "full" in arguments:
        _boolean("-a full", arguments["full"])
    if "move" in arguments:
        _boolean("-a move", arguments["move"])


@dataclass(frozen=True)
class XzSettings:
    """The project's ``XZ_*`` settings, each parsed once by its rule (``RULES``) into its type: what
    every component reads (``CrawlServices.config`` in a crawl, ``parse_settings`` elsewhere). The
    values stay Scrapy settings (``settings.py``, ``-s``, a spider's ``custom_settings``); this is
    their one reading, not a second configuration system. The defaults are settings.py's."""

    site_url: str
    network: list[str]
    feed_path: str | None
    db_path: str
    store: type
    export_path: str | None
    export_on_close: bool
    db_batch_size: int
    db_busy_timeout: float
    now: dt.datetime | None
    refetch_policy: list[list]
    max_attempts: int
    max_listing_pages: int
    retry_after_max: float
    unreachable_after: int
    unreachable_seconds: float
    max_error_rate: float
    drift_points: float
    drift_runs: int
    drift_min_observations: int
    log_dir: str | None
    log_max_bytes: int
    log_backups: int
    progress_bar: bool | None  # None: when standard error is a terminal
    warc_enabled: bool
    warc_dir: str | None
    warc_max_bytes: int
    images: bool  # capture the body images of every stored article (into the WARC)
    image_hosts: tuple[str, ...]  # hosts besides the site's own whose images are captured
    image_max_bytes: int
    max_image_failure_rate: float
    page_resources: bool  # capture the theme's files the pages link to (stylesheets, scripts, fonts, logo)
    thumbnails: bool  # capture the listings' and related posts' thumbnails too
    max_resources: int  # of those, at most this many addresses a site a run
    families: bool  # keep the families of spun copies up to date at the end of each run (core/families.py)

    @property
    def captures_resources(self) -> bool:
        """Whether a crawl captures anything besides its pages (photos, theme files, thumbnails):
        into the WARC, so not without it."""
        return self.warc_enabled and (self.images or self.page_resources or self.thumbnails)

    @property
    def export_file(self) -> Path:
        """Where the end-of-run export goes (core.paths.export_path)."""
        return paths.export_path(self.db_path, self.export_path)

    @property
    def warc_folder(self) -> Path:
        return paths.warc_dir(self.db_path, self.warc_dir)

    @property
    def log_folder(self) -> Path:
        return paths.log_dir(self.db_path, self.log_dir)

    def feed_url(self, site_url: str) -> str | None:
        """The platform's feed on ``site_url`` (None when XZ_FEED_PATH is empty)."""
        return urljoin(site_url, self.feed_path) if self.feed_path else None


def parse_settings(settings, defaults=None) -> XzSettings:
    """Every ``XZ_*`` setting of ``settings`` (a Scrapy Settings or a mapping) parsed by its rule;
    ConfigError for the first unknown name or value out of range. A name ``settings`` does not hold
    takes its value from ``defaults`` (settings.py, for a component built with Scrapy's defaults
    alone, as in a test)."""
    names = settings.attributes if hasattr(settings, "attributes") else settings
    for name in sorted(names):
        if name.startswith("XZ_") and name not in RULES:
            raise ConfigError(f"unknown setting {name}: the project's settings are {', '.join(sorted(RULES))}")
    values = {}
    for name, rule in RULES.items():
        value = settings.get(name) if name in names else getattr(defaults, name, None)
        values[name[3:].lower()] = rule(name, value)
    return XzSettings(**values)


def check_settings(settings) -> XzSettings:
    """Raise ConfigError for the first XZ_* setting that is unknown or out of its range; the
    settings parsed, when all hold."""
    return parse_settings(settings)
