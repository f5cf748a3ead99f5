"""The record contract: the shared JSON schema (xzcrawler/schema/article.schema.json).

jsonschema is the reference validator and writes the error messages. On the crawl's hot
path a record is first checked by the same schema compiled with fastjsonschema (about 25x
faster: 11 us against 270 us per article, measured in benchmarks/crawl.py's setting);
only a record it rejects is handed to jsonschema for the full list of problems. The schema
uses only constructs that draft-07 and 2020-12 read alike (type, enum, required, items,
properties, minimum, format), which tests/test_validate.py holds the two to.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("xzcrawler").joinpath("schema/article.schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


@lru_cache(maxsize=1)
def _fast_check():
    return fastjsonschema.compile({**schema(), "$schema": "http://json-schema.org/draft-07/schema#"})


def schema_errors(record: dict) -> list[str]:
    """Human-readable problems of one record; empty when it is valid."""
    try:
        _fast_check()(record)
        return []
    except fastjsonschema.JsonSchemaValueException as fast_error:
        errors = [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(record)'}: {error.message}"
            for error in sorted(validator().iter_errors(record), key=lambda e: list(e.absolute_path))
        ]
        return errors or [fast_error.message]


def identity_problem(record, site: str | None = None) -> str | None:
    """Why an article record may not be stored under its key, or None.

    An article is (site, id) with the id from its address (1 <= id < 2**63): a page at a non-post
    address, one whose markup claims another post id, or one from another host is refused, so it
    can never overwrite another article.
    """
    from .pages import article_id_from_url

    url = record.get("url") or ""
    url_id = article_id_from_url(url)
    if url_id is None:
        return f"not a post address (no id in 1..2**63-1): {url[:200]}"
    if record.get("article_id") != url_id:
        return f"article id {record.get('article_id')} does not match the address's id {url_id}"
    declared = record.get("declared_id")
    if declared is not None and declared != url_id:
        return f"the page claims post id {declared} at the address of post {url_id}"
    if site is not None and record.get("site") != site:
        return f"page of another host ({record.get('site')}) in the crawl of {site}"
    return None


def vet(item, site: str | None = None):
    """The item to store: an article whose identity does not hold (see ``identity_problem``) or
    that breaks the schema becomes a failure of kind ``identity`` or ``invalid``, kept raw; any
    other item is stored as it is. The crawl's ValidatePipeline and ``reparse`` both ask here."""
    from . import items

    if not isinstance(item, items.Article):
        return item
    problem = identity_problem({**item.record, "declared_id": item.declared_id}, site)
    if problem:
        return items.failure(item.url, "identity", problem, 200, item.raw_body)
    errors = schema_errors(item.record)
    if errors:
        return items.failure(item.url, "invalid", "schema: " + "; ".join(errors[:5]), 200, item.raw_body)
    return item
