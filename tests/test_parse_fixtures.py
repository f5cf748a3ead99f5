"""Every saved page under tests/fixtures/<kind>/<case>/ parses to its expected.json, field by field."""

from __future__ import annotations

import json

import pytest

from xzcrawler.core.pages import parse_page

from .conftest import fixture_cases

CASES = fixture_cases()


def _parse(case):
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    body = (case / "page.html").read_bytes()
    return parse_page(body, meta["url"], meta["fetched_at"], meta.get("header_encoding")), meta


def _field_cases():
    for case in CASES:
        expected = json.loads((case / "expected.json").read_text("utf-8"))
        for name in expected:
            yield pytest.param(case, name, id=f"{case.parent.name}/{case.name}:{name}")


def test_there_are_cases_of_every_kind():
    kinds = {case.parent.name for case in CASES}
    assert {"article", "listing"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_kind(case):
    page, _ = _parse(case)
    assert page["kind"] == case.parent.name


@pytest.mark.parametrize(("case", "name"), list(_field_cases()))
def test_field(case, name):
    page, _ = _parse(case)
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    assert page.get(name) == expected[name]


@pytest.mark.parametrize("case", fixture_cases("article"), ids=lambda c: c.name)
def test_articles_are_schema_valid(case, schema_validator):
    page, _ = _parse(case)
    page.pop("kind")
    errors = [e.message for e in schema_validator.iter_errors(page)]
    assert errors == []
