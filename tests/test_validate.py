"""The fast gate and the reference validator agree on what breaks the contract."""

from __future__ import annotations

import copy

import pytest

from xzcrawler.core.pages import parse_page
from xzcrawler.core.validate import schema_errors

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def record():
    page = parse_page(
        (FIXTURES / "article/reference-2176/page.html").read_bytes(),
        "http://xuzhou.021cf.cn/index.php/post/2176.html",
        "2025-11-27T10:00:00+08:00",
    )
    return dict(page.record)


BREAKAGES = {
    "negative views": lambda r: r.update(views=-1),
    "views as text": lambda r: r.update(views="69"),
    "no title": lambda r: r.pop("title"),
    "bad precision": lambda r: r.update(published_precision="week"),
    "date not a date": lambda r: r.update(published_date="2024-13-45"),
    "image without src": lambda r: r.update(images=[{"alt": "x"}]),
    "related without url": lambda r: r["related"][0].pop("url"),
    "keywords not strings": lambda r: r.update(keywords=[1, 2]),
    "article_id text": lambda r: r.update(article_id="2176"),
}


def test_a_parsed_record_is_valid(record, schema_validator):
    assert schema_errors(record) == []
    assert list(schema_validator.iter_errors(record)) == []


@pytest.mark.parametrize("name", BREAKAGES)
def test_both_validators_reject_the_same_records(record, schema_validator, name):
    broken = copy.deepcopy(record)
    BREAKAGES[name](broken)
    assert list(schema_validator.iter_errors(broken)), "the reference validator must reject it"
    errors = schema_errors(broken)
    assert errors and all(isinstance(e, str) for e in errors)


def test_a_timestamp_that_is_not_one_is_rejected(record):
    # jsonschema checks "date-time" only when rfc3339-validator is installed; the gate always does
    broken = {**record, "fetched_at": "yesterday"}
    assert schema_errors(broken)
