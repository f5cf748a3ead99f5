"""Datasette integration: metadata (canned queries, descriptions, dashboards) and the plugin."""

from __future__ import annotations

import json
from importlib import resources


def metadata() -> dict:
    """The project's Datasette metadata, for the database named ``xzcrawler`` (a fresh copy)."""
    return json.loads(resources.files("xzcrawler").joinpath("datasette/metadata.json").read_text("utf-8"))
