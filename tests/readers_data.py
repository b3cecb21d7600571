"""A small ledger for the readers' tests (tests/test_readers.py, tests/test_browser.py): three
documents from two publishers in 2019 and 2020, three authors, two of whom (ann, bob) answered four
common questions, several topics, every horizon bucket but two, an update, a joint forecast, an
annulled question and two open ones (one past its resolve-by date). Built through the project's own
import, as `tracker import` builds it, into a file named forecasts.db (the database `forecasts`).
"""

from __future__ import annotations

from pathlib import Path

ANN_2019 = """\
document:
  id: ia-2019-summit
  title: What to expect from the summit
  publisher: Institute A
  published_on: 2019-02-01
  language: en
  authors: [ann]
authors:
  - id: ann
    name: Ann Analyst
    affiliation: Institute A
questions:
  - id: q-summit-deal
    title: Will the summit end with a signed agreement?
    criteria: Yes if both sides sign an agreement at the summit.
    resolve_by: 2019-02-28
    topics: [korea, summit]
  - id: q-summit-statement
    title: Will the summit end with a joint statement?
    resolve_by: 2019-02-28
    topics: [korea, summit]
  - id: q-sanctions-eased
    title: Will UN sanctions on North Korea be eased in 2019?
    resolve_by: 2019-12-31
    topics: [korea, sanctions]
  - id: q-treaty-2020
    title: Will a peace treaty be signed by mid-2020?
    resolve_by: 2020-06-30
    topics: [korea, peace-process]
  - id: q-test-2020
    title: Will North Korea test an ICBM in 2020?
    resolve_by: 2020-12-31
    topics: [korea, missiles]
forecasts:
  - id: ann-deal
    question: q-summit-deal
    probability: 0.75
    interval: [0.6, 0.85]
    method: analyst
    phrase: to be expected
    quote: An agreement is to be expected at the summit.
  - id: ann-deal-update
    question: q-summit-deal
    made_on: 2019-02-25
    probability: 0.65
    method: stated
    quote: We now put an agreement at 65 percent.
  - id: ann-statement
    question: q-summit-statement
    probability: 0.85
    method: analyst
    phrase: almost certainly
    quote: The summit will almost certainly end with a joint statement.
  - id: ann-sanctions
    question: q-sanctions-eased
    probability: 0.3
    method: stated
    quote: We put the easing of sanctions at 30 percent.
  - id: ann-treaty
    question: q-treaty-2020
    probability: 0.2
    method: analyst
    phrase: unlikely
    quote: A peace treaty remains unlikely.
  - id: ann-test
    question: q-test-2020
    probability: 0.6
    method: analyst
    phrase: quite possible
    quote: A renewed long-range missile test is quite possible.
outcomes:
  - question: q-summit-deal
    outcome: "no"
    resolved_on: 2019-02-28
    evidence:
      - url: https://example.org/summit-ends
        summary: The summit ended without an agreement.
  - question: q-summit-statement
    outcome: "yes"
    resolved_on: 2019-02-28
  - question: q-sanctions-eased
    outcome: "no"
    resolved_on: 2020-01-01
  - question: q-treaty-2020
    outcome: "no"
    resolved_on: 2020-07-01
  - question: q-test-2020
    outcome: "no"
    resolved_on: 2021-01-01
"""

BOB_2019 = """\
document:
  id: ib-2019-outlook
  title: Outlook on the peninsula
  publisher: Institute B
  published_on: 2019-02-10
  language: en
  authors: [bob]
authors:
  - id: bob
    name: Bob Brief
    affiliation: Institute B
forecasts:
  - id: bob-deal
    question: q-summit-deal
    probability: 0.4
    interval: [0.3, 0.5]
    method: analyst
    phrase: may well
    quote: The two sides may well sign something.
  - id: bob-statement
    question: q-summit-statement
    probability: 0.6
    method: stated
    quote: A joint statement is 60 percent likely.
  - id: bob-sanctions
    question: q-sanctions-eased
    probability: 0.1
    method: stated
    quote: Sanctions relief has a one-in-ten chance.
  - id: bob-treaty
    question: q-treaty-2020
    probability: 0.05
    method: stated
    quote: A treaty has a five percent chance.
"""

JOINT_2020 = """\
document:
  id: ia-2020-review
  title: "Jahresrückblick: Korea 2020"
  publisher: Institute A
  published_on: 2020-01-15
  language: de
  authors: [ann, cat]
authors:
  - id: cat
    name: Cat Critic
    affiliation: Institute C
questions:
  - id: q-talks-2021
    title: Will US and North Korean leaders meet again by mid-2021?
    resolve_by: 2021-06-30
    topics: [korea, summit]
  - id: q-annulled
    title: Will the joint declaration be implemented?
    resolve_by: 2020-12-31
    topics: [korea]
  - id: q-open-past
    title: Will the Yongbyon reactor be dismantled by the start of 2024?
    resolve_by: 2024-01-01
    topics: [korea, denuclearisation]
  - id: q-open-future
    title: Will a peace treaty be signed by 2040?
    resolve_by: 2040-01-01
    topics: [korea, peace-process]
forecasts:
  - id: joint-talks
    question: q-talks-2021
    probability: 0.7
    interval: [0.6, 0.8]
    method: analyst
    scale: house-de
    scale_version: "1"
    phrase: zu erwarten
    reasoning: A little below the house reading of "zu erwarten" (0.75), as the talks had stalled.
    quote: Ein weiteres Treffen ist zu erwarten.
  - id: joint-test
    question: q-test-2020
    probability: 0.9
    method: analyst
    phrase: nahezu sicher
    quote: Ein Raketentest ist nahezu sicher.
  - id: joint-annulled
    question: q-annulled
    probability: 0.5
    method: analyst
    quote: Die Umsetzung bleibt abzuwarten.
  - id: joint-yongbyon
    question: q-open-past
    probability: 0.1
    method: analyst
    phrase: kaum
    quote: Ein Rückbau von Yongbyon ist kaum zu erwarten.
  - id: cat-treaty
    question: q-open-future
    authors: [cat]
    probability: 0.25
    method: stated
    quote: Ein Friedensvertrag bis 2040 hat eine Chance von 25 Prozent.
  - id: cat-deal-late
    question: q-sanctions-eased
    authors: [cat]
    made_on: 2019-06-01
    probability: 0.35
    method: stated
    quote: Lockerungen der Sanktionen sind zu 35 Prozent wahrscheinlich.
outcomes:
  - question: q-talks-2021
    outcome: "yes"
    resolved_on: 2021-07-01
  - question: q-annulled
    outcome: annulled
    resolved_on: 2021-01-01
"""

RECORDS = {"ia-2019-summit.yml": ANN_2019, "ib-2019-outlook.yml": BOB_2019, "ia-2020-review.yml": JOINT_2020}


def build_ledger(directory: Path) -> Path:
    """Write the record files into `directory` and import them into `directory`/forecasts.db."""
    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records
    from tracker.scores.derived import open_db

    records = directory / "records"
    records.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in RECORDS.items():
        (records / name).write_text(text, encoding="utf-8")
        paths.append(records / name)
    path = directory / "forecasts.db"
    db = open_db(path)
    try:
        import_records(db, [load_record(p) for p in paths])
    finally:
        db.conn.close()
    return path
