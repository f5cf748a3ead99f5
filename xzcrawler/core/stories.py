"""Stories, not copies: the sites of the network post the same text again (another site's story,
under another id, often under another title). Copies of one story share a key made from the
article's text: NFKC-folded, date lines dropped (each site stamps its own), whitespace and
punctuation removed. Pure: no database; the store keeps the key in ``articles.story_id``.

The store makes the key when an article's text is new or changed, and keeps the stored one while
the text stays the same (a re-extraction does not remake it): a change to how the key is made
comes with a migration that remakes the column, as the one that added it made it."""

from __future__ import annotations

import hashlib
import re

from . import normalize as nz

# a paragraph that is only a publication stamp: 发布日期:2021-04-22, 发布时间：2024-09-24 14:32:00
DATE_LINE = re.compile(r"^\s*(?:发布日期|发布时间|日期|时间)\s*[:：]?\s*[\d\s:：/.\-年月日]*$", re.M)
NOT_TEXT = re.compile(r"[\W_]+")
MIN_CHARS = 30  # shorter texts (a caption, a one-liner) say too little to call two posts one story


def story_text(body_text: str | None) -> str:
    """The text copies of a story share."""
    text = nz.nfkc(body_text or "")
    return NOT_TEXT.sub("", DATE_LINE.sub("", text))


def story_id(body_text: str | None) -> str | None:
    """The key of the story ``body_text`` tells, or None when it is too short to tell one."""
    text = story_text(body_text)
    if len(text) < MIN_CHARS:
        return None
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
