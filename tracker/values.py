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
_PERCENT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%\s*$")
_OUTCOMES = {
    "yes": "yes", "1": "yes", "true": "yes",
    "no": "no", "0": "no", "false": "no",
    "annulled": "annulled",
}


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


def outcome(value: object, where: str) -> str:
    """yes / no / annulled, also written 1 / 0 / true / false (any case)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    key = str(value).strip().lower() if value is not None else ""
    if key not in _OUTCOMES:
        raise fail(where, f"outcome {value!r} is not one of yes, no, annulled (or 1, 0, true, false)")
    return _OUTCOMES[key]


def slug(value: object, where: str) -> str:
    """An identifier: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise fail(where, f"id {value!r} must be lower-case letters, digits, '.', '_' or '-'")
    return value


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
    return str(value)


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
