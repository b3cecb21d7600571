"""A question's page for readers: every forecast on it side by side (author, words, reading, score),
the crowd's aggregates (question_policy_scores), and the outcome with its evidence. Served
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


def test_the_crowds_aggregates_beside_the_people(ledger):
    html = page(ledger, "/forecasts/questions/q-summit-deal")
    conn = sqlite3.connect(ledger)
    crowd = conn.execute("select forecaster, policy, probability, brier from question_policy_scores "
                         "where question_id = 'q-summit-deal' and crowd = 1").fetchall()
    people = conn.execute("select count(distinct forecaster) from question_policy_scores "
                          "where question_id = 'q-summit-deal' and crowd = 0").fetchone()[0]
    conn.close()
    assert people == 2 and {c[0] for c in crowd} == {"crowd:median", "crowd:mean", "crowd:geo-mean-odds"}
    assert "<h2>The crowd</h2>" in html
    section = html[html.index("<h2>The crowd</h2>"):]
    section = section[:section.index("</table>")]
    for forecaster, policy, probability, brier in crowd:
        assert f"<td>{forecaster}</td><td>{policy}</td><td>{probability}</td><td>{brier}</td>" in section


def test_no_crowd_on_a_question_one_person_forecast(ledger):
    conn = sqlite3.connect(ledger)
    alone = conn.execute("select f.question_id from forecasts f join forecast_authors fa on fa.forecast_id = f.id "
                         "group by f.question_id having count(distinct fa.author_id) = 1 limit 1").fetchone()[0]
    conn.close()
    assert "The crowd" not in page(ledger, f"/forecasts/questions/{alone}")
