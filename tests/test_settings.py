"""Settings parsed once into their types (issue 30, item 4): the XZ_* settings stay Scrapy
settings (settings.py, -s, custom_settings), read by one parser into one typed object that every
component reads; no component parses a setting again."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.utils.test import get_crawler

from xzcrawler import settings as project
from xzcrawler.core import paths
from xzcrawler.core.config import ConfigError, parse_settings
from xzcrawler.extensions import config
from xzcrawler.middlewares import RetryAfterMiddleware, UnreachableMiddleware
from xzcrawler.spiders.articles import ArticlesSpider
from xzcrawler.store import SqliteStore

AS_GIVEN_ON_THE_COMMAND_LINE = {  # -s NAME=value gives strings
    "XZ_DB_PATH": "elsewhere/a.db",
    "XZ_DB_BATCH_SIZE": "50",
    "XZ_RETRY_AFTER_MAX": "2.5",
    "XZ_UNREACHABLE_SECONDS": "7",
    "XZ_REFETCH_POLICY": "[[3, 1], [null, 9]]",
    "XZ_EXPORT_ON_CLOSE": "false",
    "XZ_NOW": "2026-11-28T00:30:00+08:00",
    "XZ_FEED_PATH": "/index.php/feed",
}


def test_strings_from_the_command_line_become_their_types():
    xz = parse_settings(AS_GIVEN_ON_THE_COMMAND_LINE, defaults=project)
    assert (xz.db_batch_size, xz.retry_after_max, xz.unreachable_seconds) == (50, 2.5, 7.0)
    assert xz.refetch_policy == [[3, 1], [None, 9]] and xz.export_on_close is False
    assert xz.now == dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.UTC)
    assert xz.store is SqliteStore  # the class, loaded from its path
    assert str(xz.export_file) == "elsewhere/a.jsonl" and str(xz.warc_folder) == "elsewhere/warc"
    assert xz.feed_url("http://h:8021/") == "http://h:8021/index.php/feed"
    # what is not given is settings.py's, the one place of the defaults
    assert xz.max_attempts == project.XZ_MAX_ATTEMPTS and paths.DEFAULT_DB == project.XZ_DB_PATH


def test_a_bad_value_or_name_is_refused_by_the_same_parser():
    with pytest.raises(ConfigError, match="XZ_DB_BATCH_SIZE must be an integer"):
        parse_settings({"XZ_DB_BATCH_SIZE": "lots"}, defaults=project)
    with pytest.raises(ConfigError, match="unknown setting XZ_DB_BATCHSIZE"):
        parse_settings({"XZ_DB_BATCHSIZE": "5"}, defaults=project)


def test_every_component_reads_the_one_parsed_object():
    crawler = get_crawler(ArticlesSpider, settings_dict=AS_GIVEN_ON_THE_COMMAND_LINE)
    xz = config(crawler)
    assert config(crawler) is xz  # parsed once per crawl
    assert RetryAfterMiddleware.from_crawler(crawler).max_wait == 2.5
    assert UnreachableMiddleware(crawler).seconds == 7.0
    spider = ArticlesSpider.from_crawler(crawler, site="http://127.0.0.1:9/")
    assert spider.policy == [[3, 1], [None, 9]]
    assert spider.feed_url == "http://127.0.0.1:9/index.php/feed"
