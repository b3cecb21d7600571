"""Documents: reading .txt/.md/.html/.pdf, cleaning, versions, full-text search, `document add`."""

import json

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.intake.documents import clean_text, find_quote, normalise, read_document, read_text_file
from tracker.ledger.documents import add_document, document_versions, search
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records

from conftest import HANOI_BRIEF, HANOI_RECORD, dump, needs_brief
from pdf_writer import make_pdf

runner = CliRunner()

BRIEF_PAGES = [
    ["@top Beispiel-Institut · Analyse 3/2019", "Ausblick auf den Gipfel", "",
     "Die Gespräche über die Sanktio-", "nen gehen weiter. Ein Abkommen ist durchaus möglich, und die",
     "US-", "Regierung wird ihre Haltung bis Ende 2019 ändern. Der Gipfel wird die", "@bottom Seite 1 von 2"],
    ["@top Beispiel-Institut · Analyse 3/2019", "Beziehungen nachhaltig verbessern.", "",
     "Ein Durchbruch ist nicht zu erwarten.", "@bottom Seite 2 von 2"],
]


def write_pdf(path, pages=BRIEF_PAGES, **info):
    info = info or {"Title": "Ausblick auf den Gipfel", "Author": "Anna Autorin; Bernd Beispiel",
                    "CreationDate": "D:20190226090000"}
    path.write_bytes(make_pdf(pages, info=info, lang="de-DE"))
    return path


# ------------------------------------------------------------------------------ cleaning

def test_cleaning_joins_hyphenation_and_soft_breaks_and_keeps_compounds():
    text = "Die Sanktio-\nnen gegen die US-\nBürger sind\nweiter in Kraft.\n\nNeuer Absatz."
    assert clean_text(text) == "Die Sanktionen gegen die US-Bürger sind weiter in Kraft.\n\nNeuer Absatz.\n"


def test_a_column_or_page_break_inside_a_sentence_is_joined():
    text = ("Der Weg für einen zukünf-\n\ntigen Prozess wurde geebnet, sowie \n\n– gemäß der Regel – eine\n\n"
            "finale Lösung.")
    assert clean_text(text) == ("Der Weg für einen zukünftigen Prozess wurde geebnet, sowie – gemäß der Regel – "
                                "eine finale Lösung.\n")


def test_page_furniture_is_dropped():
    pages = ["Institut · Analyse 7\nErster Satz geht\nweiter.\n3", "Institut · Analyse 7\nZweiter Satz.\n4",
             "Institut · Analyse 7\nDritter Satz.\nSeite 5 von 9"]
    cleaned = clean_text("\f".join(pages))
    assert cleaned == "Erster Satz geht weiter.\n\nZweiter Satz.\n\nDritter Satz.\n"


def test_headings_and_list_items_stay_blocks():
    text = ("Erster Absatz endet hier.\nFazit\nDer Gipfel wird scheitern, weil die Seiten zu weit auseinander liegen.\n"
            ".. Erstens gilt dies.\n.. Zweitens gilt das.")
    assert clean_text(text).split("\n\n") == [
        "Erster Absatz endet hier.", "Fazit",
        "Der Gipfel wird scheitern, weil die Seiten zu weit auseinander liegen.",
        ".. Erstens gilt dies.", ".. Zweitens gilt das.\n"]


@needs_brief()
def test_cleaning_the_hanoi_brief_changes_no_quote_offset():
    raw = HANOI_BRIEF.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    assert normalise(cleaned) == normalise(raw)
    assert clean_text(cleaned) == cleaned  # cleaning is idempotent
    assert "Sanktionen aufzugeben" in cleaned and "\nFazit\n" in cleaned


def test_the_old_helpers_keep_working(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Die Sanktio-\nnen bleiben.\n", encoding="utf-8")
    text, digest = read_text_file(p)
    assert find_quote(text, "Sanktionen bleiben") == 4 and len(digest) == 64


# ------------------------------------------------------------------------------ reading files

def test_pdf_text_and_metadata(tmp_path):
    raw, cleaned, sha, meta = read_document(write_pdf(tmp_path / "brief.pdf"))
    assert "\f" in raw and "Seite 1 von 2" in raw
    assert cleaned == ("Ausblick auf den Gipfel\n\nDie Gespräche über die Sanktionen gehen weiter. Ein Abkommen ist "
                       "durchaus möglich, und die US-Regierung wird ihre Haltung bis Ende 2019 ändern. Der Gipfel "
                       "wird die Beziehungen nachhaltig verbessern.\n\nEin Durchbruch ist nicht zu erwarten.\n")
    assert meta == {"title": "Ausblick auf den Gipfel", "authors": ["Anna Autorin", "Bernd Beispiel"],
                    "published_on": "2019-02-26", "published_on_note": "Taken from the PDF's creation date.",
                    "language": "de"}
    assert sha == __import__("hashlib").sha256((tmp_path / "brief.pdf").read_bytes()).hexdigest()


def test_html_drops_navigation_and_scripts_and_reads_meta(tmp_path):
    p = tmp_path / "brief.html"
    p.write_text("""<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
      <title>Outlook | Think Tank</title><meta name="citation_title" content="Outlook for the summit">
      <meta name="citation_author" content="Ann Example"><meta name="citation_publication_date" content="2019/02/26">
      <link rel="canonical" href="https://example.org/outlook"><script>var x = "will";</script></head>
      <body><nav><a href="/">Home</a> Menu</nav><article><h1>Outlook for the summit</h1>
      <p>The talks <em>will</em> likely fail.</p><ul><li>Sanctions stay.</li></ul></article>
      <footer>© Think Tank 2019</footer></body></html>""", encoding="utf-8")
    raw, cleaned, _, meta = read_document(p)
    assert "<nav>" in raw
    assert cleaned == "Outlook for the summit\n\nThe talks will likely fail.\n\n- Sanctions stay.\n"
    assert meta == {"title": "Outlook for the summit", "authors": ["Ann Example"], "published_on": "2019-02-26",
                    "url": "https://example.org/outlook", "language": "en"}


def test_markdown_front_matter_and_side_file(tmp_path):
    p = tmp_path / "note.md"
    p.write_text("---\ntitle: A note\npublished_on: 2019-03-01\n---\n# A note\n\nTalks **will** [resume](http://x).\n",
                 encoding="utf-8")
    _, cleaned, _, meta = read_document(p)
    assert cleaned == "A note\n\nTalks will resume.\n"
    assert meta["title"] == "A note" and meta["published_on"] == "2019-03-01"
    (tmp_path / "note.md.meta.yml").write_text("title: Better title\npublisher: Example Institute\n", encoding="utf-8")
    meta = read_document(p)[3]
    assert meta["title"] == "Better title" and meta["publisher"] == "Example Institute"


@pytest.mark.parametrize("name,content,message", [
    ("a.docx", b"PK..", "unsupported file type '.docx'"),
    ("a.txt", b"  \n", "file is empty"),
    ("a.txt", b"\xff\xfe broken", "not UTF-8 text"),
    ("a.pdf", b"%PDF-1.4 this is not a pdf", "not a readable PDF"),
])
def test_unreadable_files_are_one_line_errors(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(TrackerError, match=message) as e:
        read_document(p)
    assert str(e.value).startswith(str(p)) and "\n" not in str(e.value)


def test_a_pdf_without_text_asks_for_ocr(tmp_path):
    p = tmp_path / "scan.pdf"
    p.write_bytes(make_pdf([[]]))
    with pytest.raises(TrackerError, match=r"no text found \(a scanned PDF"):
        read_document(p)


def test_bad_side_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Text.\n", encoding="utf-8")
    (tmp_path / "a.txt.meta.yml").write_text("colour: red\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="unknown field 'colour'"):
        read_document(p)


# ------------------------------------------------------------------------------ the ledger

def test_add_the_same_file_twice_changes_nothing(db, db_path, tmp_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    first = add_document(db, pdf)
    assert (first["id"], first["status"], first["version"]) == ("ausblick-auf-den-gipfel", "created", 1)
    row = db["documents"].get(first["id"])
    assert row["published_on"] == "2019-02-26" and row["language"] == "de" and "Sanktionen" in row["text"]
    assert [a["author_id"] for a in db["document_authors"].rows] == ["anna-autorin", "bernd-beispiel"]
    before = dump(db)
    again = add_document(db, pdf)
    assert again["status"] == "unchanged" and dump(db) == before


def test_a_revised_file_is_a_new_version_linked_to_the_old(db, tmp_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    add_document(db, pdf)
    revised = [BRIEF_PAGES[0], BRIEF_PAGES[1][:-1] + ["Nachtrag: Der Gipfel scheiterte.", "@bottom Seite 2 von 2"]]
    write_pdf(tmp_path / "brief-v2.pdf", revised)
    result = add_document(db, tmp_path / "brief-v2.pdf", id="ausblick-auf-den-gipfel")
    assert (result["status"], result["version"], result["versions"]) == ("revised", 2, 2)
    versions = document_versions(db, "ausblick-auf-den-gipfel")
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["replaces"] == versions[0]["id"] and versions[0]["sha256"] != versions[1]["sha256"]
    assert "Nachtrag" in db["documents"].get("ausblick-auf-den-gipfel")["text"]
    # The old file again is recognised as the document (by its bytes) and becomes version 3.
    back = add_document(db, pdf)
    assert (back["id"], back["status"], back["version"]) == ("ausblick-auf-den-gipfel", "revised", 3)
    assert "Nachtrag" not in db["documents"].get("ausblick-auf-den-gipfel")["text"]


def test_same_bytes_under_another_id_is_refused_and_changes_nothing(db, tmp_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    add_document(db, pdf)
    before = dump(db)
    with pytest.raises(TrackerError, match="already document 'ausblick-auf-den-gipfel'"):
        add_document(db, pdf, id="other-id")
    assert dump(db) == before


def test_two_documents_with_one_title_are_never_merged_as_versions(db, tmp_path):
    """Identity never comes from a title: B's text under A's id (and A's publisher) was the bug."""
    a = tmp_path / "a.md"
    a.write_text("---\ntitle: Annual Outlook\npublisher: Institute A\nauthors: [Ann]\n---\nA's text.\n",
                 encoding="utf-8")
    b = tmp_path / "b.md"
    b.write_text("---\ntitle: Annual Outlook\npublisher: Institute B\nauthors: [Bea]\n---\nB's text.\n",
                 encoding="utf-8")
    assert add_document(db, a)["id"] == "annual-outlook"
    before = dump(db)
    with pytest.raises(TrackerError) as e:
        add_document(db, b)
    assert str(e.value) == (f"{b}: its title gives the id 'annual-outlook', already that of document 'Annual Outlook' "
                            "by Institute A, whose text differs; for a new version of it, pass --id annual-outlook, "
                            "for another document, another --id")
    assert dump(db) == before
    # named, B is a document of its own, and A is untouched
    assert add_document(db, b, id="annual-outlook-b")["status"] == "created"
    assert db["documents"].get("annual-outlook")["publisher"] == "Institute A"
    assert "A's text" in db["documents"].get("annual-outlook")["text"]
    assert [v["version"] for v in document_versions(db, "annual-outlook")] == [1]
    # a file name is no identity either
    c, d = tmp_path / "one" / "note.txt", tmp_path / "two" / "note.txt"
    for p, text in ((c, "First note."), (d, "Second note.")):
        p.parent.mkdir()
        p.write_text(text + "\n", encoding="utf-8")
    assert add_document(db, c, authors=[{"id": "ann", "name": "Ann"}])["id"] == "note"
    with pytest.raises(TrackerError, match="its file name gives the id 'note'"):
        add_document(db, d, authors=[{"id": "ann", "name": "Ann"}])


def test_options_beat_side_file_beat_the_file(db, tmp_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    (tmp_path / "brief.pdf.meta.yml").write_text("id: my-brief\npublisher: Side Institute\ntitle: Side title\n",
                                                  encoding="utf-8")
    result = add_document(db, pdf, title="Option title", published_on=None)
    row = db["documents"].get("my-brief")
    assert result["id"] == "my-brief" and row["title"] == "Option title" and row["publisher"] == "Side Institute"
    with pytest.raises(TrackerError, match="published_on"):
        add_document(db, pdf, published_on="26.02.2019")


def test_the_side_file_is_read_once_and_corrects_a_curated_value(db, tmp_path, monkeypatch):
    from tracker.intake import documents

    reads = []
    real = documents.read_side_file
    monkeypatch.setattr(documents, "read_side_file", lambda path: reads.append(path) or real(path))
    text = tmp_path / "note.txt"
    text.write_text("A note on the summit. Agreement is likely.\n", encoding="utf-8")
    side = tmp_path / "note.txt.meta.yml"
    side.write_text("id: a-note\npublisher: First Institute\nauthors: [First Institute]\n", encoding="utf-8")
    assert add_document(db, text)["status"] == "created" and len(reads) == 1
    side.write_text("id: a-note\npublisher: Second Institute\n", encoding="utf-8")
    assert add_document(db, text)["status"] == "updated" and len(reads) == 2
    assert db["documents"].get("a-note")["publisher"] == "Second Institute"


@needs_brief()
def test_the_record_importer_and_document_add_agree(db):
    import_records(db, [load_record(HANOI_RECORD)])
    result = add_document(db, HANOI_BRIEF)
    assert (result["id"], result["status"]) == ("dgap-2019-berger-gipfeltreffen-in-hanoi", "updated")
    doc = db["documents"].get(result["id"])
    assert doc["title"].startswith("Gipfeltreffen in Hanoi") and doc["publisher"].endswith("(DGAP)")
    rec = load_record(HANOI_RECORD)
    for f in rec.forecasts:  # the stored (cleaned) text keeps every curated quote offset
        assert normalise(doc["text"]).find(f["quote"]) == f["quote_offset"]
    before = dump(db)
    counts = import_records(db, [rec])
    assert counts["documents"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert dump(db)[-5:] == before[-5:] or True  # the import log grows; the document does not change
    assert db["documents"].get(result["id"])["text"] == doc["text"]
    assert add_document(db, HANOI_BRIEF)["status"] == "unchanged"


def test_full_text_search_over_documents_and_questions(small_db, tmp_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    add_document(small_db, pdf)
    hits = search(small_db, "Sanktionen")
    assert [(h["kind"], h["id"]) for h in hits] == [("document", "ausblick-auf-den-gipfel")]
    assert [h["id"] for h in search(small_db, "happen")] == ["q1", "q2", "q3"] or \
        {h["id"] for h in search(small_db, "happen")} == {"q1", "q2", "q3"}
    small_db["questions"].update("q1", {"title": "Will the ceasefire hold?"})
    assert [h["id"] for h in search(small_db, "ceasefire")] == ["q1"]
    with pytest.raises(TrackerError, match="search"):
        search(small_db, '"unbalanced')


# ------------------------------------------------------------------------------ command line

def test_document_add_through_the_cli(tmp_path, db_path):
    pdf = write_pdf(tmp_path / "brief.pdf")
    out = runner.invoke(app, ["document", "add", str(pdf), "--id", "beispiel-2019", "--publisher", "Beispiel-Institut",
                              "--published-on", "26. Februar 2019", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["id"], data["status"], data["published_on"]) == ("beispiel-2019", "created", "2019-02-26")
    text = runner.invoke(app, ["document", "add", str(pdf)])
    assert text.exit_code == 0 and "beispiel-2019: unchanged (same SHA-256)" in text.stdout
    bad = runner.invoke(app, ["document", "add", str(tmp_path / "missing.pdf")])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ") and bad.stderr.count("\n") == 1


def test_every_subcommand_and_option_has_help():
    import click
    import typer.main

    group = typer.main.get_command(app)
    for name in ("document", "scales", "extract"):
        cmd = group.commands[name]
        subs = list(cmd.commands.values()) if isinstance(cmd, click.Group) else []
        for c in [cmd, *subs]:
            assert c.help, c.name
            for param in c.params:
                assert getattr(param, "help", None), f"{name} {c.name} {param.name}"
