"""Words of estimative probability → numbers, by named and versioned scales.

Scales are data: one YAML file per scale in `tracker/intake/scales/` (shipped), plus any `*.yml` in a
directory the user names (`--scales DIR` or `$TRACKER_SCALES`). Each term has a point value and an
interval. `match` finds the estimative phrases in a phrase or sentence and reads each by every
scale of the language that covers it; a hedge that no scale covers is returned as *uncovered*,
with no number, never guessed.

Matching is on folded words (lower case, ä/ö/ü/ß written ae/oe/ue/ss), so case and umlaut
spelling do not matter. German terms also match their inflected forms ("wahrscheinlicher",
"zu erwartenden"), multi-word terms match with a few words between them and in verb-final order
("darauf schließen lassen"), a longer term beats a shorter one inside it ("höchst
unwahrscheinlich" over "unwahrscheinlich"), and a negation just before a term ("nicht zu
erwarten") gives the complement, 1 − p, with the interval flipped. A negated term that is itself
negative ("nicht unwahrscheinlich") is litotes, which no scale reads, so it is uncovered.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from tracker import inputs
from tracker.errors import TrackerError

SCALES_ENV = "TRACKER_SCALES"
LANGUAGES = ("de", "en")
_SCALE_KEYS = {"name", "title", "version", "language", "source", "url", "judgement", "note", "terms"}
_TERM_KEYS = {"term", "value", "low", "high", "aliases", "justification", "fallback", "note"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

# Endings of German adjectives, participles and comparatives: "wahrscheinlich" also matches
# "wahrscheinliche", "wahrscheinlicher", "wahrscheinlichsten".
_DE_ENDINGS = ("e", "en", "em", "er", "es", "ere", "eren", "erem", "erer", "eres",
               "ste", "sten", "ster", "stes", "stem")
_NEGATORS = {
    "de": {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals"},
    "en": {"not", "no", "never", "cannot"},
}
# "nicht nur … sondern" / "not only … but" is not a negation.
_NOT_NEGATION_AFTER = {"nur", "only", "allein", "just"}
# Hedges that mark a claim as uncertain but that no shipped scale reads. They are reported as
# uncovered (no number), unless a user scale covers them.
HEDGES = {
    "de": ["könnte", "könnten", "dürfte", "dürften", "soll", "sollen", "vermutlich", "voraussichtlich",
           "möglicherweise", "womöglich", "wohl", "vielleicht", "eventuell", "mutmaßlich",
           "ist davon auszugehen", "ist damit zu rechnen", "absehbar", "denkbar"],
    "en": ["could", "may", "might", "perhaps", "expected to", "set to", "poised to", "plausibly",
           "conceivably", "will", "shall", "going to", "would", "expects", "expect", "ample possibility",
           "possibility", "may well", "might well", "could well"],
}
# Modal words folded into a covered phrase when they stand right before it: "dürfte kaum" is one
# phrase, read as "kaum".
_MODAL_PREFIX = {"duerfte", "duerften", "koennte", "koennten", "wird", "werden", "wuerde", "wuerden",
                 "will", "would", "could", "may", "might"}
_TOKEN = re.compile(r"[\w']+")
_CLAUSE_BREAK = re.compile(r"[,;:.!?()\[\]–—\"“”„]")
_MAX_GAP = 3


@dataclass(frozen=True)
class Term:
    term: str
    value: float
    low: float
    high: float
    aliases: tuple[str, ...] = ()
    justification: str | None = None
    fallback: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Scale:
    name: str
    title: str
    version: str
    language: str
    source: str
    terms: tuple[Term, ...]
    url: str | None = None
    judgement: bool = False
    note: str | None = None
    path: str = ""
    shipped: bool = True

    def as_dict(self, terms: bool = True) -> dict:
        d: dict = {"name": self.name, "title": self.title, "version": self.version, "language": self.language,
             "source": self.source, "url": self.url, "judgement": self.judgement, "note": self.note,
             "shipped": self.shipped, "path": self.path, "n_terms": len(self.terms)}
        if terms:
            d["terms"] = [{k: v for k, v in vars(t).items() if v is not None and v != () and v is not False}
                          | {"aliases": list(t.aliases)} for t in self.terms]
        return d


@dataclass(frozen=True)
class Match:
    """One estimative phrase in a text and one scale's reading of it (scale None: uncovered)."""

    phrase: str                 # the words as they stand in the text
    start: int                  # character offsets of the phrase in the text given to `match`
    end: int
    scale: str | None = None
    version: str | None = None
    term: str | None = None     # the scale's own term the phrase was read as
    value: float | None = None  # after negation
    low: float | None = None
    high: float | None = None
    negated: bool = False
    judgement: bool = False     # the scale's values are analysts' judgement
    fallback: bool = False      # read only when nothing more specific is in the sentence
    reason: str | None = None   # why an uncovered phrase is uncovered

    @property
    def covered(self) -> bool:
        return self.scale is not None

    def as_dict(self) -> dict:
        return {"phrase": self.phrase, "start": self.start, "end": self.end, "scale": self.scale,
                "version": self.version, "term": self.term, "value": self.value, "low": self.low,
                "high": self.high, "negated": self.negated, "judgement": self.judgement,
                "fallback": self.fallback, "covered": self.covered, "reason": self.reason}


# ------------------------------------------------------------------------------ folding, tokens

def fold(text: str) -> str:
    """Lower case with umlauts as ae/oe/ue and ß as ss, other accents dropped: the form words are
    compared in, so "Wahrscheinlich", "waehrscheinlich"-style spellings and "läßt"/"laesst" agree."""
    s = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("’", "'")):
        s = s.replace(a, b)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


@dataclass
class _Tok:
    word: str   # folded
    start: int
    end: int
    clause: int


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    clause = 0
    last = 0
    for m in _TOKEN.finditer(text):
        if _CLAUSE_BREAK.search(text, last, m.start()):
            clause += 1
        toks.append(_Tok(fold(m.group()).strip("'"), m.start(), m.end(), clause))
        last = m.end()
    return toks


def _word_matches(tok: str, word: str, lang: str) -> bool:
    if tok == word:
        return True
    if lang == "de" and len(word) >= 4 and tok.startswith(word):
        return tok[len(word):] in _DE_ENDINGS
    return False


def _find(words: list[str], toks: list[_Tok], lang: str) -> list[list[int]]:
    """Token index lists where `words` occur: in order with at most _MAX_GAP words between
    neighbours, or (German verb-final order) in any order within a short window; one clause."""
    found: list[list[int]] = []
    n = len(words)
    for i, t in enumerate(toks):
        if not _word_matches(t.word, words[0], lang):
            continue
        idx = [i]
        j = i
        for w in words[1:]:
            nxt = next((k for k in range(j + 1, min(len(toks), j + 2 + _MAX_GAP))
                        if toks[k].clause == t.clause and _word_matches(toks[k].word, w, lang)), None)
            if nxt is None:
                break
            idx.append(nxt)
            j = nxt
        if len(idx) == n:
            found.append(idx)
    if n > 1 and lang == "de":
        # Verb-final order: "…, dass X darauf schließen lassen". Every word within n + gap tokens.
        window = n + _MAX_GAP
        for i in range(len(toks)):
            span = [k for k in range(i, min(len(toks), i + window)) if toks[k].clause == toks[i].clause]
            idx = []
            for w in words:
                k = next((k for k in span if k not in idx and _word_matches(toks[k].word, w, lang)), None)
                if k is None:
                    break
                idx.append(k)
            if len(idx) == n and min(idx) == i:
                idx.sort()
                if idx not in found:
                    found.append(idx)
    return found


# ------------------------------------------------------------------------------ loading scales

def _fail(where: str, message: str) -> TrackerError:
    return TrackerError(f"{where}: {message}")


def _fraction(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"{value!r} is not a number")
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise _fail(where, f"{v} is outside [0, 1] (write fractions, not percentages)")
    return v


def parse_scale(data: object, where: str, *, shipped: bool = False) -> Scale:
    """Validate one scale's data (as read from YAML); every problem names the file and the term."""
    if not isinstance(data, dict):
        raise _fail(where, "a scale file is a mapping with name, title, version, language, source, terms")
    unknown = sorted(set(data) - _SCALE_KEYS)
    if unknown:
        raise _fail(where, f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_SCALE_KEYS))})")
    for key in ("name", "title", "version", "language", "source"):
        if data.get(key) in (None, ""):
            raise _fail(where, f"{key} is missing")
    name = str(data["name"])
    if not _NAME.match(name):
        raise _fail(where, f"name {name!r} must be lower-case letters, digits, '.', '_' or '-'")
    lang = str(data["language"])
    if lang not in LANGUAGES:
        raise _fail(where, f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise _fail(where, "terms: needs a list of at least one term")
    terms: list[Term] = []
    seen: dict[str, str] = {}
    for n, item in enumerate(raw_terms, 1):
        w = f"{where}: term {n}"
        if not isinstance(item, dict):
            raise _fail(w, "expected a mapping with term, value, low, high")
        bad = sorted(set(item) - _TERM_KEYS)
        if bad:
            raise _fail(w, f"unknown field {bad[0]!r} (allowed: {', '.join(sorted(_TERM_KEYS))})")
        if not isinstance(item.get("term"), str) or not item["term"].strip():
            raise _fail(w, "term is missing")
        label = item["term"].strip()
        w = f"{where}: term {label!r}"
        for key in ("value", "low", "high"):
            if key not in item:
                raise _fail(w, f"{key} is missing")
        value, low, high = (_fraction(item[k], f"{w} {k}") for k in ("value", "low", "high"))
        if not low <= value <= high:
            raise _fail(w, f"interval [{low}, {high}] does not contain the value {value}")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise _fail(w, "aliases: expected a list of phrases")
        for phrase in [label, *aliases]:
            key = " ".join(_TOKEN.findall(fold(phrase)))
            if not key:
                raise _fail(w, f"{phrase!r} has no words")
            if key in seen:
                raise _fail(w, f"{phrase!r} is already a phrase of term {seen[key]!r}")
            seen[key] = label
        if data.get("judgement") and not item.get("justification"):
            raise _fail(w, "a judgement scale needs a justification for every term")
        terms.append(Term(label, value, low, high, tuple(a.strip() for a in aliases),
                          item.get("justification"), bool(item.get("fallback")), item.get("note")))
    return Scale(name=name, title=str(data["title"]), version=str(data["version"]), language=lang,
                 source=str(data["source"]), terms=tuple(terms), url=data.get("url"),
                 judgement=bool(data.get("judgement")), note=data.get("note"), path=where,
                 shipped=shipped)


def _read_scale_file(path: Path, shipped: bool) -> Scale:
    data = inputs.read_yaml(path)[1]
    scale = parse_scale(data, str(path), shipped=shipped)
    if scale.name != path.stem:
        raise TrackerError(f"{path}: name {scale.name!r} differs from the file name {path.stem!r}")
    return scale


@lru_cache(maxsize=1)
def _shipped() -> tuple[Scale, ...]:
    folder = resources.files("tracker.intake") / "scales"
    return tuple(_read_scale_file(Path(str(p)), True)
                 for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".yml"))


def user_scales_dir(directory: str | Path | None = None) -> Path | None:
    """The user's scale directory: the argument, else $TRACKER_SCALES, else none."""
    d = directory or os.environ.get(SCALES_ENV)
    return Path(d) if d else None


def load_scales(directory: str | Path | None = None) -> dict[str, Scale]:
    """Shipped scales plus the user's (`directory`, else $TRACKER_SCALES), by name, in load order."""
    scales = {s.name: s for s in _shipped()}
    folder = user_scales_dir(directory)
    if folder is not None:
        if not folder.is_dir():
            raise TrackerError(f"{folder}: no such scale directory")
        for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
            scale = _read_scale_file(path, False)
            if scale.name in scales:
                raise TrackerError(f"{path}: scale name {scale.name!r} is already taken by "
                                   f"{scales[scale.name].path}; give yours another name")
            scales[scale.name] = scale
    return scales


def get_scale(name: str, directory: str | Path | None = None) -> Scale:
    scales = load_scales(directory)
    if name not in scales:
        raise TrackerError(f"scale {name!r}: no such scale (have: {', '.join(scales)})")
    return scales[name]


# ------------------------------------------------------------------------------ matching

# every phrase of every scale, read again on each match: keep them all
@cache
def _phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(phrase)))


def _negator(toks: list[_Tok], idx: list[int], lang: str, fallback: bool) -> int | None:
    """Index of a negator up to two words before the phrase, in its clause; for the plain future
    ("wird") also anywhere after it in the clause ("wird keine Klarheit liefern"). None if none."""
    first = idx[0]
    clause = toks[first].clause
    scan = [k for k in range(first - 1, max(-1, first - 3), -1) if toks[k].clause == clause]
    if fallback:
        scan += [k for k in range(idx[-1] + 1, len(toks)) if toks[k].clause == clause]
    for k in scan:
        w = toks[k].word
        if w in _NEGATORS[lang] or (lang == "en" and w.endswith("n't")):
            nxt = toks[k + 1].word if k + 1 < len(toks) else ""
            if nxt not in _NOT_NEGATION_AFTER:
                return k
    return None


def _phrase_start(toks: list[_Tok], idx: list[int], negator: int | None) -> int:
    """First token of the phrase as a reader would quote it: a negator before it ("nicht zu
    erwarten") and a modal right before it ("dürfte kaum") belong to it."""
    first = idx[0] if negator is None else min(idx[0], negator)
    k = first - 1
    if k >= 0 and toks[k].clause == toks[first].clause and toks[k].word in _MODAL_PREFIX:
        first = k
    return first


def _raw_matches(toks: list[_Tok], scales: list[Scale]) -> list[tuple[Scale, Term, list[int]]]:
    out = []
    for scale in scales:
        for term in scale.terms:
            for phrase in (term.term, *term.aliases):
                for idx in _find(list(_phrase_words(phrase)), toks, scale.language):
                    out.append((scale, term, idx))
    return out


def _select_scales(lang: str | None, scales: dict[str, Scale] | None) -> list[Scale]:
    if lang is not None and lang not in LANGUAGES:
        raise TrackerError(f"language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    pool = list((scales if scales is not None else load_scales()).values())
    return [s for s in pool if lang is None or s.language == lang]


def match(text: str, lang: str | None = None, *, scales: dict[str, Scale] | None = None) -> list[Match]:
    """Every estimative phrase in `text` (a phrase or a sentence), read by every scale of `lang`
    (de or en; None: all) that covers it, plus the hedges no scale covers (scale None).

    Readings of one phrase by several scales are all returned, in scale load order. A reading
    inside a longer phrase that another reading covers is dropped, so "höchst unwahrscheinlich"
    is not also read as "unwahrscheinlich".
    """
    toks = _tokens(text)
    chosen = _select_scales(lang, scales)
    found = _raw_matches(toks, chosen)
    # Keep the longest phrase per scale and place; drop any reading inside another's longer span.
    spans = [(set(idx), s, t, idx) for s, t, idx in found]
    kept = []
    for cover, s, t, idx in spans:
        if any(cover < other for other, *_ in spans):
            continue
        if any(cover == other and s is s2 and len(_phrase_words(t.term)) < len(_phrase_words(t2.term))
               for other, s2, t2, _ in spans):
            continue
        kept.append((s, t, idx))
    matches: list[Match] = []
    seen: set[tuple] = set()
    covered_tokens: set[int] = set()
    for s, t, idx in kept:
        key = (s.name, t.term, tuple(idx))
        if key in seen:
            continue
        seen.add(key)
        neg = _negator(toks, idx, s.language, t.fallback)
        first = _phrase_start(toks, idx, neg)
        last = idx[-1] if neg is None else max(idx[-1], neg)
        covered_tokens.update(range(first, last + 1))
        start, end = toks[first].start, toks[last].end
        phrase = text[start:end]
        if neg is not None and t.value < 0.5:
            if any(not m.covered and (m.start, m.end) == (start, end) for m in matches):
                continue
            matches.append(Match(phrase, start, end, reason=f"negated {t.term!r} is litotes, which no scale reads"))
            continue
        value, low, high = (1 - t.value, 1 - t.high, 1 - t.low) if neg is not None else (t.value, t.low, t.high)
        matches.append(Match(phrase, start, end, s.name, s.version, t.term, round(value, 6), round(low, 6),
                             round(high, 6), neg is not None, s.judgement, t.fallback))
    # A reading inside another's longer phrase as quoted ("dürfte" in "dürfte kaum", "will" in "will
    # likely") is that phrase's word, not a reading of its own.
    matches = [m for m in matches if not (m.covered and any(
        o.covered and o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start)
        for o in matches))]
    langs = [lang] if lang else list(LANGUAGES)
    for lg in langs:
        for hedge in HEDGES[lg]:
            words = list(_phrase_words(hedge))
            for idx in _find(words, toks, "en"):  # hedges match exactly, no inflection
                start, end = toks[idx[0]].start, toks[idx[-1]].end
                inside = [m for m in matches if m.covered and start <= m.start and m.end <= end
                          and (m.end - m.start) < (end - start)]
                if inside and len(idx) > 1 and not any(
                        m.covered and m.start < end and start < m.end and m not in inside for m in matches):
                    # a longer hedge no scale reads ("may well") is not its shorter word ("may")
                    matches = [m for m in matches if m not in inside]
                    covered_tokens.difference_update(range(idx[0], idx[-1] + 1))
                if covered_tokens & set(range(idx[0], idx[-1] + 1)):
                    continue
                if any(m.start <= toks[idx[0]].start < m.end for m in matches):
                    continue
                covered_tokens.update(idx)
                start, end = toks[idx[0]].start, toks[idx[-1]].end
                matches.append(Match(text[start:end], start, end, reason="no scale covers this phrase"))
    matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
    return matches


def readings(phrase: str, *, scales: dict[str, Scale] | None = None) -> list[Match]:
    """Every scale's reading of `phrase`, in any language: the numbers a sensitivity analysis
    varies. One reading per scale (its longest covering term); empty when no scale covers it."""
    out: dict[str, Match] = {}
    for m in match(phrase, None, scales=scales):
        if m.scale is not None and (m.scale not in out or (m.end - m.start) > (out[m.scale].end - out[m.scale].start)):
            out[m.scale] = m
    return list(out.values())


def best(matches: list[Match], prefer: list[str] | tuple[str, ...] = ()) -> Match | None:
    """The reading to suggest for a sentence: a specific term over the plain future/conditional,
    the longest phrase, then the preferred scales in order, then load order. None if none."""
    covered = [m for m in matches if m.covered]
    if not covered:
        return None
    specific = [m for m in covered if not m.fallback] or covered
    rank = {name: i for i, name in enumerate(prefer)}
    order = {id(m): i for i, m in enumerate(specific)}
    return min(specific, key=lambda m: (-(m.end - m.start) if not m.fallback else 0,
                                         rank.get(m.scale or "", len(rank)), order[id(m)]))


def alternative_readings(phrase: str, language: str | None) -> list[tuple[str, float]]:
    """(scale, value) for every scale of `language` (None: any) that reads words in `phrase`:
    the signature of `tracker.scores.board.alternative_readings`, which issue 3's sensitivity
    analysis calls. A phrase no scale covers gives an empty list."""
    lang = language if language in LANGUAGES else None
    by_scale: dict[str, list[Match]] = {}
    for m in match(phrase, lang):
        if m.covered:
            by_scale.setdefault(m.scale or "", []).append(m)
    out = []
    for name, found in sorted(by_scale.items()):
        chosen = best(found)
        if chosen is not None and chosen.value is not None:
            out.append((name, chosen.value))
    return out
