"""The site's Datasette metadata (metadata.yml beside this file) and the databases it belongs to.

The plugin supplies it through Datasette 0.65's `get_metadata` hook, so `datasette LEDGER.db` needs
no --metadata. Datasette merges every hook's answer first and the instance's own metadata (its
--metadata file) over them, so a user's metadata wins wherever both say something.

metadata.yml is written for a ledger named `forecasts`. It is given to every database that is a
tracker ledger, whatever its file name, under that database's real name; the dashboards' `db:`
and the links to "/forecasts/..." in its texts follow the name too (with several ledgers served,
the dashboards and the home page's links go to the first). A database is a ledger when it has a
`forecasts` table and tracker's own migrations (`_sqlite_migrations`, migration_set 'tracker');
the answer is kept per database name for the life of the Datasette instance. When no ledger is
served the hook supplies nothing at all, so tracker being installed changes no other Datasette.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import weakref
from pathlib import Path
from typing import Any

import yaml

#: The metadata file, shipped as package data.
METADATA = Path(__file__).parent / "metadata.yml"
#: The database name metadata.yml is written for: db/forecasts.db.
WRITTEN_FOR = "forecasts"

_LEDGER_SQL = """
    select exists(select 1 from sqlite_master where type = 'table' and name = 'forecasts')
       and exists(select 1 from sqlite_master where type = 'table' and name = '_sqlite_migrations')
"""
_TRACKER_MIGRATIONS = "select exists(select 1 from _sqlite_migrations where migration_set = 'tracker')"
#: "/forecasts/..." as a link in HTML or as a whole URL value (source_url), and "/-/..." links.
_DATABASE_LINK = re.compile(rf'(?:(?<=href=")|^)/{WRITTEN_FOR}(?=[/"?#]|$)')
_INSTANCE_LINK = re.compile(r'(?<=href=")/-/')


@functools.cache
def shipped() -> dict:
    """metadata.yml as written, parsed once. Never handed out: see `for_hook`."""
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


class _State:
    """What one Datasette instance has been told: which databases are ledgers, and its metadata."""

    def __init__(self) -> None:
        self.ledgers: dict[str, tuple[Any, bool]] = {}  # name → (the Database object asked about, answer)
        self.site: tuple[tuple, dict | None] | None = None  # (ledger names and base_url, metadata)


_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state(datasette) -> _State:
    state = _states.get(datasette)
    if state is None:
        state = _states[datasette] = _State()
    return state


def _read_is_ledger(db) -> bool:
    conn = db.connect()  # read-only (or immutable) as Datasette itself opens the file
    try:
        if not conn.execute(_LEDGER_SQL).fetchone()[0]:
            return False
        return bool(conn.execute(_TRACKER_MIGRATIONS).fetchone()[0])
    except sqlite3.Error:
        return False  # not a database SQLite can read, or an unexpected _sqlite_migrations
    finally:
        conn.close()


def is_ledger(datasette, database: str | None) -> bool:
    """Whether the database of that name, served by this Datasette, is a tracker ledger. Read once
    per name (again only if another database is later served under the same name)."""
    if datasette is None or not database:
        return False
    db = datasette.databases.get(database)
    if db is None or (getattr(db, "is_memory", False) and not getattr(db, "memory_name", None)):
        return False  # not served (yet), or a private in-memory database: nothing to read
    state = _state(datasette)
    known = state.ledgers.get(database)
    if known is None or known[0] is not db:
        known = state.ledgers[database] = (db, _read_is_ledger(db))
    return known[1]


def ledger_names(datasette) -> list[str]:
    """The served databases that are ledgers, in the order Datasette serves them."""
    return [name for name in list(datasette.databases) if name != "_internal" and is_ledger(datasette, name)]


def _localise(value: Any, name: str, database_url: str, instance_url: str) -> Any:
    """A copy of `value` that names the database `name` wherever metadata.yml names `forecasts`:
    dashboards' `db:` and links. Lists and dicts are copied, so nothing shares the parsed file."""
    if isinstance(value, dict):
        return {k: name if k == "db" and v == WRITTEN_FOR else _localise(v, name, database_url, instance_url)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_localise(v, name, database_url, instance_url) for v in value]
    if isinstance(value, str) and "/" in value:
        value = _DATABASE_LINK.sub(lambda _: database_url, value)
        return _INSTANCE_LINK.sub(lambda _: instance_url, value)
    return value


def site_metadata(datasette) -> dict | None:
    """The metadata this instance gets from tracker: metadata.yml's top level, its dashboards set to
    the first ledger, and its `forecasts` database entry under the name of each ledger; None when
    no ledger is served. Built once per set of ledgers (and base_url)."""
    names = ledger_names(datasette)
    key = (tuple(names), datasette.setting("base_url"))
    state = _state(datasette)
    if state.site is None or state.site[0] != key:
        state.site = (key, _build(datasette, names) if names else None)
    return state.site[1]


def _build(datasette, names: list[str]) -> dict:
    written = shipped()
    instance_url = datasette.urls.path("/-/")

    def localise(value: Any, name: str) -> Any:
        return _localise(value, name, str(datasette.urls.database(name)), str(instance_url))

    out = {k: localise(v, names[0]) for k, v in written.items() if k != "databases"}
    entry = (written.get("databases") or {}).get(WRITTEN_FOR) or {}
    out["databases"] = {name: localise(entry, name) for name in names}
    return out


def _fresh(ours: Any, local: Any) -> Any:
    """`ours` with a new dict at every level where the instance's own metadata (`local`) also has a
    dict: Datasette merges the local metadata into the first answer in place, along exactly those
    paths, so the merge never reaches what is kept here. The rest is shared, as Datasette shares its
    own --metadata with whoever asks."""
    if not isinstance(ours, dict):
        return ours
    out = dict(ours)
    if isinstance(local, dict):
        for k, v in local.items():
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = _fresh(out[k], v)
    return out


def _fresh_queries(answer: dict) -> dict:
    """New dicts for the canned queries, each one too: Datasette's get_canned_queries adds to the
    dict it is handed (other plugins' queries, which may depend on the actor) and names each query."""
    databases = answer.get("databases")
    if not isinstance(databases, dict) or not any(isinstance(e, dict) and "queries" in e for e in databases.values()):
        return answer
    answer["databases"] = databases = dict(databases)
    for name, entry in databases.items():
        if isinstance(entry, dict) and isinstance(entry.get("queries"), dict):
            databases[name] = {**entry, "queries": {q: dict(v) if isinstance(v, dict) else v
                                                    for q, v in entry["queries"].items()}}
    return answer


def relevant(site: dict, key: str | None, database: str | None, table: str | None) -> dict:
    """The part of `site` that `datasette.metadata(key, database, table)` can read: the key at the
    top level, in the database's entry and in the table's. All of it when no key is asked for or
    the key is `databases` (the table and row pages read table metadata that way)."""
    if key is None or key == "databases":
        return site
    out: dict = {}
    if key in site:
        out[key] = site[key]
    entry = (site.get("databases") or {}).get(database) if database else None
    if entry:
        part: dict = {}
        if key in entry:
            part[key] = entry[key]
        if table and key != "tables":
            table_entry = (entry.get("tables") or {}).get(table) or {}
            if key in table_entry:
                part["tables"] = {table: {key: table_entry[key]}}
        if part:
            out["databases"] = {database: part}
    return out


def for_hook(datasette, key: str | None, database: str | None, table: str | None) -> dict | None:
    """What the get_metadata hook answers: the relevant part, in containers of its own wherever
    Datasette or its callers change them, or None when no ledger is served."""
    site = site_metadata(datasette)
    if site is None:
        return None
    return _fresh_queries(_fresh(relevant(site, key, database, table), getattr(datasette, "_metadata_local", None)))
