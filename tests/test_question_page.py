"""A question's page for readers: every forecast on it side by side (author, words, reading, score),
the crowd's rows once a crowd_forecasts table holds some, and the outcome with its evidence. Served
by a plain Datasette from the readers' ledger (tests/readers_data.py); numbers checked against
`tracker forecasts --json`."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3

import pytest
from datasette.app import Datasette
from typer.testing import CliRunner

from tracker.cli import app

from readers_data import build_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return build_ledger(tmp_path_factory.mktemp("question-page"))


def page(ledger, path: str) -> str:
    ds = Datasette([str(ledger)])
    asyncio.run(ds.invoke_startup())
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text[:300]
    return response.text


def rows_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-forecast="([^"]+)">(.*?)</tr>', html, re.S))


def test_every_forecast_on_the_question_side_by_side(ledger):
    html = page(ledger, "/forecasts/questions/q-summit-deal")
    rows = rows_of(html)
    assert list(rows) == ["ann-deal", "bob-deal", "ann-deal-update"]  # oldest first
    forecasts = json.loads(CliRunner().invoke(app, ["forecasts", "--question", "q-summit-deal", "--db", str(ledger),
                                                    "--json"]).stdout)
    for f in forecasts:
        cell = rows[f["id"]]
        assert f'<td class="score">{f["brier"]:.3f}</td>' in cell, f["id"]
    assert '<a href="/forecasts/authors/bob">Bob Brief</a>' in rows["bob-deal"]
    assert "<blockquote lang=\"en\">The two sides may well sign something.</blockquote>" in rows["bob-deal"]
    assert "40 %</a> [30 %, 50 %] · “may well”" in rows["bob-deal"]
    assert "scale" not in rows["ann-deal-update"] and "stated" in rows["ann-deal-update"]
    assert "Outcome: <strong>no</strong>, known 2019-02-28" in html
    assert '<a href="https://example.org/summit-ends" rel="nofollow noopener">' in html
    assert "The summit ended without an agreement." in html
    assert "The crowd" not in html  # no crowd table in this ledger


def test_an_open_question_and_one_without_forecasts(ledger, tmp_path):
    html = page(ledger, "/forecasts/questions/q-open-future")
    assert "Not resolved yet." in html
    copy = tmp_path / "forecasts.db"
    shutil.copy(ledger, copy)
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("insert into questions (id, title) values ('q-bare', 'Will nothing happen?')")
    conn.close()
    assert "No forecasts on this question yet." in page(copy, "/forecasts/questions/q-bare")


def test_the_crowds_rows_once_they_exist(ledger, tmp_path):
    copy = tmp_path / "forecasts.db"
    shutil.copy(ledger, copy)
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("create table crowd_forecasts (question_id text, source text, probability real)")
        conn.execute("insert into crowd_forecasts values ('q-summit-deal', 'Metaculus community', 0.35)")
    conn.close()
    html = page(copy, "/forecasts/questions/q-summit-deal")
    assert "<h2>The crowd</h2>" in html and "<td>Metaculus community</td>" in html


def test_what_the_page_shows_is_escaped(ledger, tmp_path):
    copy = tmp_path / "forecasts.db"
    shutil.copy(ledger, copy)
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("update questions set criteria = '<script>alert(1)</script>' where id = 'q-summit-deal'")
    conn.close()
    html = page(copy, "/forecasts/questions/q-summit-deal")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_leaderboard_names_and_head_to_head_questions_link_to_their_pages(ledger):
    html = page(ledger, "/forecasts/leaderboard")
    assert '<td class="col-name"><a href="/forecasts/authors/ann">Ann Analyst</a></td>' in html
    html = page(ledger, "/forecasts/head_to_head?author_a=ann&author_b=bob")
    assert ('<td class="col-question"><a href="/forecasts/questions/q-summit-deal">Will the summit end with a '
            'signed agreement?</a></td>') in html
    assert '<td class="col-words_b">The two sides may well sign something.</td>' in html
    # a reader's own query with a name but no author_id is left as it is
    html = page(ledger, "/forecasts?sql=select+name+from+authors+order+by+id+limit+1")
    assert '<td class="col-name">Ann Analyst</td>' in html
