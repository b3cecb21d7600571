"""Datasette over a real ledger: tracker/site/metadata.yml and tracker.site.plugin.

The ledger is built the way `tracker import` builds it, from a small record file written below, and
served by a plain Datasette, no metadata given: the installed plugin (loaded through its entry
point, exactly as `datasette serve` loads it) supplies the site's metadata through its
get_metadata hook. pytest-asyncio is not a dependency, so each request runs in `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette
from datasette.plugins import pm

from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db
from tracker.site import plugin as datasette_plugin
from tracker.site.plugin import decimals, percent, reading

METADATA_PATH = Path(__file__).resolve().parent.parent / "tracker" / "site" / "metadata.yml"

RECORD = """\
document:
  id: dgap-2019-test-hanoi
  title: "Gipfeltreffen in Hanoi: ein Test"
  publisher: Deutsche Gesellschaft für Auswärtige Politik (DGAP)
  series: DGAP kompakt
  published_on: 2019-02-26
  language: de
  url: https://example.org/dgap/hanoi
  authors: [anna-autorin, bert-berater]
authors:
  - id: anna-autorin
    name: Anna Autorin
    affiliation: DGAP
  - id: bert-berater
    name: Bert Berater
questions:
  - id: hanoi-test-agreement
    title: Will the US and North Korea reach an agreement at the Hanoi summit?
    criteria: Resolves yes if both sides sign or jointly announce an agreement; no otherwise.
    resolve_by: 2019-02-28
    topics: [korea, us-north-korea-summit]
  - id: hanoi-test-end-of-war
    title: Will an end-of-war declaration be signed at the Hanoi summit?
    resolve_by: 2019-02-28
    topics: [korea, peace-process]
  - id: hanoi-test-talks-2030
    title: Will the two sides hold talks on a peace treaty before 2030?
    resolve_by: 2030-01-01
    topics: [korea]
forecasts:
  - id: test-hanoi-01
    question: hanoi-test-agreement
    probability: 0.6
    interval: [0.5, 0.75]
    method: analyst
    phrase: durchaus möglich
    quote: Eine Einigung ist durchaus möglich.
    location: Lead paragraph
    reasoning: House reading of "durchaus möglich".
    coded_by: test coder
  - id: test-hanoi-02
    question: hanoi-test-end-of-war
    probability: 0.15
    interval: [0.05, 0.3]
    method: scale
    scale: house-de
    scale_version: "1"
    phrase: "<script>alert('kaum')</script>"
  - id: test-hanoi-03
    question: hanoi-test-agreement
    authors: [bert-berater]
    probability: 0.8
    method: stated
    phrase: 80 Prozent
  - id: test-hanoi-04
    question: hanoi-test-talks-2030
    probability: 0.3
    method: analyst
    phrase: eher nicht
outcomes:
  - question: hanoi-test-agreement
    outcome: "no"
    resolved_on: 2019-02-28
    recorded_by: tester
    evidence:
      - url: https://example.org/news/summit-cut-short
        summary: The summit ended early without an agreement.
      - url: https://example.org/news/no-signing
        summary: The signing ceremony was cancelled.
  - question: hanoi-test-end-of-war
    outcome: "yes"
    resolved_on: 2019-02-28
    recorded_by: tester
    evidence:
      - url: https://example.org/news/early-report
        summary: An early report of a declaration.
  - question: hanoi-test-end-of-war
    action: correct
    outcome: "no"
    resolved_on: 2019-02-28
    recorded_by: tester
    note: The early report was wrong; nothing was signed.
    evidence:
      - url: https://example.org/news/correction
        summary: No declaration was signed.
"""

FORECAST_COUNT = 4


def load_metadata() -> dict:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """A ledger file built through the project's own import, as `tracker import` builds it."""
    directory = tmp_path_factory.mktemp("ledger")
    record = directory / "dgap-2019-test-hanoi.yml"
    record.write_text(RECORD, encoding="utf-8")
    path = directory / "forecasts.db"  # the file name makes the database `forecasts`
    db = open_db(path)
    import_records(db, [load_record(record)])
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def ds(ledger) -> Datasette:
    datasette = Datasette([str(ledger)])  # no metadata: the plugin brings it
    asyncio.run(datasette.invoke_startup())
    return datasette


def get(ds: Datasette, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def post(ds: Datasette, path: str, **kwargs):
    return asyncio.run(ds.client.post(path, **kwargs))


def relations(path: Path) -> dict[str, list[str]]:
    """Every table and view of a database file → its columns."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') order by name")]
        return {n: [r[1] for r in conn.execute(f"pragma table_info([{n}])")] for n in names}
    finally:
        conn.close()


def row_count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"select count(*) from [{table}]").fetchone()[0]
    finally:
        conn.close()


# ------------------------------------------------------------------------------ formatting, unit

@pytest.mark.parametrize(("x", "text"), [
    (0.393, "0.393"), (-0.5709, "-0.571"), (0.0, "0.000"), (0.000194805, "0.00019"), (-100.0, "-100.000"),
])
def test_decimals(x, text):
    assert decimals(x) == text


@pytest.mark.parametrize(("p", "text"), [
    (0.6, "60 %"), (0.125, "12.5 %"), (0.07, "7 %"), (0.3, "30 %"), (0, "0 %"), (1, "100 %"),
    (1 / 3, "33.33 %"), (0.99999, "99.999 %"), (0.00001, "0.001 %"), (0.0005, "0.05 %"),
])
def test_percent_has_no_needless_decimals(p, text):
    assert percent(p) == text


def test_reading_joins_number_words_and_method():
    assert reading(0.6, "durchaus möglich", "analyst") == "60 % · durchaus möglich (analyst)"
    assert reading(0.8, None, "stated") == "80 % (stated)"
    assert reading(0.125, "kaum", "scale", "house-de") == "12.5 % · kaum (scale: house-de)"
    assert reading(0.5, None, None) == "50 %"


def test_reading_escapes_the_phrase():
    html = reading(0.1, "<b>kaum</b> & co", "analyst")
    assert html == "10 % · &lt;b&gt;kaum&lt;/b&gt; &amp; co (analyst)"
    assert hasattr(html, "__html__")  # Markup, so Jinja does not escape it twice


@pytest.mark.parametrize(("table", "column", "value", "html"), [
    ("forecast_scores", "brier", 0.36, "0.360 (0..1)"),
    ("forecast_scores", "brier_gj", 0.72, "0.720 (0..2)"),
    ("forecast_scores", "log_score_bits", 1.0, "1.000 bits"),
    ("author_scores", "brier_ci_low", -0.0438, "-0.044 (0..1)"),
    ("author_scores", "log_score", 0.693147, "0.693 nats"),
    ("author_scores", "base_rate", 0.25, "25 %"),
    ("calibration_bins", "observed", 0.5, "50 %"),
    ("forecast_ledger", "interval_high", 0.85, "85 %"),
    ("author_scores", "spherical", 0.31622776601683794, "0.316"),
    ("calibration_summary", "within_bin_variance", 0.000194805, "0.00019"),
    ("author_scores", "n", 11, None),  # counts stay as they are
    ("forecasts", "quote_offset", 102, None),  # only the columns named are touched
    ("authors", "brier", 0.36, None),  # nor a score column name outside the score tables
    ("questions", "note", 0.5, None),
    ("forecast_scores", "brier", None, None),  # empty stays empty
    (None, "brier", 0.36, None),  # arbitrary SQL results are left alone
])
def test_render_cell_formats_numbers_by_table_and_column(table, column, value, html):
    rendered = datasette_plugin.render_cell(value=value, column=column, table=table,
                                            database="forecasts", datasette=None, row={})
    assert rendered == html


# ------------------------------------------------------------------------------ pages

def test_plugin_is_loaded_and_only_renders(ds):
    plugins = {p["name"]: p for p in get(ds, "/-/plugins.json").json()}
    assert "tracker" in plugins, "the `datasette` entry point of the tracker package is not picked up"
    # Nothing that adds writes, actions or SQL functions: cell rendering, templates, the read-only
    # variables of the row pages, the site's metadata, and the guard (tracker.site.guard): limits
    # on each ledger connection, 405 for other methods than GET/HEAD, /-/databases without paths.
    hooks = {"render_cell", "prepare_jinja2_environment", "extra_template_vars", "get_metadata",
             "prepare_connection", "asgi_wrapper", "register_routes"}
    assert set(plugins["tracker"]["hooks"]) == hooks
    assert not hooks & {"canned_queries", "actor_from_request", "permission_allowed", "register_commands",
                        "startup", "write_wrapper"}
    assert {h.name for h in pm.get_hookcallers(datasette_plugin)} == hooks


def test_home_page_shows_title_description_license_and_source(ds):
    response = get(ds, "/")
    assert response.status_code == 200
    html = response.text
    assert "tracker: forecasts in published analysis, scored" in html
    assert "Brier score" in html and "0..1" in html and "0..2" in html
    assert "append-only" in html
    assert "CC BY 4.0" in html
    assert "Published briefs" in html
    assert "stay with their publishers" in html


def test_metadata_names_no_machine_paths():
    text = METADATA_PATH.read_text(encoding="utf-8")
    for fragment in ("/work/", "/home/", "/tmp/", "file:"):
        assert fragment not in text
    metadata = load_metadata()
    assert metadata["source"].startswith("Published briefs")
    assert metadata["license"] == "CC BY 4.0"


def test_database_page_describes_the_ledger_and_hides_migrations(ds):
    response = get(ds, "/forecasts")
    assert response.status_code == 200
    assert "Brier on the 0..1 scale" in response.text
    assert "forecast_ledger" in response.text
    assert "_sqlite_migrations" not in response.text
    tables = {t["name"]: t for t in get(ds, "/forecasts.json").json()["tables"]}
    assert tables["_sqlite_migrations"]["hidden"] is True
    # Datasette hides full-text index tables by itself; the audit logs are read through change_log
    assert all(tables[name]["hidden"] for name in tables if name.startswith("_history_json"))
    # score_sums holds exact sums in a packed form that only tracker reads; what they give is shown
    assert not any(t["hidden"] for name, t in tables.items()
                   if name not in ("_sqlite_migrations", "score_sums") and "_fts" not in name
                   and not name.startswith("_history_json"))


def test_every_table_and_view_page_answers(ds, ledger):
    names = relations(ledger)
    assert {"forecasts", "forecast_ledger", "outcome_history", "current_outcomes"} <= set(names)
    failures = {}
    for name in names:
        for path in (f"/forecasts/{name}", f"/forecasts/{name}.json"):
            response = get(ds, path)
            if response.status_code != 200:
                failures[path] = response.status_code
    assert failures == {}


def test_row_pages_answer(ds):
    for path in ("/forecasts/forecasts/test-hanoi-01", "/forecasts/questions/hanoi-test-agreement",
                 "/forecasts/authors/anna-autorin", "/forecasts/documents/dgap-2019-test-hanoi",
                 "/forecasts/outcomes/1", "/forecasts/forecast_scores/test-hanoi-01",
                 "/forecasts/author_scores/anna-autorin", "/forecasts/topic_scores/korea"):
        assert get(ds, path).status_code == 200, path


def test_a_row_path_with_a_stray_comma_still_answers(ds):
    # Datasette splits a row's path at commas and, for a one-column key, looks up the first part
    # alone: these pages show the row, and the plugin reads the key the same way, so its
    # sections show that row's question, forecasts and scores too
    # (the forecast's probability in words is Datasette's own cell; "Read as" is the plugin's section)
    for path, shown in (("/forecasts/forecasts/test-hanoi-01,x",
                         ("60 % · durchaus möglich (analyst)", "Read as <strong>60 %</strong>")),
                        ("/forecasts/authors/anna-autorin,x", ("test-hanoi-01",)),
                        ("/forecasts/documents/dgap-2019-test-hanoi,x", ("test-hanoi-01",))):
        response = get(ds, path)
        assert response.status_code == 200, path
        for text in shown:
            assert text in response.text, (path, text)


def test_row_pages_share_one_style_for_headings_and_notes(ds):
    # the three row templates extend _tracker_row.html, which holds the rules they share, once
    for path, section in (("/forecasts/forecasts/test-hanoi-01", "tracker-reading"),
                          ("/forecasts/authors/anna-autorin", "tracker-author"),
                          ("/forecasts/documents/dgap-2019-test-hanoi", "tracker-doc")):
        html = get(ds, path).text
        assert f'<section class="tracker-row {section}">' in html, path
        assert html.count(".tracker-row h2 { font-size: 1.2em; margin-top: 1.4em; }") == 1, path
        assert html.count(".tracker-row .by, .tracker-row .where { color: #555; font-size: 0.9em; }") == 1, path


def test_forecast_row_page_reads_the_words_as_a_number(ds):
    response = get(ds, "/forecasts/forecasts/test-hanoi-01")
    assert response.status_code == 200
    html = response.text
    assert "60 % · durchaus möglich (analyst)" in html
    assert ">50 %<" in html and ">75 %<" in html  # the interval cells
    # The row template: the passage, the reading in words, and where outcome and score are.
    assert '<blockquote lang="de">' in html and "Eine Einigung ist durchaus möglich." in html
    assert ("Read as <strong>60 %</strong> that the question resolves yes, from the words "
            "“durchaus möglich”, by an analyst's judgement (test coder); plausible range 50 % to 75 %."
            ) in html
    # the question it became, what happened with the evidence, and the score, on the same page
    assert "Will the US and North Korea reach an agreement at the Hanoi summit?" in html
    assert "Outcome: <strong>no</strong>" in html
    assert "https://example.org/news/summit-cut-short" in html
    assert "Brier score <strong>0.360</strong> on the 0..1 scale" in html


def test_forecast_row_page_shows_the_outcome_history(ds):
    html = get(ds, "/forecasts/forecasts/test-hanoi-02").text
    assert "nothing is ever overwritten" in html
    assert html.index("resolve: yes") < html.index("correct: no")
    assert "<strong>in force</strong>" in html
    assert "https://example.org/news/early-report" in html  # earlier evidence stays reachable


def test_scale_forecast_names_its_scale_and_escapes_the_phrase(ds):
    html = get(ds, "/forecasts/forecasts/test-hanoi-02").text
    assert "15 % · &lt;script&gt;alert(&#39;kaum&#39;)&lt;/script&gt; (scale: house-de)" in html
    assert "by the scale house-de version 1" in html
    assert "<script>alert(" not in html


def test_ledger_and_scoreboards_show_percentages_and_the_brier_scale(ds):
    html = get(ds, "/forecasts/forecast_ledger").text
    assert "60 % · durchaus möglich (analyst)" in html
    assert "80 % · 80 Prozent (stated)" in html
    assert "0.360 (0..1)" in html  # (0.6 - 0)²
    # The end-of-war question was resolved yes, then corrected to no: the correction is in force,
    # so (0.15 - 0)² = 0.0225, not (0.15 - 1)² = 0.7225.
    assert "0.022 (0..1)" in html and "0.722" not in html
    html = get(ds, "/forecasts/forecast_scores").text
    assert "0.916 nats" in html  # -ln(0.4)
    html = get(ds, "/forecasts/author_scores").text
    assert "(0..1)" in html
    for table in ("document_scores", "question_scores", "topic_scores"):
        assert "(0..1)" in get(ds, f"/forecasts/{table}").text, table


def test_json_and_csv_keep_the_raw_numbers(ds):
    response = get(ds, "/forecasts/forecasts.json?_shape=array")
    assert response.status_code == 200
    rows = {r["id"]: r for r in response.json()}
    assert rows["test-hanoi-01"]["probability"] == 0.6
    assert isinstance(rows["test-hanoi-01"]["probability"], float)
    assert rows["test-hanoi-01"]["interval_low"] == 0.5
    assert rows["test-hanoi-02"]["phrase"] == "<script>alert('kaum')</script>"
    ledger = {r["id"]: r for r in get(ds, "/forecasts/forecast_ledger.json?_shape=array").json()}
    assert ledger["test-hanoi-01"]["brier"] == pytest.approx(0.36)
    assert ledger["test-hanoi-04"]["brier"] is None  # unresolved
    scores = get(ds, "/forecasts/author_scores.json?_shape=array").json()
    assert all(isinstance(r["brier"], float) for r in scores)
    text = get(ds, "/forecasts/forecasts.csv").text
    assert "%" not in text and "(0..1)" not in text
    by_id = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert by_id["test-hanoi-01"]["probability"] == "0.6"


def test_label_columns_show_names_for_foreign_keys(ds):
    html = get(ds, "/forecasts/forecasts").text
    assert ('<a href="/forecasts/questions/hanoi-test-agreement">'
            "Will the US and North Korea reach an agreement at the Hanoi summit?</a>") in html
    assert ('<a href="/forecasts/documents/dgap-2019-test-hanoi">'
            "Gipfeltreffen in Hanoi: ein Test</a>") in html
    html = get(ds, "/forecasts/forecast_authors").text
    assert '<a href="/forecasts/authors/bert-berater">Bert Berater</a>' in html
    rows = get(ds, "/forecasts/forecasts.json?_shape=array&_labels=on").json()
    first = next(r for r in rows if r["id"] == "test-hanoi-01")
    assert first["question_id"] == {
        "value": "hanoi-test-agreement",
        "label": "Will the US and North Korea reach an agreement at the Hanoi summit?"}


def test_facets_configured_in_metadata_are_shown(ds):
    data = get(ds, "/forecasts/questions.json").json()
    topics = {r["value"]: r["count"] for r in data["facet_results"]["topics"]["results"]}
    assert topics["korea"] == 3 and topics["peace-process"] == 1
    data = get(ds, "/forecasts/forecasts.json").json()
    assert set(data["facet_results"]) == {"method", "document_id", "question_id"}
    data = get(ds, "/forecasts/outcomes.json").json()
    assert {r["value"] for r in data["facet_results"]["action"]["results"]} == {"resolve", "correct"}


# ------------------------------------------------------------------------------ metadata drift

def test_every_table_view_and_column_is_described(tmp_path):
    """A freshly migrated database against tracker/site/metadata.yml, both ways, so neither can drift."""
    db = open_db(tmp_path / "fresh.db")
    db.conn.close()
    schema = relations(tmp_path / "fresh.db")
    tables = load_metadata()["databases"]["forecasts"]["tables"]
    missing = []
    for name, columns in schema.items():
        meta = tables.get(name)
        if meta is None:
            missing.append(f"{name}: not in metadata.yml")
            continue
        if meta.get("hidden"):
            continue
        if not (meta.get("description") or meta.get("description_html")):
            missing.append(f"{name}: no description")
        described = meta.get("columns") or {}
        missing += [f"{name}.{c}: no description" for c in columns if not described.get(c)]
    assert missing == []
    stale = []
    for name, meta in tables.items():
        if name not in schema:
            stale.append(f"{name}: no such table or view")
            continue
        columns = set(schema[name])
        stale += [f"{name}.{c}: no such column" for c in meta.get("columns") or {} if c not in columns]
        for key in ("sort", "sort_desc", "label_column"):
            if key in meta and meta[key] not in columns:
                stale.append(f"{name} {key}: no column {meta[key]}")
        for facet in meta.get("facets") or []:
            column = facet if isinstance(facet, str) else next(iter(facet.values()))
            if column not in columns:
                stale.append(f"{name} facet: no column {column}")
    assert stale == []


def test_brier_descriptions_name_the_scale():
    """Every Brier column says its scale: 0..1, or 0..2 for the Good Judgment form brier_gj."""
    tables = load_metadata()["databases"]["forecasts"]["tables"]
    brier_columns = [(t, c, d) for t, meta in tables.items()
                     for c, d in (meta.get("columns") or {}).items() if "brier" in c]
    assert len(brier_columns) >= 1 + 1 + 4 * 3  # forecast_scores, forecast_ledger, 4 scoreboards
    on_0_2 = ("brier_gj", "mc_brier", "brier_multi")  # the two-category and multi-category forms
    wrong = [f"{t}.{c}" for t, c, d in brier_columns
             if ("0..2" if c.startswith(on_0_2) else "0..1") not in d]
    assert wrong == []


def test_label_columns_are_set():
    tables = load_metadata()["databases"]["forecasts"]["tables"]
    assert tables["authors"]["label_column"] == "name"
    assert tables["documents"]["label_column"] == "title"
    assert tables["questions"]["label_column"] == "title"
    assert tables["questions"]["facets"] == [{"array": "topics"}]


# ------------------------------------------------------------------------------ nothing writes

def test_write_routes_are_refused(ds, ledger):
    before = {t: row_count(ledger, t) for t in ("forecasts", "outcomes", "questions")}
    assert before["forecasts"] == FORECAST_COUNT
    for path, kwargs in [
        ("/forecasts/forecasts/-/insert", {"json": {"row": {"id": "x", "probability": 0.5}}}),
        ("/forecasts/forecasts/test-hanoi-01/-/delete", {}),
        ("/forecasts/forecasts/test-hanoi-01/-/update", {"json": {"update": {"probability": 0.1}}}),
        ("/forecasts/outcomes/-/insert", {"json": {"row": {"question_id": "x"}}}),
        ("/forecasts/-/create", {"json": {"table": "x", "rows": [{"a": 1}]}}),
        ("/forecasts/forecasts/-/drop", {}),
    ]:
        assert post(ds, path, **kwargs).status_code in (404, 405), path
    # POST to a database or table page runs only canned queries, and none of those writes.
    assert post(ds, "/forecasts", data={"sql": "delete from forecasts"}).status_code == 405
    assert post(ds, "/forecasts/forecasts", json={"id": "x"}).status_code >= 400
    queries = load_metadata()["databases"]["forecasts"]["queries"]
    assert queries and not any(q.get("write") for q in queries.values())
    assert all(q["sql"].lstrip().lower().startswith(("select", "with")) for q in queries.values())
    for name in queries:
        post(ds, f"/forecasts/{name}", data={"sql": "delete from forecasts"})
    assert {t: row_count(ledger, t) for t in before} == before


@pytest.mark.parametrize("sql", [
    "delete from forecasts",
    "update forecasts set probability = 0.01",
    "select 1; delete from forecasts",
    "pragma writable_schema = 1",
    "attach database 'other.db' as other",
    # Passes Datasette's "must be a SELECT" check (it starts with WITH), so it reaches SQLite,
    # where the read-only connection refuses it.
    "with x as (select 1) delete from forecasts",
])
def test_arbitrary_sql_cannot_write(ds, ledger, sql):
    response = get(ds, "/forecasts.json", params={"sql": sql})
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert row_count(ledger, "forecasts") == FORECAST_COUNT
    rows = get(ds, "/forecasts/forecasts.json?_shape=array").json()
    assert len(rows) == FORECAST_COUNT
    assert {r["id"]: r["probability"] for r in rows}["test-hanoi-01"] == 0.6


def test_readonly_connection_is_what_refuses_a_disguised_write(ds):
    response = get(ds, "/forecasts.json", params={"sql": "with x as (select 1) delete from forecasts"})
    assert "readonly" in response.json()["error"]


def test_unknown_route_answers_404(ds):
    # Datasette 0.65.5 with rich installed would answer 500 here; the plugin switches that off.
    assert get(ds, "/no/such/page").status_code == 404
    assert get(ds, "/forecasts/forecasts/-/insert").status_code == 404
    # a write to a ledger is no route at all: the guard answers 405 before any route is looked for
    assert post(ds, "/forecasts/forecasts/-/insert", json={}).status_code == 405


# ------------------------------------------------------------------------------ the shipped metadata

def serve(*paths: Path, **kwargs) -> Datasette:
    datasette = Datasette([str(p) for p in paths], **kwargs)
    asyncio.run(datasette.invoke_startup())
    return datasette


def plain_sqlite(path: Path) -> Path:
    """A SQLite file that is no ledger, though it has a `forecasts` table (and even a migrations table)."""
    conn = sqlite3.connect(path)
    conn.execute("create table forecasts (id text primary key, probability real)")
    conn.execute("insert into forecasts values ('x', 0.6)")
    conn.execute("create table _sqlite_migrations (migration_set text, name text)")
    conn.execute("insert into _sqlite_migrations values ('someone-else', '001')")
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def renamed(ledger, tmp_path_factory) -> Datasette:
    """The ledger as `ledger.db`, served beside a plain SQLite file, with no metadata given."""
    directory = tmp_path_factory.mktemp("renamed")
    copy = directory / "ledger.db"
    source, target = sqlite3.connect(ledger), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return serve(copy, plain_sqlite(directory / "plain.db"))


def test_plain_datasette_serves_the_canned_queries_and_the_dashboards(ledger):
    ds = serve(ledger)  # as `datasette db/forecasts.db`: no --metadata
    queries = load_metadata()["databases"]["forecasts"]["queries"]
    assert [q["name"] for q in get(ds, "/forecasts.json").json()["queries"]] == list(queries)
    response = get(ds, "/forecasts/leaderboard.json", params={"_shape": "array", "min_n": "1"})
    assert response.status_code == 200
    conn = sqlite3.connect(ledger)
    scored = {r[0] for r in conn.execute("select forecaster from policy_scores where policy = 'time-weighted'")}
    conn.close()
    assert scored and {r["author_id"] for r in response.json()} == scored
    page = get(ds, "/forecasts/leaderboard")
    assert page.status_code == 200 and "Leaderboard: who forecasts best?" in page.text
    dashboards = get(ds, "/-/dashboards")
    assert dashboards.status_code == 200
    assert "/-/dashboards/calibration" in dashboards.text and "/-/dashboards/scores" in dashboards.text
    assert get(ds, "/-/dashboards/calibration").status_code == 200
    assert ds.plugin_config("datasette-dashboards")["scores"]["charts"]["leaderboard"]["db"] == "forecasts"
    home = get(ds, "/").text
    assert "tracker: forecasts in published analysis, scored" in home and 'href="/forecasts/leaderboard"' in home
    # the table metadata too: descriptions, label columns, hidden tables
    assert ds.table_metadata("forecasts", "authors")["label_column"] == "name"
    assert "Scoreboard per author" in get(ds, "/forecasts/author_scores").text
    assert "_sqlite_migrations" not in [t["name"] for t in get(ds, "/forecasts.json").json()["tables"]
                                         if not t["hidden"]]


def test_a_ledger_of_any_name_serves_the_same_queries_and_charts(ds, renamed):
    queries = load_metadata()["databases"]["forecasts"]["queries"]
    assert [q["name"] for q in get(renamed, "/ledger.json").json()["queries"]] == list(queries)
    for name in ("leaderboard", "calibration"):
        ours = get(renamed, f"/ledger/{name}.json", params={"_shape": "array"})
        assert ours.status_code == 200
        assert ours.json() == get(ds, f"/forecasts/{name}.json", params={"_shape": "array"}).json()
    # the query page as the ledger named `forecasts` draws it (query-forecasts-leaderboard.html):
    # score cells with their scale
    page = get(renamed, "/ledger/leaderboard?min_n=1").text
    assert "Leaderboard: who forecasts best?" in page
    assert "(0..1)" in page and page.count("(0..1)") == get(ds, "/forecasts/leaderboard?min_n=1").text.count("(0..1)")
    # the row pages' own sections (row-forecasts-forecasts.html and its variables)
    row = get(renamed, "/ledger/forecasts/test-hanoi-01").text
    assert "tracker-row" in row
    assert row.count("tracker-row") == get(ds, "/forecasts/forecasts/test-hanoi-01").text.count("tracker-row")
    # descriptions of tables and columns
    assert get(renamed, "/ledger/forecast_ledger").text.count("Brier") >= 1
    assert renamed.table_metadata("ledger", "authors")["label_column"] == "name"
    # the dashboards query the ledger under its own name, and the links go there
    config = renamed.plugin_config("datasette-dashboards")
    dbs = {c["db"] for d in config.values() for c in [*d["charts"].values(), *d.get("filters", {}).values()]
           if "db" in c}
    assert dbs == {"ledger"}
    assert get(renamed, "/-/dashboards/calibration").status_code == 200
    chart = config["scores"]["charts"]["leaderboard"]
    data = get(renamed, "/ledger.json", params={"sql": chart["query"], "min_n": "1", "policy": "", "_shape": "array"})
    assert data.status_code == 200 and data.json()
    home = get(renamed, "/").text
    assert 'href="/ledger/leaderboard"' in home and 'href="/forecasts/' not in home
    assert renamed.metadata("source_url") == "/ledger/documents"
    assert 'href="/ledger/head_to_head"' in get(renamed, "/ledger").text


def test_a_plain_sqlite_file_beside_the_ledger_gets_none_of_it(renamed):
    assert get(renamed, "/plain.json").json()["queries"] == []
    assert get(renamed, "/plain/leaderboard").status_code == 404
    assert "plain" not in get(renamed, "/-/metadata.json").json()["databases"]
    assert renamed.metadata("queries", database="plain", fallback=False) is None
    assert renamed.table_metadata("plain", "forecasts") == {}
    row = get(renamed, "/plain/forecasts/x")
    assert row.status_code == 200 and "tracker-row" not in row.text  # Datasette's own row page


def test_a_plain_sqlite_file_alone_gets_no_tracker_metadata(tmp_path):
    ds = serve(plain_sqlite(tmp_path / "forecasts.db"))  # even under the ledger's usual name
    assert get(ds, "/-/metadata.json").json() == {}
    assert get(ds, "/forecasts.json").json()["queries"] == []
    assert ds.plugin_config("datasette-dashboards") is None
    assert "tracker: forecasts" not in get(ds, "/").text
    assert "tracker-row" not in get(ds, "/forecasts/forecasts/x").text


def test_the_users_own_metadata_still_applies_and_wins(ledger):
    own = {"title": "Our own forecasts", "license": "CC0",
           "databases": {"forecasts": {"description": "Kept by us.",
                                       "queries": {"mine": "select count(*) as n from forecasts",
                                                   "leaderboard": {"sql": "select 1 as replaced",
                                                                   "title": "Ours instead"}}}},
           "plugins": {"datasette-dashboards": {"scores": {"title": "Our scores"}}}}
    ds = serve(ledger, metadata=own)
    home = get(ds, "/").text
    assert "Our own forecasts" in home and "tracker: forecasts in published analysis, scored" not in home
    assert ds.metadata("license") == "CC0" and ds.metadata("source").startswith("Published briefs")
    names = [q["name"] for q in get(ds, "/forecasts.json").json()["queries"]]
    assert "mine" in names and "head_to_head" in names
    assert get(ds, "/forecasts/mine.json", params={"_shape": "array"}).json() == [{"n": FORECAST_COUNT}]
    assert get(ds, "/forecasts/leaderboard.json", params={"_shape": "array"}).json() == [{"replaced": 1}]
    assert ds.metadata("description", database="forecasts") == "Kept by us."
    scores = ds.plugin_config("datasette-dashboards")["scores"]
    assert scores["title"] == "Our scores" and "leaderboard" in scores["charts"]  # merged, not replaced
    # what Datasette merged the user's metadata into is a copy: another instance sees the shipped one
    assert serve(ledger).plugin_config("datasette-dashboards")["scores"]["title"].startswith("Scores:")


def test_canned_queries_handed_out_are_copies(ds):
    """Datasette adds other plugins' queries (which may depend on the actor) to the dict it gets."""
    queries = ds.metadata("queries", database="forecasts", fallback=False)
    queries["leaderboard"]["sql"] = "select 'changed'"
    queries["leaderboard"]["name"] = "changed"
    queries["extra"] = {"sql": "select 2"}
    again = ds.metadata("queries", database="forecasts", fallback=False)
    assert again["leaderboard"]["sql"] == load_metadata()["databases"]["forecasts"]["queries"]["leaderboard"]["sql"]
    assert "extra" not in again and "name" not in again["leaderboard"]
    assert "extra" not in ds.metadata("databases")["forecasts"]["queries"]


def test_the_users_metadata_is_merged_over_copies_not_into_the_shipped(ledger):
    from tracker.site import metadata as site_metadata

    own = {"title": "Ours", "databases": {"forecasts": {"tables": {"authors": {"label_column": "id"}},
                                                        "queries": {"mine": "select 1"}}},
           "plugins": {"datasette-dashboards": {"scores": {"title": "Our scores"}}}}
    ds = serve(ledger, metadata=own)
    for path in ("/", "/forecasts", "/forecasts/authors", "/-/dashboards", "/-/metadata.json"):
        get(ds, path)
    assert ds.table_metadata("forecasts", "authors")["label_column"] == "id"
    assert ds.plugin_config("datasette-dashboards")["scores"]["title"] == "Our scores"
    kept = site_metadata.site_metadata(ds)  # what the hook answers from, for this instance
    assert kept["title"] == load_metadata()["title"]
    assert kept["plugins"]["datasette-dashboards"]["scores"]["title"].startswith("Scores:")
    assert kept["databases"]["forecasts"]["tables"]["authors"]["label_column"] == "name"
    assert "mine" not in kept["databases"]["forecasts"]["queries"]


@pytest.mark.parametrize(("key", "database", "table"), [
    (None, None, None), (None, "forecasts", None), (None, "forecasts", "authors"), ("databases", None, None),
    ("queries", "forecasts", None), ("tables", "forecasts", None), ("title", None, None),
    ("title", "forecasts", None), ("description_html", "forecasts", None), ("label_column", "forecasts", "authors"),
    ("facets", "forecasts", "questions"), ("hidden", "forecasts", "_sqlite_migrations"), ("plugins", None, None),
    ("plugins", "forecasts", "authors"), ("source", "forecasts", "documents"), ("allow", "forecasts", None),
    ("sort_desc", "forecasts", "nothing"), ("queries", "elsewhere", None),
])
def test_the_hook_answers_only_what_is_asked_and_the_same_as_the_whole(ds, monkeypatch, key, database, table):
    from tracker.site import metadata as site_metadata

    pruned = ds.metadata(key, database=database, table=table)
    monkeypatch.setattr(site_metadata, "relevant", lambda site, *args: site)
    assert pruned == ds.metadata(key, database=database, table=table)
    assert ds.metadata(key, database=database, table=table, fallback=False) == \
        (monkeypatch.undo() or ds.metadata(key, database=database, table=table, fallback=False))


def test_a_database_is_read_once_to_know_whether_it_is_a_ledger(ledger, monkeypatch):
    from tracker.site import metadata as site_metadata

    reads = []
    real = site_metadata._read_is_ledger
    monkeypatch.setattr(site_metadata, "_read_is_ledger", lambda db: reads.append(db.name) or real(db))
    ds = serve(ledger)
    for _ in range(3):
        get(ds, "/forecasts/leaderboard")
    assert reads == ["forecasts"]
    assert site_metadata.is_ledger(ds, "forecasts") and not site_metadata.is_ledger(ds, "missing")
