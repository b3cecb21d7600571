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
  pattern length times text length (the search canned query matches single words): a pattern of
  990 bytes over 1 MB took 1.4 s in one step;
- an authorizer that turns ``pragma database_list`` (also reachable as ``pragma_database_list()``
  from a SELECT) into a no-op: its rows are the server's absolute file paths;
- bounded versions of the built-in functions whose work grows with the product of their
  arguments' lengths, so that even within the value limit one call cannot run for minutes:
  ``replace``, ``instr`` and two-argument ``trim``/``ltrim``/``rtrim`` (`BOUNDED`). A call of
  at most `MAX_CALL_WORK` is SQLite's own (run on a private in-memory connection, so the answer
  is exactly SQLite's); a larger one fails, as "user-defined function raised exception" (Python's
  sqlite3 cannot give a function's error a message of its own). One ``trim(X, Y)`` of 40,000 by
  200,000 characters ran 37 s in one step, past any time limit. LIKE and GLOB, whose work is
  the text's length times the pattern's, are bounded by the pattern limit instead (their own
  error messages stay, and their index optimisations): 10 MB by 100 bytes is about 1.4 s;
- the SQL time limit enforced between any two VM instructions, not only every thousand: a
  watchdog thread interrupts (``sqlite3_interrupt``) a ledger's query that passes Datasette's own
  deadline. Datasette checks the time in a progress handler every 1,000 VM instructions, and a
  thousand calls of a heavy function (one instruction each) lie between two checks: the issue's
  24 columns of ``hex(randomblob(...))`` ran 15 s against a 3 s limit. The watchdog wraps
  Datasette's ``sqlite_timelimit`` (`install_watchdog`), keeping its handler and its error page.

Readers' own SQL (``?sql=`` on a ledger's database page, ``?_where=`` on its tables) runs one
request at a time per instance (`MAX_READERS_SQL`), with at most `MAX_READERS_SQL_WAITING`
waiting their turn; past that a request gets 503 and ``Retry-After``. Datasette runs all SQL in
three threads, and four clients whose queries each run to the 3 s time limit held all three: the
forecast pages beside them took 11 s at the median. Queued, they hold one thread at most, and the
pages, the canned queries and the charts' own SQL (`site_queries`, the queries of the dashboards
in metadata.yml, sent as they are written) keep the other two.

Only ledgers are guarded (`tracker.site.metadata.is_ledger`), so tracker being installed changes no
other database Datasette serves. The site accepts no writes, so every request to a ledger's pages
with another method than GET or HEAD gets 405 and an ``Allow: GET, HEAD`` header
(`method_guard`, through the plugin's ``asgi_wrapper`` hook); without it, Datasette 0.65 answers a
POST to a read-only canned query or a table with a 500 and a traceback. Datasette's own ``/-/``
pages are left as they are. ``/-/databases`` shows each ledger's file name in place of its path
(`databases`, a route the plugin registers, which Datasette matches before its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from datasette.utils import tilde_decode

from tracker.site import metadata as site_metadata

#: The longest string, blob or row SQLite may build or read on a ledger's connection: 10 MB, ten
#: times a 300-page report's text (the largest value a ledger holds).
MAX_VALUE_BYTES = 10_000_000
#: The longest LIKE or GLOB pattern (SQLite's default is 50 000 bytes): a phrase of a dozen words.
MAX_LIKE_PATTERN_BYTES = 100
#: The methods a ledger's pages answer.
ALLOWED = ("GET", "HEAD")
#: The most work one call of a `BOUNDED` function may do, in the product of its arguments' lengths
#: (characters compared, at worst): 10^8 is about half a second for trim, the slowest per
#: comparison, and covers replace() of a phrase in a 300-page report's text (1 MB by 100 bytes).
MAX_CALL_WORK = 100_000_000
#: name → (number of arguments, the indexes of the two arguments whose lengths multiply)
BOUNDED = {"replace": (3, (0, 1)), "instr": (2, (0, 1)), "trim": (2, (0, 1)), "ltrim": (2, (0, 1)),
           "rtrim": (2, (0, 1))}
#: How often the watchdog looks for a query past its deadline.
WATCH_EVERY_S = 0.02
#: Readers' own SQL requests run at once, per instance (of Datasette's three SQL threads), and
#: how many may wait their turn before one gets 503.
MAX_READERS_SQL = 1
MAX_READERS_SQL_WAITING = 32


def _hide_files(action: int, arg1: str | None, arg2: str | None, database: str | None, trigger: str | None) -> int:
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "database_list":
        return sqlite3.SQLITE_IGNORE  # no rows: Datasette reads it only to list attached databases
    return sqlite3.SQLITE_OK


def prepare(conn: sqlite3.Connection, datasette: Any, database: str) -> None:
    """Bound the values SQLite builds on a ledger's connection and the work of one function call,
    enforce the time limit between any two instructions, and hide its files' paths."""
    if database == "_internal" or not site_metadata.is_ledger(datasette, database):
        return  # Datasette's own catalogue is never a ledger, and not worth a read to find out
    _limit(conn)
    conn.set_authorizer(_hide_files)
    _bound_functions(conn)
    install_watchdog()
    _WATCHDOG.guarded.add(id(conn))


def _limit(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN_BYTES)


# ------------------------------------------------------------------ functions of bounded work

class TooMuchWork(Exception):
    """A call of a bounded function past MAX_CALL_WORK (SQLite reports it as the function's error)."""


def _length(value: object) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 32  # a number's text, at most


def _bounded(plain: sqlite3.Connection, name: str, nargs: int, pair: tuple[int, int]) -> Callable:
    sql = f"select {name}({', '.join('?' * nargs)})"

    def call(*args: object) -> object:
        work = _length(args[pair[0]]) * _length(args[pair[1]])
        if work > MAX_CALL_WORK:
            raise TooMuchWork(f"{name}: {work:,} is more work than one call may do ({MAX_CALL_WORK:,})")
        return plain.execute(sql, args).fetchone()[0]

    return call


def _bound_functions(conn: sqlite3.Connection) -> None:
    """Replace the BOUNDED built-ins on `conn` by calls of SQLite's own on a private connection,
    each refused past MAX_CALL_WORK. The private connection is this connection's alone (Datasette
    uses each connection from one thread at a time), and has the same limits."""
    plain = sqlite3.connect(":memory:", check_same_thread=False)
    _limit(plain)
    for name, (nargs, pair) in BOUNDED.items():
        conn.create_function(name, nargs, _bounded(plain, name, nargs, pair), deterministic=True)


# ------------------------------------------------------------------ the time limit, to the instruction

class _Watchdog:
    """Queries running on guarded connections, each with its deadline; one daemon thread
    interrupts those past it."""

    def __init__(self) -> None:
        self.guarded: set[int] = set()  # id() of the ledgers' connections
        self.lock = threading.Lock()
        self.running: dict[int, tuple[sqlite3.Connection, float]] = {}
        self.thread: threading.Thread | None = None
        self.interrupted = 0

    def watch(self, conn: sqlite3.Connection, ms: float) -> int:
        token = id(conn)
        with self.lock:
            self.running[token] = (conn, time.perf_counter() + ms / 1000)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="tracker-sql-watchdog", daemon=True)
                self.thread.start()
        return token

    def unwatch(self, token: int) -> None:
        with self.lock:
            self.running.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(WATCH_EVERY_S)
            now = time.perf_counter()
            with self.lock:  # under the lock: a query that has ended is no longer here
                for token, (conn, deadline) in list(self.running.items()):
                    if now >= deadline:
                        conn.interrupt()
                        self.interrupted += 1
                        del self.running[token]


_WATCHDOG = _Watchdog()


def install_watchdog() -> None:
    """Wrap Datasette's `sqlite_timelimit` (which every query of `Database.execute` runs in) so
    that a guarded connection's query is also interrupted by the watchdog at the same deadline.
    Datasette's own progress handler and its "SQL query took too long" page stay as they are: an
    interrupted query fails the same way. Done once per process."""
    import datasette.database as database

    if getattr(database.sqlite_timelimit, "tracker_watchdog", False):
        return
    original = database.sqlite_timelimit

    @contextlib.contextmanager
    def timelimit(conn: sqlite3.Connection, ms: float) -> Iterator[None]:
        with original(conn, ms):
            token = _WATCHDOG.watch(conn, ms) if id(conn) in _WATCHDOG.guarded else None
            try:
                yield
            finally:
                if token is not None:
                    _WATCHDOG.unwatch(token)

    timelimit.tracker_watchdog = True  # type: ignore[attr-defined]
    database.sqlite_timelimit = timelimit


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


def site_queries() -> frozenset[str]:
    """The SQL the site's own charts and their filters send (datasette-dashboards, metadata.yml)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "query" and isinstance(inner, str):
                    found.add(inner.strip())
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk((site_metadata.shipped().get("plugins") or {}).get("datasette-dashboards") or {})
    return frozenset(found)


def readers_sql(scope: dict, path: str) -> bool:
    """Whether a request to a ledger's page runs SQL of the reader's own: ?sql= on the database
    page (not one of `site_queries`), or ?_where= anywhere."""
    from urllib.parse import parse_qs

    query = scope.get("query_string") or b""
    if b"sql=" not in query and b"_where" not in query:
        return False
    params = parse_qs(query.decode("latin-1"), keep_blank_values=True)
    if any(k.startswith("_where") for k in params):
        return True
    rest = path.lstrip("/").split("/", 1)
    if len(rest) > 1 and rest[1]:  # a table or a canned query: ?sql= is no SQL there
        return False
    return any(sql.strip() not in _SITE_QUERIES() for sql in params.get("sql", []))


_SITE_QUERIES = functools.cache(site_queries)


class _Queue:
    """Readers' SQL requests of one event loop: MAX_READERS_SQL at once, the rest waiting."""

    def __init__(self) -> None:
        self.semaphore = asyncio.Semaphore(MAX_READERS_SQL)
        self.waiting = 0


_QUEUES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _busy(send: Callable[[dict], Awaitable[None]]) -> None:
    body = b"Busy: readers' own SQL runs one query at a time here, and many are waiting; try again\n"
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"retry-after", b"1"), (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def method_guard(datasette: Any, app: Callable) -> Callable:
    """`app` answering 405 to any method but GET and HEAD on a ledger's pages, and running
    readers' own SQL on them one request at a time."""

    async def guarded(scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        path = _site_path(datasette, scope)
        if not ledger_page(datasette, path):
            await app(scope, receive, send)
            return
        if scope.get("method", "GET").upper() not in ALLOWED:
            await _not_allowed(path, send)
            return
        if not readers_sql(scope, path):
            await app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        queue = _QUEUES.get(loop)
        if queue is None:
            queue = _QUEUES[loop] = _Queue()
        if queue.semaphore.locked() and queue.waiting >= MAX_READERS_SQL_WAITING:
            await _busy(send)
            return
        queue.waiting += 1
        try:
            await queue.semaphore.acquire()
        finally:
            queue.waiting -= 1
        try:
            await app(scope, receive, send)
        finally:
            queue.semaphore.release()

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
