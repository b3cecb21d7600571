"""Documents in the ledger: adding a document or a new version of it, its versions and authors,
and full-text search. Reading and cleaning the files is tracker.intake.documents."""

from __future__ import annotations

from pathlib import Path

from tracker.errors import TrackerError
from tracker.intake.documents import (
    DOCUMENT_COLUMNS,
    METADATA_FIELDS,
    check_metadata,
    fallback_title,
    read_document,
    read_with_side_file,
    readable_id,
)
from tracker.ledger.connection import Ledger, touched, writing
from tracker.ledger.ids import unknown


def _document_id(db: Ledger, meta: dict, sha: str, path: Path) -> str:
    """The id given, else the document these exact bytes already are, else one with the same URL,
    else a readable id from the title or the file name, for a new document only.

    Identity never comes from a title (or a file name): two reports may share one ("Jahresausblick
    2019") and be different documents. An id made from one that a document already has is
    refused; a new version of a document names it with --id."""

    if meta.get("id"):
        return meta["id"]
    for row in db.query("select document_id from document_versions where sha256 = ? order by id desc limit 1", [sha]):
        return row["document_id"]
    if meta.get("url"):
        for row in db.query("select id from documents where url = ? order by id limit 1", [meta["url"]]):
            return row["id"]
    from_title = readable_id(meta.get("title") or "")
    slug = from_title or readable_id(path.stem)
    if not slug:
        raise TrackerError(f"{path}: cannot make a document id from its title or name; pass --id")
    for old in db.query("select title, publisher from documents where id = ?", [slug]):
        made_from = "its title" if from_title else "its file name"
        by = f" by {old['publisher']}" if old["publisher"] else ""
        raise TrackerError(f"{path}: {made_from} gives the id {slug!r}, already that of document {old['title']!r}"
                           f"{by}, whose text differs; for a new version of it, pass --id {slug}, for another "
                           f"document, another --id")
    return slug


def add_document(db: Ledger, path: str | Path, *, source: str | None = None, **metadata) -> dict:
    """Add a document (or a new version of one) to the ledger, in one transaction.

    Metadata: options (`metadata`, None = not given) over the side file over what the file
    carries. The same bytes again change nothing ("unchanged"), or only fill in what is missing
    ("updated"); different bytes under the same id are a new version linked to the previous one
    ("revised"). Returns {id, status, version, sha256, title, ...}. `source` is where the bytes
    came from when that is not the file (a URL they were fetched from).

    A document needs an author, from the options, the side file or the file itself; an
    institution can be one. Without one, a record exported from the ledger could not be imported.
    """
    path = Path(path)
    _raw, cleaned, sha, carried, side = read_with_side_file(path)
    given = {k: v for k, v in metadata.items() if v is not None}
    unknown = [k for k in given if k not in METADATA_FIELDS]
    if unknown:
        raise TrackerError(f"{path}: unknown metadata {unknown[0]!r}")
    meta = check_metadata({**carried, **given}, str(path))
    # Options and the side file may correct metadata; what the file itself carries (PDF info,
    # HTML <meta>) never overwrites a curated value, it only fills an empty one.
    explicit = set(given) | set(side)
    with writing(db):
        doc_id = _document_id(db, meta, sha, path)
        same = list(db.query("select document_id from document_versions where sha256 = ? and document_id != ? "
                             "union select id from documents where sha256 = ? and id != ?", [sha, doc_id, sha, doc_id]))
        if same:
            raise TrackerError(f"{path}: these exact bytes are already document {same[0]['document_id']!r} "
                               f"(same SHA-256); leave out --id, or pass --id {same[0]['document_id']}")
        existing = list(db.query("select * from documents where id = ?", [doc_id]))
        fields = {k: meta.get(k) for k in DOCUMENT_COLUMNS}
        if not existing:
            row = {"id": doc_id, **fields, "sha256": sha, "text": cleaned}
            row["title"] = row["title"] or fallback_title(cleaned, path)
            db["documents"].insert(row)
            status = "created"
        else:
            old = existing[0]
            change = {k: v for k, v in fields.items()
                      if v is not None and old.get(k) != v and (k in explicit or old.get(k) is None)}
            if old["sha256"] != sha:
                change.update({"sha256": sha, "text": cleaned})
                status = "revised"
            else:
                if old["text"] is None:
                    change["text"] = cleaned
                status = "updated" if change else "unchanged"
            if change:
                db["documents"].update(doc_id, change)
            if "language" in change:
                # the language decides which scales read its forecasts' phrases (sensitivity)
                touched(db, questions_of(db, doc_id))
        authors = meta.get("authors") or []
        current = [r["author_id"] for r in db.query(
            "select author_id from document_authors where document_id = ? order by position", [doc_id])]
        if not authors and not current:
            raise TrackerError(f"{source or path}: a document needs an author (an institution can be one); "
                               f"pass --author NAME")
        if authors and [a["id"] for a in authors] != current and ("authors" in explicit or not current):
            _set_authors(db, doc_id, authors)
            status = "updated" if status == "unchanged" else status
        [version] = db.query("select * from document_versions where document_id = ? order by version desc limit 1",
                             [doc_id])
        if status in ("created", "revised") or (status == "updated" and version["source"] is None):
            db.execute("update document_versions set source = ? where id = ?", [source or str(path), version["id"]])
        doc = db["documents"].get(doc_id)
    return {"id": doc_id, "status": status, "version": version["version"], "versions": _count_versions(db, doc_id),
            "sha256": sha, "title": doc["title"], "language": doc["language"], "published_on": doc["published_on"],
            "replaces": version["replaces"], "characters": len(cleaned)}


def questions_of(db: Ledger, doc_id: str) -> list[str]:
    """The questions a document's forecasts are on: what to re-score when its language changes,
    which decides the scales that read its phrases (the sensitivity scenarios)."""
    return [r[0] for r in db.execute("select distinct question_id from forecasts where document_id = ?", [doc_id])]


def _count_versions(db: Ledger, doc_id: str) -> int:
    return next(iter(db.query("select count(*) as n from document_versions where document_id = ?", [doc_id])))["n"]


def _set_authors(db: Ledger, doc_id: str, authors: list[dict]) -> None:
    for a in authors:
        if not list(db.query("select 1 from authors where id = ?", [a["id"]])):
            db["authors"].insert({"id": a["id"], "name": a["name"], "affiliation": a.get("affiliation")})
    db.execute("delete from document_authors where document_id = ?", [doc_id])
    db["document_authors"].insert_all(
        {"document_id": doc_id, "author_id": a["id"], "position": n} for n, a in enumerate(authors, 1))


def document_versions(db: Ledger, doc_id: str) -> list[dict]:
    """Every version of a document, oldest first, without the texts."""
    rows = list(db.query("select id, document_id, version, sha256, replaces, recorded_at, source, "
                         "length(text) as characters from document_versions where document_id = ? order by version",
                         [doc_id]))
    if not rows:
        raise unknown(db, "document", doc_id)
    return rows


def document_authors(db: Ledger, doc_id: str) -> list[dict]:
    return list(db.query("select a.id, a.name, a.affiliation from document_authors da join authors a "
                         "on a.id = da.author_id where da.document_id = ? order by da.position", [doc_id]))


def get_document(db: Ledger, doc_id: str) -> dict:
    rows = list(db.query("select * from documents where id = ?", [doc_id]))
    if not rows:
        raise unknown(db, "document", doc_id, f"document {doc_id!r}: no such document in the ledger")
    return rows[0]


def search(db: Ledger, query: str, limit: int = 20) -> list[dict]:
    """Documents and questions matching an FTS5 query, best first."""
    out = []
    for table, cols in (("documents", "title"), ("questions", "title")):
        try:
            rows = db.query(f"select {table}.id, {table}.{cols} as title, bm25({table}_fts) as rank from {table}_fts "
                            f"join {table} on {table}.rowid = {table}_fts.rowid where {table}_fts match ? "
                            f"order by rank limit ?", [query, limit])
            out += [{"kind": table[:-1], **r} for r in rows]
        except Exception as e:  # sqlite3.OperationalError on FTS syntax
            raise TrackerError(f"search {query!r}: {e}") from None
    return sorted(out, key=lambda r: r["rank"])[:limit]


def for_file(db: Ledger, path: str | Path) -> tuple[dict, list[dict], str]:
    """(document row, authors, text) for a file: the ledger's document if these bytes are in it,
    else one made from the file's metadata (not stored)."""
    from tracker.intake.extract import from_file

    _raw, cleaned, sha, _meta = read_document(path)
    for row in db.query("select document_id from document_versions where sha256 = ? order by id desc limit 1", [sha]):
        doc = get_document(db, row["document_id"])
        return doc, document_authors(db, doc["id"]), cleaned
    return from_file(path)


def stored(db: Ledger, doc_id: str) -> tuple[dict, list[dict], str]:
    """(document row, authors, text) of a document in the ledger; its text must be stored."""
    doc = get_document(db, doc_id)
    if not doc.get("text"):
        raise TrackerError(f"document {doc_id!r}: its text is not stored; run `tracker document add FILE` "
                           f"or `tracker import --text FILE`")
    return doc, document_authors(db, doc_id), doc["text"]
