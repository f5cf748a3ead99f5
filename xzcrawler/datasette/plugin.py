"""The project's Datasette plugin (installed with the package through the ``datasette`` entry
point): Datasette's search finds 1-, 2- and longer Chinese words in an xzcrawler archive.

The archive's ``search_index`` holds CJK bigrams (core/search.py), so a word must be turned
into the index's MATCH expression first; Datasette passes what is typed in a table's search box
through the SQL function ``escape_fts``. On a connection to an xzcrawler archive (and only
there) this plugin registers, after Datasette's own:

- ``escape_fts(q)``: the bigram MATCH expression of ``q`` (the search box of ``articles``);
- ``xz_match(q)``: the same, for SQL (the canned ``search`` query);
- ``xz_snippet(title, body, q)``: a piece of the body (or the title) around the first match,
  marked with 【】, as ``xzcrawler search`` prints it;
- ``xz_change_text(revision, changed_fields, title, body, previous title, previous body,
  category)``: what a revision changed, a body's diff included, as the Atom feeds say it
  (core.atom.summary; the canned ``changes`` query, served as a feed by datasette-atom).

A query with nothing searchable (punctuation only) matches nothing.

The photos the archive captured (issue 31) are served from its WARC files alone, read-only and
bounded: ``/-/xz-photo?url=ADDRESS`` answers a photo's bytes as captured (the newest whole
capture in ``image_captures``, with its type), 404 for an address never captured whole. The
``images`` view and ``image_captures`` show each address with its thumbnail (``render_cell``).

Every CSV Datasette sends starts with a UTF-8 byte order mark (``asgi_wrapper``), as the project's
own CSV export does: Excel reads a CSV without one in the system's code page, and the Chinese
turns to mojibake (issue 32).
"""

from __future__ import annotations

from datasette import hookimpl

from ..core import search

NOTHING = 'chars : "\u3007\u3007"'  # a phrase no index row holds: the chars column has single characters


# A Python function cannot be interrupted by Datasette's time limit (sql_time_limit_ms): what it
# works on is bounded instead. The terms and characters of a query are search.check_query's bounds.
SNIPPET_TEXT = 100_000  # characters of a body a snippet looks through (the site's bodies are ~3,000)


def _refusal(exc: Exception) -> str:
    """An FTS5 expression that fails with ``exc``'s words: SQLite reports an exception raised in a
    Python function only as "user-defined function raised exception", but names an unknown column
    of a MATCH expression ("no such column: <the words>")."""
    words = str(exc).replace('"', "'")
    return f'"xzcrawler search: {words}" : x'


def match(query: str | None) -> str:
    try:
        search.check_query(query or "")
    except search.QueryTooLarge as exc:
        return _refusal(exc)
    return search.match_expression(query or "") or NOTHING


def snippet(title: str | None, body: str | None, query: str | None) -> str:
    try:
        search.check_query(query or "")
    except search.QueryTooLarge as exc:
        return str(exc)
    return search.hit_snippet((title or "")[:SNIPPET_TEXT], (body or "")[:SNIPPET_TEXT], query or "")


def change_text(revision, changed_fields, title, body, previous_title, previous_body, category) -> str:
    import json

    from ..core import atom
    from ..core.normalize import inert

    change = {
        "revision": revision,
        "changed_fields": json.loads(changed_fields) if changed_fields else None,
        "title": title,
        "body_text": (body or "")[:SNIPPET_TEXT],
        "previous_title": previous_title,
        "previous_body": (previous_body or "")[:SNIPPET_TEXT],
        "category": category,
    }
    return inert(atom.summary(change))


def is_archive(conn) -> bool:
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = ? AND type = 'table'", [search.INDEX_TABLE]
    ).fetchone()
    return bool(row and "title_bi" in (row[0] or ""))


@hookimpl(trylast=True)  # after Datasette's own escape_fts, which this one replaces on an archive
def prepare_connection(conn, database, datasette):
    try:
        ours = is_archive(conn)
    except Exception:  # noqa: BLE001  (not a database we can read: leave it alone)
        return
    if ours:
        conn.create_function("escape_fts", 1, match, deterministic=True)
        conn.create_function("xz_match", 1, match, deterministic=True)
        conn.create_function("xz_snippet", 3, snippet, deterministic=True)
        conn.create_function("xz_change_text", 7, change_text, deterministic=True)


PHOTO_ROUTE = "/-/xz-photo"
PHOTO_MAX = 16 * 1024 * 1024  # bytes read of one photo's record at most (XZ_IMAGE_MAX_BYTES is 10 MiB)
# the newest whole capture of an address, and the WARC response record holding its bytes: of this
# address, or of another whose capture had the same bytes (a revisit refers to that response)
_PHOTO_SQL = (
    "SELECT w.file, w.offset, c.content_type FROM image_captures c "
    "JOIN image_captures o ON o.digest = c.digest "
    "JOIN warc_records w ON w.url = o.url AND w.digest = c.digest AND w.record_type = 'response' "
    "WHERE c.url = ? ORDER BY c.fetched_at DESC, w.url = c.url DESC, w.id DESC LIMIT 1"
)


async def photo(request, datasette):
    """A captured photo's bytes, from the WARC file beside the archive that holds it."""
    import asyncio

    from datasette.utils.asgi import Response

    from ..core import paths
    from ..warc import read_response

    url = request.args.get("url") or ""
    for database in datasette.databases.values():
        if database.is_memory or not database.path:
            continue
        try:
            row = (await database.execute(_PHOTO_SQL, [url])).first()
        except Exception:  # noqa: BLE001  (not an archive, or one from before photos: nothing here)
            continue
        if row is None:
            continue
        path = paths.warc_file(paths.warc_dir(database.path), row["file"])
        try:
            captured = await asyncio.to_thread(read_response, path, row["offset"], PHOTO_MAX)
        except Exception as exc:  # noqa: BLE001  (a file gone or damaged: `xzcrawler verify` says which)
            return Response.text(f"the capture of {url} cannot be read: {type(exc).__name__}", status=500)
        headers = {
            "X-Content-Type-Options": "nosniff",  # the type the capture was checked to be, nothing else
            "Content-Security-Policy": "default-src 'none'",
            "Cache-Control": "max-age=86400",
        }
        return Response(captured.body, content_type=row["content_type"] or "application/octet-stream", headers=headers)
    return Response.text(f"no photo of this address was captured whole: {url}", status=404)


@hookimpl
def register_routes(datasette):
    return [(f"^{PHOTO_ROUTE}$", photo)]


@hookimpl
def render_cell(value, column, table, database, datasette):
    """A photo's address with its thumbnail, served from the archive (alt text: not captured)."""
    if (table, column) not in (("images", "src"), ("image_captures", "url")) or not isinstance(value, str):
        return None
    if not value.startswith(("http://", "https://")):
        return None
    from html import escape
    from urllib.parse import quote

    from markupsafe import Markup

    thumbnail = datasette.urls.path(f"{PHOTO_ROUTE}?url={quote(value, safe='')}")
    return Markup(
        f'<a href="{escape(value)}">{escape(value)}</a><br>'
        f'<img src="{escape(thumbnail)}" alt="not captured" loading="lazy" style="max-width:160px;max-height:120px">'
    )


BOM = "\ufeff".encode()


def _is_csv(path: str, status: int) -> bool:
    """A CSV download: Datasette serves ``….csv`` as text/csv (``_dl``) or text/plain (to view)."""
    return path.endswith(".csv") and status == 200


@hookimpl
def asgi_wrapper(datasette):
    """Put a byte order mark before the first bytes of every CSV response (its length adjusted)."""

    def wrap(app):
        async def with_bom(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            state = {"csv": False, "first": True}

            async def sending(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers") or [])
                    state["csv"] = _is_csv(scope.get("path", ""), message.get("status", 0))
                    if state["csv"]:
                        headers = [
                            (name, str(int(value) + len(BOM)).encode())
                            if name.lower() == b"content-length"
                            else (name, value)
                            for name, value in headers
                        ]
                        message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and state["csv"] and state["first"]:
                    state["first"] = False
                    message = {**message, "body": BOM + message.get("body", b"")}
                await send(message)

            await app(scope, receive, sending)

        return with_bom

    return wrap
