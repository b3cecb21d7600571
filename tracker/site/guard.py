"""What keeps a served ledger safe from its readers: bounded SQLite values, read-only methods, no file paths.

Readers may run their own SQL (the dashboards' charts do), and Datasette's SQL time limit is checked
only between SQLite's VM steps, so a single call of a function that builds a huge value
(``hex(randomblob(100000000))``) ran on past the limit and grew the server by half a gigabyte.
Each ledger connection Datasette opens is therefore prepared here (the plugin's
``prepare_connection`` hook) with:

- SQLite's per-value length limit lowered to `MAX_VALUE_BYTES` (10 MB; SQLite's default is 1 GB).
  No string or blob, and no row, may be built or read past it: such a call fails at once with
  "string or blob too big" instead of allocating. The largest value a ledger holds legitimately is
  a document's full text (``documents.text``, ``document_versions.text``): about 3 kB a page, so
  a 300-page report is about 1 MB, ten times under the limit. A stored value over the limit could
  not be read at all, which is why the limit sits well above any real one;
- the LIKE/GLOB pattern limit lowered to `MAX_LIKE_PATTERN_BYTES`, since LIKE's work grows with
  pattern length times text length (the search canned query matches single words);
- an authorizer that turns ``pragma database_list`` (also reachable as ``pragma_database_list()``
  from a SELECT) into a no-op: its rows are the server's absolute file paths.

Only ledgers are guarded (`tracker.site.metadata.is_ledger`), so tracker being installed changes no
other database Datasette serves. The site accepts no writes, so every request to a ledger's pages
with another method than GET or HEAD gets 405 and an ``Allow: GET, HEAD`` header
(`method_guard`, through the plugin's ``asgi_wrapper`` hook); without it, Datasette 0.65 answers a
POST to a read-only canned query or a table with a 500 and a traceback. Datasette's own ``/-/``
pages are left as they are. ``/-/databases`` shows each ledger's file name in place of its path
(`databases`, a route the plugin registers, which Datasette matches before its own).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from datasette.utils import tilde_decode

from tracker.site import metadata as site_metadata

#: The longest string, blob or row SQLite may build or read on a ledger's connection: 10 MB, ten
#: times a 300-page report's text (the largest value a ledger holds).
MAX_VALUE_BYTES = 10_000_000
#: The longest LIKE or GLOB pattern (SQLite's default is 50 000 bytes).
MAX_LIKE_PATTERN_BYTES = 1_000
#: The methods a ledger's pages answer.
ALLOWED = ("GET", "HEAD")


def _hide_files(action: int, arg1: str | None, arg2: str | None, database: str | None, trigger: str | None) -> int:
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "database_list":
        return sqlite3.SQLITE_IGNORE  # no rows: Datasette reads it only to list attached databases
    return sqlite3.SQLITE_OK


def prepare(conn: sqlite3.Connection, datasette: Any, database: str) -> None:
    """Bound the values SQLite builds on a ledger's connection, and hide its files' paths."""
    if database == "_internal" or not site_metadata.is_ledger(datasette, database):
        return  # Datasette's own catalogue is never a ledger, and not worth a read to find out
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN_BYTES)
    conn.set_authorizer(_hide_files)


def _site_path(datasette: Any, scope: dict) -> str:
    """The request's path as Datasette routes it: undecoded, without the base_url."""
    raw = scope.get("raw_path")
    path = raw.decode("ascii", "replace") if raw else scope.get("path", "/")
    path = path.split("?", 1)[0]
    base_url = datasette.setting("base_url") or "/"
    if base_url != "/" and path.startswith(base_url):
        path = "/" + path[len(base_url):]
    return path


def ledger_page(datasette: Any, path: str) -> bool:
    """Whether `path` is a page of a served ledger: /ROUTE, /ROUTE.json, /ROUTE/..."""
    first = path.lstrip("/").split("/", 1)[0].split(".", 1)[0]
    if not first or first == "-":
        return False
    try:
        route = tilde_decode(first)
    except Exception:  # a malformed ~ escape: Datasette answers it as it sees fit
        return False
    return any(datasette.databases[name].route == route for name in site_metadata.ledger_names(datasette))


async def _not_allowed(path: str, send: Callable[[dict], Awaitable[None]]) -> None:
    if path.endswith(".json"):
        body = json.dumps({"ok": False, "error": "Method not allowed: this site only reads",
                           "status": 405, "title": None}).encode()
        kind = b"application/json; charset=utf-8"
    else:
        body, kind = b"Method not allowed: this site only reads\n", b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 405,
                "headers": [(b"allow", ", ".join(ALLOWED).encode()), (b"content-type", kind),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def method_guard(datasette: Any, app: Callable) -> Callable:
    """`app` answering 405 to any method but GET and HEAD on a ledger's pages."""

    async def guarded(scope: dict, receive: Callable, send: Callable) -> None:
        if (scope.get("type") == "http" and scope.get("method", "GET").upper() not in ALLOWED
                and ledger_page(datasette, _site_path(datasette, scope))):
            await _not_allowed(_site_path(datasette, scope), send)
            return
        await app(scope, receive, send)

    return guarded


def connected_databases(datasette: Any) -> list[dict]:
    """Datasette's /-/databases list, each ledger's path shown as its file name."""
    out = []
    for d in datasette._connected_databases():
        if d.get("path") and site_metadata.is_ledger(datasette, d["name"]):
            d = {**d, "path": Path(d["path"]).name}
        out.append(d)
    return out


async def databases(request: Any, send: Any, datasette: Any) -> Any:
    """/-/databases and /-/databases.json, as Datasette serves them but with `connected_databases`."""
    from datasette.views.special import JsonDataView

    view = JsonDataView.as_view(datasette, "databases.json", lambda: connected_databases(datasette))
    return await view(request, send)
