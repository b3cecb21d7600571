"""Candidate forecasts in a document's text, and a draft record for the analyst to finish.

A sentence is a candidate when it makes a claim about the future, marked by
- estimative words that a scale reads, or hedges no scale reads ("könnte", "could"; uncovered),
- the future tense (German wird/werden + infinitive; English will/shall/going to),
- a modal verb (könnte, dürfte, soll, würde; could, may, might, would), or
- standing, in the present tense, in a section whose heading asks what to expect ("Was ist …
  zu erwarten?", "Outlook"): briefs write their predictions there as plain statements.
Questions are never candidates, and normative sentences (muss, sollte, notwendig, unabdingbar;
must, should, need to) are skipped unless they also carry estimative words.

Each candidate carries the sentence in the normalised form that record quotes use, its offset
in the normalised text (the record's `quote_offset`), the phrase found, and the suggested reading
(probability, interval, scale and version) or `uncovered`. Nothing is guessed: a phrase no scale
reads gets no number.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tracker import outputs
from tracker.errors import TrackerError
from tracker.intake import wording
from tracker.intake.dates import Deadline, parse_deadline
from tracker.intake.documents import Block, blocks, normalise, readable_id

_ABBREVIATIONS = {
    "z.b", "d.h", "u.a", "bzw", "ca", "dr", "prof", "nr", "vgl", "e.v", "usw", "etc", "mio", "mrd", "st",
    "mr", "mrs", "ms", "u.s", "u.k", "e.g", "i.e", "vs", "inc", "ltd", "no", "jr", "sr", "abs", "art",
    "bspw", "evtl", "ggf", "inkl", "max", "min", "sog", "dt", "engl", "hrsg", "jh", "jhd", "s", "u", "z",
    "o.ä", "u.ä", "m.e", "z.t", "i.d.r", "a.d", "jan", "feb", "mär", "apr", "jun", "jul", "aug", "sep",
    "sept", "okt", "oct", "nov", "dez", "dec", "bd", "gen", "gov", "corp", "co", "fig", "abb", "tab",
    "kap", "ff", "f", "al", "pp", "p", "ebd", "ibid", "rev", "col", "lt", "sgt", "capt", "adm",
}
_MONTHS = ("januar|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|"
           "january|february|march|may|june|july|october|december")
_SENTENCE_END = re.compile(r"[.!?…]+[\"“”»')\]]*(?=\s+|$)")
_LEADING_BULLET = re.compile(r"^(?:\.\.|[•▪◦●■□➢►*]|[-–—])\s+")

_FUTURE_AUX = {"de": {"wird", "werden", "wirst", "werde"}, "en": {"will", "shall", "won't", "'ll"}}
_MODALS = {
    "de": {"koennte", "koennten", "duerfte", "duerften", "soll", "sollen", "wuerde", "wuerden"},
    "en": {"could", "may", "might", "would", "likely"},
}
_NORMATIVE = {
    "de": ("muss", "muessen", "musste", "sollte", "sollten", "notwendig", "unabdingbar", "erforderlich",
           "noetig", "bedarf", "beduerfen", "wichtig", "unerlaesslich", "geboten"),
    "en": ("must", "should", "necessary", "essential", "imperative", "important", "required", "needs",
           "need", "ought"),
}
_NORMATIVE_PHRASES = {"de": ("liegt es an", "kommt es darauf an"), "en": ("it is up to", "need to", "needs to")}
_PAST = {"de": {"war", "waren", "hatte", "hatten", "wurde", "wurden", "kam", "kamen", "gab", "ging", "fehlte",
                "blieb", "begann", "zeigte", "stand", "standen", "fand", "fanden", "traf", "trafen"},
         "en": {"was", "were", "had", "did", "came", "went", "took", "made", "met", "held", "said", "gave",
                "began", "found", "left", "saw", "became"}}
_PRESENT_EN = {"is", "are", "am", "has", "have", "will", "remains", "remain"}
_REPORTED = {"de": {"sei", "seien", "laut", "zufolge"}, "en": {"said", "according", "reportedly"}}
_OUTLOOK = re.compile(r"zu erwarten|ausblick|prognose|perspektive|was kommt|what to expect|outlook|prospects|"
                      r"forecast|looking ahead|what next|the road ahead", re.I)
# Infinitives that start like a past participle (ge-).
_GE_INFINITIVES = {"geben", "gehen", "gelingen", "gelten", "gewinnen", "geniessen", "geraten", "geschehen",
                   "gehoeren", "gestalten", "gewaehren", "gefaehrden", "genuegen", "gebrauchen", "gewaehrleisten"}


@dataclass
class Sentence:
    text: str              # normalised
    offset: int | None     # in the normalised text; None if cleaning moved it (page furniture inside)
    section: str | None    # the heading above it
    paragraph: int         # 1-based, within the section
    kind: str              # paragraph | item


@dataclass
class Candidate:
    sentence: str
    offset: int | None
    location: str
    reasons: list[str]
    phrase: str | None
    covered: bool
    scale: str | None = None
    scale_version: str | None = None
    term: str | None = None
    probability: float | None = None
    interval_low: float | None = None
    interval_high: float | None = None
    negated: bool = False
    judgement: bool = False
    readings: list[dict] = field(default_factory=list)   # every scale's reading of the phrase
    deadline: Deadline | None = None

    def as_dict(self) -> dict:
        d = {k: v for k, v in vars(self).items() if k != "deadline"}
        d["scale"] = self.scale if self.covered else "uncovered"
        d["deadline"] = self.deadline.as_dict() if self.deadline else None
        return d


# ------------------------------------------------------------------------------ sentences

def _is_boundary(text: str, end: int) -> bool:
    """Whether the punctuation ending at `end` ends a sentence (not "e.V.", "27. Februar", "J.")."""
    rest = text[end:].lstrip()
    if not rest:
        return True
    if not re.match(r"[A-ZÄÖÜ0-9\"„“»(\[–—-]|\.\.", rest):
        return False
    before = text[:end].rstrip("\"“”»')]")
    if not before.endswith("."):
        return True
    word = re.search(r"(\S+)\.$", before)
    token = word.group(1).lower() if word else ""
    token = token.lstrip("(\"„“")
    if token in _ABBREVIATIONS or re.fullmatch(r"(?:\w\.)+\w", token):
        return False
    if re.fullmatch(r"[a-zäöü]", token, re.I):
        return False  # an initial: "Kim J. Un"
    if re.fullmatch(r"\d{1,2}", token) and re.match(rf"(?:{_MONTHS})\b", rest, re.I):
        return False  # a German date: "28. Februar"
    return True


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (a line of cleaned text)."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        if _is_boundary(paragraph, m.end()):
            piece = paragraph[start:m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _title_like(block: Block) -> bool:
    return block.kind == "paragraph" and not re.search(r"[.!?:;…\"“”»)]$", block.text) and len(block.text.split()) <= 25


def sentences(text: str) -> list[Sentence]:
    """Every sentence of `text` with its offset in `normalise(text)`, its section and paragraph."""
    norm = normalise(text)
    out: list[Sentence] = []
    section: str | None = None
    paragraph = 0
    cursor = 0
    for block in blocks(text):
        if block.kind == "heading" or _title_like(block):
            if block.kind == "heading":
                section, paragraph = block.text, 0
            cursor = max(cursor, _locate(norm, block.text, cursor) or cursor)
            continue
        paragraph += 1
        body = _LEADING_BULLET.sub("", block.text) if block.kind == "item" else block.text
        for s in split_sentences(body):
            s = normalise(s)
            pos = _locate(norm, s, cursor)
            if pos is not None:
                cursor = pos + len(s)
            out.append(Sentence(s, pos, section, paragraph, block.kind))
    return out


def _locate(norm: str, piece: str, cursor: int) -> int | None:
    pos = norm.find(normalise(piece), cursor)
    return None if pos < 0 else pos


# ------------------------------------------------------------------------------ classification

def _words(sentence: str) -> list[str]:
    return [wording.fold(w) for w in re.findall(r"[\w']+", sentence)]


def _infinitive(word: str) -> bool:
    if not re.fullmatch(r"[a-z]+(?:en|ern|eln|n)", word) or word in {"den", "denen", "einen", "keinen", "wenn", "dann"}:
        return False
    if word.startswith("ge") and word not in _GE_INFINITIVES:
        return False  # a past participle: "geschaffen", "gebracht"
    return True


def future_tense(sentence: str, lang: str) -> str | None:
    """The future-tense marker in `sentence` ("wird … liefern", "will"), or None. In German a
    form of werden counts only with an infinitive closing its clause, so the passive ("wird …
    geschaffen") and "werden" as "become" do not."""
    if lang == "en":
        m = re.search(r"\b(will|shall|won't|going to)\b|\w'll\b", sentence, re.I)
        return m.group(0) if m else None
    raw_clauses = re.split(r"[,;:–—()]", sentence)
    for raw in raw_clauses:
        raw_words = re.findall(r"[\w']+", raw)
        words = [wording.fold(w) for w in raw_words]
        for i, w in enumerate(words):
            if w not in _FUTURE_AUX["de"]:
                continue
            prev = words[i - 1] if i > 0 else ""
            if w == "werden" and raw_words[i - 1:i] and raw_words[i - 1][:1].islower() and (
                    prev.startswith("ge") or prev.endswith("t")):
                continue  # a passive infinitive: "vorgelegt werden (können)"
            after = [(rw, fw) for rw, fw in zip(raw_words[i + 1:], words[i + 1:], strict=True) if rw[:1].islower()]
            if after and _infinitive(after[-1][1]):
                return f"{raw_words[i]} … {after[-1][0]}"
            before = raw_words[i - 1] if i > 0 else ""
            if i == len(words) - 1 and before[:1].islower() and _infinitive(words[i - 1]):
                return f"{before} {raw_words[i]}"  # verb-final: "…, dass er kommen wird"
    return None


def _modal(sentence: str, lang: str) -> str | None:
    for raw in re.findall(r"[\w']+", sentence):
        if wording.fold(raw) in _MODALS[lang]:
            return raw
    return None


def _normative(sentence: str, lang: str) -> bool:
    words = _words(sentence)
    folded = " ".join(words)
    if any(p in folded for p in _NORMATIVE_PHRASES[lang]):
        return True
    return any(w == n or (len(n) > 5 and w.startswith(n)) for w in words for n in _NORMATIVE[lang])


def _plain_present(sentence: str, lang: str) -> bool:
    """Neither past tense nor reported speech (used for the outlook-section rule)."""
    words = set(_words(sentence))
    if lang == "en" and not words & _PRESENT_EN and any(w.endswith("ed") and len(w) > 4 for w in words):
        return False  # "agreed", "signed": a regular English past, with no present verb beside it
    return not (words & _PAST[lang] or words & _REPORTED[lang])


# ------------------------------------------------------------------------------ candidates

def guess_language(text: str) -> str:
    """de or en, by counting a few function words; for when neither option nor document says."""
    words = _words(text[:20000])
    de = sum(w in {"der", "die", "und", "das", "nicht", "ist", "von", "mit", "den", "zu"} for w in words)
    en = sum(w in {"the", "and", "of", "to", "is", "not", "with", "that", "for", "be"} for w in words)
    return "de" if de >= en else "en"


def candidates(text: str, lang: str, *, scales: dict | None = None, prefer: tuple[str, ...] = (),
               published_on: str | None = None, events: dict[str, object] | None = None) -> list[Candidate]:
    """Candidate forecasts in `text` (a document's text), in order. `lang` is de or en. With
    `published_on` (and `events`, names → dates) deadlines in a sentence are read too."""
    if lang not in wording.LANGUAGES:
        raise TrackerError(f"--lang {lang!r}: choose one of {', '.join(wording.LANGUAGES)}")
    scales = scales if scales is not None else wording.load_scales()
    out: list[Candidate] = []
    for whole in sentences(text):
        if whole.text.endswith("?"):
            continue
        for s in split_forecasts(whole, lang, scales):
            found = _candidate(s, lang, scales, prefer)
            if found is not None:
                if published_on:
                    found.deadline = find_deadline(s.text, published_on, lang, events)
                out.append(found)
    return out


# Where one sentence holds two forecasts: "A is unlikely, but B is more likely."
_TWO_CLAUSES = re.compile(r"(?:,|;)\s+(?=(?:but|while|whereas|yet|although|though|aber|doch|jedoch|während|"
                          r"wohingegen|allerdings)\b)|;\s+", re.I)


def split_forecasts(s: Sentence, lang: str, scales: dict) -> list[Sentence]:
    """The sentence, or its clauses when it holds two forecasts or more: clauses joined by
    "but", "while", "aber", "während", … (or a semicolon), each with estimative words of its own.
    Each clause keeps its place in the text, so its quote and offset are exact."""
    cuts = [m.end() for m in _TWO_CLAUSES.finditer(s.text)]
    if not cuts:
        return [s]
    bounds = [0, *cuts, len(s.text)]
    parts = []
    for a, b in itertools.pairwise(bounds):
        piece = s.text[a:b].rstrip(" ,;")
        if piece:
            parts.append((a, piece))
    with_words = [p for p in parts
                  if any(m.covered and not m.fallback for m in wording.match(p[1], lang, scales=scales))]
    if len(with_words) < 2 or len(with_words) != len(parts):
        return [s]
    return [Sentence(piece, None if s.offset is None else s.offset + a, s.section, s.paragraph, s.kind)
            for a, piece in parts]


def _candidate(s: Sentence, lang: str, scales: dict, prefer: tuple[str, ...]) -> Candidate | None:
    """The sentence (or clause) as a candidate forecast, or None when it makes no claim about the
    future."""
    matches = wording.match(s.text, lang, scales=scales)
    specific = [m for m in matches if m.covered and not m.fallback]
    hedges = [m for m in matches if not m.covered and not _is_marker(m.phrase, lang)]
    estimative = bool(specific or hedges)
    if _normative(s.text, lang) and not estimative:
        return None
    reasons: list[str] = []
    future = future_tense(s.text, lang)
    modal = _modal(s.text, lang)
    if specific:
        reasons.append("estimative words: " + ", ".join(dict.fromkeys(m.phrase for m in specific)))
    if hedges:
        reasons.append("hedge no scale reads: " + ", ".join(dict.fromkeys(m.phrase for m in hedges)))
    if future:
        reasons.append(f"future tense ({future})")
    if modal:
        reasons.append(f"modal verb ({modal})")
    if not reasons and s.section and _OUTLOOK.search(s.section) and _plain_present(s.text, lang):
        reasons.append(f"present-tense claim in the section {s.section!r}")
    if not reasons:
        return None
    return _reading(s, reasons, matches, specific, hedges, future, modal, prefer)


def _is_marker(phrase: str, lang: str) -> bool:
    """Future and modal auxiliaries reported by wording as uncovered: reasons, not hedges."""
    return wording.fold(phrase) in _FUTURE_AUX[lang] | _MODALS[lang] | {"going to", "will", "would"}


def _reading(s: Sentence, reasons: list[str], matches: list[wording.Match], specific, hedges, future,
             modal, prefer: tuple[str, ...]) -> Candidate:
    location = f"{s.section}, paragraph {s.paragraph}" if s.section else f"paragraph {s.paragraph}"
    chosen = wording.best(specific, prefer)
    if chosen is None:
        # The plain future and the conditional are read only when the grammar confirms them.
        fallbacks = [m for m in matches if m.covered and m.fallback and (
            (future and wording.fold(m.term or "") in ("wird", "will"))
            or (modal and wording.fold(m.term or "") == "wuerde"))]
        chosen = wording.best(fallbacks, prefer)
    if chosen is None:
        phrase = hedges[0].phrase if hedges else (modal or future)
        return Candidate(s.text, s.offset, location, reasons, phrase, False)
    same = [m for m in matches if m.covered and (m.start, m.end) == (chosen.start, chosen.end)]
    readings = [{"scale": m.scale, "version": m.version, "term": m.term, "value": m.value, "low": m.low,
                 "high": m.high, "negated": m.negated} for m in same]
    return Candidate(s.text, s.offset, location, reasons, chosen.phrase, True, chosen.scale, chosen.version,
                     chosen.term, chosen.value, chosen.low, chosen.high, chosen.negated, chosen.judgement, readings)


_DEADLINE_PATTERNS = [
    rf"(?:bis |spätestens )?(?:Ende|Mitte|Anfang) (?:des Jahres|nächsten Jahres|\d{{4}}|(?:{_MONTHS})(?: \d{{4}})?)",
    r"in den (?:kommenden|nächsten) (?:Tagen|Wochen|Monaten|Jahren)",
    r"(?:innerhalb|binnen) (?:von |der nächsten )?\w+ (?:Tagen|Tage|Wochen|Monaten|Monate|Jahren|Jahre|Jahres|Monats)",
    rf"(?:bis (?:zum )?)?\d{{1,2}}\. (?:{_MONTHS}) \d{{4}}",
    rf"(?:bis |im |by |in )?(?:{_MONTHS}) \d{{4}}",
    r"Q[1-4] \d{4}", r"(?:im )?\w+ Quartal \d{4}",
    rf"(?:by )?(?:the )?end of (?:\d{{4}}|the year|next year|(?:{_MONTHS})(?: \d{{4}})?)",
    r"(?:by |in )?(?:the )?next (?:year|month)", r"(?:im )?nächste[sn]? (?:Jahr|Monat)",
    r"within (?:the next )?\w+ (?:days|weeks|months|years)", r"in the (?:coming|next) (?:days|weeks|months|years)",
    rf"(?:by |until )(?:{_MONTHS})(?: \d{{4}})?", r"by (?:mid-|early |end-)\d{4}",
]
_DEADLINE = re.compile("|".join(f"(?:{p})" for p in _DEADLINE_PATTERNS), re.I)


def find_deadline(sentence: str, published_on: str, lang: str,
                  events: dict[str, object] | None = None) -> Deadline | None:
    """The first expression in `sentence` that reads as a deadline on or after publication."""
    found: list[tuple[int, str]] = [(m.start(), m.group(0)) for m in _DEADLINE.finditer(sentence)]
    for name in events or {}:
        for m in re.finditer(rf"\b(?:nach|vor|auf|bei|beim|bis zum|after|before|at|during|by)"
                             rf"(?: dem| der| the)? {re.escape(name)}\b", sentence, re.I):
            found.append((m.start(), m.group(0)))
    def rank(item: tuple[int, str]) -> tuple[int, int]:
        # A date beats an event; at an event beats after it, after beats by, by beats before.
        prep = item[1].split(" ")[0].lower()
        order = {"auf": 1, "bei": 1, "beim": 1, "at": 1, "during": 1, "nach": 2, "after": 2,
                 "bis": 3, "by": 3, "vor": 4, "before": 4}
        is_event = any(item[1].lower().endswith(name.lower()) for name in events or {})
        return (order.get(prep, 3) if is_event else 0, item[0])

    for _, words in sorted(found, key=rank):
        try:
            return parse_deadline(words, published_on, lang, events=events)
        except TrackerError:
            continue  # a past date in the sentence ("im Juni 2018") is background, not a deadline
    return None


# ------------------------------------------------------------------------------ draft records

TODO = "TODO"


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class _Flow(list):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _date(value):
    return (dt.date.fromisoformat(value) if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            else value)


def draft_record(document: dict, found: list[Candidate], authors: list[dict] | None = None) -> dict:
    """The draft record as data: one question (placeholder) and one forecast per candidate."""
    doc_id = document["id"]
    authors = authors or []
    author_ids = [a["id"] for a in authors] or ["todo-author"]
    doc = {k: _date(document.get(k)) for k in ("id", "title", "publisher", "series", "published_on",
                                                 "published_on_note", "language", "url", "url_note", "sha256")}
    doc = {k: v for k, v in doc.items() if v is not None}
    doc["authors"] = _Flow(author_ids)
    people = [{k: v for k, v in a.items() if v is not None and k in ("id", "name", "affiliation")} for a in authors]
    if not people:
        people = [{"id": "todo-author", "name": "TODO: the author's name (and rename the id)"}]
    questions, forecasts = [], []
    for n, c in enumerate(found, 1):
        qid = f"todo-{doc_id}-{n:02d}"
        q = {"id": qid,
             "title": f"{TODO}: the neutral, resolvable English question this sentence forecasts",
             "criteria": f"{TODO}: resolves yes if …; no if …",
             "resolve_by": _date(c.deadline.date) if c.deadline else TODO,
             "topics": _Flow([])}
        if c.deadline:
            conv = f" ({c.deadline.convention})" if c.deadline.convention else ""
            q["note"] = f"resolve_by read from {c.deadline.words!r}{conv}; check it."
        questions.append(q)
        f: dict = {"id": f"{doc_id}-{n:02d}", "question": qid}
        if c.covered:
            negated = " (negated: the complement, with the interval flipped)" if c.negated else ""
            f.update({"probability": c.probability, "interval": _Flow([c.interval_low, c.interval_high]),
                      "method": "scale", "scale": c.scale, "scale_version": c.scale_version})
            reasoning = (f"Read with {c.scale} {c.scale_version}: {c.phrase!r} as {c.term!r}{negated}. "
                         f"{TODO}: check that the words carry this meaning here and that the question "
                         f"matches the sentence.")
        else:
            f.update({"probability": TODO, "method": "analyst"})
            reasoning = (f"{TODO}: no scale reads {c.phrase!r}; give the probability you read and why "
                         f"(and an interval).")
        f.update({"phrase": c.phrase, "quote": c.sentence})
        if c.offset is not None:
            f["quote_offset"] = c.offset
        f.update({"location": c.location, "reasoning": reasoning, "coded_by": f"{TODO}: who checked this reading"})
        others = [f"{r['scale']} {r['value']} [{r['low']}, {r['high']}]" for r in c.readings if r["scale"] != c.scale]
        note = "Candidate because: " + "; ".join(c.reasons) + "."
        if others:
            note += " Other readings: " + ", ".join(others) + "."
        f["note"] = note
        forecasts.append(f)
    return {"document": doc, "authors": people, "questions": questions, "forecasts": forecasts}


def write_draft(document: dict, found: list[Candidate], path: str | Path,
                authors: list[dict] | None = None) -> Path:
    """Write the candidates as a draft record in the forecasts/ format. Every placeholder says
    TODO; the draft loads with `tracker import` only once they are filled (resolve_by and
    uncovered probabilities are refused until then)."""
    path = Path(path)
    body = yaml.dump(draft_record(document, found, authors), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=False)
    header = (f"# DRAFT written by `tracker extract` from document {document['id']!r}: "
              f"{len(found)} candidate forecast(s).\n"
              "# Fill in every TODO: the questions (id, title, criteria, resolve_by, topics), the\n"
              "# probability of each forecast whose words no scale reads, who coded it. Delete the\n"
              "# candidates that are not forecasts. Then `tracker import` this file.\n")
    # whole or not at all: a full disk or a kill leaves the analyst's earlier draft as it was
    return outputs.write_file(path, (header + body).encode("utf-8"))


# ------------------------------------------------------------------------------ measuring

def evaluate(found: list[Candidate], forecasts: list[dict]) -> dict:
    """Recall (curated forecasts whose quote overlaps a candidate sentence) and precision
    (candidates that overlap a curated quote) against a curated record's forecasts."""
    spans = [(c.offset, c.offset + len(c.sentence)) for c in found if c.offset is not None]

    def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    quotes = [(f["quote_offset"], f["quote_offset"] + len(f["quote"])) for f in forecasts
              if f.get("quote") and f.get("quote_offset") is not None]
    found_quotes = [q for q in quotes if any(overlaps(q, s) for s in spans)]
    hits = [s for s in spans if any(overlaps(q, s) for q in quotes)]
    return {"curated": len(quotes), "found": len(found_quotes),
            "recall": len(found_quotes) / len(quotes) if quotes else None,
            "candidates": len(spans), "hits": len(hits), "precision": len(hits) / len(spans) if spans else None}


# ------------------------------------------------------------------------------ for the command line

def from_file(path: str | Path) -> tuple[dict, list[dict], str]:
    """(document row, authors, text) made from a file and the metadata it carries (not stored);
    tracker.ledger.documents.for_file prefers the ledger's document for the same bytes."""
    from tracker import values
    from tracker.intake.documents import read_document

    _raw, cleaned, sha, meta = read_document(path)
    doc_id = meta.get("id") or readable_id(meta.get("title") or "") or readable_id(Path(path).stem)
    doc = {"id": doc_id, "title": meta.get("title") or Path(path).stem, "sha256": sha,
           **{k: meta.get(k) for k in ("publisher", "series", "published_on", "published_on_note", "language", "url")}}
    names = meta.get("authors") or []
    authors = [{"id": values.name_id(n if isinstance(n, str) else n.get("name", "")),
                "name": n if isinstance(n, str) else n.get("name")} for n in names]
    return doc, authors, cleaned


def format_candidates(found: list[Candidate]) -> str:
    """The candidates for people: one block per sentence."""
    if not found:
        return "No candidate forecasts."
    lines = []
    for n, c in enumerate(found, 1):
        if c.covered:
            neg = ", negated" if c.negated else ""
            reading = (f"{c.probability:.3g} [{c.interval_low:.3g}, {c.interval_high:.3g}] "
                       f"({c.scale} {c.scale_version}: {c.term!r}{neg})")
        else:
            reading = "uncovered (no scale reads these words)"
        lines.append(f"{n:>2}. @{c.offset}  {c.location}")
        lines.append(f"    {c.sentence}")
        lines.append(f"    phrase: {c.phrase!r}  →  {reading}")
        lines.append(f"    why: {'; '.join(c.reasons)}")
        if c.deadline:
            conv = f" ({c.deadline.convention})" if c.deadline.convention else ""
            lines.append(f"    deadline: {c.deadline.date} from {c.deadline.words!r}{conv}")
    covered = sum(c.covered for c in found)
    lines.append(f"{len(found)} candidates, {covered} read by a scale, {len(found) - covered} uncovered.")
    return "\n".join(lines)
