"""The record contract: the shared JSON schema, checked with jsonschema."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(resources.files("xzcrawler").joinpath("schema/article.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(record: dict) -> list[str]:
    """Human-readable problems of one record; empty when it is valid."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(record)'}: {error.message}"
        for error in sorted(validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    ]
