"""The served site is bounded: a slow query gets a clear error within the time limit, not a hang,
and a page returns at most the row limit."""

import asyncio
import time

import pytest
from datasette.app import Datasette

from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db

SLOW = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000) "
        "select count(*) from n")


def test_slow_sql_is_stopped_with_a_clear_error(tmp_path, small_record):
    path = tmp_path / "forecasts.db"
    db = open_db(path)
    import_records(db, [load_record(small_record)])
    db.close()
    ds = Datasette([str(path)],  # the plugin brings the site's metadata
                   settings={"sql_time_limit_ms": 200, "max_returned_rows": 3})

    async def go():
        await ds.invoke_startup()
        start = time.monotonic()
        slow = await ds.client.get("/forecasts.json", params={"sql": SLOW})
        took = time.monotonic() - start
        rows = await ds.client.get("/forecasts.json", params={"sql": "select * from forecasts", "_shape": "objects"})
        return slow, took, rows

    slow, took, rows = asyncio.run(go())
    assert slow.status_code == 400
    assert "SQL query took too long" in slow.json()["error"]
    assert took < 5, f"the time limit did not stop the query ({took:.1f} s)"
    data = rows.json()
    assert len(data["rows"]) == 3 and data["truncated"] is True


def test_tracker_serve_runs_datasette_with_the_limits(tmp_path, small_record):
    """The real `tracker serve`, on loopback: its Datasette reports the time and row limits."""
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    records = small_record.parent
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--port", str(port), "--forecasts",
                             str(records), "--db", str(tmp_path / "forecasts.db")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        settings = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and settings is None:
            try:
                settings = httpx.get(f"http://127.0.0.1:{port}/-/settings.json", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.3)
        assert settings, "tracker serve did not answer"
        assert settings["sql_time_limit_ms"] == 3000 and settings["max_returned_rows"] == 2000
        page = httpx.get(f"http://127.0.0.1:{port}/forecasts/forecasts/f1", timeout=5)
        assert page.status_code == 200 and "Read as <strong>80 %</strong>" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tracker_serve_passes_only_the_users_own_metadata(tmp_path, small_record, monkeypatch):
    """No metadata file is needed (the plugin brings the site's); --metadata FILE adds the user's own."""
    import os

    from typer.testing import CliRunner

    from tracker.cli import app

    ran = []
    monkeypatch.setattr(os, "execv", lambda path, args: ran.append(args))
    monkeypatch.chdir(tmp_path)  # no db/metadata.yml here, and none needed
    records = str(small_record.parent)
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "ledger.db")])
    assert result.exit_code == 0, result.output
    assert "--metadata" not in ran[-1] and str(tmp_path / "ledger.db") in ran[-1]
    own = tmp_path / "ours.yml"
    own.write_text("title: Ours\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "ledger.db"),
                                 "--metadata", str(own)])
    assert result.exit_code == 0, result.output
    assert ran[-1][ran[-1].index("--metadata") + 1] == str(own)
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "other.db"),
                                 "--metadata", str(tmp_path / "none.yml")])
    assert result.exit_code == 1 and len(ran) == 2
    assert result.stderr == f"Error: {tmp_path / 'none.yml'}: no metadata file here\n"
    assert not (tmp_path / "other.db").exists()  # refused before anything was built


# The guard (tracker.site.guard): bounded values, read-only methods, no file paths.

HEAVY = "select length(hex(randomblob(100000000)))"  # one VM step: the time limit never sees it


def _served(tmp_path, small_record, **settings) -> Datasette:
    path = tmp_path / "forecasts.db"
    db = open_db(path)
    import_records(db, [load_record(small_record)])
    db.close()
    ds = Datasette([str(path)], settings=settings or None)
    asyncio.run(ds.invoke_startup())
    return ds


def _get(ds: Datasette, path: str, **params):
    return asyncio.run(ds.client.get(path, params=params or None))


def test_a_value_too_big_is_refused_at_once_and_normal_sql_still_runs(tmp_path, small_record):
    from tracker.site.guard import MAX_VALUE_BYTES

    ds = _served(tmp_path, small_record, sql_time_limit_ms=60_000)  # the time limit plays no part
    heavy = _get(ds, "/forecasts.json", sql=HEAVY)
    assert heavy.status_code == 400 and heavy.json()["error"] == "string or blob too big"
    for sql in ("select zeroblob(20000000)", "select printf('%.*c', 20000000, 'x') is null",
                "select group_concat(hex(randomblob(1000000))) from (select 1 union all select 2 union all "
                "select 3 union all select 4 union all select 5 union all select 6)"):
        answer = _get(ds, "/forecasts.json", sql=sql, _shape="array")
        # refused, or (printf) SQLite's own NULL for a value it may not build
        assert answer.status_code == 400 or answer.json() == [{sql[7:]: 1}], (sql, answer.text[:200])
    fits = _get(ds, "/forecasts.json", sql=f"select length(hex(randomblob({MAX_VALUE_BYTES // 2 - 1})))",
                _shape="array")
    assert fits.status_code == 200 and next(iter(fits.json()[0].values())) == MAX_VALUE_BYTES - 2
    assert _get(ds, "/forecasts/forecasts/f1").status_code == 200
    assert _get(ds, "/forecasts/leaderboard.json", _shape="array").status_code == 200
    assert len(_get(ds, "/forecasts/forecasts.json", _shape="array").json()) == 4


def test_long_like_patterns_are_refused(tmp_path, small_record):
    ds = _served(tmp_path, small_record)
    answer = _get(ds, "/forecasts.json", sql="select 'x' like printf('%.*c', 5000, 'x')")
    assert answer.status_code == 400 and "LIKE or GLOB pattern too complex" in answer.json()["error"]


def test_the_guard_is_only_for_ledgers(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    ds = Datasette([str(other)])
    asyncio.run(ds.invoke_startup())
    answer = _get(ds, "/other.json", sql="select length(zeroblob(20000000)) as n", _shape="array")
    assert answer.json() == [{"n": 20000000}]


def test_methods_other_than_get_and_head_get_405_with_allow(tmp_path, small_record):
    ds = _served(tmp_path, small_record)
    for path in ("/forecasts/leaderboard", "/forecasts/leaderboard.json", "/forecasts/search",
                 "/forecasts/forecasts", "/forecasts/forecasts/f1", "/forecasts", "/forecasts.json"):
        for method in ("post", "put", "patch", "delete"):
            answer = asyncio.run(ds.client.request(method.upper(), path))
            assert answer.status_code == 405, (method, path, answer.text[:300])
            assert answer.headers["allow"] == "GET, HEAD"
            assert "Traceback" not in answer.text
    assert asyncio.run(ds.client.post("/forecasts/leaderboard.json")).json()["status"] == 405
    head = asyncio.run(ds.client.request("HEAD", "/forecasts/leaderboard"))
    assert head.status_code == 200
    # Datasette's own /-/ pages answer for themselves: /-/logout takes a POST (and redirects)
    own = asyncio.run(ds.client.post("/-/logout"))
    assert own.status_code == 302 and "allow" not in own.headers


def test_no_page_or_json_shows_a_file_path(tmp_path, small_record):
    ds = _served(tmp_path, small_record)
    pages = ["/", "/.json", "/forecasts", "/forecasts.json", "/forecasts/forecasts", "/forecasts/forecasts.json",
             "/forecasts/forecasts/f1", "/forecasts/forecasts/f1.json", "/forecasts/authors/ann",
             "/forecasts/documents/doc-a", "/forecasts/leaderboard", "/forecasts/leaderboard.json",
             "/-/databases", "/-/databases.json", "/-/metadata", "/-/metadata.json", "/-/settings.json",
             "/-/versions.json", "/-/plugins.json", "/-/threads.json", "/-/dashboards", "/_internal",
             "/_internal.json", "/_internal/databases.json"]
    for page in pages:
        answer = _get(ds, page)
        assert answer.status_code in (200, 403), (page, answer.status_code)
        assert str(tmp_path) not in answer.text, page
    listed = _get(ds, "/-/databases.json").json()
    assert [(d["name"], d["path"]) for d in listed] == [("forecasts", "forecasts.db")]
    for sql in ("select * from pragma_database_list", "select file from pragma_database_list()"):
        answer = _get(ds, "/forecasts.json", sql=sql, _shape="array")
        assert answer.status_code == 200 and answer.json() == [] and str(tmp_path) not in answer.text


# One call of a function of quadratic work, and the time limit between two instructions.

QUADRATIC = "select length(trim(replace(hex(zeroblob(20000)), '0', '2'), hex(zeroblob(100000)) || '2'))"

SAME_AS_SQLITE = [
    "replace('abcabc', 'b', 'xy')", "replace(null, 'a', 'b')", "replace('abc', '', 'x')", "replace('abc', 'b', null)",
    "replace(x'616263', x'62', 'z')", "replace(12.5, '.', ',')", "replace('Jörg Müller', 'ü', 'ue')",
    "instr('héllo', 'l')", "instr(x'010203', x'03')", "instr(null, 'a')", "instr(12345, 34)", "instr('abc', '')",
    "trim('xxhixx', 'x')", "ltrim('  a  ', ' ')", "rtrim('abcccc', 'c')", "trim(123.5, '5')", "ltrim(x'616162', 'a')",
    "trim('abc', null)", "trim('  a  ')", "ltrim('  a')", "rtrim('a  ')", "trim('äöäxä', 'ä')",
]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the refusal, as sqlite3 reports it
def test_a_call_of_quadratic_work_is_refused_and_lesser_ones_answer_as_sqlite_does(tmp_path, small_record):
    """trim(X, Y) of 40,000 by 200,001 characters ran 37 s in one VM step; the guard refuses it
    at once. Every call within the bound answers exactly as SQLite's own function (the oracle: a
    plain connection), for text, blobs, numbers and NULL."""
    import sqlite3

    ds = _served(tmp_path, small_record, sql_time_limit_ms=60_000)  # the time limit plays no part
    refused = _get(ds, "/forecasts.json", sql=QUADRATIC)
    assert refused.status_code == 400 and refused.json()["error"] == "user-defined function raised exception"
    plain = sqlite3.connect(":memory:")
    sql = "select " + ", ".join(f"quote({e}), typeof({e})" for e in SAME_AS_SQLITE)
    expected = list(plain.execute(sql).fetchone())
    answer = _get(ds, "/forecasts.json", sql=sql, _shape="arrays")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["rows"][0] == expected
    # the site's own pages use trim and instr (the board's filters, the search)
    assert _get(ds, "/forecasts/leaderboard.json", _shape="array", min_n="1").status_code == 200
    assert _get(ds, "/forecasts/search.json", _shape="array", q="happen").status_code == 200


def test_the_time_limit_stops_a_query_between_two_heavy_calls(tmp_path, small_record):
    """Datasette checks its deadline every 1,000 VM instructions; a row of a heavy call (20 ms)
    every ten instructions put two seconds between checks. The watchdog interrupts the query at
    the deadline itself (it counts each interruption), with Datasette's own error."""
    from tracker.site import guard

    ds = _served(tmp_path, small_record, sql_time_limit_ms=300)
    sql = ("with recursive c(x) as (select 1 union all select x + 1 from c limit 2000) "
           "select count(*) from c where length(hex(randomblob(4000000))) > 0")
    before = guard._WATCHDOG.interrupted
    start = time.monotonic()
    slow = _get(ds, "/forecasts.json", sql=sql)
    took = time.monotonic() - start
    assert slow.status_code == 400 and "SQL query took too long" in slow.json()["error"]
    assert guard._WATCHDOG.interrupted == before + 1
    assert took < 30, f"the query ran on ({took:.1f} s)"
    # the connection is whole: the next query answers
    assert _get(ds, "/forecasts.json", sql="select count(*) as n from forecasts", _shape="array").json() == [{"n": 4}]


def test_readers_sql_runs_one_at_a_time_and_a_full_queue_is_503(tmp_path, small_record, monkeypatch):
    """Four clients' SQL running to the time limit held all three of Datasette's SQL threads (the
    forecast pages beside them took 11 s at the median): readers' own SQL runs one request at a
    time, with a bounded queue; pages, canned queries and the charts' own SQL are not queued."""
    from tracker.site import guard

    def scope(path, query):
        return {"query_string": query.encode()}, path

    for path, query, theirs in [
        ("/forecasts", "sql=select+1", True), ("/forecasts.json", "sql=select+1&_shape=array", True),
        ("/forecasts/forecasts", "_where=1", True), ("/forecasts/forecasts.json", "_where%5B%5D=x", True),
        ("/forecasts/leaderboard", "min_n=1", False), ("/forecasts/forecasts/f1", "", False),
        ("/forecasts/forecasts", "sql=select+1", False),  # no SQL of theirs on a table page
    ]:
        assert guard.readers_sql(*scope(path, query)) is theirs, (path, query)
    chart = sorted(guard.site_queries())[0]
    from urllib.parse import urlencode

    assert guard.readers_sql(*scope("/forecasts.json", urlencode({"sql": chart}))) is False

    monkeypatch.setattr(guard, "MAX_READERS_SQL_WAITING", 0)  # no one may wait: the second is turned away
    ds = _served(tmp_path, small_record, sql_time_limit_ms=400)
    slow = ("with recursive c(x) as (select 1 union all select x + 1 from c limit 2000) "
            "select count(*) from c where length(hex(randomblob(4000000))) > 0")

    async def go():
        return await asyncio.gather(ds.client.get("/forecasts.json", params={"sql": slow}),
                                    ds.client.get("/forecasts.json", params={"sql": slow}),
                                    ds.client.get("/forecasts/forecasts/f1"),
                                    ds.client.get("/forecasts/leaderboard.json", params={"_shape": "array"}))

    first, second, page, board = asyncio.run(go())
    assert sorted([first.status_code, second.status_code]) == [400, 503]
    busy = first if first.status_code == 503 else second
    assert busy.headers["retry-after"] == "1" and "one query at a time" in busy.text
    assert page.status_code == 200 and board.status_code == 200
