"""Recording one thing at a time, for the analyst's desk: an author, a question, a document known
only by its URL, and a forecast with every field a record has. Each is one write transaction
that checks what a record file's import checks (tracker.ledger.records), so whatever is added
here can be exported to forecasts/ and imported back.

Authors are found as tables find them: by id, by a name declared another name of theirs
(author_aliases), or by the id their name makes (tracker.values.name_id); a second name that
would make someone's id is an error unless the caller says they are one person.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from tracker import values
from tracker.errors import TrackerError
from tracker.ledger import aliases
from tracker.ledger.connection import Ledger, touched, writing
from tracker.ledger.forecast_rules import (
    METHODS,
    Wording,
    check_forecast,
    check_made_by_deadline,
    check_reading,
    scale_hint,
)
from tracker.ledger.ids import unknown

#: how the command line says the forecast rules (its options, not a file's fields)
OPTIONS = Wording(
    methods=METHODS,
    read_method=lambda value, where: str(value),
    outside_interval="{where}: the interval [{low}, {high}] does not contain the probability {p}",
    unknown_method="{where}: method {method!r} is not one of {methods}",
    after_deadline="{where}: made on {made_on}, after question {question_id}'s resolve-by date {resolve_by}",
)
def id_from_title(title: str, where: str) -> str:
    """A readable id from a title (tracker.intake.documents.readable_id)."""
    from tracker.intake.documents import readable_id

    slug = readable_id(title)
    if not slug:
        raise TrackerError(f"{where}: cannot make an id from {title!r}; give one")
    return slug


# ------------------------------------------------------------------------------ authors

def find_author(db: Ledger, given: str, where: str, *, same_person: bool = False) -> tuple[str, str | None]:
    """(author id, the name to create them with, None if they exist) for an id, a name declared
    another name of an author, an author's name, or a new name. A new name whose id belongs to
    someone of another name is an error, unless `same_person` declares it another name of theirs
    (inside the caller's write)."""
    given = values.text(given, where, required=True).strip()
    if db.execute("select 1 from authors where id = ?", [given]).fetchone():
        return given, None
    alias = db.execute("select author_id from author_aliases where name = ?", [given]).fetchone()
    if alias:
        return alias[0], None
    named = db.execute("select id from authors where name = ? order by id limit 2", [given]).fetchall()
    if len(named) == 2:
        raise TrackerError(f"{where} {given!r}: is the name of {named[0][0]!r} and {named[1][0]!r}; give the id")
    if named:
        return named[0][0], None
    aid = values.name_id(given)
    if not aid:
        raise TrackerError(f"{where} {given!r}: has no letters or digits to make an author id from")
    values.record_id(aid, where)
    row = db.execute("select name from authors where id = ?", [aid]).fetchone()
    if row is None:
        return aid, given
    if row[0] != given:
        if not same_person:
            raise TrackerError(f"{where} {given!r}: would get the id {aid!r} of {row[0]!r}; if they are one person, "
                               f"say so with --same-person, else give another name")
        aliases.declare(db, [(given, aid)])
    return aid, None


def _ensure_author(db: Ledger, aid: str, create_as: str | None, affiliation: str | None, where: str) -> str:
    """Create the author if need be; fill in an affiliation the ledger lacks. 'created', 'updated'
    or 'unchanged'. An affiliation other than the one recorded is an error (`author add` changes it)."""
    if create_as is not None:
        db["authors"].insert({"id": aid, "name": create_as, "affiliation": affiliation})
        return "created"
    if affiliation is None:
        return "unchanged"
    (known,) = db.execute("select affiliation from authors where id = ?", [aid]).fetchone()
    if known == affiliation:
        return "unchanged"
    if known is not None:
        raise TrackerError(f"{where} {aid!r}: is recorded with the affiliation {known!r}, not {affiliation!r}; "
                           f"`tracker author add {aid} --affiliation ...` changes it")
    db.execute("update authors set affiliation = ? where id = ?", [affiliation, aid])
    return "updated"


def add_author(db: Ledger, name: str, *, id: str | None = None, affiliation: str | None = None,
               same_person: bool = False, note: str | None = None) -> dict:
    """Add an author (a person or an institution), or change the affiliation of one. The id is
    the one their name makes unless given. {id, name, affiliation, status}."""
    name = values.text(name, "name", required=True).strip()
    affiliation = values.text(affiliation, "--affiliation")
    with writing(db, note):
        if id is None:
            aid, create_as = find_author(db, name, "author", same_person=same_person)
        else:
            aid = values.record_id(id, "--id")
            row = db.execute("select name from authors where id = ?", [aid]).fetchone()
            create_as = name if row is None else None
            if row is not None and row[0] != name:
                if not same_person:
                    raise TrackerError(f"--id {aid!r}: is the author {row[0]!r}, not {name!r}; if they are one "
                                       f"person, say so with --same-person")
                aliases.declare(db, [(name, aid)], note)
        if create_as is None and affiliation is not None:
            db.execute("update authors set affiliation = ? where id = ? and affiliation is not ?",
                       [affiliation, aid, affiliation])
            status = "updated" if db.execute("select changes()").fetchone()[0] else "unchanged"
        else:
            status = _ensure_author(db, aid, create_as, affiliation, "author")
        row = db.execute("select id, name, affiliation from authors where id = ?", [aid]).fetchone()
    return {"id": row[0], "name": row[1], "affiliation": row[2], "status": status}


# ------------------------------------------------------------------------------ questions

def _question_row(question_id: str, title: str, *, criteria: str | None, resolve_by: str | None,
                  topics: Sequence[str], options: Sequence[str], note: str | None) -> dict:
    qid = values.record_id(question_id, "question id")
    topics = [values.text(t, "--topic", required=True) for t in topics]
    options = [values.text(o, "--option", required=True) for o in options]
    for label, items in (("--topic", topics), ("--option", options)):
        repeated = [x for x in items if items.count(x) > 1]
        if repeated:
            raise TrackerError(f"{label} {repeated[0]!r}: given twice")
    if len(options) == 1:
        raise TrackerError(f"--option {options[0]!r}: a multiple-choice question needs two or more options")
    if "annulled" in options:
        raise TrackerError("--option 'annulled': is reserved for annulling the question")
    return {"id": qid, "title": values.text(title, "--title", required=True),
            "kind": "multiple_choice" if options else "binary",
            "options": json.dumps(list(options), ensure_ascii=False) if options else None,
            "criteria": values.text(criteria, "--criteria"),
            "resolve_by": values.moment(resolve_by, "--resolve-by") if resolve_by is not None else None,
            "topics": json.dumps(list(topics), ensure_ascii=False), "note": values.text(note, "--note")}


def _put_question(db: Ledger, row: dict) -> str:
    """'created', or 'unchanged' for a question already recorded exactly so; a question recorded
    otherwise is an error (its forecasts were made on what it says)."""
    existing = list(db.query("select * from questions where id = ?", [row["id"]]))
    if not existing:
        db["questions"].insert(row)
        return "created"
    differs = [k for k, v in row.items() if existing[0].get(k) != v and not (k == "topics" and v == "[]")
               and v is not None]
    if differs:
        raise TrackerError(f"question {row['id']!r}: is already recorded with another {differs[0]}; "
                           f"leave --title and the question's other options out to forecast on it as it is")
    return "unchanged"


def add_question(db: Ledger, question_id: str, title: str, *, criteria: str | None = None,
                 resolve_by: str | None = None, topics: Sequence[str] = (), options: Sequence[str] = (),
                 note: str | None = None, change_note: str | None = None) -> dict:
    """Add a question: a yes-no one, or a multiple-choice one with its options. The same question
    again changes nothing; another under the same id is an error. The row, with its status."""
    row = _question_row(question_id, title, criteria=criteria, resolve_by=resolve_by, topics=topics,
                        options=options, note=note)
    with writing(db, change_note):
        status = _put_question(db, row)
    return {**row, "topics": json.loads(row["topics"]), "options": json.loads(row["options"] or "null"),
            "status": status}


# ------------------------------------------------------------------------------ documents by URL

def add_statement(db: Ledger, url: str, title: str, authors: Sequence[str], *, id: str | None = None,
                  affiliations: Sequence[str] = (), publisher: str | None = None, published_on: str | None = None,
                  language: str | None = None, same_person: bool = False, note: str | None = None) -> dict:
    """A document known by its URL alone (a statement, an interview, a news report that quotes a
    forecast), with no file: no text, no SHA-256. The document with this URL already recorded is
    returned unchanged. {id, status, title, url, authors}."""
    with writing(db, note):
        result = _statement(db, url, title, authors, id=id, affiliations=affiliations, publisher=publisher,
                            published_on=published_on, language=language, same_person=same_person)
    return result


def _statement(db: Ledger, url: str, title: str | None, authors: Sequence[str], *, id: str | None,
               affiliations: Sequence[str], publisher: str | None, published_on: str | None,
               language: str | None, same_person: bool) -> dict:
    url = values.url(url, "--url")
    known = db.execute("select id from documents where url = ? order by id limit 1", [url]).fetchone()
    if known is not None and (id is None or id == known[0]):
        row = db["documents"].get(known[0])
        return {"id": known[0], "status": "unchanged", "title": row["title"], "url": url,
                "published_on": row["published_on"], "authors": _document_author_ids(db, known[0])}
    title = values.text(title, "--title", required=True)
    doc_id = values.record_id(id, "--id") if id is not None else id_from_title(title, "--title")
    if db.execute("select 1 from documents where id = ?", [doc_id]).fetchone():
        raise TrackerError(f"document {doc_id!r}: already exists with another URL; give another --id")
    if language is not None and not (len(language) == 2 and language.isalpha() and language.islower()):
        raise TrackerError(f"--lang {language!r}: is not a two-letter ISO 639-1 code")
    if not authors:
        raise TrackerError(f"{url}: a document needs an author (an institution can be one); pass --author NAME")
    ids = _authors(db, authors, affiliations, same_person)
    db["documents"].insert({"id": doc_id, "title": title, "publisher": values.text(publisher, "--publisher"),
                            "published_on": values.iso_date(published_on, "--published-on") if published_on else None,
                            "language": language, "url": url})
    db.execute("update document_versions set source = ? where document_id = ?", [url, doc_id])
    db["document_authors"].insert_all({"document_id": doc_id, "author_id": a, "position": n}
                                      for n, a in enumerate(ids, 1))
    return {"id": doc_id, "status": "created", "title": title, "url": url, "published_on": published_on,
            "authors": ids}


def _document_author_ids(db: Ledger, doc_id: str) -> list[str]:
    return [r[0] for r in db.execute("select author_id from document_authors where document_id = ? "
                                     "order by position", [doc_id])]


def _authors(db: Ledger, given: Sequence[str], affiliations: Sequence[str], same_person: bool) -> list[str]:
    """The author ids for names or ids given in order, each created (with the affiliation given at
    the same position) if need be."""
    if len(affiliations) > len(given):
        raise TrackerError(f"--affiliation: given {len(affiliations)} times for {len(given)} --author")
    ids: list[str] = []
    for n, name in enumerate(given):
        aid, create_as = find_author(db, name, "--author", same_person=same_person)
        if aid in ids:
            raise TrackerError(f"--author {name!r}: the same person is given twice")
        affiliation = values.text(affiliations[n], "--affiliation") if n < len(affiliations) else None
        _ensure_author(db, aid, create_as, affiliation, "--author")
        ids.append(aid)
    return ids


# ------------------------------------------------------------------------------ forecasts

@dataclass
class Reading:
    """How the probability was arrived at: the author's own number (stated), a scale's reading of
    their words (scale: the scale gives the probability and interval), or the analyst's own
    judgement, which needs reasoning."""

    method: str
    probability: float | None = None
    low: float | None = None
    high: float | None = None
    scale: str | None = None
    scale_version: str | None = None
    reasoning: str | None = None


@dataclass
class NewQuestion:
    """A question to create with the forecast."""

    title: str
    criteria: str | None = None
    resolve_by: str | None = None
    topics: Sequence[str] = ()


@dataclass
class NewDocument:
    """A document to create with the forecast, known by its URL (see add_statement)."""

    url: str
    title: str | None = None
    publisher: str | None = None
    published_on: str | None = None
    language: str | None = None


def _scale_reading(reading: Reading, phrase: str | None) -> Reading:
    """A scale's reading of the phrase, with its probability, interval and version, when the
    command gave only the scale's name."""
    from tracker.intake import wording

    if reading.scale is None:
        raise TrackerError("--scale: name the scale that reads the author's words")
    scales = wording.load_scales()
    scale = scales.get(reading.scale)
    if scale is None:
        raise TrackerError(f"--scale {reading.scale!r}: no such scale of words{scale_hint(reading.scale, scales)}")
    if not phrase:
        raise TrackerError(f"--phrase: a reading by {scale.name} needs the author's words")
    read = [m for m in wording.match(phrase, scale.language, scales={scale.name: scale}) if m.covered]
    if not read:
        raise TrackerError(f"--phrase {phrase!r}: {scale.name} does not read these words; record the analyst's "
                           f"own reading (--analyst P --reasoning TEXT), or see `tracker scales lookup`")
    chosen = wording.best(read)
    assert chosen is not None
    return Reading("scale", chosen.value, chosen.low, chosen.high, scale.name,
                   reading.scale_version or scale.version, reading.reasoning)


def _forecast_id(db: Ledger, question_id: str, document_id: str | None, author_ids: list[str],
                 made_on: str) -> str:
    """The next free `DOCUMENT-NN` (as `tracker extract --draft` numbers a document's forecasts),
    else `QUESTION-AUTHOR-DAY`."""
    if document_id is not None:
        n = db.execute("select count(*) from forecasts where document_id = ?", [document_id]).fetchone()[0] + 1
        while db.execute("select 1 from forecasts where id = ?", [f"{document_id}-{n:02d}"]).fetchone():
            n += 1
        return f"{document_id}-{n:02d}"
    base = f"{question_id}-{author_ids[0]}-{values.day_of(made_on)}"
    fid, n = base, 2
    while db.execute("select 1 from forecasts where id = ?", [fid]).fetchone():
        fid, n = f"{base}-{n}", n + 1
    return fid


def add_forecast(db: Ledger, question_id: str, authors: Sequence[str], reading: Reading, *,
                 id: str | None = None, affiliations: Sequence[str] = (), document: str | None = None,
                 new_document: NewDocument | None = None, new_question: NewQuestion | None = None,
                 made_on: str | None = None, phrase: str | None = None, quote: str | None = None,
                 location: str | None = None, coded_by: str | None = None, conditional_on: str | None = None,
                 note: str | None = None, same_person: bool = False, change_note: str | None = None) -> dict:
    """Record one forecast on a yes-no question, in one transaction with whatever it needs that
    is new: its question, its authors, its document (by URL). The checks are a record's: the
    reading fits its method (and its scale), it is made by the question's resolve-by date, the
    quote is in the document's text where that is stored. {id, question, document, authors, ...}."""
    if reading.method not in METHODS:
        raise TrackerError(f"method {reading.method!r}: is not one of {', '.join(METHODS)}")
    if reading.method == "scale" and reading.probability is None:
        reading = _scale_reading(reading, phrase)
    if reading.method == "analyst" and not (reading.reasoning and reading.reasoning.strip()):
        raise TrackerError("--reasoning: the analyst's own reading needs the reasoning behind it")
    if reading.probability is None:
        raise TrackerError("give the reading: --stated P, --scale NAME (with --phrase) or --analyst P --reasoning TEXT")
    p = values.probability(reading.probability, "probability")
    low = values.probability(reading.low, "--low") if reading.low is not None else None
    high = values.probability(reading.high, "--high") if reading.high is not None else None
    if (low is None) != (high is None):
        raise TrackerError("--low, --high: give both, or neither")
    check_forecast("forecast", OPTIONS, p, low, high, reading.method)
    low, high = check_reading("forecast", reading.method, p, low, high, reading.scale, reading.scale_version,
                              phrase, quote)
    if not authors:
        raise TrackerError("--author: a forecast needs its author (an institution can be one)")
    if document is not None and new_document is None:
        document = values.record_id(document, "--document")
    with writing(db, change_note):
        qid = values.record_id(question_id, "question")
        q = db.execute("select kind, resolve_by from questions where id = ?", [qid]).fetchone()
        if new_question is not None:
            _put_question(db, _question_row(qid, new_question.title, criteria=new_question.criteria,
                                            resolve_by=new_question.resolve_by, topics=new_question.topics,
                                            options=(), note=None))
            q = db.execute("select kind, resolve_by from questions where id = ?", [qid]).fetchone()
        elif q is None:
            raise unknown(db, "question", qid, hint="; to create it, give its --title (and --criteria, --resolve-by)")
        if q[0] != "binary":
            raise TrackerError(f"question {qid!r}: is multiple-choice; record its forecasts in a record file or table")
        author_ids = _authors(db, authors, affiliations, same_person)
        doc_row = None
        if new_document is not None:
            made = _statement(db, new_document.url, new_document.title, authors, id=document,
                              affiliations=affiliations, publisher=new_document.publisher,
                              published_on=new_document.published_on, language=new_document.language,
                              same_person=same_person)
            document = made["id"]
        if document is not None:
            rows = list(db.query("select id, published_on, text from documents where id = ?", [document]))
            if not rows:
                raise unknown(db, "document", document, f"--document {document!r}: no such document",
                              hint="; give its --url (and --document-title) to record it")
            doc_row = rows[0]
        when = made_on if made_on is not None else (doc_row or {}).get("published_on")
        if when is None:
            raise TrackerError("--made-on: missing, and there is no document date to default to")
        when = values.moment(when, "--made-on")
        check_made_by_deadline("forecast", OPTIONS, qid, when, q[1])
        offset = None
        if quote is not None and doc_row is not None and doc_row["text"]:
            from tracker.intake.documents import find_quote

            offset = find_quote(doc_row["text"], quote)
            if offset < 0:
                raise TrackerError(f"--quote {quote[:40]!r}…: is not in the text of document {document!r} "
                                   f"(copy it as it stands, line breaks as spaces)")
        if conditional_on is not None:
            conditional_on = values.record_id(conditional_on, "--conditional-on")
            if not db.execute("select 1 from forecasts where id = ?", [conditional_on]).fetchone():
                raise unknown(db, "forecast", conditional_on, f"--conditional-on {conditional_on!r}: no such forecast")
        fid = values.record_id(id, "--id") if id is not None else _forecast_id(db, qid, document, author_ids, when)
        if db.execute("select 1 from forecasts where id = ?", [fid]).fetchone():
            raise TrackerError(f"forecast {fid!r}: already exists; give another --id")
        from tracker.ledger.audit import analyst

        row = {"id": fid, "question_id": qid, "document_id": document, "made_on": when, "probability": p,
               "interval_low": low, "interval_high": high, "method": reading.method, "scale": reading.scale,
               "scale_version": reading.scale_version, "phrase": values.text(phrase, "--phrase"),
               "quote": values.text(quote, "--quote"), "quote_offset": offset,
               "location": values.text(location, "--location"), "reasoning": values.text(reading.reasoning,
                                                                                          "--reasoning"),
               "coded_by": values.text(coded_by, "--coded-by") or (analyst() if reading.method != "stated" else None),
               "conditional_on": conditional_on, "note": values.text(note, "--note")}
        db["forecasts"].insert(row)
        db["forecast_authors"].insert_all({"forecast_id": fid, "author_id": a, "position": n}
                                          for n, a in enumerate(author_ids, 1))
        touched(db, [qid])
    return {**row, "authors": author_ids, "status": "created"}
