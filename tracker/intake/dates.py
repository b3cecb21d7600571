"""Dates typed on the command line: ISO first, then natural language through dateparser.

A date that could be read two ways ("03/04/2019") is refused with a request for YYYY-MM-DD,
never guessed.

Deadlines (`parse_deadline`) are read relative to the document's publication date, in German or
English. Vague horizons map to a fixed convention, returned beside the date as `convention` (and
the original words as `words`), so a reader can see and challenge it (also in docs/deadlines.md):

| words (German / English)                               | deadline                                           |
|--------------------------------------------------------|----------------------------------------------------|
| a full date: "28. Februar 2019", "1 March 2019"        | that day                                           |
| a month: "bis März 2019", "Ende Februar", "by March"   | the month's last day (without a year: the next one |
|                                                        | ending on or after the publication date)           |
| a year: "bis Ende 2019", "2019", "end of 2019"         | 31 December of that year                           |
| "Ende des Jahres", "this year" / "dieses Jahr"         | 31 December of the publication year                |
| "next year" / "nächstes Jahr", "im kommenden Jahr"     | 31 December of the following year                  |
| "next month" / "nächsten Monat"                        | the last day of the following month                |
| a quarter: "Q3 2019", "im dritten Quartal 2019"        | the quarter's last day                             |
| a half: "H1 2019", "erste Jahreshälfte 2019"           | 30 June or 31 December                             |
| "Anfang 2020" / "early 2020"                           | 31 March of that year                              |
| "Mitte 2019" / "mid-2019"                              | 30 June of that year                               |
| a season: "Frühjahr 2019", "summer 2019"               | the last day of the meteorological season          |
| "within six months", "innerhalb von 6 Monaten",        | the publication date plus that span                |
| "in drei Wochen", "binnen eines Jahres"                |                                                    |
| "in den kommenden Tagen" / "in the coming days"        | publication date + 14 days                         |
| "in den kommenden Wochen" / "in the coming weeks"      | publication date + 8 weeks                         |
| "in den kommenden Monaten" / "in the coming months"    | publication date + 6 months                        |
| "in den kommenden Jahren" / "in the coming years"      | publication date + 3 years                         |
| "auf dem / beim / am Gipfel", "at / during the summit" | the event's date (from `events`)                   |
| "bis zum Gipfel", "by the summit"                      | the event's date                                   |
| "vor dem Gipfel", "before the summit"                  | the day before the event                           |
| "nach dem Gipfel", "after the summit"                  | 31 December of the event's year, or six months     |
|                                                        | after the event if that is later                   |

Anything else, an expression that could mean two dates ("03/04/2019"), an event whose date is not
given, and a deadline before the publication date are errors that name the expression and ask
for an explicit date (YYYY-MM-DD).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tracker import values
from tracker.errors import TrackerError

_NUMERIC = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})\s*$")


def _ambiguous(s: str) -> bool:
    """A numeric date such as 03/04/2019 that could be read day/month or month/day."""
    m = _NUMERIC.match(s)
    return m is not None and m.group(1) != m.group(2) and int(m.group(1)) <= 12 and int(m.group(2)) <= 12


def parse_date(text: str, where: str, *, today: dt.date | None = None) -> str:
    """An ISO date string for `text`: YYYY-MM-DD, or words such as "today", "28 February 2019",
    "28. Februar 2019" (English or German); an ISO 8601 time with a zone is kept as a UTC time."""
    s = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}$", s) or re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", s):
        return values.moment(s, where)
    if _ambiguous(s):
        raise TrackerError(f"{where}: {text!r} could be day/month or month/day; write YYYY-MM-DD")
    import dateparser

    settings = {"RELATIVE_BASE": dt.datetime.combine(today or dt.date.today(), dt.time()),
                "REQUIRE_PARTS": ["day", "month", "year"] if not _relative(s) else [],
                "DATE_ORDER": "DMY"}
    parsed = dateparser.parse(s, languages=["en", "de"], settings=settings)
    if parsed is None:
        raise TrackerError(f"{where}: cannot read {text!r} as a date; write YYYY-MM-DD")
    return parsed.date().isoformat()


def _relative(s: str) -> bool:
    return s.lower() in {"today", "yesterday", "heute", "gestern"} or "ago" in s.lower() or s.lower().startswith("vor ")


# ------------------------------------------------------------------------------ deadlines

@dataclass(frozen=True)
class Deadline:
    date: str                  # YYYY-MM-DD
    words: str                 # the expression as written
    convention: str | None     # the rule that turned vague words into a date; None for a plain date

    def as_dict(self) -> dict:
        return {"date": self.date, "words": self.words, "convention": self.convention}


_MONTHS = {
    "januar": 1, "jaenner": 1, "january": 1, "jan": 1, "februar": 2, "feber": 2, "february": 2, "feb": 2,
    "maerz": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "june": 6,
    "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12,
    "december": 12, "dez": 12, "dec": 12,
}
_NUMBERS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "eines": 1, "einer": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fuenf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9,
    "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwoelf": 12, "twelve": 12, "achtzehn": 18,
    "eighteen": 18, "vierundzwanzig": 24, "twenty-four": 24,
}
_ORDINALS = {"ersten": 1, "erste": 1, "first": 1, "1.": 1, "zweiten": 2, "zweite": 2, "second": 2, "2.": 2,
             "dritten": 3, "dritte": 3, "third": 3, "3.": 3, "vierten": 4, "vierte": 4, "fourth": 4, "4.": 4}
_UNITS = {"tag": "days", "tage": "days", "tagen": "days", "tages": "days", "day": "days", "days": "days",
          "woche": "weeks", "wochen": "weeks", "week": "weeks", "weeks": "weeks",
          "monat": "months", "monate": "months", "monaten": "months", "monats": "months", "month": "months",
          "months": "months", "jahr": "years", "jahre": "years", "jahren": "years", "jahres": "years",
          "year": "years", "years": "years"}
_COMING = {"days": (14, "days"), "weeks": (8, "weeks"), "months": (6, "months"), "years": (3, "years")}
_SEASONS = {"fruehjahr": 5, "fruehling": 5, "spring": 5, "sommer": 8, "summer": 8, "herbst": 11,
            "autumn": 11, "fall": 11, "winter": 2}
_LEAD = r"(?:(?:bis|spaetestens|noch|by|until|till|before|no later than|im|in|in the|at|zum|the)\s+)*"


def _fold(s: str) -> str:
    from tracker.intake.wording import fold

    return re.sub(r"\s+", " ", fold(s)).strip()


def _month_end(year: int, month: int) -> dt.date:
    import calendar

    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add(day: dt.date, n: int, unit: str) -> dt.date:
    if unit == "days":
        return day + dt.timedelta(days=n)
    if unit == "weeks":
        return day + dt.timedelta(weeks=n)
    months = n if unit == "months" else 12 * n
    y, m = divmod(day.month - 1 + months, 12)
    end = _month_end(day.year + y, m + 1)
    return end if day.day > end.day else end.replace(day=day.day)


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def _year(s: str | None) -> int | None:
    if s is None:
        return None
    return int(s) if len(s) == 4 else 2000 + int(s)


def _rules(s: str, published: dt.date) -> tuple[dt.date, str | None] | None:
    """The fixed conventions, on folded text. None when no rule applies."""
    year = published.year
    m = re.fullmatch(_LEAD + r"(?:den |the )?(?:kommenden|naechsten|coming|next|following) (?:few |paar |wenigen )?"
                     r"(tagen|tage|wochen|monaten|monate|jahren|jahre|days|weeks|months|years)", s)
    if m:
        n, unit = _COMING[_UNITS[m.group(1)]]
        return _add(published, n, unit), f"'coming {_UNITS[m.group(1)]}' = {n} {unit} after publication"
    m = re.fullmatch(r"(?:(?:innerhalb|binnen|within|in|over|during|im laufe|in the course)"
                     r"(?: (?:von|der|des|the|of|next))*"
                     r") (\S+) (tag|tage|tagen|tages|woche|wochen|monat|monate|monaten|monats|jahr|jahre|jahren|jahres|"
                     r"day|days|week|weeks|month|months|year|years)", s)
    if m and (span := _number(m.group(1))) is not None:
        unit = _UNITS[m.group(2)]
        return (_add(published, span, unit),
                f"within a span: publication date + {span} {unit[:-1] if span == 1 else unit}")
    if re.fullmatch(_LEAD + r"(?:ende |end of )?(?:dieses jahres|des jahres|diesen jahres|this year|the year|"
                    r"dieses jahr|in diesem jahr|year-end|year end|jahresende)", s):
        return dt.date(year, 12, 31), "end of the publication year"
    if re.fullmatch(_LEAD + r"(?:(?:ende |end of )?(?:naechsten|kommenden|naechstes|kommendes) jahr(?:es)?|"
                    r"(?:the )?(?:end of )?next year|(?:the )?following year)", s):
        return dt.date(year + 1, 12, 31), "'next year' = by 31 December of the following year"
    if re.fullmatch(_LEAD + r"(?:(?:ende |end of )?(?:naechsten|kommenden) monats?|(?:the )?(?:end of )?next month)",
                    s):
        y, mo = (year + 1, 1) if published.month == 12 else (year, published.month + 1)
        return _month_end(y, mo), "'next month' = by the last day of the following month"
    m = re.fullmatch(_LEAD + r"(?:(?:ende|end of|end-|end)\s*)?(\d{4})", s)
    if m:
        return dt.date(int(m.group(1)), 12, 31), ("end of year" if "end" in s else "a year = its last day")
    m = re.fullmatch(_LEAD + r"(?:(?:ende|end of|end-|end|im|in)\s*)?(\w+)(?: (\d{4}))?", s)
    if m and m.group(1) in _MONTHS:
        month = _MONTHS[m.group(1)]
        named = _year(m.group(2))
        if named is None:
            end = _month_end(year, month)
            if end < published:
                end = _month_end(year + 1, month)
            return end, "a month without a year = the next one ending on or after publication"
        return _month_end(named, month), "a month = its last day"
    m = re.fullmatch(_LEAD + r"(?:q([1-4])|([1-4])q|(\S+) (?:quartal|quarter)(?: of)?) ?(\d{4})?", s)
    if m:
        q = int(m.group(1) or m.group(2) or 0) or _ORDINALS.get(m.group(3) or "")
        if q:
            y = _year(m.group(4)) or year
            return _month_end(y, 3 * q), "a quarter = its last day"
    m = re.fullmatch(_LEAD + r"(?:h([12])|(\S+) (?:jahreshaelfte|half|half of)(?: of)?) ?(\d{4})?", s)
    if m:
        h = int(m.group(1) or 0) or _ORDINALS.get(m.group(2) or "")
        if h in (1, 2):
            y = _year(m.group(3)) or year
            return _month_end(y, 6 * h), "a half-year = its last day"
    m = re.fullmatch(_LEAD + r"(?:anfang|early|beginning of|fruehjahr des jahres)[ -](\d{4})", s)
    if m:
        return dt.date(int(m.group(1)), 3, 31), "'early YEAR' = by 31 March"
    m = re.fullmatch(_LEAD + r"(?:mitte|mid|middle of|the middle of)[ -](\d{4})", s)
    if m:
        return dt.date(int(m.group(1)), 6, 30), "'mid-YEAR' = by 30 June"
    m = re.fullmatch(_LEAD + r"(?:ende |end of )?(\w+)(?: (?:of )?(\d{4}))?", s)
    if m and m.group(1) in _SEASONS:
        month = _SEASONS[m.group(1)]
        y = _year(m.group(2)) or year
        if month == 2:  # winter YEAR runs December YEAR to February YEAR+1
            y += 1
        end = _month_end(y, month)
        if m.group(2) is None and end < published:
            end = _month_end(y + 1, month)
        return end, "a season = its last (meteorological) day"
    return None


_EVENT = re.compile(r"^(?P<prep>nach|vor|auf|bei|beim|am|im|waehrend|bis zum|bis zur|bis|after|before|at|during|by|"
                    r"until|following)(?: (?:dem|der|den|des|the))? (?P<name>.+)$")


def _event(s: str, expression: str, events: dict[str, object] | None,
           where: str) -> tuple[dt.date, str | None] | None:
    m = _EVENT.match(s)
    if not m:
        return None
    name = m.group("name")
    if name[:1].isdigit() or name.split(" ")[0] in _MONTHS:
        return None
    folded = {_fold(k): v for k, v in (events or {}).items()}
    if name not in folded:
        if re.search(r"\d", name):
            return None
        raise TrackerError(f"{where}: {expression!r} refers to an event whose date is not known; "
                           f"give an explicit date (YYYY-MM-DD) or the event's date")
    day = dt.date.fromisoformat(values.iso_date(folded[name], f"{where}: event {name!r}"))
    prep = m.group("prep")
    if prep in ("vor", "before"):
        return day - dt.timedelta(days=1), "'before EVENT' = the day before the event"
    if prep in ("nach", "after", "following"):
        later = max(dt.date(day.year, 12, 31), _add(day, 6, "months"))
        return later, "'after EVENT' = 31 December of the event's year, or six months after it if later"
    return day, "at or by the event = the event's date"


def parse_deadline(expression: str, published_on: str | dt.date, lang: str | None = None, *,
                   events: dict[str, object] | None = None, where: str = "deadline") -> Deadline:
    """The resolve-by date meant by `expression` in a document published on `published_on`.

    `lang` is de, en or None (both). `events` maps event names ("Gipfel") to their dates, for
    expressions such as "nach dem Gipfel". See the module docstring for the conventions.
    """
    published = dt.date.fromisoformat(values.iso_date(published_on, f"{where}: publication date"))
    words = expression.strip()
    if not words:
        raise TrackerError(f"{where}: empty expression; give an explicit date (YYYY-MM-DD)")
    s = _fold(words).rstrip(".,;")
    found = _rules(s, published)
    if found is None:
        found = _event(s, words, events, where)
    if found is None:
        found = _dateparser(words, s, published, lang, where)
    day, convention = found
    if day < published:
        raise TrackerError(f"{where}: {words!r} means {day.isoformat()}, before the publication date "
                           f"{published.isoformat()}; give an explicit date (YYYY-MM-DD)")
    return Deadline(day.isoformat(), words, convention)


def _dateparser(words: str, folded: str, published: dt.date, lang: str | None,
                where: str) -> tuple[dt.date, str | None]:
    ask = "give an explicit date (YYYY-MM-DD)"
    stripped = re.sub(r"^(?:(?:bis|spaetestens|by|until|before|on|am|zum|den|the)\s+)+", "", folded)
    if _ambiguous(stripped):
        raise TrackerError(f"{where}: {words!r} could be day/month or month/day; {ask}")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stripped):
        return dt.date.fromisoformat(values.iso_date(stripped, where)), None
    if not re.search(r"\d", stripped):
        # dateparser reads bare words ("soon", "bald", "langfristig") as today; refuse them.
        raise TrackerError(f"{where}: cannot read {words!r} as a deadline; {ask}")
    import dateparser

    original = re.sub(r"^(?:(?:bis|spätestens|by|until|before|on|am|zum|den|the)\s+)+", "", words.strip(),
                      flags=re.I)
    settings = {"RELATIVE_BASE": dt.datetime.combine(published, dt.time()), "DATE_ORDER": "DMY",
                "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "future"}
    parsed = dateparser.parse(original, languages=[lang] if lang else ["de", "en"], settings=settings)
    if parsed is None:
        raise TrackerError(f"{where}: cannot read {words!r} as a deadline; {ask}")
    return parsed.date(), None
