"""Issue 20: the curated Hanoi ledger held to its sources. The 28 candidate forecasts of the
reference list are kept here as data, each used or dropped with the reason (docs/hanoi.md says the
same in prose); every used row carries the passage that the stored copy of its page prints, as found
when it was verified. Every quote in forecasts/ must stand in its row's passage, at its row's
address, under its row's author. Then: every question has criteria and evidence, the shared
questions really are shared, the board holds at least 20 forecasters with the crowd beside them,
forecasts/ survives export and import byte for byte, the site's pages show it, and the README's
numbers are the ledger's."""

# ruff: noqa: RUF001  (the sources' own typographic quotes, as they printed them)
from __future__ import annotations

import asyncio
import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from datasette.app import Datasette

from tracker.ledger.records.export import export_records
from tracker.ledger.records.load import load_record, record_paths
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db

from conftest import HANOI_RECORD, RECORDS, ROOT

BERGER = "bernt-berger"


@dataclass(frozen=True)
class Row:
    row: int
    forecaster: str
    url: str
    author: str | None = None            # the author id in the records, for a used row
    passages: tuple[str, ...] = ()       # what the stored copy prints, for a used row
    dropped: str | None = None           # why not, for a dropped row
    reported: bool = False               # reported speech: the words are the outlet's
    institution: bool = False            # a newsroom or an institution, no person
    questions: tuple[str, ...] = field(default=())


Q = "hanoi-2019-"
SOURCES = [
    Row(1, "Harry J. Kazianis", "https://www.newsweek.com/donald-trump-kim-jong-un-summit-war-1345047",
        "harry-j-kazianis",
        ('"I would argue history will be made in Hanoi, meaning a peace declaration is all but certain to be '
         'signed," Harry Kazianis, director of Korea Studies at the Center for the National Interest, told Newsweek.',),
        questions=(Q + "end-of-war-declaration",)),
    Row(2, "Vipin Narang", "https://www.deccanchronicle.com/world/america/260219/stakes-high-at-hanoi-meeting.html",
        "vipin-narang",
        ("A complete collapse of the summit seems ‘unlikely because Trump and Kim are so invested in the meeting,’ "
         "said Viping Narang, an associate professor at the Massachusetts Institute of Technology.",),
        reported=True, questions=(Q + "any-agreement",)),
    Row(3, "Joel Wit", "http://digitaledition.chicagotribune.com/tribune/article_popover.aspx?"
        "guid=a029222f-1062-45f1-8c32-4ea6c0f94e9e",
        dropped="no stored copy of the Chicago Tribune page, and the quote is found nowhere else"),
    Row(4, "Jung H. Pak", "http://digitaledition.chicagotribune.com/tribune/article_popover.aspx?"
        "guid=a029222f-1062-45f1-8c32-4ea6c0f94e9e",
        dropped="not found at the page named; and a fear ('What I fear is…') is not a forecast"),
    Row(5, "Vox", "https://www.vox.com/2019/2/26/18240805/trump-north-korea-kim-vietnam-deal", "vox-newsroom",
        ("Under the current iteration of the agreement, described to me by three people familiar with the "
         "negotiations who spoke on condition of anonymity to discuss sensitive diplomatic issues, the US would "
         "agree to lift some sanctions on North Korea and improve ties between the two countries in exchange for a "
         "commitment from Kim Jong Un to close down a key nuclear facility.",
         "Both countries will sign a peace declaration to symbolically end the Korean War.",
         "The US and North Korea will establish liaison offices"),
        institution=True,
        questions=(Q + "end-of-war-declaration", Q + "liaison-offices", Q + "yongbyon-for-sanctions-deal")),
    Row(6, "Richard Fenning",
        "https://updatenewszone-updatenewszone.blogspot.com/2019/02/trump-says-speed-is-not-that-important.html",
        "richard-fenning",
        ("Fenning and others have forecast that Thursday’s talks will likely conclude with an agreement that "
         "includes opening representative offices in each other’s countries and potentially some move to "
         "officially declare an end to the Korean War (the fighting stopped in 1953 following an armistice).",),
        reported=True, questions=(Q + "liaison-offices",)),
    Row(7, "Lee Woong-hyeon",
        "https://vietnam.vnanet.vn/english/print/us-dprk-summit-rok-scholars-upbeat-about-second-dprk-usa-summit-197493.html",
        "lee-woong-hyeon",
        ("Also, Lee forecast that the two sides will issue a political statement on ending the 1950-1953 Korean War "
         "at the summit, though such a document would not be legally binding.",),
        reported=True, questions=(Q + "end-of-war-declaration",)),
    Row(8, "Xu Liping", "https://www.vietnamnewsgazette.com/experts-forecast-results-of-2nd-dprk-usa-summit/",
        "xu-liping",
        ("He predicts that the two sides will reach a specific agreement on speeding up denuclearization, or "
         "establish a peace mechanism for the Korean peninsula, but it is unlikely that the US will remove its "
         "sanctions on Pyongyang after the Summit.",),
        reported=True, questions=(Q + "us-sanctions-relief", Q + "any-agreement")),
    Row(9, "Moon Chung-in",
        "https://vietnam.vnanet.vn/english/tin-van/us-dprk-summit-2019-deal-to-focus-on-give-and-take-over-"
        "yongbyon-complex-198012.html",
        "moon-chung-in",
        ("He once told reporters after a forum in Washington that the US may well give partial sanctions relief if "
         "the DPRK permanently dismantles the Yongbyon complex because it is the first step towards an irreversible "
         "denuclearization phase.",),
        reported=True, questions=(Q + "yongbyon-for-sanctions-deal",)),
    Row(10, "Sang Hyun Lee", "https://www.isdp.eu/publication/how-to-score-the-u-s-dprk-hanoi-summit/",
        dropped="the page says it, but 'many experts envision a deal' describes others' expectations, "
                "not his own forecast"),
    Row(11, "Werner Pfennig",
        "https://www.deutschlandfunkkultur.de/trump-und-kim-in-hanoi-gipfel-unter-erwartungsdruck.1008.de.html"
        "?dram:article_id=442173",
        "werner-pfennig",
        ("US-Präsident Donald Trump und Nordkoreas Machthaber Kim Jong Un sind zu ihrem zweiten Gipfel in Hanoi "
         "eingetroffen. Konkrete Schritte zur Denuklearisierung und eine Lockerung der US-Sanktionen erwartet "
         "Korea-Experte Werner Pfennig.",),
        reported=True, questions=(Q + "us-sanctions-relief", Q + "denuclearisation-roadmap-first-results")),
    Row(12, "Rüdiger Frank",
        "https://wz.de./politik/ausland/trump-macht-sich-hoffnung-auf-den-friedensnobelpreis_aid-37042187",
        dropped="no stored copy of the Westdeutsche Zeitung page, and the words are found nowhere"),
    Row(13, "dpa", "https://www.wienerzeitung.at/nachrichten/welt/weltpolitik/"
        "1019198_Trump-und-Kim-koennten-Ende-des-Korea-Kriegs-erklaeren.html",
        dropped="no stored copy of the Wiener Zeitung page, and the words are found nowhere"),
    Row(14, "Van Jackson", "https://www.huffingtonpost.de/entry/"
        "trump-konnte-kim-ein-vietnam-angebot-machen-das-steckt-hinter-dem-plan_de_5c73ab4ae4b03cfdaa577336",
        dropped="no stored copy of the HuffPost Deutschland page, and the words are found nowhere"),
    Row(15, "Donald Trump", "http://www.koreatimesus.com/trump-says-hanoi-summit-may-not-be-last-with-kim/",
        "donald-trump",
        ("“I don’t think this will be the last meeting by any chance,” Trump told reporters at a meeting with "
         "Austrian Chancellor Sebastian Kurz at the White House.",),
        questions=(Q + "third-meeting-by-end-2019",)),
    Row(16, "Mike Pompeo", "https://www.newsday.com/news/nation/trump-kim-summit-1.27746662", "mike-pompeo",
        ("“There may have to be another summit, we may not get everything done this week,” Pompeo said.",),
        questions=(Q + "third-meeting-by-end-2019",)),
    Row(17, "Kim Jong Un", "https://taskandpurpose.com/trump-north-korea-summit",
        dropped="no stored copy of the Task & Purpose page; the words appear only on an unrelated content-farm "
                "copy, and an AFP report renders the remark otherwise"),
    Row(18, "Dan Coats", "https://www.atlanticcouncil.org/blogs/new-atlanticist/trump-kim-north-korea-vietnam-nuclear/",
        dropped="no stored copy of the Atlantic Council page named; another Atlantic Council page quotes the "
                "testimony in other words"),
    Row(19, "Le Hong Hiep", "http://ovietnam.vn/news/good-outcomes-expected-for-trump-kim-summit_303234.html",
        "le-hong-hiep",
        ("“I think we can expect some good outcomes from this summit,” Le Hong Hiep, a Vietnamese International "
         "Relations expert based in Singapore, told Viet Nam News.",),
        questions=(Q + "any-agreement",)),
    Row(20, "Matthew Kroenig", "https://wjla.com/news/nation-world/the-2nd-summit-can-trump-win-vs-north-korea",
        "matthew-kroenig",
        ("“It’s worth a try. We should go ahead and have the conversation but I’m pretty pessimistic. If Kim "
         "Jong-un were serious about denuclearization, he could be dismantling nuclear weapons, dismantling "
         "missiles and he’s not doing that.”",),
        questions=(Q + "complete-denuclearisation-commitment",)),
    Row(21, "Patrick M. Cronin",
        "https://japantimes.co.jp/opinion/2019/02/06/commentary/world-commentary/succeed-north-korea-prepare-failure",
        "patrick-m-cronin",
        ("The world wants to know how the long Cold War ends, but a second Trump-Kim summit will not yield closure.",),
        questions=(Q + "complete-denuclearisation-commitment",)),
    Row(22, "Michael O'Hanlon",
        "https://america.cgtn.com/2019/02/25/kim-trump-summit-larger-than-life-personalities-to-dictate-outcome",
        "michael-o-hanlon",
        ("“I think the Vietnam talks could potentially go well, provided that we do not aim for complete and near "
         "term total North Korea denuclearization,” according to Michael O’Hanlon, U.S. Defense Strategist at the "
         "Brookings Institution. “It is just not realistic.”",),
        questions=(Q + "complete-denuclearisation-commitment",)),
    Row(23, "Suzanne DiMaggio",
        "https://www.axios.com/low-expectations-for-trump-kim-summit-in-hanoi-1fc3abdc-47ea-4dde-98ae-4d09815488a0.html",
        dropped="Axios prints it, but 'one worry' is not a forecast"),
    Row(24, "CNAS 'Summit datebook' author",
        "https://www.cnas.org/publications/commentary/summit-datebook-from-hanoi-with-curiosity",
        "center-for-a-new-american-security-cnas",
        ("Curious, despite my skepticism and the world’s familiarity with North Korea’s nuclear playbook, whether I "
         "will be proven wrong and denuclearization is actually proven possible. As a specialist, this is the one "
         "forecast where I’d love to be wrong.",),
        institution=True, questions=(Q + "complete-denuclearisation-commitment",)),
    Row(25, "ITV News", "https://itv.com/news/2019-02-27/donald-trump-kim-jong-un-north-korea-usa-summit-hanoi",
        "itv-news-newsroom",
        ("So here’s what we think President Trump and Chairman Kim will shake and sign on:",),
        institution=True, questions=(Q + "roadmap-content-and-sequence",)),
    Row(26, "Sung-Yoon Lee",
        "https://fletcher.tufts.edu/news-events/news/"
        "north-korea-and-americas-second-summit-heres-what-sung-yoon-lee-thinks-will-happen",
        "sung-yoon-lee",
        ("Thus, Trump fell right into the North Korean dictator’s trap of ensnaring the United States in a "
         "labyrinthian process of protracted negotiations during which Pyongyang buys time and money with which "
         "to perfect its nuclear posture review. The second summit is the predictable Act II of a tragedy "
         "in-the-making, written and directed by Kim.",),
        questions=(Q + "complete-denuclearisation-commitment",)),
    Row(27, "Rashmee Roshan Lall",
        "https://www.rashmee.com/a-second-trump-kim-summit-will-only-be-worthwhile-if-it-produces-more-than-a-"
        "kodak-moment/",
        "rashmee-roshan-lall",
        ("There is little reason to expect either of those outcomes.",),
        questions=(Q + "complete-denuclearisation-commitment",)),
    Row(28, "Scott Seaman", "https://goldenstatetimes.com/trump-and-kim-have-dinner-before-summit/", "scott-seaman",
        ("“The threat of a U.S. military strike is essentially zero, Kim’s diplomatic charm offensive has made him "
         "into a bigger player on the world stage, and he continues to whittle away at international commitment to "
         "sanctions,” Scott Seaman of the Eurasia group says.",),
        questions=(Q + "us-strike-by-end-2019",)),
]
USED = [r for r in SOURCES if not r.dropped]
#: The questions more than one forecaster answered, as docs/hanoi.md lists them.
SHARED = {Q + "end-of-war-declaration", Q + "any-agreement", Q + "denuclearisation-roadmap-first-results",
          Q + "roadmap-content-and-sequence", Q + "us-sanctions-relief", Q + "yongbyon-for-sanctions-deal",
          Q + "liaison-offices", Q + "complete-denuclearisation-commitment", Q + "third-meeting-by-end-2019"}


@pytest.fixture(scope="module")
def records():
    return [load_record(p) for p in record_paths([RECORDS])]


@pytest.fixture(scope="module")
def others(records):
    """Every forecast not in the Berger record, with its document and authors."""
    out = []
    for rec in records:
        if Path(rec.path).name == HANOI_RECORD.name:
            continue
        for f in rec.forecasts:
            authors = rec.forecast_authors.get(f["id"]) or rec.document_authors
            out.append({**f, "url": rec.document["url"], "authors": authors, "record": rec})
    return out


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """The ledger the README's first command builds: forecasts/ imported into a new file."""
    path = tmp_path_factory.mktemp("hanoi") / "forecasts.db"
    db = open_db(path)
    import_records(db, [load_record(p) for p in record_paths([RECORDS])])
    db.close()
    return path


def test_the_source_list_is_whole():
    assert [r.row for r in SOURCES] == list(range(1, 29))
    assert len(USED) == 19 and len(SOURCES) - len(USED) == 9
    for r in SOURCES:
        assert bool(r.dropped) != bool(r.author and r.passages and r.questions), r.row


def test_every_quote_stands_in_its_rows_passage(others):
    by_url = {r.url: r for r in USED}
    dropped = {r.url for r in SOURCES if r.dropped}
    for f in others:
        assert f["url"] not in dropped, f"{f['id']}: its page is a dropped row's"
        row = by_url.get(f["url"])
        assert row, f"{f['id']}: {f['url']} is no used row's address"
        assert f["authors"] == [row.author], f["id"]
        assert f["question_id"] in row.questions, f["id"]
        assert f["quote"] and any(f["quote"] in p for p in row.passages), f"{f['id']}: quote not in the passage"
        assert f["phrase"].lower() in f["quote"].lower(), f"{f['id']}: its words are not in its quote"
        assert f["reasoning"] and f["coded_by"] and f["location"], f["id"]
        assert f["interval_low"] <= f["probability"] <= f["interval_high"], f["id"]
    found = {(f["url"], f["question_id"]) for f in others}
    for r in USED:
        assert {(r.url, q) for q in r.questions} <= found, f"row {r.row} has a question without its forecast"
    assert len(others) == 23


def test_reported_speech_and_newsrooms_are_recorded_as_such(records, others):
    names = {a["id"]: a for rec in records for a in rec.authors}
    for f in others:
        row = next(r for r in USED if r.url == f["url"])
        if row.reported:
            assert f["location"].startswith("Reported speech") and "Reported speech" in f["note"], f["id"]
        else:
            assert "Reported speech" not in (f["note"] or "") + f["location"], f["id"]
        author = names[row.author]
        if row.institution:
            assert "(newsroom)" in author["name"] or author["affiliation"].startswith("Institution"), row.row
        else:
            assert "(newsroom)" not in author["name"] and not (author["affiliation"] or "").startswith("Institution")


def test_every_question_has_criteria_and_an_outcome_with_evidence(records):
    questions = {q["id"]: q for rec in records for q in rec.questions}
    outcomes = {}
    for rec in records:
        for o in rec.outcomes:
            outcomes.setdefault(o["question_id"], o)
    assert len(questions) == 18 and set(outcomes) == set(questions)
    for qid, q in questions.items():
        assert q["criteria"] and q["resolve_by"], qid
        o = outcomes[qid]
        assert o["outcome"] in ("yes", "no", "annulled") and o["resolved_on"] <= "2020-01-01", qid
        assert o["evidence"] and all(e["url"].startswith("https://") and e["summary"] for e in o["evidence"]), qid
    # a question that several files carry is the same question in each (export writes it into each)
    for rec in records:
        for q in rec.questions:
            assert q == questions[q["id"]], (rec.path, q["id"])


def test_the_shared_questions_really_are_shared(records):
    authors_on: dict[str, set[str]] = {}
    for rec in records:
        for f in rec.forecasts:
            authors_on.setdefault(f["question_id"], set()).update(rec.forecast_authors.get(f["id"])
                                                                   or rec.document_authors)
    shared = {q for q, who in authors_on.items() if len(who) > 1}
    assert shared == SHARED
    berger = {q for q, who in authors_on.items() if BERGER in who}
    assert len(berger & shared) == 4  # his questions others answered too


def test_the_board_holds_twenty_forecasters_and_the_crowd(ledger):
    db = open_db(ledger)
    rows = list(db.query("select forecaster, crowd, n, brier from policy_scores where policy = 'time-weighted'"))
    people = [r for r in rows if not r["crowd"]]
    assert len(people) == 20 and sum(r["n"] for r in people) == 34
    median = next(r for r in rows if r["forecaster"] == "crowd:median")
    assert median["n"] == len(SHARED)
    db.close()


def test_forecasts_dir_is_what_export_writes_and_survives_the_round_trip(ledger, tmp_path):
    db = open_db(ledger)
    out = tmp_path / "out"
    export_records(db, out)
    db.close()
    written = {p.name: p.read_bytes() for p in out.glob("*.yml")}
    assert written == {p.name: p.read_bytes() for p in RECORDS.glob("*.yml")}
    again = open_db(tmp_path / "again.db")
    import_records(again, [load_record(p) for p in record_paths([out])])
    shutil.rmtree(out)
    export_records(again, out)
    again.close()
    assert {p.name: p.read_bytes() for p in out.glob("*.yml")} == written


def _get(ledger, *paths: str) -> list:
    async def fetch():
        ds = Datasette([str(ledger)])
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in paths]

    responses = asyncio.run(fetch())
    for p, r in zip(paths, responses, strict=True):
        assert r.status_code == 200, (p, r.text[:300])
    return responses


def test_the_sites_leaderboard_shows_everyone_with_the_crowd(ledger):
    [board] = _get(ledger, "/forecasts/leaderboard.json?min_n=1&_shape=array")
    rows = board.json()
    people = [r for r in rows if not r["crowd"]]
    assert len(people) == 20 and [r["rank"] for r in people] == sorted(r["rank"] for r in people)
    assert {"crowd:median", "crowd:mean", "crowd:geo-mean-odds"} <= {r["author_id"] for r in rows if r["crowd"]}
    assert {r["author_id"] for r in people} == {r.author for r in USED} | {BERGER}


def test_each_shared_question_page_shows_everyones_words(ledger, records):
    pages = _get(ledger, *(f"/forecasts/questions/{q}" for q in sorted(SHARED)))
    for q, page in zip(sorted(SHARED), pages, strict=True):
        text = html.unescape(page.text)
        for rec in records:
            for f in rec.forecasts:
                if f["question_id"] == q:
                    assert f'<tr data-forecast="{f["id"]}">' in page.text, (q, f["id"])
                    assert f["quote"] in text, (q, f["id"])
        assert "crowd:median" in text, q


def test_calibration_covers_every_forecaster(ledger):
    [cal] = _get(ledger, "/forecasts/calibration.json?_shape=array")
    bins = cal.json()
    assert sum(b["n"] for b in bins) == bins[0]["n_total"] == 34  # one per (author, question)


def test_sensitivity_has_every_forecaster(ledger):
    [sens] = _get(ledger, "/forecasts/sensitivity_scores.json?_shape=array&_size=max")
    rows = {r["author_id"]: r for r in sens.json()}
    assert set(rows) == {r.author for r in USED} | {BERGER}
    for r in rows.values():  # the score at the ends of the readings brackets the score as read
        low, high = sorted((r["brier_best"], r["brier_worst"]))
        assert low <= r["brier"] + 1e-12 and r["brier"] <= high + 1e-12


def _berger_questions(records) -> set[str]:
    rec = next(r for r in records if Path(r.path).name == HANOI_RECORD.name)
    return {f["question_id"] for f in rec.forecasts}


def test_berger_head_to_head_with_each_who_shares_a_question(ledger, records, others):
    theirs = _berger_questions(records)
    sharers = sorted({a for f in others if f["question_id"] in theirs for a in f["authors"]})
    assert len(sharers) == 8
    pages = _get(ledger, *(f"/forecasts/head_to_head.json?author_a={BERGER}&author_b={a}&_shape=array"
                           for a in sharers))
    for a, page in zip(sharers, pages, strict=True):
        rows = page.json()
        assert rows and rows[0]["n_common"] == len(rows), a
        assert {r["question_id"] for r in rows} == {f["question_id"] for f in others
                                                   if a in f["authors"] and f["question_id"] in theirs}, a
        assert all(r["words_a"] and r["words_b"] for r in rows), a


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## The Hanoi brief")
    return text[start:text.index("\n## ", start + 1)]


def test_the_readme_numbers_are_the_ledgers(ledger, records):
    db = open_db(ledger)
    board = {r["forecaster"]: r for r in db.query(
        "select forecaster, n, brier from policy_scores where policy = 'time-weighted'")}
    per_forecast = [r["brier"] for r in db.query(
        "select s.brier from forecast_scores s join forecasts f on f.id = s.forecast_id "
        "join forecast_authors fa on fa.forecast_id = f.id where fa.author_id = ? and s.brier is not null",
        [BERGER])]
    head = {}
    for a in {r.author for r in USED}:
        rows = list(db.query("""select qa.brier - qb.brier as d from question_policy_scores qa
            join question_policy_scores qb on qb.question_id = qa.question_id and qb.policy = qa.policy
            where qa.policy = 'time-weighted' and qa.forecaster = ? and qb.forecaster = ?""", [BERGER, a]))
        if rows:
            head[a] = sum(r["d"] for r in rows) / len(rows)
    skeptics = [board[r.author]["brier"] for r in USED if r.questions == (Q + "complete-denuclearisation-commitment",)]
    db.close()
    section = " ".join(_readme_section().split())
    expect = [
        f"Beside it are {len(USED)} other forecasters",
        f"{sum(len(r.questions) for r in USED)} in all",  # one forecast per (row, question)
        f"{len(SOURCES) - len(USED)} of {len(SOURCES)} candidates were dropped",
        f"the {len(skeptics)} who expected no North Korean commitment",
        f"(Brier {min(skeptics):.3f} to {max(skeptics):.3f})",
        f"Donald Trump on meeting Kim again in 2019 ({board['donald-trump']['brier']:.3f})",
        f"Scott Seaman on no US strike ({board['scott-seaman']['brier']:.3f})",
        f"Harry J. Kazianis ({board['harry-j-kazianis']['brier']:.3f})",
        f"Lee Woong-hyeon ({board['lee-woong-hyeon']['brier']:.3f})",
        f"The crowd's median: {board['crowd:median']['brier']:.3f} on the {board['crowd:median']['n']} questions",
        f"Berger: {board[BERGER]['brier']:.3f} on {board[BERGER]['n']} questions",
        f"({sum(per_forecast) / len(per_forecast):.3f} per forecast;",
        f"he beats {sum(d < -1e-9 for d in head.values())} of the {len(head)} who share a question",
        f"ties {sum(abs(d) <= 1e-9 for d in head.values())} and trails {sum(d > 1e-9 for d in head.values())}",
    ]
    missing = [e for e in expect if e not in section]
    assert not missing, f"README's Hanoi section disagrees with the ledger: {missing}"
    worse_than_crowd = board[BERGER]["brier"] > board["crowd:median"]["brier"]
    assert ("Worse than the crowd" in section) == worse_than_crowd


def test_the_home_page_answers_who_called_hanoi(ledger, records, others):
    # a reader starts at the home page: it links the whole board, the shared questions, calibration,
    # sensitivity and Berger against each forecaster who shares a question with him
    home, board, shared, opponents = _get(
        ledger, "/", "/forecasts/leaderboard.json?min_n=1&_shape=array",
        "/forecasts/shared_questions.json?_shape=array",
        f"/forecasts/opponents.json?author={BERGER}&_shape=array")
    for link in ("/forecasts/leaderboard?min_n=1", "/forecasts/shared_questions", "/forecasts/calibration",
                 "/forecasts/sensitivity_scores", f"/forecasts/opponents?author={BERGER}"):
        assert f'href="{link}"' in home.text, link
    assert len([r for r in board.json() if not r["crowd"]]) >= 20
    authors_of: dict = {}
    for f in [*others, *({"question_id": q, "authors": [BERGER]} for q in _berger_questions(records))]:
        authors_of.setdefault(f["question_id"], set()).update(f["authors"])
    rows = shared.json()
    scored = {r["question_id"] for r in board_questions(ledger)}
    assert {r["question_id"] for r in rows} == {q for q, a in authors_of.items() if len(a) > 1 and q in scored}
    assert all(r["forecasters"] == len(authors_of[r["question_id"]]) for r in rows)
    people = [r for r in opponents.json() if not r["crowd"]]
    theirs = _berger_questions(records)
    assert {r["author_id"] for r in people} == {a for f in others if f["question_id"] in theirs for a in f["authors"]}
    assert {r["interval"] for r in people} == {"too few common questions (under 10)"}
    pairs = _get(ledger, *(f"/forecasts/head_to_head.json?author_a={BERGER}&author_b={r['author_id']}&_shape=array"
                           for r in people))
    for r, pair in zip(people, pairs, strict=True):  # each row is the head to head of that pair, summed up
        first = pair.json()[0]
        assert (r["n_common"], r["mean_difference"]) == (first["n_common"], first["mean_difference"])


def board_questions(ledger) -> list[dict]:
    """The questions scored under the default policy (resolved, not annulled)."""
    db = open_db(ledger)
    rows = list(db.query("select distinct question_id from question_policy_scores where policy = 'time-weighted'"))
    db.close()
    return rows
