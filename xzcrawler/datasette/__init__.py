"""Datasette integration: metadata (canned queries, descriptions, dashboards) and the plugin."""
