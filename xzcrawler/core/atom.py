"""Change feeds as Atom 1.0 (RFC 4287): what the archive saw new or changed, for cron users and
feed readers (issue 32, item 2). Pure: entries in, the feed's bytes out.

Each entry is one revision of one article: revision 1 is the article new to the archive, a later
one a change, with the fields that changed and, for a body, a readable line diff against the
revision before it. Entry ids are stable (``tag:`` URIs of site, article id and revision), so a
reader sees each change once however often the feed is written.
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET

from .normalize import inert

ATOM = "http://www.w3.org/2005/Atom"
DIFF_LINES = 80  # lines of a body diff an entry shows at most


def entry_id(site: str, article_id: int, revision: int) -> str:
    return f"tag:xzcrawler,2026:{site}:{article_id}:{revision}"


def body_diff(old: str | None, new: str | None) -> str:
    """A readable diff of two bodies, paragraph by paragraph (the archive's bodies are paragraphs
    joined by a blank line), bounded to DIFF_LINES lines."""
    lines = list(
        difflib.unified_diff((old or "").split("\n\n"), (new or "").split("\n\n"), "before", "after", lineterm="", n=1)
    )[2:]
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more lines"]
    return "\n".join(lines)


def summary(change: dict) -> str:
    """The text of an entry: what changed, and how a body changed."""
    if change["revision"] == 1 or not change.get("changed_fields"):
        return f"New: {change.get('category') or 'no category'}\n\n{(change.get('body_text') or '')[:500]}"
    parts = [f"Changed: {', '.join(change['changed_fields'])}"]
    if "body_text" in change["changed_fields"]:
        parts.append(body_diff(change.get("previous_body"), change.get("body_text")))
    if "title" in change["changed_fields"]:
        parts.append(f"title: {change.get('previous_title')} → {change.get('title')}")
    return "\n\n".join(parts)


def feed(changes: list[dict], feed_id: str, title: str, self_url: str | None = None) -> bytes:
    """The Atom document of ``changes`` (newest first: each a revision with site, site_name,
    article_id, revision, fetched_at, url, title, changed_fields, body_text, and for a change the
    previous revision's body and title)."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    updated = max((c["fetched_at"] for c in changes), default="1970-01-01T00:00:00Z")
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "xzcrawler"
    ET.SubElement(root, f"{{{ATOM}}}generator").text = "xzcrawler"
    if self_url:
        ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=self_url)
    for change in changes:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id(change["site"], change["article_id"], change["revision"])
        kind = "new" if change["revision"] == 1 else "changed"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = inert(f"[{kind}] {change.get('title') or change['url']}")
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = change["fetched_at"]
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=change["url"])
        source = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(source, f"{{{ATOM}}}name").text = change.get("site_name") or change["site"]
        if change.get("category"):
            ET.SubElement(entry, f"{{{ATOM}}}category", term=change["category"])
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = inert(summary(change))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")
