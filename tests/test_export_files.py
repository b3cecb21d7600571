"""`tracker export`'s files: names made safe and unique from any id, the record inside keeping the id
as it is, a manifest written last, and a failure that leaves the previous export byte for byte."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tracker.cli import app
from tracker.ledger import files
from tracker.ledger.files import safe_stem
from tracker.ledger.records.export import MANIFEST, UNDOCUMENTED, check_export, export_records, file_name
from tracker.ledger.records.load import load_record, record_paths
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db

#: Ids that are no safe file name as they are: lower-case slugs, as ids were before they were kept
#: verbatim, and ids as other projects write them (issue #15).
SLUG_HOSTILE = ["con", "nul.backup", "com1", "lpt9", "aux", "a.", "x..y", "no-document", "prn-x", "a" * 500]
VERBATIM_HOSTILE = ["manifold:TPkEjiNb1wVCIGFnPcDD", "sf-Ab", "sf-aB", "Иван Петров", "王伟", "a/b", "..", "CON",
                    "Con.txt", "a\\b", 'q"*?<>|', "end.", "x" * 500, "Straße", "STRASSE", "e\u0301", "\u00e9",
                    "NO-DOCUMENT", "-rf", "~user", ".hidden", "a:b/c\\d", "inner  spaces"]
#: Ids no loader accepts, which a ledger could still hold (written by another tool)
UNLOADABLE = ["end ", " lead", "tab\there", "new\nline", "\x00nul"]
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in "0123456789¹²³")}


def _is_safe(name: str) -> bool:
    base = name.split(".", 1)[0].rstrip(" ")
    return (not re.search(r'[/\\:*?"<>|]', name) and all(unicodedata.category(c)[0] != "C" for c in name)
            and base.casefold() not in WINDOWS_RESERVED and not name.endswith((".", " "))
            and not name.startswith((".", "-", "~", " ")) and len(name.encode("utf-8")) <= 100)


def _folded(name: str) -> str:
    """The name as a file system that ignores case and Unicode normalisation sees it."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def test_every_id_gets_a_safe_name_no_other_id_shares_even_ignoring_case():
    plain = ["doc-a", "dgap-2019-berger", "a.b", "a" * 80, "a" * 81]
    ids = list(dict.fromkeys(SLUG_HOSTILE + VERBATIM_HOSTILE + UNLOADABLE + plain))
    names = [file_name(i) for i in ids]
    assert all(_is_safe(n) and n.endswith(".yml") for n in names), [n for n in names if not _is_safe(n)]
    assert len({_folded(n) for n in names + [UNDOCUMENTED, MANIFEST]}) == len(names) + 2
    assert names == [file_name(i) for i in ids]  # the same id, the same name, every run


def test_a_plain_id_is_its_own_name_and_names_do_not_change_between_versions():
    # pinned: a change here renames every exported file in every repository that holds an export
    assert [file_name(i) for i in ("doc-a", "a.", "a" * 80)] == ["doc-a.yml", "a..yml", "a" * 80 + ".yml"]
    assert file_name("sf-Ab") == "sf-Ab+b9421fa5ad690e73.yml"
    assert file_name("sf-aB") == "sf-aB+af0a1335bd3361c6.yml"
    assert file_name("manifold:TPkEjiNb1wVCIGFnPcDD") == "manifold-TPkEjiNb1wVCIGFnPcDD+5359ee230709237c.yml"
    assert file_name("Иван Петров") == "Иван-Петров+2b8929bad387d796.yml"
    assert file_name("..") == "+5ec1f7e700f37c3d.yml"
    assert file_name("con") == "con+" + hashlib.sha256(b"con").hexdigest()[:16] + ".yml"
    assert file_name("no-document").startswith("no-document+") and file_name(None) == UNDOCUMENTED
    assert len(file_name("a" * 500).encode()) <= 81 and len(safe_stem("ж" * 500).encode()) <= 77


# ---------------------------------------------------------------------------------- round trips

def _record(n: int, doc: str, author: str, question: str, forecast: str) -> dict:
    return {
        "document": {"id": doc, "title": f"Brief {n}", "publisher": "Example Institute",
                     "published_on": dt.date(2019, 1, 1) + dt.timedelta(days=n), "language": "en", "authors": [author]},
        "authors": [{"id": author, "name": f"Author {n}"}],
        "questions": [{"id": question, "title": f"Will thing {n} happen?", "resolve_by": dt.date(2019, 12, 31)}],
        "forecasts": [{"id": forecast, "question": question, "probability": 0.7, "method": "stated"}],
        "outcomes": [{"question": question, "outcome": "yes", "resolved_on": dt.date(2019, 6, 1)}],
    }


def _ledger_with(tmp_path: Path, ids: list[str], name: str = "ledger"):
    """A ledger with one document per id, whose author, question and forecast carry the id too."""
    source = tmp_path / f"{name}-records"
    source.mkdir()
    for n, i in enumerate(ids):
        (source / f"r{n}.yml").write_text(yaml.safe_dump(_record(n, i, i, i, i), allow_unicode=True),
                                          encoding="utf-8")
    db = open_db(tmp_path / f"{name}.db")
    import_records(db, [load_record(p) for p in record_paths([source])])
    return db


def _rows(db) -> dict[str, list[tuple]]:
    """The ledger's rows, without the outcome log's row ids and sources (file names)."""
    queries = {t: f"select * from {t}" for t in ("authors", "documents", "questions", "document_authors")}
    # which import created a row (import_group) is the trail's, not the record's
    for t in ("forecasts", "forecast_authors"):
        columns = [r[1] for r in db.execute(f"pragma table_info({t})") if r[1] != "import_group"]
        queries[t] = f"select {', '.join(columns)} from {t}"
    queries["outcomes"] = ("select question_id, action, outcome, resolved_on, recorded_by, recorded_at, note "
                           "from outcomes")
    queries["outcome_evidence"] = ("select o.question_id, e.position, e.url, e.summary from outcome_evidence e "
                                   "join outcomes o on o.id = e.outcome_id")
    return {t: sorted(map(tuple, db.execute(q).fetchall()), key=repr) for t, q in queries.items()}


def _round_trip(tmp_path: Path, db, ids: list[str]) -> None:
    out = tmp_path / "out"
    written = export_records(db, out)
    assert len(written) == len(ids) and all(_is_safe(p.name) for p in written)
    assert len({_folded(p.name) for p in written}) == len(ids)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(f["document"] for f in manifest["files"]) == sorted(ids)  # verbatim, as the ledger has them
    for f in manifest["files"]:
        assert yaml.safe_load((out / f["name"]).read_text(encoding="utf-8"))["document"]["id"] == f["document"]
    fresh = open_db(tmp_path / "fresh.db")
    import_records(fresh, [load_record(p) for p in record_paths([out])])
    assert _rows(fresh) == _rows(db)
    again = tmp_path / "again"
    export_records(fresh, again)
    assert {p.name: p.read_bytes() for p in again.glob("*.yml")} == {p.name: p.read_bytes() for p in out.glob("*.yml")}


def test_hostile_ids_round_trip_under_safe_names(tmp_path):
    ids = SLUG_HOSTILE + VERBATIM_HOSTILE
    _round_trip(tmp_path, _ledger_with(tmp_path, ids), ids)


def test_times_of_day_round_trip_as_iso_8601(small_record, tmp_path):
    small_record.write_text(small_record.read_text()
                            .replace("  - id: f1\n", "  - id: f1\n    made_on: 2019-02-26T10:30:00+02:00\n")
                            .replace("resolved_on: 2019-02-28", "resolved_on: 2019-02-28T12:00:00Z"))
    db = open_db(tmp_path / "times.db")
    import_records(db, [load_record(small_record)])
    [path] = export_records(db, tmp_path / "out")
    text = path.read_text()
    assert "    made_on: 2019-02-26T08:30:00+00:00\n" in text and "    resolved_on: 2019-02-28T12:00:00+00:00\n" in text
    elsewhere = tmp_path / "round-trip"
    elsewhere.mkdir()
    _round_trip(elsewhere, db, ["doc-a"])


def test_a_document_called_no_document_keeps_its_forecasts_beside_the_undocumented(tmp_path):
    """Issue #18: export's catch-all file overwrote the document no-document, losing it with its
    forecasts and outcomes."""
    from tracker.imports.forecast_rows import import_forecasts
    from tracker.imports.outcome_rows import import_outcomes

    db = _ledger_with(tmp_path, ["no-document"])
    table = tmp_path / "loose.csv"
    table.write_text("question_id,author,probability,made_on\nloose-q,Ann,0.6,2019-01-01\n", encoding="utf-8")
    import_forecasts(db, table)
    outcomes = tmp_path / "loose-outcomes.csv"
    outcomes.write_text("question_id,outcome,resolved_on\nloose-q,no,2019-02-01\n", encoding="utf-8")
    import_outcomes(db, outcomes)
    names = sorted(p.name for p in export_records(db, tmp_path / "out"))
    assert names == sorted([UNDOCUMENTED, file_name("no-document")]) and file_name("no-document") != UNDOCUMENTED
    fresh = open_db(tmp_path / "fresh.db")
    import_records(fresh, [load_record(p) for p in record_paths([tmp_path / "out"])])
    assert _rows(fresh) == _rows(db)
    assert fresh["documents"].count == 1 and fresh["forecasts"].count == 2


# ------------------------------------------------------------------------------------ manifest

def test_the_manifest_lists_every_file_with_its_digest_and_the_ledgers_counts(small_db, tmp_path):
    from tracker import __version__

    out = tmp_path / "out"
    [path] = export_records(small_db, out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    # no time of export: exporting an unchanged ledger again changes no byte, so git shows no diff
    assert set(manifest) == {"format", "tracker", "ledger_schema", "records", "files"}
    assert manifest["format"] == "tracker-export/1" and manifest["tracker"] == __version__
    steps = [r[0] for r in small_db.execute("select name from _sqlite_migrations where migration_set = 'tracker' "
                                            "order by rowid")]
    assert manifest["ledger_schema"] == steps[-1] and steps[-1].startswith("m0")
    assert manifest["records"] == {"documents": 1, "authors": 2, "questions": 3, "forecasts": 4, "outcomes": 2}
    assert manifest["files"] == [{"name": "doc-a.yml", "document": "doc-a",
                                  "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                  "bytes": path.stat().st_size,
                                  "records": {"documents": 1, "authors": 2, "questions": 3, "forecasts": 4,
                                              "outcomes": 2}}]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "doc-a.yml"]  # nothing temporary is left
    assert check_export(out) == []
    path.write_text(path.read_text() + "# edited\n")
    assert check_export(out) == [f"{path}: differs from MANIFEST.json; the export is incomplete, "
                                 "or the file was changed"]
    path.unlink()
    assert check_export(out) == [f"{path}: missing; the export is incomplete"]
    (out / MANIFEST).unlink()
    assert check_export(out) == [f"{out / MANIFEST}: missing; this is no complete export"]


def test_import_refuses_an_export_missing_a_file_and_takes_one_edited_by_hand(small_db, tmp_path):
    out = tmp_path / "out"
    [path] = export_records(small_db, out)
    assert record_paths([out]) == [path]
    path.write_text(path.read_text(encoding="utf-8") + "# an analyst's edit\n", encoding="utf-8")
    assert record_paths([out]) == [path]  # the curated record is meant to be edited
    path.unlink()
    result = CliRunner().invoke(app, ["import", str(out)])
    assert result.exit_code == 1 and f"{path}: missing; the export is incomplete" in result.stderr
    assert "Traceback" not in result.output


def test_exporting_an_unchanged_ledger_again_changes_no_byte(small_db, tmp_path):
    out = tmp_path / "out"
    export_records(small_db, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    export_records(small_db, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_new_export_removes_only_the_files_the_last_one_wrote_and_nobody_changed(tmp_path):
    out = tmp_path / "out"
    export_records(_ledger_with(tmp_path, ["doc-a", "doc-b", "doc-c"], "three"), out)
    (out / "README.md").write_text("mine")
    (out / "mine.yml").write_text("hand-written, not imported yet")
    (out / "doc-c.yml").write_text((out / "doc-c.yml").read_text() + "# an analyst's edit\n")
    export_records(_ledger_with(tmp_path, ["doc-a"], "one"), out)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "README.md", "doc-a.yml", "doc-c.yml", "mine.yml"]
    assert check_export(out) == []


def test_export_into_a_directory_whose_manifest_lists_paths_outside_it(tmp_path, small_db):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.yml"
    victim.write_text("keep me")
    listed = [{"name": n, "sha256": hashlib.sha256(b"keep me").hexdigest()} for n in ("../victim.yml", str(victim))]
    (out / MANIFEST).write_text(json.dumps({"format": "tracker-export/1", "files": listed}))
    export_records(small_db, out)
    assert victim.read_text() == "keep me"


# ---------------------------------------------------------------------------------------- faults

def _tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under `root`, hidden ones too: a file's bytes, None for a directory."""
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.fixture
def exported(tmp_path, small_record):
    """An export of a ledger with the small record and a second document, and that ledger with one
    more document and a changed forecast, so that every file of the next export differs."""
    runner = CliRunner()
    other = small_record.with_name("doc-b.yml")
    other.write_text(small_record.read_text().replace("id: doc-a", "id: doc-b").replace("id: f", "id: g")
                     .replace("conditional_on: f1", "conditional_on: g1"))
    assert runner.invoke(app, ["import", str(small_record.parent)]).exit_code == 0
    out = tmp_path / "out"
    assert runner.invoke(app, ["export", str(out)]).exit_code == 0
    third = small_record.with_name("doc-c.yml")
    third.write_text(other.read_text().replace("id: doc-b", "id: doc-c").replace("id: g", "id: h")
                     .replace("conditional_on: g1", "conditional_on: h1"))
    small_record.write_text(small_record.read_text().replace("probability: 0.8", "probability: 0.75"))
    assert runner.invoke(app, ["import", str(small_record.parent)]).exit_code == 0
    return out


def _fail_at(monkeypatch, target, name: str, n: int, error: int = errno.ENOSPC) -> list:
    """Make the n-th call of target.name raise the OSError that `error` names; the rest work."""
    real = getattr(target, name)
    calls: list = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise OSError(error, os.strerror(error), str(args[-1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)
    return calls


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_write_that_fails_midway_leaves_the_last_export_as_it_was(exported, monkeypatch, n):
    before = _tree(exported)
    _fail_at(monkeypatch, files, "_write_synced", n)
    result = CliRunner().invoke(app, ["export", str(exported)])
    assert result.exit_code == 1
    name = ["doc-a.yml", "doc-b.yml", "doc-c.yml", MANIFEST][n - 1]
    assert result.stderr == f"Error: {exported / name}: cannot write (No space left on device)\n"
    assert _tree(exported) == before


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_rename_that_fails_midway_puts_every_old_file_back(exported, monkeypatch, n):
    before = _tree(exported)
    calls = _fail_at(monkeypatch, os, "replace", n, errno.EIO)
    result = CliRunner().invoke(app, ["export", str(exported)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.fullmatch(rf"Error: {re.escape(str(exported))}/\S+: cannot write \(Input/output error\)\n", result.stderr)
    assert len(calls) == n + [0, 1, 2, 2][n - 1]  # doc-a and doc-b put back; doc-c was new, and is removed
    assert _tree(exported) == before
    assert CliRunner().invoke(app, ["export", str(exported)]).exit_code == 0
    assert check_export(exported) == [] and (exported / "doc-c.yml").exists()


def test_where_hard_links_fail_the_old_files_are_copied_aside(exported, monkeypatch):
    before = _tree(exported)
    monkeypatch.setattr(os, "link", lambda *a: (_ for _ in ()).throw(OSError(errno.EPERM, "no links")))
    _fail_at(monkeypatch, os, "replace", 3, errno.EIO)
    assert CliRunner().invoke(app, ["export", str(exported)]).exit_code == 1
    assert _tree(exported) == before


def test_a_first_export_that_fails_leaves_no_directory(small_db, tmp_path, monkeypatch):
    _fail_at(monkeypatch, files, "_write_synced", 1)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "new" / "out")])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert not (tmp_path / "new").exists()


KILLED_EXPORT = """
import os, sys, time
from tracker.ledger import files

stage, at = sys.argv[1], int(sys.argv[2])
real = getattr(files if stage == "write" else os, "_write_synced" if stage == "write" else "replace")
calls = []

def slow(*args):
    calls.append(1)
    if len(calls) == at:
        print("ready", flush=True)
        time.sleep(60)
    return real(*args)

setattr(files if stage == "write" else os, "_write_synced" if stage == "write" else "replace", slow)
from tracker.cli import app
app(sys.argv[3:])
"""


def _kill_export(exported: Path, stage: str, at: int) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, stage, str(at), "export", str(exported)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    finally:
        proc.kill()
        proc.wait()


def test_an_export_killed_while_writing_leaves_the_last_one_and_the_next_tidies_up(exported):
    before = _tree(exported)
    _kill_export(exported, "write", 2)
    after = _tree(exported)
    [left] = [name for name in after if name not in before and "/" not in name]  # its temporary directory
    assert re.fullmatch(r"\.export\.[0-9a-f]{8}\.tracker-partial", left)
    assert {k: v for k, v in after.items() if not k.startswith(left)} == before
    assert check_export(exported) == []
    assert CliRunner().invoke(app, ["export", str(exported)]).exit_code == 0
    assert sorted(_tree(exported)) == [MANIFEST, "doc-a.yml", "doc-b.yml", "doc-c.yml"]


def test_an_export_killed_while_renaming_is_seen_to_be_incomplete(exported):
    _kill_export(exported, "replace", 2)  # doc-a.yml is new, doc-b.yml and the manifest are old
    assert check_export(exported) == [f"{exported / 'doc-a.yml'}: differs from MANIFEST.json; "
                                      "the export is incomplete, or the file was changed"]
    assert CliRunner().invoke(app, ["export", str(exported)]).exit_code == 0
    assert check_export(exported) == [] and sorted(_tree(exported)) == [MANIFEST, "doc-a.yml", "doc-b.yml",
                                                                        "doc-c.yml"]


def test_a_temporary_in_use_is_never_taken_for_an_abandoned_one(tmp_path):
    for directory in (False, True):
        with files.temporary(tmp_path / "out", directory=directory) as tmp:
            files.remove_abandoned(tmp_path / "out")  # as another export into the same place would
            assert tmp.exists()
        files.remove_abandoned(tmp_path / "out")
        assert not tmp.exists()
    mine = tmp_path / ".out.0123abcd.tracker-partial.bak"  # not a name temporary gives
    mine.write_text("mine")
    files.remove_abandoned(tmp_path / "out")
    assert mine.read_text() == "mine"
