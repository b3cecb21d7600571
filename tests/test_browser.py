"""The readers' site in a real headless Chromium: what a person sees, and that the charts really draw.

The ledger (tests/readers_data.py) is published with `tracker publish` and the snapshot is served
exactly as the printed command serves it (`datasette serve -i … --inspect-file … --setting …`), by a
real Datasette process on 127.0.0.1 and a free port. Playwright drives Debian's chromium package
(/usr/bin/chromium, installed by .ci/run); no browser is ever downloaded (`playwright install` is
never run). Screenshots go to test-output/ for a person to look at.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tracker.cli import app

from readers_data import build_ledger

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip("browser tests skipped: Debian's chromium is not installed at /usr/bin/chromium "
                "(.ci/run installs it with apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: the playwright package is "
                               "not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The published snapshot, served read-only by `datasette serve` on loopback; always stopped."""
    directory = tmp_path_factory.mktemp("browser")
    ledger = build_ledger(directory)
    snapshot = directory / "snapshot"
    # no --metadata: the site's metadata comes with the plugin, as on a published host
    result = CliRunner().invoke(app, ["publish", "--db", str(ledger), "--dir", str(snapshot), "--json"])
    assert result.exit_code == 0, result.output
    cli = {name: json.loads(CliRunner().invoke(app, [*args, "--db", str(ledger), "--json"]).stdout)
           for name, args in {"score": ["score"], "calibration": ["calibration"],
                              "score_ann": ["score", "--min-n", "1"],
                              "forecasts_board": ["score", "--policy", "forecasts"],
                              "calibration_ann": ["calibration", "--author", "ann"],
                              "forecasts": ["forecasts"]}.items()}
    serve = shlex.split(json.loads(result.stdout)["commands"]["serve"])
    assert serve[:2] == ["datasette", "serve"]
    assert "--metadata" not in serve and not (snapshot / "metadata.yml").exists()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "datasette", *serve[1:], "--host", "127.0.0.1", "--port", str(port)],
                            cwd=snapshot, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                why = proc.stderr.read().decode()[-500:] if proc.poll() is not None else "timeout"
                raise AssertionError(f"datasette did not start: {why}")
            time.sleep(0.2)
        yield base, cli
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, site):
    base, _ = site
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.outside = []  # requests that left the site: there must be none (no CDN, no fonts)
    pg.errors = []
    pg.on("request",
          lambda r: None if r.url.startswith(base) or r.url.startswith("data:") else pg.outside.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()


def shot(pg, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    pg.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def marks(pg, chart: str) -> dict[str, int]:
    """The marks vega drew in a dashboard chart's SVG: mark group class (layer) → number of items."""
    pg.wait_for_selector(f"#chart-{chart} svg.marks g.role-mark", state="attached")
    return pg.evaluate("""chart => Object.fromEntries([...document.querySelectorAll(
        `#chart-${chart} svg.marks g.role-mark`)].map(g => [g.getAttribute('class'), g.children.length]))""", chart)


def test_home_page(page, site):
    base, _ = site
    page.goto(f"{base}/")
    assert page.locator("h1").inner_text() == "tracker: forecasts in published analysis, scored"
    assert page.get_by_text("Where to start").is_visible()
    assert (page.get_by_role("link", name="reliability diagram").first.get_attribute("href")
            == "/-/dashboards/calibration")
    assert page.get_by_role("link", name="The leaderboard").is_visible()
    shot(page, "home")
    assert page.outside == [] and page.errors == []


def test_forecast_page(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/forecasts/ann-deal")
    assert page.locator("blockquote").inner_text() == "An agreement is to be expected at the summit."
    brier = next(f["brier"] for f in cli["forecasts"] if f["id"] == "ann-deal")
    assert page.get_by_text(f"Brier score {brier:.3f} on the 0..1 scale").is_visible()
    assert page.get_by_text("Outcome: no").is_visible()
    shot(page, "forecast")
    assert page.outside == [] and page.errors == []


def test_question_page_shows_every_forecast_side_by_side(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/questions/q-summit-deal")
    table = page.locator("table.tracker-side-by-side")
    assert table.is_visible()
    on_question = [f for f in cli["forecasts"] if f["question_id"] == "q-summit-deal"]
    rows = table.locator("tbody tr")
    assert rows.count() == len(on_question) == 3
    for f in on_question:
        row = table.locator(f'tr[data-forecast="{f["id"]}"]')
        assert row.locator("td.score").inner_text() == f"{f['brier']:.3f}"
        assert row.locator("td.tracker-authors a").first.inner_text() == f["author"].split("; ")[0]
    bob = table.locator('tr[data-forecast="bob-deal"]')
    assert bob.locator("blockquote").inner_text() == "The two sides may well sign something."
    assert bob.locator("td.tracker-authors a").get_attribute("href") == "/forecasts/authors/bob"
    assert page.get_by_text("Outcome: no, known 2019-02-28").is_visible()
    assert page.get_by_role("link", name="https://example.org/summit-ends").is_visible()
    # the reading links to the forecast's own page
    bob.locator("td.tracker-reading a").click()
    page.wait_for_url(f"{base}/forecasts/forecasts/bob-deal")
    page.go_back()
    shot(page, "question")
    assert page.outside == [] and page.errors == []


def test_leaderboard_names_link_to_author_pages(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/leaderboard")
    links = page.locator("table.rows-and-columns tbody td.col-name a")
    people = [e for e in cli["score"] if not e["crowd"]]  # the crowd's aggregates have no author page
    assert links.all_inner_texts() == [e["name"] for e in people]
    from datasette.utils import tilde_encode

    assert [a.get_attribute("href") for a in links.all()] == [
        f"/forecasts/authors/{tilde_encode(e['author'])}" for e in people]
    names = page.locator("table.rows-and-columns tbody td.col-name").all_inner_texts()
    assert {e["name"] for e in cli["score"] if e["crowd"]} <= set(names)
    links.first.click()
    page.wait_for_url(f"{base}/forecasts/authors/{cli['score'][0]['author']}")
    assert page.outside == [] and page.errors == []


def test_head_to_head_shows_what_each_author_said(page, site):
    base, _ = site
    page.goto(f"{base}/forecasts/head_to_head?author_a=ann&author_b=bob")
    row = page.locator("table.rows-and-columns tbody tr", has=page.locator("td.col-question_id",
                                                                           has_text="q-summit-deal"))
    assert row.locator("td.col-words_b").inner_text() == "The two sides may well sign something."
    assert "An agreement is to be expected at the summit." in row.locator("td.col-words_a").inner_text()
    assert row.locator("td.col-question a").get_attribute("href") == "/forecasts/questions/q-summit-deal"
    shot(page, "head-to-head")
    assert page.outside == [] and page.errors == []


def test_row_pages_style_headings_and_notes(page, site):
    # the rules the row templates share (_tracker_row.html) reach each page
    base, _ = site
    for path, note in (("/forecasts/forecasts/ann-deal", None), ("/forecasts/authors/ann", ".by"),
                       ("/forecasts/documents/ia-2019-summit", ".by"),
                       ("/forecasts/questions/q-summit-deal", ".by")):
        page.goto(base + path)
        section = page.locator("section.tracker-row")
        size = float(section.evaluate("s => getComputedStyle(s).fontSize").removesuffix("px"))
        h2 = section.locator("h2").first.evaluate("h => getComputedStyle(h).fontSize")
        assert float(h2.removesuffix("px")) == pytest.approx(1.2 * size), path
        if note:
            assert section.locator(note).first.evaluate("e => getComputedStyle(e).color") == "rgb(85, 85, 85)", path
    assert page.outside == [] and page.errors == []


def test_leaderboard_query_and_chart(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/leaderboard")
    cells = page.locator("table.rows-and-columns tbody td.col-brier").all_inner_texts()
    assert cells == [f"{e['brier']:.3f} (0..1)" for e in cli["score"]]
    names = page.locator("table.rows-and-columns tbody td.col-name").all_inner_texts()
    assert names == [e["name"] for e in cli["score"]]
    shot(page, "leaderboard-query")
    page.goto(f"{base}/-/dashboards/scores")
    drawn = marks(page, "leaderboard")
    n_authors = len(cli["score"])
    with_interval = sum(1 for e in cli["score"] if e["brier_ci_low"] is not None)
    assert drawn["mark-symbol role-mark layer_2_marks"] == n_authors  # a dot per author
    assert drawn["mark-rule role-mark layer_1_marks"] == with_interval  # an interval bar per author with n ≥ 2
    assert drawn["mark-rule role-mark layer_0_marks"] == 1  # the always-50 % line
    assert drawn["mark-text role-mark layer_3_marks"] == n_authors  # "n 4" beside each dot
    assert marks(page, "horizon")["mark-symbol role-mark layer_2_marks"] >= 3
    shot(page, "leaderboard-chart")
    assert page.outside == [] and page.errors == []


def test_leaderboard_shows_policy_questions_too_few_and_the_crowd(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/leaderboard")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() == len(cli["score"]) == 6
    ids = page.locator("table.rows-and-columns tbody td.col-author_id").all_inner_texts()
    assert ids == [e["author"] for e in cli["score"]]
    assert {i for i in ids if i.startswith("crowd:")} == {"crowd:median", "crowd:mean", "crowd:geo-mean-odds"}
    assert set(page.locator("table.rows-and-columns tbody td.col-policy").all_inner_texts()) == {"time-weighted"}
    assert set(page.locator("table.rows-and-columns tbody td.col-interval").all_inner_texts()) == {"too few"}
    n = page.locator("table.rows-and-columns tbody td.col-n").all_inner_texts()
    assert n == [str(e["n"]) for e in cli["score"]]
    page.goto(f"{base}/forecasts/leaderboard?policy=first&min_n=1")
    assert page.locator("table.rows-and-columns tbody td.col-policy").first.inner_text() == "first"
    shot(page, "leaderboard-policy-first")
    assert page.outside == [] and page.errors == []


def test_author_page_compares_one_score_per_question(page, site):
    base, cli = site
    page.goto(f"{base}/forecasts/authors/ann")
    table = page.locator("table.tracker-policies")
    assert table.is_visible()
    ann = {e["author"]: e for e in cli["score_ann"]}["ann"]
    row = table.locator('tr[data-policy="time-weighted"]')
    assert row.locator("td.n").inner_text() == str(ann["n"]) == "6"
    assert row.locator("td.shrunk").inner_text() == f"{ann['shrunk_brier']:.3f}"
    assert row.locator("td.interval").inner_text() == "too few questions"
    assert "(on 6)" in row.locator("td.crowd").inner_text()  # the crowd's median on the same questions
    assert table.locator("tbody tr").count() == 4  # time-weighted, first, last, mean
    every = {e["author"]: e for e in cli["forecasts_board"]}["ann"]
    assert page.locator("strong.n").inner_text() == str(every["n"]) == "8"  # every forecast, apart
    shot(page, "author-ann-policies")
    assert page.outside == [] and page.errors == []


def test_reliability_diagram(page, site):
    base, cli = site
    page.goto(f"{base}/-/dashboards/calibration")
    drawn = marks(page, "reliability")
    bins = cli["calibration"]["bins"]
    assert drawn["mark-line role-mark layer_0_marks"] == 1  # the diagonal
    # one forecast per (author, question) under the default policy (9 bins here, as for every forecast)
    assert drawn["mark-rule role-mark layer_1_marks"] == len(bins) == 9  # interval bars
    assert drawn["mark-symbol role-mark layer_2_marks"] == len(bins)  # a dot per bin
    assert drawn["mark-text role-mark layer_3_marks"] == len(bins)  # n per bin
    labels = page.locator("#chart-reliability g.mark-text.role-mark text").all_text_contents()
    assert sorted(labels) == sorted(str(b["n"]) for b in bins)
    assert marks(page, "bins")["mark-rect role-mark marks"] == len(bins)
    shot(page, "reliability")
    page.goto(f"{base}/-/dashboards/calibration?author=ann")
    drawn = marks(page, "reliability")
    assert drawn["mark-symbol role-mark layer_2_marks"] == len(cli["calibration_ann"]["bins"]) == 4
    shot(page, "reliability-ann")
    assert page.outside == [] and page.errors == []
