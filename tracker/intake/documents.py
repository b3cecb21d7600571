"""Documents: reading .txt/.md/.html/.pdf, cleaning, hashing, versions, and the normalised form
that quotes are matched against.

`read_document` gives the raw text, the cleaned text (what a reader reads: page furniture
dropped, line-break hyphenation and soft line breaks joined), the SHA-256 of the raw bytes and
the metadata the file carries. tracker.ledger.documents stores a document, or a new version
of it. The cleaned text normalises to the same string as the raw text whenever nothing was
dropped, so record quotes and their offsets hold for either (tests check this on the Hanoi brief).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import TrackerError

# A hyphen at the end of a line followed by a lower-case letter is a word broken by the layout
# ("Sanktio-\nnen"). Before a capital it is a German compound ("US-\nBürgern") and stays.
_BROKEN_WORD = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=[a-zäöüß])")
_COMPOUND_BREAK = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=[A-ZÄÖÜ])")
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Join hyphenated line breaks and fold every run of white space into one space."""
    text = _COMPOUND_BREAK.sub("-", _BROKEN_WORD.sub("", text))
    return _WHITESPACE.sub(" ", text).strip()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """A file's SHA-256, read in pieces (a table or a published ledger can be large)."""
    from tracker import inputs

    try:
        with inputs.regular_file(path).open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise TrackerError(f"{path}: cannot read ({e.strerror})") from None


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, with a one-line error for a file that cannot be read or holds nothing."""
    from tracker import inputs

    data = inputs.read_bytes(path)
    if not data.strip():
        raise TrackerError(f"{path}: file is empty")
    return data


def read_text_file(path: str | Path) -> tuple[str, str]:
    """(text, sha256 of the raw bytes) of a UTF-8 text file, with a one-line error for anything else."""
    path = Path(path)
    from tracker import inputs

    data = _read_bytes(path)
    return inputs.decode(data, path), sha256_bytes(data)


def find_quote(text: str, quote: str) -> int:
    """Offset of `quote` in the normalised `text`, or -1 when it is not there."""
    return normalise(text).find(normalise(quote))


# ------------------------------------------------------------------------------ cleaning text

_TERMINAL = re.compile(r"[.!?:;…\"“”»«)\]]$")
_LOWER_START = re.compile(r"^[a-zäöüß]")
_UPPER_START = re.compile(r"^[A-ZÄÖÜ0-9\"„“»(]")
# Bullet markers at the start of a line: "..", "•", "▪", "◦", "●", "*", or a dash before a capital.
_BULLET = re.compile(r"^(?:\.\.|[•▪◦●■□➢►*]|[-–—](?=\s+[A-ZÄÖÜ0-9\"„]))\s+")
_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:(?:seite|page|s\.|p\.)\s*)?\d{1,4}(?:\s*(?:/|von|of)\s*\d{1,4})?"
                          r"(?:\s*[-–—])?$", re.I)
_PAGE_LABEL = re.compile(r"^(?:seite|page)\s+\d{1,4}\s+(?:von|of)\s+\d{1,4}$", re.I)


@dataclass
class Block:
    """A heading, a paragraph or a list item of a cleaned text, as one line."""

    kind: str   # heading | paragraph | item
    text: str


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().lower()))


def drop_furniture(text: str) -> str:
    """Remove page numbers and headers/footers repeated on most pages. Pages are separated by form
    feeds (as PDF extraction and pdftotext write them); a text without them only loses lines such
    as "Seite 3 von 7"."""
    pages = text.split("\f")
    if len(pages) < 2:
        return "\n".join(line for line in text.split("\n") if not _PAGE_LABEL.match(line.strip()))
    edges: list[list[int]] = []
    counts: dict[str, int] = {}
    for page in pages:
        lines = page.split("\n")
        filled = [i for i, line in enumerate(lines) if line.strip()]
        edge = filled[:3] + filled[-3:]
        edges.append(edge)
        for key in {_furniture_key(lines[i]) for i in edge}:
            counts[key] = counts.get(key, 0) + 1
    real_pages = sum(1 for p in pages if p.strip())
    repeated = {k for k, n in counts.items() if n >= 2 and n * 2 >= real_pages}
    out = []
    for page, edge in zip(pages, edges, strict=True):
        lines = page.split("\n")
        filled = [i for i, line in enumerate(lines) if line.strip()]
        outer = set(filled[:2] + filled[-2:])
        drop = {i for i in edge if _furniture_key(lines[i]) in repeated}
        drop |= {i for i in outer if _PAGE_NUMBER.match(lines[i].strip()) or _PAGE_LABEL.match(lines[i].strip())}
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    # A page break stays marked by a line holding only a form feed: `blocks` joins a sentence
    # across it when the text runs on.
    return "\n\f\n".join(out)


def _join(a: str, b: str) -> str:
    """Join two lines the way `normalise` does: a broken word is mended, a compound keeps its hyphen."""
    if re.search(r"\w-$", a):
        if re.match(r"[a-zäöüß]", b):
            return a[:-1] + b
        if re.match(r"[A-ZÄÖÜ]", b):
            return a + b
    return f"{a} {b}"


def _runs_on(a: str, b: str, full_line: bool = False) -> bool:
    """Whether text goes on across a blank line (a column or page break inside a sentence): after
    a broken word, or when `a` ends without punctuation and `b` starts in lower case or with a
    dash, or `a`'s last line ran the full width (a title's last line is short)."""
    if re.search(r"\w-$", a):
        return True
    return not _TERMINAL.search(a) and bool(_LOWER_START.match(b) or re.match(r"^[–—]\s", b) or full_line)


def blocks(text: str) -> list[Block]:
    """The text as a reader sees it: headings, paragraphs and list items, each on one line.

    Line-break hyphenation is undone and soft line breaks are joined exactly as `normalise` does
    it, so `normalise` of the blocks joined equals `normalise(text)` whenever no page furniture
    was dropped."""
    source = drop_furniture(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    page_breaks = {i for i, line in enumerate(source) if "\f" in line}
    lines = [line.strip() for line in source]
    nonblank = [i for i, line in enumerate(lines) if line]
    widths = sorted(len(lines[i]) for i in nonblank)
    full_width = 0.7 * widths[len(widths) * 3 // 4] if widths else 0
    out: list[Block] = []
    blank_before = True
    last_len = 0  # length of the last line added to the open block
    for pos, i in enumerate(nonblank):
        line = lines[i]
        blank_before = pos == 0 or nonblank[pos - 1] != i - 1
        nxt = lines[nonblank[pos + 1]] if pos + 1 < len(nonblank) else None
        cur = out[-1] if out else None
        open_text = cur is not None and cur.kind != "heading" and not _TERMINAL.search(cur.text)
        # Across a page break a sentence may go on with a capital (a German noun) after a full line.
        full = last_len >= full_width and any(k in page_breaks for k in range(nonblank[pos - 1] if pos else 0, i))
        if _BULLET.match(line) and not (open_text and line[0] in "-–—"):
            out.append(Block("item", line))
        elif (not open_text or blank_before) and _is_heading(line, nxt):
            if cur is not None and blank_before and open_text and _runs_on(cur.text, line):
                cur.text = _join(cur.text, line)
            else:
                out.append(Block("heading", line))
        elif cur is None or cur.kind == "heading" or (blank_before and not _runs_on(cur.text, line, full)):
            out.append(Block("paragraph", line))
        else:
            cur.text = _join(cur.text, line)
        last_len = len(line)
    return out


def _is_heading(line: str, nxt: str | None) -> bool:
    if re.search(r"[.,;:\-]$", line) or not _UPPER_START.match(line):
        return False
    if len(line.split()) > 12 or len(line) > 90:
        return False
    return nxt is not None and len(line) < 0.75 * len(nxt) and bool(_UPPER_START.match(nxt))


def clean_text(text: str) -> str:
    """What a reader reads: page furniture dropped, hyphenation and soft line breaks joined, one
    block (heading, paragraph, list item) per line with a blank line between blocks."""
    return "\n\n".join(b.text for b in blocks(text)) + "\n"


# ------------------------------------------------------------------------------ reading files

SUPPORTED = (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf")
METADATA_FIELDS = ("id", "title", "publisher", "series", "published_on", "published_on_note", "language",
                   "url", "url_note", "authors")


def read_document(path: str | Path) -> tuple[str, str, str, dict]:
    """(raw text, cleaned text, sha256 of the raw bytes, metadata) of a .txt, .md, .html or .pdf file.

    Metadata comes from the file itself (PDF info, HTML <title>/<meta>, Markdown front matter),
    overridden by a side file FILE.meta.yml beside it. Options given to `add_document` override both.
    """
    return read_with_side_file(path)[:4]


def read_with_side_file(path: str | Path) -> tuple[str, str, str, dict, dict]:
    """read_document's four, and the side file's metadata on its own (what `add_document` lets
    correct a curated value)."""
    from tracker import inputs

    path = inputs.regular_file(path)  # a directory or a pipe is named as one, before its suffix
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise TrackerError(f"{path}: unsupported file type {suffix or '(none)'!r} (use .txt, .md, .html or .pdf)")
    data = _read_bytes(path)
    if suffix == ".pdf":
        raw, cleaned, meta = _read_pdf(path, data)
    elif suffix in (".html", ".htm"):
        raw, cleaned, meta = _read_html(path, data)
    else:
        raw = inputs.decode(data, path)
        if suffix in (".md", ".markdown"):
            raw_body, meta = _markdown(path, raw)
            cleaned = clean_text(raw_body)
        else:
            cleaned, meta = clean_text(raw), {}
    if not cleaned.strip():
        raise TrackerError(f"{path}: no text found" + (" (a scanned PDF? run OCR first)" if suffix == ".pdf" else ""))
    meta = {k: v for k, v in meta.items() if v not in (None, "", [])}
    side = read_side_file(path)
    meta.update(side)
    return raw, cleaned, sha256_bytes(data), meta, side


def side_file(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".meta.yml")


def read_side_file(path: str | Path) -> dict:
    """Metadata from FILE.meta.yml beside FILE (an empty dict when there is none)."""
    from tracker import inputs

    meta_path = side_file(path)
    if not meta_path.exists():
        return {}
    data = inputs.read_yaml(meta_path)[1]
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TrackerError(f"{meta_path}: expected a mapping of metadata fields")
    unknown = [k for k in data if k not in METADATA_FIELDS]
    if unknown:
        raise TrackerError(f"{meta_path}: unknown field {unknown[0]!r} (allowed: {', '.join(METADATA_FIELDS)})")
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items() if v is not None}


def _split_names(value: str) -> list[str]:
    return [n.strip() for n in re.split(r";|\s+(?:and|und|&)\s+|,(?=\s*[A-ZÄÖÜ][^,]*\s)", value) if n.strip()]


def _pdf_date(value: str) -> str | None:
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})(\d{2})", value)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _read_pdf(path: Path, data: bytes) -> tuple[str, str, dict]:
    """pdfminer.six: its layout analysis puts the text boxes of a page in reading order, across
    columns, which briefs are set in."""
    import io

    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    pages: list[str] = []
    meta: dict = {}
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        manager = PDFResourceManager()
        device = PDFPageAggregator(manager, laparams=LAParams())
        interpreter = PDFPageInterpreter(manager, device)
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            layout = device.get_result()
            boxes = [el.get_text().rstrip("\n") for el in layout if isinstance(el, LTTextContainer)]
            pages.append("\n\n".join(b for b in boxes if b.strip()))
        info = {}
        for entry in document.info:
            for key, value in entry.items():
                value = resolve1(value)
                if isinstance(value, bytes):
                    value = decode_text(value)
                elif isinstance(value, PSLiteral):
                    value = value.name
                if isinstance(value, str) and value.strip():
                    info[key] = value.strip()
        lang = resolve1(document.catalog.get("Lang"))
    except Exception as e:  # pdfminer raises many unrelated types for broken files
        raise TrackerError(f"{path}: not a readable PDF ({type(e).__name__}: {str(e)[:80]})") from None
    if isinstance(lang, bytes):
        meta["language"] = decode_text(lang).split("-")[0].lower()
    if info.get("Title"):
        meta["title"] = info["Title"]
    if info.get("Author"):
        meta["authors"] = _split_names(info["Author"])
    created = _pdf_date(info.get("CreationDate", ""))
    if created:
        meta["published_on"] = created
        meta["published_on_note"] = "Taken from the PDF's creation date."
    raw = "\f".join(pages)
    return raw, clean_text(raw), meta


_HTML_FURNITURE = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
                   "button", "svg", "iframe", "menu")
_HTML_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd",
                "figcaption", "td", "th", "caption", "address")


def _read_html(path: Path, data: bytes) -> tuple[str, str, dict]:
    """BeautifulSoup (with Python's own html.parser): tolerant of broken markup, and it finds the
    encoding from the bytes and <meta charset>."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(data, "html.parser")
    raw = soup.decode()
    meta: dict = {}

    def attr(el: Tag, name: str) -> str:
        # a str for every attribute read here; only multi-valued ones (class, rel) are lists
        value = el.get(name, "")
        return value if isinstance(value, str) else ""

    def tag(**attrs) -> str | None:
        el = soup.find("meta", attrs=attrs)
        return attr(el, "content").strip() or None if el else None

    meta["title"] = (tag(name="citation_title") or tag(property="og:title")
                     or (soup.title.get_text(" ", strip=True) if soup.title else None))
    authors = [attr(el, "content").strip() for el in soup.find_all("meta", attrs={"name": "citation_author"})]
    if not authors and tag(name="author"):
        authors = _split_names(tag(name="author") or "")
    meta["authors"] = [a for a in authors if a]
    meta["publisher"] = tag(name="citation_publisher") or tag(property="og:site_name") or tag(name="publisher")
    date = (tag(name="citation_publication_date") or tag(name="citation_date") or tag(property="article:published_time")
            or tag(name="dc.date") or tag(name="DC.date") or tag(name="date"))
    if date:
        m = re.match(r"(\d{4})[-/](\d{2})[-/](\d{2})", date)
        if m:
            meta["published_on"] = "-".join(m.groups())
    canonical = soup.find("link", rel="canonical")
    meta["url"] = (canonical.get("href") if canonical else None) or tag(property="og:url")
    html = soup.find("html")
    if html and attr(html, "lang"):
        meta["language"] = attr(html, "lang").split("-")[0].lower()
    for el in soup.find_all(_HTML_FURNITURE):
        el.decompose()
    for el in soup.find_all(role=["navigation", "banner", "contentinfo"]):
        el.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    root = soup.find("article") or soup.find("main") or soup.body or soup
    parts = []
    for el in root.find_all(_HTML_BLOCKS):
        if el.find(_HTML_BLOCKS):
            continue
        text = re.sub(r"\s+", " ", el.get_text("")).strip()
        if text:
            parts.append(("- " + text) if el.name == "li" else text)
    if not parts:
        parts = [re.sub(r"[ \t]+", " ", root.get_text("\n"))]
    return raw, clean_text("\n\n".join(parts)), meta


#: the longest id made from a title: long enough to say what it is, short enough to type
TITLE_ID_MAX = 48


def readable_id(title: str) -> str:
    """An id from a title: its slug (tracker.values.slugify), cut at a word to at most
    TITLE_ID_MAX characters; empty when the title has no letters or digits."""
    from tracker import values

    slug = values.slugify(title)
    if len(slug) > TITLE_ID_MAX:
        cut = slug[:TITLE_ID_MAX + 1]
        slug = cut[:cut.rfind("-")] if "-" in cut.strip("-") else slug[:TITLE_ID_MAX]
    return slug.strip("-")


# A line near the top that carries the date: "26 February 2019", "*26. Februar 2019*",
# "Published: 2019-02-26", "Datum: 26.02.2019".
_DATE_LABEL = re.compile(r"^(?:date|dated|published(?: on)?|datum|veröffentlicht(?: am)?|stand|vom|am)\s*:?\s*", re.I)
_DATE_LINE = re.compile(r"^[\w.,/ -]*\b(?:19|20)\d\d\b[\w.,/ -]*$")


def _date_line(body: str) -> str | None:
    """The date of a Markdown brief written on a line of its own in its first lines, as ISO."""
    from tracker.intake.dates import parse_date

    for line in [ln for ln in body.splitlines() if ln.strip()][:8]:
        text = re.sub(r"^[>#*_\s]+|[*_\s]+$", "", line.strip())
        text = _DATE_LABEL.sub("", text)
        if not text or len(text) > 40 or not _DATE_LINE.match(text):
            continue
        try:
            return parse_date(text, "date line")[:10]
        except TrackerError:
            continue
    return None


def _markdown(path: Path, raw: str) -> tuple[str, dict]:
    """Markdown: YAML front matter as metadata, markup dropped (headings, emphasis, links, images);
    without a date in the front matter, a line near the top that is a date."""
    from tracker import inputs

    meta: dict = {}
    body = raw
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", raw, re.S)
    if m:
        front = inputs.load_yaml(m.group(1), f"{path} (front matter)", first_line=2) or {}
        if isinstance(front, dict):
            meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in front.items()
                    if k in METADATA_FIELDS and v is not None}
            if isinstance(meta.get("authors"), str):
                meta["authors"] = _split_names(meta["authors"])
        body = raw[m.end():]
    heading = re.search(r"^#\s+(.+)$", body, re.M)
    if heading and "title" not in meta:
        meta["title"] = heading.group(1).strip()
    if "published_on" not in meta:
        day = _date_line(body)
        if day is not None:
            meta["published_on"] = day
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)
    body = re.sub(r"^#{1,6}\s+(.+?)\s*#*$", r"\n\1\n", body, flags=re.M)
    body = re.sub(r"(\*\*|__|\*|`)(\S(?:.*?\S)?)\1", r"\2", body)
    body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "- ", body, flags=re.M)
    return body, meta


# ------------------------------------------------------------------------------ the ledger

DOCUMENT_COLUMNS = ("title", "publisher", "series", "published_on", "published_on_note", "language", "url",
                     "url_note")


def check_metadata(meta: dict, where: str) -> dict:
    from tracker import values

    out = dict(meta)
    for field in DOCUMENT_COLUMNS:  # text, whatever front matter or a side file made of it
        if out.get(field) is not None and field != "published_on":
            out[field] = values.text(out[field], f"{where} {field}")
    if out.get("id") is not None:
        out["id"] = values.record_id(out["id"], f"{where} id")
    if out.get("published_on") is not None:
        out["published_on"] = values.iso_date(out["published_on"], f"{where} published_on")
    if out.get("url") is not None:
        out["url"] = values.url(out["url"], f"{where} url")
    if out.get("language") is not None and not re.fullmatch(r"[a-z]{2}", str(out["language"])):
        raise TrackerError(f"{where} language: {out['language']!r} is not a two-letter ISO 639-1 code")
    authors = out.get("authors")
    if authors is not None:
        if isinstance(authors, str):
            authors = [authors]
        if not isinstance(authors, list):
            raise TrackerError(f"{where} authors: expected a list of names")
        people = []
        for a in authors:
            person = {"name": a} if isinstance(a, str) else a
            if not isinstance(person, dict) or not person.get("name"):
                raise TrackerError(f"{where} authors: {a!r} has no name")
            # the rules every author id and name keeps, wherever it is written
            name = values.text(person["name"], f"{where} authors name", required=True).strip()
            if person.get("id") is not None:
                aid = values.record_id(person["id"], f"{where} authors id")
            else:
                aid = values.name_id(name)
                if not aid:
                    raise TrackerError(f"{where} authors: {name!r} has no letters or digits to make an id from")
            people.append({"id": aid, "name": name,
                           "affiliation": values.text(person.get("affiliation"), f"{where} authors affiliation")})
        out["authors"] = people
    return out


def fallback_title(cleaned: str, path: Path) -> str:
    first = next((b.text for b in blocks(cleaned)), "")
    return first if first and len(first.split()) <= 25 else path.stem
