"""WARC as a library (no Scrapy): the writer of a crawl's files (``writer``), the archive's index
of them (``index``: ownership, reconciliation) and the one reader of records (``reader``).
The crawl's recorder, a Scrapy downloader middleware, is ``xzcrawler.middlewares.WarcRecorder``.
"""

from __future__ import annotations

from .index import own_files, reconcile, warcinfo_fields
from .reader import TooLarge, member_end, read_response, record_of, recorded_payload
from .writer import MIN_REVISIT_BYTES, OWNER_FIELD, WarcFiles, payload_digest

__all__ = [
    "MIN_REVISIT_BYTES",
    "OWNER_FIELD",
    "TooLarge",
    "WarcFiles",
    "member_end",
    "own_files",
    "payload_digest",
    "read_response",
    "reconcile",
    "record_of",
    "recorded_payload",
    "warcinfo_fields",
]
