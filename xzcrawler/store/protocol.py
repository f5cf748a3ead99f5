"""The store interface: every operation the crawl, ``reparse``, the export of the articles and
the CLI's summaries ask of an archive, by who asks.

``store.SqliteStore`` (SQLite) implements it; ``XZ_STORE`` names the class a crawl builds (as Scrapy
picks ``HTTPCACHE_STORAGE``), with ``(path, batch_size=, clock=, busy_timeout=)``.
``tests/memory_store.py`` is a second, minimal implementation (in memory, a JSON snapshot on
close) that ``tests/test_store_protocol.py`` holds to the same records for a crawl, a reparse and
an export, and whose merge (by ``core/merging.py``'s rules, as ``store/merge.py``'s) gives the
same archive. What only the SQLite archive offers stays on it, outside this interface: SQL-filtered
exports (``--since``, ``--changed``, other tables), the ``merge`` command, full-text search, the
report's figures, Datasette.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class Store(Protocol):
    # -- counters the crawl's stats read (committed rows: new, changed, unchanged; failures_resolved)
    counts: Counter
    rejected: list[tuple[str, str]]  # (url, reason) of rows the store kept as failures instead
    batch_size: int

    @property
    def pending_count(self) -> int:
        """Article rows queued, not yet written."""

    @property
    def identity(self) -> str:
        """The archive's own id: what its WARC files' warcinfo records name."""

    # -- the spider's start state (extensions.RunRecorder) --------------------------------------
    def known_articles(self, site: str) -> dict[int, dict]:
        """By article id: url, etag, last_modified, last_checked, published_date."""

    def named_categories(self, site: str) -> list[str]:
        """The category addresses the archive holds (its posts named; the SQLite archive also keeps
        its navigation's), each once, in the order first seen."""

    def posts(self, site: str, article_ids: list[int]) -> dict[int, dict]:
        """By article id: title, content_hash (what a page must show to be that article)."""

    def last_run_status(self, site: str) -> str | None: ...

    def pending_failures(self, site: str, max_attempts: int) -> list[str]:
        """URLs of failures still to retry."""

    def rebase(self, site: str, base_url: str) -> int:
        """Move the site's stored addresses to ``base_url``; how many moved."""

    # -- writes (store.write.write_item: the crawl and reparse alike) --------------------------
    def add_article(
        self,
        record: dict,
        raw_body: bytes | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Queue one schema record; written in batches (``flush``)."""

    def flush(self) -> None: ...

    def observe_listing(
        self,
        site: str,
        items: list[dict],
        observed_at: str,
        source: str = "listing",
        requested=frozenset(),
        url: str | None = None,
    ) -> int:
        """Counts and dates a listing (or the feed) showed; how many counts changed."""

    def mark_not_modified(self, site: str, article_id: int, when: str) -> None: ...

    def resolve_failures(self, url: str) -> int: ...

    def record_categories(self, site: str, categories: list[dict], when: str, name: str | None = None) -> None: ...

    def add_image(self, capture) -> bool:
        """Keep a photo fetched whole (core.items.ImageCaptured), once per capture; True if new."""

    def held_images(self) -> set[tuple[str, str]]:
        """(site key, path) of each photo held whole: a refresh does not fetch it again."""

    def image_failures(self) -> dict[tuple[str, str], int]:
        """(site key, path) -> attempts of each photo whose capture failed, unresolved."""

    def add_asset(self, capture) -> bool:
        """Keep a file of the theme fetched well (core.items.AssetCaptured), once per capture."""

    def held_assets(self) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(site key, path and query) -> (ETag, Last-Modified) of each file of the theme held."""

    def record_failure(
        self,
        url: str,
        kind: str,
        reason: str,
        http_status: int | None = None,
        raw_body: bytes | None = None,
        when: str | None = None,
    ) -> None: ...

    def transaction(self) -> AbstractContextManager:
        """Many writes as one (reparse holds one around a group of records)."""

    def forget_run(self) -> None:
        """Forget what was learnt of one crawl run in flight (reparse, where another run begins)."""

    # -- runs (extensions.RunRecorder) --------------------------------------------------------
    def start_run(
        self, spider: str, site: str | None, site_url: str | None = None, started_at: str | None = None
    ) -> int: ...

    def finish_run(
        self, run_id: int, status: str, stats: dict, finished_at: str | None = None, exit_code: int = 0
    ) -> None: ...

    def recent_runs(self, site: str, limit: int) -> list[dict]:
        """Stats of the last healthy runs on ``site``, newest first (the drift guard's history)."""

    # -- the WARC index (middlewares.WarcRecorder, warc.index, reparse) -------------------------
    def last_capture(self, url: str) -> tuple[str, str, str] | None:
        """(payload digest, record id, WARC-Date) of the last full response record of ``url``."""

    def capture_of_digest(self, digest: str) -> tuple[str, str, str] | None:
        """(url, record id, WARC-Date) of a full response record of a photo with these bytes."""

    def add_warc_index(self, rows: list[dict]) -> None: ...

    def warc_files_indexed(self) -> dict[str, int]:
        """Each indexed WARC file, and where its last indexed record ends."""

    def warc_responses(self, since: str | None = None) -> list[tuple[str, str, int]]:
        """(url, file, offset) of each response and revisit record, in the order fetched."""

    def listing_marks(self) -> dict[tuple[str, str], frozenset]: ...

    def revisit_originals(self) -> list[tuple[str, str, str, int]]: ...

    # -- families of spun copies (core/families.py decides; the store keeps) --------------------
    def texts_to_sign(self, algorithm: str) -> list[tuple[tuple[str, int], str | None, str | None]]:
        """((site, article id), story key, body text) of each article whose text is not signed by
        ``algorithm`` as it is now (no row, another story key, another algorithm)."""

    def signatures(self, algorithm: str) -> Iterator[tuple[tuple[str, int], int, bytes]]:
        """((site, article id), shingles, MinHash state) of each text signed by ``algorithm``."""

    def signed_texts(self, algorithm: str) -> dict:
        """((site, article id), story key) -> (the article's content hash, shingles, MinHash state
        or None) of each text signed by ``algorithm`` whose signature stands for the article's
        text as it is (the same story key): what a re-extraction takes again
        (core.families.update's ``known``)."""

    def family_pairs(self) -> list[tuple[tuple[str, int], tuple[str, int]]]:
        """The linked pairs held."""

    def family_members(self) -> dict[tuple[str, int], str]:
        """(site, article id) -> family, of each post in a family (the exports' family_id)."""

    def keep_families(self, signatures: list, replaced: set, links: list, members: dict) -> None:
        """In one transaction: the signature rows (key, story key, algorithm, shingles, state), the
        links of the ``replaced`` keys replaced by ``links`` (core.families.Link), and each
        member's family as ``members`` says (key -> family; a post not in it is in none)."""

    # -- reading (reparse's report, the export of the articles, the CLI) -----------------------
    def article_revisions(self) -> dict[tuple[str, int], int]: ...

    def fields_changed_after(self, site: str, article_id: int, revision: int) -> list[str]: ...

    def iter_articles(self) -> Iterator[dict]:
        """Every article as its schema record, ordered by (site, article_id)."""

    def close(self) -> None:
        """Write what is queued and close (closed even when that write fails)."""
