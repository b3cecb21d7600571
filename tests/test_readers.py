"""What a reader sees in Datasette, checked number by number against the command line's JSON.

The ledger (tests/readers_data.py) is built through the project's own import into a file named
forecasts.db and served by a plain Datasette: the installed plugin brings tracker/site/metadata.yml
(its get_metadata hook), no --metadata given. Every page,
canned query and chart definition is requested through `ds.client`, and the numbers it shows are
compared exactly with `tracker ... --json`, run through typer's CliRunner on the same file.
pytest-asyncio is not a dependency, so each request runs in `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sqlite3
import stat
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette
from datasette.utils import make_dockerfile
from typer.testing import CliRunner

from tracker import __version__
from tracker.cli import app
from tracker.scores import fair
from tracker.site import publish
from tracker.site.plugin import decimals, percent, query_cells, reliability_svg

from readers_data import build_ledger

METADATA_PATH = Path(__file__).resolve().parent.parent / "tracker" / "site" / "metadata.yml"
METADATA = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
QUERIES = METADATA["databases"]["forecasts"]["queries"]
DASHBOARDS = METADATA["plugins"]["datasette-dashboards"]
#: Metadata of a publisher's own, as `tracker publish --metadata` takes it: merged over the site's.
OWN_METADATA = "title: Our forecasts, scored\nlicense: CC0\n"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return build_ledger(tmp_path_factory.mktemp("readers"))


@pytest.fixture(scope="module")
def ds(ledger) -> Datasette:
    datasette = Datasette([str(ledger)])  # no metadata: the plugin brings the site's
    asyncio.run(datasette.invoke_startup())
    return datasette


@pytest.fixture(scope="module")
def cli(ledger):
    """`tracker ARGS --db LEDGER --json`, parsed."""
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [*args, "--db", str(ledger), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def get(ds: Datasette, path: str, **params):
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def query(ds: Datasette, name: str, **params) -> list[dict]:
    """A canned query's rows through the JSON API, as a researcher would fetch them."""
    return get(ds, f"/forecasts/{name}.json", _shape="array", **params).json()


def sql(ds: Datasette, text: str, **params) -> list[dict]:
    """Arbitrary read-only SQL through the JSON API, exactly as datasette-dashboards fetches a chart."""
    data = get(ds, "/forecasts.json", sql=text, _shape="objects", **params).json()
    assert data["ok"] and not data["truncated"]
    return data["rows"]


def row_html(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


# ------------------------------------------------------------------------------ home and database

def test_home_page_explains_the_scores_and_links_everything(ds):
    html = get(ds, "/").text
    assert "Brier score" in html and "0.25 is what always saying 50 % earns" in html
    assert "Where to start" in html
    links = set(re.findall(r'href="(/[^"]*)"', METADATA["description_html"]))
    assert {"/forecasts/forecast_ledger", "/forecasts/leaderboard", "/forecasts/head_to_head",
            "/forecasts/search", "/forecasts/calibration", "/forecasts/due",
            "/-/dashboards/calibration", "/-/dashboards/scores"} <= links
    for link in links:
        assert f'href="{link}"' in html
        get(ds, link)  # every link on the home page answers 200


def test_database_page_lists_the_queries_and_charts(ds):
    html = get(ds, "/forecasts").text
    for name, q in QUERIES.items():
        assert q["title"] in html, name
    assert 'href="/-/dashboards/calibration"' in html
    queries = {q["name"]: q for q in get(ds, "/forecasts.json").json()["queries"]}
    assert set(queries) == {"leaderboard", "head_to_head", "opponents", "shared_questions", "calibration", "due",
                            "search"}
    for name, q in QUERIES.items():
        assert q["title"] and q["description_html"] and q["params"], name
        assert not q.get("write"), name


def test_ledger_facets_by_author_publisher_topic_outcome_and_year(ds, cli):
    data = get(ds, "/forecasts/forecast_ledger.json").json()
    facets = {name: {r["value"]: r["count"] for r in f["results"]} for name, f in data["facet_results"].items()}
    assert {"author_list", "publisher", "topics", "outcome", "year"} <= set(facets)
    rows = cli("forecasts")
    assert data["filtered_table_rows_count"] == len(rows) == 16
    by_author = Counter(name for r in rows for name in r["author"].split("; "))
    assert facets["author_list"] == dict(by_author)
    assert facets["year"] == dict(Counter(r["made_on"][:4] for r in rows))
    assert facets["outcome"] == dict(Counter(r["outcome"] for r in rows if r["outcome"]))
    publishers = {d: ("Institute B" if d.startswith("ib-") else "Institute A")
                  for d in {r["document_id"] for r in rows}}
    assert facets["publisher"] == dict(Counter(publishers[r["document_id"]] for r in rows))
    assert facets["topics"]["summit"] == 6 and facets["topics"]["korea"] == 16
    # A facet is a link that filters; the filtered rows are the CLI's rows for that author.
    ann = get(ds, "/forecasts/forecast_ledger.json", _shape="array", _nofacet=1,
              author_list__arraycontains="Ann Analyst", _sort="id").json()
    assert sorted(r["id"] for r in ann) == sorted(r["id"] for r in cli("forecasts", "--author", "ann"))


# ------------------------------------------------------------------------------ row pages

def test_document_page_lists_its_forecasts_with_outcomes_and_brier(ds, cli):
    html = get(ds, "/forecasts/documents/ia-2019-summit").text
    assert 'By <a href="/forecasts/authors/ann">Ann Analyst</a>' in html
    forecasts = cli("forecasts", "--document", "ia-2019-summit")
    assert len(forecasts) == 6
    assert re.findall(r'<tr data-forecast="([^"]+)">', html) == [f["id"] for f in forecasts]
    for f in forecasts:
        row = row_html(html, "data-forecast", f["id"])
        assert f'href="/forecasts/forecasts/{f["id"]}"' in row
        assert f"<td>{f['outcome']}</td>" in row
        assert f'<td class="score">{f["brier"]:.3f}</td>' in row
        assert f"<td>{percent(f['probability'])}" in row
    scores = {r["document"]: r for r in cli("score", "--by", "document")}["ia-2019-summit"]
    assert f'<strong class="n">{scores["n"]}</strong>' in html
    assert f'<td class="score brier">{decimals(scores["brier"])}</td>' in html
    assert (f'<td class="interval brier">[{decimals(scores["brier_ci_low"])}, '
            f'{decimals(scores["brier_ci_high"])}]</td>') in html


def test_document_page_shows_unscored_and_annulled_forecasts_as_such(ds, cli):
    html = get(ds, "/forecasts/documents/ia-2020-review").text
    assert "not scored (annulled)" in row_html(html, "data-forecast", "joint-annulled")
    assert "<td>open</td>" in row_html(html, "data-forecast", "joint-yongbyon")
    assert "“nahezu sicher”" in row_html(html, "data-forecast", "joint-test")
    scores = {r["document"]: r for r in cli("score", "--by", "document")}["ia-2020-review"]
    assert scores["n"] == 3 and '<strong class="n">3</strong>' in html


def test_author_page_shows_record_scores_and_calibration(ds, cli):
    html = get(ds, "/forecasts/authors/ann").text
    record = cli("forecasts", "--author", "ann")
    assert re.findall(r'<tr data-forecast="([^"]+)">', html) == [f["id"] for f in record]
    for f in record:
        row = row_html(html, "data-forecast", f["id"])
        expected = f"{f['brier']:.3f}" if f["brier"] is not None else None
        if expected:
            assert f'<td class="score">{expected}</td>' in row
    # one score per question under each policy, as `tracker score --policy P` has it
    for policy in ("time-weighted", "first", "last", "mean"):
        fair = {r["author"]: r for r in cli("score", "--policy", policy, "--min-n", "1")}["ann"]
        row = row_html(html, "data-policy", policy)
        assert f'<td class="n">{fair["n"]}</td>' in row
        assert f'<td class="shrunk">{decimals(fair["shrunk_brier"])}</td>' in row
        assert f'<td class="brier">{decimals(fair["brier"])}</td>' in row
        assert "too few questions" in row and fair["brier_ci_low"] is None  # 6 questions
    scores = {r["author"]: r for r in cli("score", "--policy", "forecasts")}["ann"]
    assert f'<strong class="n">{scores["n"]}</strong>' in html
    assert f'<td class="score brier">{decimals(scores["brier"])}</td>' in html
    assert f'[{decimals(scores["brier_ci_low"])}, {decimals(scores["brier_ci_high"])}]' in html
    adjusted = {r["author"]: r for r in cli("score", "--adjusted")}["ann"]
    assert f"Difficulty-adjusted score <strong>{decimals(adjusted['adjusted_brier'])}</strong>" in html
    assert adjusted["adjusted_ci_low"] is None and adjusted["questions"] == 6 and adjusted["comparable"]
    assert "too few questions for an interval" in html and "not a Brier on 0..1" in html
    calibration = cli("calibration", "--author", "ann", "--policy", "forecasts")
    assert calibration["source"] == "stored" and calibration["n"] == scores["n"]
    rows = re.findall(r'<tr data-bin="\d+">(.*?)</tr>', html, re.S)
    assert len(rows) == len(calibration["bins"]) == 6
    for row, b in zip(rows, calibration["bins"], strict=True):
        assert f'<td>{percent(b["lower"])}–{percent(b["upper"])}</td><td class="n">{b["n"]}</td>' in row
        assert f'<td class="observed">{percent(b["observed"])}</td>' in row
        assert f"{percent(b['ci_low'])} to {percent(b['ci_high'])}" in row
    svg = re.search(r'<svg class="tracker-reliability".*?</svg>', html, re.S).group(0)
    assert svg.count('<circle class="bin"') == len(calibration["bins"])
    assert svg.count('class="diagonal"') == 1 and svg.count('class="interval"') == len(calibration["bins"])
    assert f"Reliability {decimals(calibration['reliability'])}" in html
    assert 'href="/-/dashboards/calibration?author=ann"' in html


def test_reliability_svg_places_points_by_the_numbers():
    svg = reliability_svg([{"bin": 7, "lower": 0.7, "upper": 0.8, "n": 4, "mean_forecast": 0.75, "observed": 0.5,
                            "ci_low": 0.15, "ci_high": 0.85}], size=236)
    # 36 px padding, 164 px inside: x = 36 + 0.75 · 164 = 159, y = 200 − 0.5 · 164 = 118
    assert '<circle class="bin" cx="159.0" cy="118.0"' in svg
    assert 'y1="175.4" x2="159.0" y2="60.6"' in svg  # the Wilson interval, 15 % to 85 %
    assert "70 %–80 %: n 4, observed 50 %" in svg


def test_forecast_page_is_kept(ds, cli):
    html = get(ds, "/forecasts/forecasts/ann-deal").text
    f = {r["id"]: r for r in cli("forecasts")}["ann-deal"]
    assert "An agreement is to be expected at the summit." in html
    assert f"Brier score <strong>{f['brier']:.3f}</strong> on the 0..1 scale" in html
    assert "https://example.org/summit-ends" in html


def test_every_row_page_of_a_document_and_an_author_answers(ds, cli):
    for r in cli("forecasts"):
        get(ds, f"/forecasts/forecasts/{r['id']}")
        get(ds, f"/forecasts/documents/{r['document_id']}")
    for author in ("ann", "bob", "cat"):
        assert "Calibration" in get(ds, f"/forecasts/authors/{author}").text


# ------------------------------------------------------------------------------ canned queries

LEADERBOARD_FIELDS = ("n", "brier", "brier_ci_low", "brier_ci_high", "log_score")


LEADERBOARD_FIELDS += ("shrunk_brier", "late", "provisional_n")


@pytest.mark.parametrize("min_n", ["", "4"])
@pytest.mark.parametrize("policy", ["", "first", "last", "mean"])
def test_leaderboard_is_the_cli_scoreboard(ds, cli, min_n, policy):
    rows = query(ds, "leaderboard", min_n=min_n, policy=policy)
    expected = cli("score", "--min-n", min_n or "3", "--policy", policy or "time-weighted")
    assert [r["author_id"] for r in rows] == [e["author"] for e in expected]
    people = [r for r in rows if not r["crowd"]]
    ranked = expected[0]["ranking"] == fair.RANKED  # on this small ledger, some policies cannot rank
    assert [r["rank"] for r in people] == (list(range(1, len(people) + 1)) if ranked else [None] * len(people))
    for r, e in zip(rows, expected, strict=True):
        assert r["name"] == e["name"] and r["policy"] == (policy or "time-weighted")
        assert r["board"] == "raw; " + e["ranking"] and r["rank"] == e["rank"]
        assert {k: r[k] for k in LEADERBOARD_FIELDS} == {k: e[k] for k in LEADERBOARD_FIELDS}
        assert bool(r["crowd"]) == e["crowd"] == r["author_id"].startswith("crowd:")
        assert r["interval"] == "too few"  # under 10 questions each
        if r["crowd"]:
            assert r["rank"] is None and r["late"] is None
    # n counts questions: ann has 8 forecasts on 6 questions, and crowds stand on the 6 shared ones
    assert {r["author_id"]: r["n"] for r in rows} == (
        {"bob": 4, "ann": 6, "crowd:median": 6, "crowd:mean": 6, "crowd:geo-mean-odds": 6} if min_n == "4"
        else {"bob": 4, "ann": 6, "cat": 3, "crowd:median": 6, "crowd:mean": 6, "crowd:geo-mean-odds": 6})


def test_leaderboard_shows_the_top_places_ranked_over_everyone(ds, cli):
    everyone = query(ds, "leaderboard")
    top = query(ds, "leaderboard", top="2")
    assert len(everyone) == 6 and top == everyone[:2]
    assert query(ds, "leaderboard", top="1", min_n="4") == query(ds, "leaderboard", min_n="4")[:1]


def test_leaderboard_adjusted_is_the_cli_adjusted_board(ds, cli):
    rows = query(ds, "leaderboard", board="adjusted", min_n="1")
    expected = cli("score", "--adjusted", "--min-n", "1")
    assert [r["author_id"] for r in rows] == [e["author"] for e in expected]
    fields = ("n", "brier", "adjusted_brier", "adjusted_ci_low", "adjusted_ci_high")
    for r, e in zip(rows, expected, strict=True):
        assert {k: r[k] for k in fields} == {k: e[k] for k in fields}
        assert r["board"] == "difficulty-adjusted, all topics"
    # ranked within each group of authors linked by common questions, never across groups
    group_of = {r["author_id"]: r["interval"].split(":")[0] for r in rows if r["interval"].startswith("group ")}
    for group in set(group_of.values()):
        ranks = [r["rank"] for r in rows if group_of.get(r["author_id"]) == group and not r["crowd"]]
        assert ranks == sorted(ranks) and ranks[0] == 1, group
    assert all(r["rank"] is None for r in rows if r["crowd"] or r["interval"] == "not comparable")


def test_leaderboard_on_a_topic_is_the_cli_board_of_that_subset(ds, cli):
    rows = query(ds, "leaderboard", topic="summit", min_n="1")
    assert {r["board"] for r in rows} == {"raw, topic summit; not ranked: the site fits no shrinkage on one topic "
                                          "(`tracker score --topic summit` does)"}
    assert {r["rank"] for r in rows} == {None}
    expected = {e["author"]: e for e in cli("score", "--topic", "summit", "--min-n", "1")}
    assert {r["author_id"] for r in rows} == set(expected)
    for r in rows:
        assert r["n"] == expected[r["author_id"]]["n"]
        assert r["brier"] == pytest.approx(expected[r["author_id"]]["brier"], rel=1e-15)
        assert r["brier_ci_low"] is None  # no interval for a subset: it is not in any table
    assert [r["brier"] for r in rows] == sorted(r["brier"] for r in rows)


def test_leaderboard_html_shows_scores_with_their_scale(ds, cli):
    html = get(ds, "/forecasts/leaderboard").text
    for e in cli("score"):
        assert f'<td class="col-brier">{decimals(e["brier"])} (0..1)</td>' in html
        assert f'<td class="col-shrunk_brier">{decimals(e["shrunk_brier"])} (0..1)</td>' in html
        assert f'<td class="col-log_score">{decimals(e["log_score"])} nats</td>' in html
    bob = {e["author"]: e for e in cli("score")}["bob"]
    raw = repr(bob["brier"])
    assert raw not in html  # the raw float is for JSON and CSV
    assert raw in get(ds, "/forecasts/leaderboard.csv").text


def test_head_to_head_is_the_cli_comparison(ds, cli):
    rows = query(ds, "head_to_head", author_a="ann", author_b="Bob Brief", policy="mean")  # by id or by name
    expected = cli("compare", "ann", "bob", "--policy", "mean")
    assert [r["question_id"] for r in rows] == expected["questions"]
    assert {r["n_common"] for r in rows} == {expected["n_common"]} == {4}
    for key in ("mean_brier_a", "mean_brier_b", "mean_difference"):
        cli_key = key.replace("mean_", "", 1) if key != "mean_difference" else key
        assert {r[key] for r in rows} == {expected[cli_key]}, key  # SQLite's avg() = the CLI's fsum / n
    per_question = defaultdict(dict)
    for f in cli("forecasts"):
        if f["brier"] is not None:
            for author in f["author"].split("; "):
                per_question[f["question_id"]].setdefault(author, []).append(f["brier"])
    for r in rows:
        a = per_question[r["question_id"]]["Ann Analyst"]
        b = per_question[r["question_id"]]["Bob Brief"]
        assert r["brier_a"] == sum(a) / len(a) and r["brier_b"] == sum(b) / len(b)
        assert r["difference"] == r["brier_a"] - r["brier_b"]
    assert query(ds, "head_to_head", author_a="ann", author_b="ann") == []
    assert query(ds, "head_to_head", author_a="ann", author_b="nobody") == []
    assert {r["interval"] for r in rows} == {"too few common questions (under 10)"}  # as the CLI says
    assert expected["interval_method"] == "too few"
    crowd = query(ds, "head_to_head", author_a="ann", author_b="crowd:median", policy="mean")
    against = cli("compare", "ann", "crowd:median", "--policy", "mean")
    assert [r["question_id"] for r in crowd] == against["questions"] and crowd
    assert {r["mean_difference"] for r in crowd} == {against["mean_difference"]}


@pytest.mark.parametrize("author", ["", "ann", "Cat Critic"])
def test_calibration_query_is_the_cli_calibration(ds, cli, author):
    rows = query(ds, "calibration", author=author)
    expected = cli("calibration", *(["--author", author] if author else []))
    fields = ("lower", "upper", "n", "mean_forecast", "observed", "ci_low", "ci_high")
    assert [{k: r[k] for k in fields} for r in rows] == [{k: b[k] for k in fields} for b in expected["bins"]]
    for key in ("brier", "reliability", "resolution", "uncertainty", "auc"):
        assert {r[key] for r in rows} == {expected[key]}
    assert {r["n_total"] for r in rows} == {expected["n"]}


def test_due_lists_open_questions_past_or_near_their_date(ds, cli):
    forecasts = cli("forecasts")
    open_questions = {f["question_id"]: f["resolve_by"] for f in forecasts if f["outcome"] is None}
    rows = query(ds, "due", today="2024-06-01")
    assert [r["question_id"] for r in rows] == [q for q, by in open_questions.items() if by <= "2024-07-01"]
    assert rows[0]["status"] == "past resolve-by" and rows[0]["days_left"] == -152
    rows = query(ds, "due", today="2039-12-15", within_days="30")
    assert [(r["question_id"], r["status"], r["days_left"]) for r in rows] == [
        ("q-open-past", "past resolve-by", -5827), ("q-open-future", "due soon", 17)]
    assert {r["question_id"] for r in rows} == set(open_questions)
    assert all(r["forecasts"] == 1 for r in rows)
    # resolved and annulled questions are never due, however late
    assert {r["question_id"] for r in query(ds, "due", today="2100-01-01")} == set(open_questions)


def test_search_finds_documents_questions_and_quotes(ds):
    """Documents and questions through their FTS5 indexes (m011), quotes through LIKE."""
    rows = query(ds, "search", q="summit")
    kinds = {(r["kind"], r["id"]) for r in rows}
    assert ("document", "ia-2019-summit") in kinds  # its title, through documents_fts
    assert {("question", "q-summit-deal"), ("question", "q-summit-statement")} <= kinds
    assert ("forecast", "ann-deal") in kinds  # its quote
    question = next(r for r in rows if r["id"] == "q-summit-deal")
    assert question["context"] == "Will the «summit» end with a signed agreement?"
    # every word must appear; FTS5 syntax in the input is taken literally
    assert {(r["kind"], r["id"]) for r in query(ds, "search", q="summit agreement")} == {
        ("question", "q-summit-deal"), ("forecast", "ann-deal")}
    assert [r["id"] for r in query(ds, "search", q="zu erwarten")] == ["joint-talks", "joint-yongbyon"]
    for text in ('Kim\'s "deal', "NEAR(a b)", "-x OR", "*", ""):
        query(ds, "search", q=text)  # never an FTS5 syntax error
    assert query(ds, "search", q="") == []
    assert "«summit»" in get(ds, "/forecasts/search", q="summit").text


def test_query_cells_formats_only_known_number_cells():
    html = ('<td class="col-brier">0.0831</td><td class="col-observed">0.5</td><td class="col-n">4</td>'
            '<td class="col-title">0.5</td><td class="col-mean_difference">-0.078125</td>')
    assert query_cells(html) == ('<td class="col-brier">0.083 (0..1)</td><td class="col-observed">50 %</td>'
                                 '<td class="col-n">4</td><td class="col-title">0.5</td>'
                                 '<td class="col-mean_difference">-0.078 (0..1)</td>')


# ------------------------------------------------------------------------------ charts

def chart_fields(spec: dict) -> set[str]:
    """Fields a Vega-Lite spec reads from the chart's query rows (layers with their own data and
    fields made by a transform excluded)."""
    fields: set[str] = set()
    made = {t["as"] for t in spec.get("transform", []) if "as" in t}
    if "data" not in spec:
        for channel in (spec.get("encoding") or {}).values():
            for enc in channel if isinstance(channel, list) else [channel]:
                if isinstance(enc, dict) and "field" in enc and enc["field"] not in made:
                    fields.add(enc["field"])
    for layer in spec.get("layer", []):
        fields |= chart_fields(layer)
    return fields


CHARTS = [(d, c) for d, dash in DASHBOARDS.items() for c in dash["charts"]]


@pytest.mark.parametrize(("dashboard", "chart"), CHARTS)
def test_every_chart_definition_runs_and_feeds_its_spec(ds, dashboard, chart):
    spec = DASHBOARDS[dashboard]["charts"][chart]
    assert spec["library"] == "vega-lite" and spec["db"] == "forecasts" and spec["title"]
    params = {k: "" for k in DASHBOARDS[dashboard].get("filters", {})}
    rows = sql(ds, spec["query"], **params)
    assert rows, f"{dashboard}/{chart} has no rows"
    assert chart_fields(spec["display"]) <= set(rows[0]), f"{dashboard}/{chart}: the spec reads missing columns"
    get(ds, f"/-/dashboards/{dashboard}/{chart}")


@pytest.mark.parametrize("author", ["", "ann", "bob"])
def test_reliability_chart_rows_are_the_cli_calibration_bins(ds, cli, author):
    charts = DASHBOARDS["calibration"]["charts"]
    expected = cli("calibration", *(["--author", author] if author else []))
    rows = sql(ds, charts["reliability"]["query"], author=author)
    fields = ("lower", "upper", "n", "mean_forecast", "observed", "ci_low", "ci_high")
    assert [{k: r[k] for k in fields} for r in rows] == [{k: b[k] for k in fields} for b in expected["bins"]]
    assert {r["who"] for r in rows} == {author or "everyone"}
    bins = sql(ds, charts["bins"]["query"], author=author)
    assert [(r["lower"], r["n"]) for r in bins] == [(b["lower"], b["n"]) for b in expected["bins"]]
    # the diagonal is its own layer, from (0, 0) to (1, 1)
    diagonal = charts["reliability"]["display"]["layer"][0]
    assert diagonal["data"]["values"] == [{"p": 0}, {"p": 1}] and diagonal["mark"]["type"] == "line"


@pytest.mark.parametrize("author", ["", "ann"])
def test_scores_over_time_are_the_mean_brier_per_year(ds, cli, author):
    rows = sql(ds, DASHBOARDS["calibration"]["charts"]["over-time"]["query"], author=author)
    by_year = defaultdict(list)
    for f in cli("forecasts", *(["--author", author] if author else [])):
        if f["brier"] is not None:
            by_year[f["made_on"][:4]].append(f["brier"])
    assert [r["year"] for r in rows] == sorted(by_year)
    for r in rows:
        assert r["n"] == len(by_year[r["year"]])
        assert r["brier"] == pytest.approx(math.fsum(by_year[r["year"]]) / r["n"], rel=1e-15)


def test_leaderboard_and_horizon_charts_are_the_cli_scoreboards(ds, cli):
    charts = DASHBOARDS["scores"]["charts"]
    fields = ("n", "brier", "brier_ci_low", "brier_ci_high", "shrunk_brier")
    for policy in ("", "first", "last", "mean"):
        rows = sql(ds, charts["leaderboard"]["query"], min_n="", policy=policy)
        assert [(r["author_id"], *(r[k] for k in fields)) for r in rows] == [
            (e["author"], *(e[k] for k in fields)) for e in cli("score", "--policy", policy or "time-weighted")]
    people = [r["author_id"] for r in sql(ds, charts["leaderboard"]["query"], min_n="4", policy="")
              if not r["crowd"]]
    assert people == ["bob", "ann"]
    rows = sql(ds, charts["adjusted"]["query"], min_n="")
    assert [(r["author_id"], r["brier"], r["brier_ci_low"], r["brier_ci_high"]) for r in rows] == [
        (e["author"], e["adjusted_brier"], e["adjusted_ci_low"], e["adjusted_ci_high"])
        for e in cli("score", "--adjusted")]
    rows = {r["horizon_bucket"]: r for r in sql(ds, charts["horizon"]["query"], min_n="")}
    expected = cli("score", "--by", "horizon")
    assert set(rows) == {e["horizon"] for e in expected}
    for e in expected:
        assert tuple(rows[e["horizon"]][k] for k in fields[:4]) == tuple(e[k] for k in fields[:4])
    horizon_order = charts["horizon"]["display"]["layer"][1]["encoding"]["x"]["sort"]
    assert [e["horizon"] for e in expected] == [b for b in horizon_order if b in rows]


def test_dashboards_load_vega_from_the_installed_plugin_not_a_cdn(ds):
    html = get(ds, "/-/dashboards/calibration").text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/-/static-plugins/") for s in scripts), scripts
    for script in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "dashboards.js"):
        assert get(ds, f"/-/static-plugins/datasette_dashboards/{script}").text
    get(ds, "/-/dashboards/calibration", author="ann")
    get(ds, "/-/dashboards/scores")


# ------------------------------------------------------------------------------ publishing

@pytest.fixture(scope="module")
def own_metadata(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("own") / "ours.yml"
    path.write_text(OWN_METADATA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def snapshot(ledger, own_metadata, tmp_path_factory):
    """A snapshot published with metadata of the publisher's own."""
    directory = tmp_path_factory.mktemp("publish") / "snapshot"
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(directory),
                                      "--metadata", str(own_metadata), "--json"])
    assert result.exit_code == 0, result.output
    return directory, json.loads(result.stdout)


@pytest.fixture(scope="module")
def bare_snapshot(ledger, tmp_path_factory):
    """A snapshot published as `tracker publish` does by default: no metadata file at all."""
    directory = tmp_path_factory.mktemp("publish-bare") / "snapshot"
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(directory), "--json"])
    assert result.exit_code == 0, result.output
    return directory, json.loads(result.stdout)


def test_publish_writes_an_immutable_snapshot(ledger, snapshot, own_metadata):
    directory, result = snapshot
    assert result["files"] == ["counts.json", "forecasts.db", "metadata.yml", "requirements.txt",
                               "settings.json", "snapshot.json", f"wheels/tracker-{__version__}-py3-none-any.whl"]
    for name in result["files"]:
        assert not (directory / name).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), name
    copy = sqlite3.connect(f"file:{directory / 'forecasts.db'}?mode=ro", uri=True)
    source = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        assert copy.execute("pragma journal_mode").fetchone()[0] == "delete"  # no WAL to lose beside it
        for table in ("forecasts", "outcomes", "author_scores", "calibration_bins"):
            assert copy.execute(f"select * from {table} order by 1").fetchall() == \
                source.execute(f"select * from {table} order by 1").fetchall()
    finally:
        copy.close()
        source.close()
    counts = json.loads((directory / "counts.json").read_text())
    assert counts["forecasts"]["file"] == "forecasts.db"
    assert counts["forecasts"]["tables"]["forecasts"]["count"] == result["database"]["tables"]["forecasts"] == 16
    assert (directory / "metadata.yml").read_text() == own_metadata.read_text()
    assert json.loads((directory / "settings.json").read_text()) == publish.SETTINGS
    assert publish.SETTINGS["sql_time_limit_ms"] == 3000 and publish.SETTINGS["max_returned_rows"] == 2000


def test_publish_pins_datasette_its_plugins_and_tracker(snapshot):
    directory, result = snapshot
    requirements = (directory / "requirements.txt").read_text().splitlines()
    assert requirements[:2] == ["datasette==0.65.5", "datasette-dashboards==0.8.0"]
    assert requirements[-1] == f"./wheels/tracker-{__version__}-py3-none-any.whl"
    assert result["pins"]["tracker"] == __version__
    with zipfile.ZipFile(directory / "wheels" / f"tracker-{__version__}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        assert {"tracker/site/plugin.py", "tracker/site/publish.py",
                "tracker/site/templates/row-forecasts-authors.html",
                "tracker/py.typed"} <= names
        # the schema a ledger is built from, and the site's metadata, travel with the code
        assert {"tracker/ledger/schema.sql", "tracker/ledger/audit.sql", "tracker/scores/schema.sql",
                "tracker/site/metadata.yml", "tracker/intake/scales/icd-203.yml"} <= names
        info = f"tracker-{__version__}.dist-info"
        assert "tracker = tracker.site.plugin" in wheel.read(f"{info}/entry_points.txt").decode()
        record = wheel.read(f"{info}/RECORD").decode().splitlines()
        assert len(record) == len(names) and all(n in wheel.read(f"{info}/RECORD").decode() for n in names)


def test_publish_prints_commands_that_serve_it_immutable_with_the_limits(snapshot):
    _, result = snapshot
    serve = result["commands"]["serve"]
    assert serve.startswith("datasette serve -i forecasts.db --inspect-file counts.json --metadata metadata.yml")
    assert "--setting sql_time_limit_ms 3000 --setting max_returned_rows 2000" in serve
    package = result["commands"]["publish"]
    assert package.startswith("datasette package forecasts.db --metadata metadata.yml")
    for pin in ("datasette==0.65.5", "datasette-dashboards==0.8.0", f"wheels/tracker-{__version__}-py3-none-any.whl"):
        assert f"--install {pin}" in package
    # The Dockerfile `datasette package` builds from these options serves it with -i and an inspect
    # file, installs the pins and the wheel (copied in through --static), and applies the settings.
    args = publish.commands("package", "x", result["pins"], f"tracker-{__version__}-py3-none-any.whl")["publish"]
    installs = [args[i + 1] for i, a in enumerate(args) if a == "--install"]
    extra = args[args.index("--extra-options") + 1]
    dockerfile = make_dockerfile(["forecasts.db"], "metadata.json", extra, None, None, None, [("wheels", "wheels")],
                                 installs, False, None, "secret")
    assert "COPY . /app" in dockerfile and dockerfile.index("COPY . /app") < dockerfile.index("RUN pip install")
    assert f"wheels/tracker-{__version__}-py3-none-any.whl" in dockerfile
    assert "-i forecasts.db --cors --inspect-file inspect-data.json" in dockerfile
    assert "--setting sql_time_limit_ms 3000 --setting max_returned_rows 2000" in dockerfile


@pytest.mark.parametrize(("target", "start", "name_option"), [
    ("cloudrun", "datasette publish cloudrun forecasts.db", "--service"),
    ("vercel", "datasette publish vercel forecasts.db", "--project"),
    ("fly", "datasette publish fly forecasts.db", "--app"),
])
def test_publish_targets(target, start, name_option):
    pins = publish.pins()
    command = publish.commands(target, "my-site", pins, "tracker.whl")["publish"]
    assert " ".join(command).startswith(start)
    assert command[command.index(name_option) + 1] == "my-site"
    assert "sql_time_limit_ms" in " ".join(command) and "--install" in command


def test_the_snapshot_serves_read_only_with_the_same_numbers(snapshot, cli):
    directory, _ = snapshot
    ds = Datasette(immutables=[str(directory / "forecasts.db")],
                   metadata=yaml.safe_load((directory / "metadata.yml").read_text()),
                   inspect_data=json.loads((directory / "counts.json").read_text()),
                   settings=json.loads((directory / "settings.json").read_text()))
    asyncio.run(ds.invoke_startup())
    assert get(ds, "/-/settings.json").json()["sql_time_limit_ms"] == 3000
    assert {d["name"]: d["is_mutable"] for d in get(ds, "/-/databases.json").json()} == {"forecasts": False}
    rows = query(ds, "leaderboard")
    assert [(r["author_id"], r["brier"]) for r in rows] == [(e["author"], e["brier"]) for e in cli("score")]
    assert asyncio.run(ds.client.get("/forecasts.json", params={"sql": "delete from forecasts"})).status_code == 400
    # the wheel's plugin guards the snapshot as it guards `tracker serve`: one heavy value is refused
    # at once, a POST gets 405, and /-/databases names no machine path
    heavy = asyncio.run(ds.client.get("/forecasts.json", params={"sql": "select length(hex(randomblob(100000000)))"}))
    assert heavy.status_code == 400 and heavy.json()["error"] == "string or blob too big"
    posted = asyncio.run(ds.client.post("/forecasts/leaderboard"))
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
    assert str(directory) not in get(ds, "/-/databases.json").text


def test_the_snapshot_serves_the_publishers_own_metadata_over_the_sites(snapshot):
    directory, _ = snapshot
    ds = Datasette(immutables=[str(directory / "forecasts.db")],
                   metadata=yaml.safe_load((directory / "metadata.yml").read_text()),
                   inspect_data=json.loads((directory / "counts.json").read_text()))
    asyncio.run(ds.invoke_startup())
    home = get(ds, "/").text
    assert "Our forecasts, scored" in home and "tracker: forecasts in published analysis" not in home
    assert ds.metadata("license") == "CC0" and ds.metadata("source").startswith("Published briefs")
    assert [q["name"] for q in get(ds, "/forecasts.json").json()["queries"]] == list(QUERIES)


def test_a_default_snapshot_holds_no_metadata_the_wheel_brings_it(bare_snapshot, cli):
    directory, result = bare_snapshot
    assert result["files"] == ["counts.json", "forecasts.db", "requirements.txt", "settings.json", "snapshot.json",
                               f"wheels/tracker-{__version__}-py3-none-any.whl"]
    for command in result["commands"].values():
        assert "--metadata" not in command
    assert result["commands"]["serve"].startswith("datasette serve -i forecasts.db --inspect-file counts.json "
                                                  "--setting sql_time_limit_ms 3000")
    assert result["commands"]["publish"].startswith("datasette package forecasts.db --install datasette==")
    with zipfile.ZipFile(directory / "wheels" / f"tracker-{__version__}-py3-none-any.whl") as wheel:
        assert wheel.read("tracker/site/metadata.yml").decode() == METADATA_PATH.read_text()
        assert "tracker/site/metadata.py" in wheel.namelist()
    # served as the printed command serves it, with only the plugin's metadata
    ds = Datasette(immutables=[str(directory / "forecasts.db")],
                   inspect_data=json.loads((directory / "counts.json").read_text()),
                   settings=json.loads((directory / "settings.json").read_text()))
    asyncio.run(ds.invoke_startup())
    rows = query(ds, "leaderboard")
    assert [(r["author_id"], r["brier"]) for r in rows] == [(e["author"], e["brier"]) for e in cli("score")]
    assert "tracker: forecasts in published analysis, scored" in get(ds, "/").text
    get(ds, "/-/dashboards/calibration")
    assert ds.plugin_config("datasette-dashboards") == DASHBOARDS


def test_publish_refuses_a_missing_metadata_file(ledger, tmp_path):
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(tmp_path / "s"),
                                      "--metadata", str(tmp_path / "none.yml")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'none.yml'}: no metadata file here\n"
    assert not (tmp_path / "s").exists()


def test_publish_run_runs_the_printed_command(ledger, tmp_path, monkeypatch):
    ran = []

    class Done:
        returncode = 0

    def fake_run(argv, **kwargs):
        if "inspect" in argv:
            return real_run(argv, **kwargs)
        ran.append((argv, kwargs.get("cwd")))
        return Done()

    real_run = publish.subprocess.run
    monkeypatch.setattr(publish.subprocess, "run", fake_run)
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(tmp_path / "s"), "--target",
                                      "cloudrun", "--name", "forecasts-site", "--run"])
    assert result.exit_code == 0, result.output
    (argv, cwd), = ran
    assert argv[1:5] == ["-m", "datasette", "publish", "cloudrun"] and cwd == tmp_path / "s"
    assert argv[argv.index("--service") + 1] == "forecasts-site"

    Done.returncode = 3
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(tmp_path / "s"), "--run"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: datasette package forecasts.db: failed with exit status 3 (needs Docker)"


def test_publish_replaces_only_a_snapshot(ledger, tmp_path, monkeypatch):
    runner = CliRunner()
    target = tmp_path / "snap"
    for _ in range(2):  # a second publish replaces the first
        result = runner.invoke(app, ["publish", "--db", str(ledger), "--dir", str(target)])
        assert result.exit_code == 0, result.output
    assert f"Snapshot in {target}" in result.stdout and "datasette package forecasts.db" in result.stdout
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["publish", "--db", str(ledger), "--dir", str(other)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {other}: exists and is not a tracker snapshot; choose another --dir\n"
    assert (other / "keep.txt").read_text() == "mine"
    result = runner.invoke(app, ["publish", "--db", str(ledger), "--dir", str(target), "--target", "heroku"])
    assert result.exit_code == 1
    assert result.stderr == "Error: --target 'heroku': choose one of package, cloudrun, vercel, fly\n"
    assert not (tmp_path / "snap.partial").exists()
    result = runner.invoke(app, ["publish", "--db", str(tmp_path / "missing.db"), "--dir", str(target)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    monkeypatch.chdir(target)
    result = runner.invoke(app, ["publish", "--db", str(ledger), "--dir", ".", "--metadata", str(METADATA_PATH)])
    assert result.exit_code == 1 and "holds the current directory" in result.stderr
    assert (target / "snapshot.json").exists()


def test_a_stale_adjusted_board_says_so_on_the_author_page_and_the_leaderboard(ledger, tmp_path, monkeypatch):
    from tracker.ledger.outcomes import resolve
    from tracker.scores import board
    from tracker.scores.derived import open_db

    path = tmp_path / "forecasts.db"  # a copy of the module's ledger, which the other tests read
    source, copy = sqlite3.connect(ledger), sqlite3.connect(path)
    source.backup(copy)
    source.close()
    copy.close()
    db = open_db(path)
    open_question = db.execute("""select f.question_id from forecasts f join forecast_authors fa
                                  on fa.forecast_id = f.id where fa.author_id = 'ann' and f.probability is not null
                                  and f.question_id not in (select question_id from current_outcomes)""").fetchone()
    assert open_question is not None
    monkeypatch.setattr(board, "REFIT_LIMIT", 0)  # as on a ledger of more than 5,000 scored pairs
    resolve(db, open_question[0], "yes")
    fitted_at = db.execute("select fitted_at from board_fits where board = 'adjusted'").fetchone()[0]
    db.conn.close()
    datasette = Datasette([str(path)])
    asyncio.run(datasette.invoke_startup())
    html = get(datasette, "/forecasts/authors/ann").text
    assert f"Fitted {fitted_at}: 1 outcome change since then is not in it yet" in html
    rows = query(datasette, "leaderboard", board="adjusted")
    assert rows and all(r["board"] == f"difficulty-adjusted, all topics; fitted {fitted_at}, "
                        "1 outcome change(s) since not in it" for r in rows)


def test_leaderboard_links_people_to_their_pages_and_the_crowd_to_none(ds):
    html = get(ds, "/forecasts/leaderboard?min_n=1").text
    assert 'href="/forecasts/authors/ann"' in html
    assert "/forecasts/authors/crowd" not in html and "crowd:median" in html
