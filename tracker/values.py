"""Parsing single values from files and options, each with a one-line error naming where it came from.

Shared by the YAML records, the flat CSV/JSONL tables and the command line, so a probability or
a date means the same thing wherever it is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Literal, overload

from tracker.errors import TrackerError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: what text may not hold: control characters other than tab and line breaks (NUL among them,
#: which cuts text short in C), and lone surrogates (which are no characters, and SQLite refuses)
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_PERCENT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%\s*$")
_OUTCOMES = {
    "yes": "yes", "1": "yes", "1.0": "yes", "true": "yes",
    "no": "no", "0": "no", "0.0": "no", "false": "no",
    # what sources call a question that resolves neither way; scored by nobody
    "annulled": "annulled", "ambiguous": "annulled", "cancelled": "annulled", "canceled": "annulled",
    "void": "annulled",
}
#: the longest id kept: long enough for any source's ids seen (ForecastBench's are under 100),
#: short enough that an id is never a document
ID_MAX = 500


def fail(where: str, message: str) -> TrackerError:
    return TrackerError(f"{where}: {message}")


def probability(value: object, where: str) -> float:
    """A number in [0, 1], or a percentage such as "70%". Never clipped, never guessed."""
    if isinstance(value, bool) or value is None:
        raise fail(where, f"{value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        m = _PERCENT.match(text)
        try:
            p = float(m.group(1)) / 100 if m else float(text)
        except ValueError:
            raise fail(where, f"{value!r} is not a number") from None
    elif isinstance(value, (int, float)):
        p = float(value)
    else:
        raise fail(where, f"{value!r} is not a number")
    if math.isnan(p) or math.isinf(p):
        raise fail(where, f"{value!r} is not a finite number")
    if not 0.0 <= p <= 1.0:
        raise fail(where, f"{value!r} is outside [0, 1]")
    return p


def iso_date(value: object, where: str) -> str:
    """A calendar date written YYYY-MM-DD (or a YAML date), returned as that string."""
    if isinstance(value, dt.datetime):
        raise fail(where, f"{value!r} is a timestamp; write a date as YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise fail(where, f"{value!r} is not a real date") from None
    raise fail(where, f"date {value!r} is not of the form YYYY-MM-DD")


def moment(value: object, where: str) -> str:
    """When something happened: a date (YYYY-MM-DD, day precision), or an ISO 8601 timestamp with
    a zone, returned in UTC as Python writes it (YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00), so that
    dates and timestamps sort as text in the order they happened. A time without a zone is
    refused: it names no instant."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        return value.isoformat()
    elif isinstance(value, str) and len(value.strip()) > 10 and value.strip()[10] in "T t":
        text = value.strip()
        try:
            stamp = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        except ValueError:
            raise fail(where, f"{value!r} is not an ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS+HH:MM)") from None
    else:
        return iso_date(value, where)
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise fail(where, f"{value!r} has a time but no zone; add one (Z for UTC, or +HH:MM)")
    return stamp.astimezone(dt.UTC).isoformat()


def day_of(when: str) -> str:
    """The date of a stored moment (its UTC date, for a timestamp)."""
    return when[:10]


def later(a: str, b: str) -> bool:
    """Whether moment a is after moment b: to the instant where both have a time, else by the day
    (a forecast dated on its question's resolve-by day is on time, whatever the hour)."""
    if len(a) > 10 and len(b) > 10:
        return dt.datetime.fromisoformat(a) > dt.datetime.fromisoformat(b)
    return a[:10] > b[:10]


def outcome(value: object, where: str) -> str:
    """yes / no / annulled, also written 1 / 0 / 1.0 / 0.0 / true / false, and ambiguous,
    cancelled or void for annulled (any case). With `resolved_value`, a number strictly between 0
    and 1 is a probability-valued resolution (a market's value for a question left unresolved),
    returned as the shortest text that reads back as the same float."""
    return _outcome(value, where, values_allowed=False)


def resolved_value(value: object, where: str) -> str:
    """An outcome as `outcome` reads it, or a probability-valued resolution in (0, 1)."""
    return _outcome(value, where, values_allowed=True)


def _outcome(value: object, where: str, *, values_allowed: bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    key = str(value).strip().lower() if value is not None else ""
    if key in _OUTCOMES:
        return _OUTCOMES[key]
    if values_allowed and not isinstance(value, (dict, list)):
        try:
            p = float(key)
        except ValueError:
            p = math.nan
        if p in (0.0, 1.0):
            return "yes" if p == 1.0 else "no"
        if 0.0 < p < 1.0:
            return repr(p)
    words = "yes, no, annulled (or 1, 0, true, false, ambiguous, cancelled, void)"
    raise fail(where, f"outcome {value!r} is not one of {words}"
               + (" or a probability between 0 and 1" if values_allowed else ""))


def slug(value: object, where: str) -> str:
    """A name for files and URLs: lower-case letters, digits, '.', '_' and '-', starting with a
    letter or digit (scales of words are named so)."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise fail(where, f"id {value!r} must be lower-case letters, digits, '.', '_' or '-'")
    return value


def record_id(value: object, where: str) -> str:
    """An id as its source wrote it: any printable text in any script, colons and slashes
    included, with no control characters, no leading or trailing space, and at most ID_MAX
    characters. Ids are compared exactly: 'sf-Ab' and 'sf-aB' are two records."""
    import unicodedata

    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise fail(where, f"id {value!r} is not text")
    text = str(value)
    if not text:
        raise fail(where, "id is empty")
    if text != text.strip():
        raise fail(where, f"id {text!r} has leading or trailing space")
    if len(text) > ID_MAX:
        raise fail(where, f"id of {len(text)} characters is longer than {ID_MAX}")
    for ch in text:
        # control, format, surrogate, private-use, unassigned, line and paragraph separators
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise fail(where, f"id {text!r} contains the character U+{ord(ch):04X}, which is not printable")
    return text


def name_id(name: str) -> str:
    """The id an author gets from a name, in any script: NFKC, case-folded, and every run of
    characters that are not letters, marks or digits made one '-' ("Bernt Berger" →
    "bernt-berger", "Jörg Müller" → "jörg-müller", "Иван Петров" → "иван-петров", "王伟" → "王伟").
    Empty when the name has no letters or digits."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", name).casefold()
    out: list[str] = []
    dash = False
    for ch in folded:
        if unicodedata.category(ch)[0] in "LMN":
            if dash and out:
                out.append("-")
            out.append(ch)
            dash = False
        else:
            dash = True
    return "".join(out)


def slugify(name: str) -> str:
    """An id for a name given in a flat table ("Bernt Berger" → "bernt-berger")."""
    import unicodedata

    folded = name.replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return s


@overload
def text(value: object, where: str, *, required: Literal[True]) -> str: ...
@overload
def text(value: object, where: str, *, required: bool = False) -> str | None: ...
def text(value: object, where: str, *, required: bool = False) -> str | None:
    """The value as text; None for a missing or blank one, which is an error when `required`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise fail(where, "is missing")
        return None
    if isinstance(value, (dict, list)):
        raise fail(where, f"expected text, got a {type(value).__name__}")
    if isinstance(value, (dt.date, bool)):
        return str(value).lower() if isinstance(value, bool) else value.isoformat()
    out = str(value)
    check_characters(out, where)
    return out


def check_characters(value: str, where: str) -> None:
    """Text without the characters no text may hold (NOT_TEXT), or an error naming the first."""
    bad = NOT_TEXT.search(value)
    if bad:
        raise fail(where, f"contains the character U+{ord(bad.group()):04X}, which is not printable")


def url(value: object, where: str) -> str:
    s = text(value, where, required=True)
    assert s is not None
    if not re.match(r"^https?://\S+$", s):
        raise fail(where, f"{s!r} is not an http(s) URL")
    return s


def check_distribution(probs: Sequence[float], *, normalise: bool = False, tol: float = 1e-6) -> list[float]:
    """Validate a probability distribution over two or more categories; return it as floats.

    Every value must be a number in [0, 1] (NaN is refused). If the sum is off 1 by more than
    tol, a ValueError is raised unless normalise is true, in which case the values are divided by
    their sum. A distribution already summing to 1 within tol is returned unchanged.
    """
    given = [float(v) for v in probs]
    if len(given) < 2:
        raise ValueError(f"a distribution needs at least two categories, got {len(given)}")
    for j, v in enumerate(given):
        if not 0.0 <= v <= 1.0:  # also false for NaN
            raise ValueError(f"probability {v!r} for category {j} is not in [0, 1]")
    total = math.fsum(given)
    if abs(total - 1.0) <= tol:
        return given
    if not normalise:
        raise ValueError(f"probabilities sum to {total:.6g}, not 1; pass normalise to rescale")
    if total == 0.0:
        raise ValueError("probabilities sum to 0; cannot normalise")
    return [v / total for v in given]
