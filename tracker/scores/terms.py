"""Named terms: every sum a group's score tables keep, declared once.

A group (an author, a document, a topic, a horizon bucket, everything; and one question, for its
question_scores row) keeps exact integer sums of its forecasts' terms (tracker.scores.sums). Each
sum is declared below with the key it is stored under in `score_sums`, its unit and what it
means. Producers (calibration.forecast_terms, sums.score_terms, board's sensitivity terms and
Delta.fold) and consumers (sums.summary_from_sums, the calibration tables and decompositions,
board's group rows and scenarios) name these declarations, never a key.

Units (Unit): a plain count; 2**-SHIFT units, a sum of exact values (sums.exact); 2**-2·SHIFT
units, a sum of products of two exact values.

Adding a score is one declaration here (a Moments, for a mean with an interval), its producer
(sums.moments where the score is computed) and its consumer (sums.mean_interval where its row is
built). Renaming or adding a term changes what `score_sums` holds: bump sums.SUMS_FORMAT.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Unit(enum.Enum):
    """What one unit of a term is: its value is the power of 2**-SHIFT (sums.SHIFT)."""

    COUNT = 0    #: a plain count
    EXACT = 1    #: 2**-SHIFT units: a sum of exact values
    PRODUCT = 2  #: 2**-2·SHIFT units: a sum of products of two exact values


#: every declared term, by key (family members are not listed: see FAMILIES)
TERMS: dict[str, Term] = {}
#: every declared family of terms, by stem
FAMILIES: dict[str, Family] = {}


class Term(str):
    """One declared sum. It is the str it is stored under, so sums stay plain dicts of str to int
    (and their JSON plain objects), with its unit and a one-line meaning beside it."""

    unit: Unit
    meaning: str

    def __new__(cls, key: str, unit: Unit, meaning: str, *, register: bool = True) -> Term:
        self = super().__new__(cls, key)
        self.unit, self.meaning = unit, meaning
        if register:
            if key in TERMS or key.partition("[")[0] in FAMILIES:
                raise ValueError(f"term {key!r} is declared twice")
            TERMS[key] = self
        return self

    def __repr__(self) -> str:
        return f"Term({str(self)!r}, {self.unit.name})"


class Family:
    """Terms one per member (a calibration bin's index, a scale's name): member m's term is
    family[m], stored as f"{stem}[{m}]"."""

    def __init__(self, stem: str, unit: Unit, meaning: str) -> None:
        if stem in FAMILIES or any(k.startswith(stem + "[") for k in TERMS):
            raise ValueError(f"family {stem!r} is declared twice")
        self.stem, self.unit, self.meaning = stem, unit, meaning
        self._members: dict[object, Term] = {}
        FAMILIES[stem] = self

    def __getitem__(self, member: object) -> Term:
        term = self._members.get(member)
        if term is None:
            term = self._members[member] = Term(f"{self.stem}[{member}]", self.unit,
                                                f"{self.meaning} ({member})", register=False)
        return term

    def members(self, sums: Iterable[str]) -> list[str]:
        """The members (as the text in their keys) that have a term in sums, sorted."""
        head = self.stem + "["
        return sorted(k[len(head):-1] for k in sums if k.startswith(head))

    def __repr__(self) -> str:
        return f"Family({self.stem!r}, {self.unit.name})"


class Moments:
    """Count, Σx and Σx² of one score over a group's forecasts: its mean and Student-t interval
    (sums.moments makes them, sums.mean_interval reads them)."""

    def __init__(self, stem: str, meaning: str, *, register: bool = True) -> None:
        self.stem, self.meaning = stem, meaning
        self.n = Term(f"{stem}.n", Unit.COUNT, f"forecasts with a {meaning}", register=register)
        self.sum = Term(f"{stem}.sum", Unit.EXACT, f"Σ {meaning}", register=register)
        self.sum_sq = Term(f"{stem}.sum_sq", Unit.PRODUCT, f"Σ ({meaning})²", register=register)

    def __repr__(self) -> str:
        return f"Moments({self.stem!r})"


def declared(key: str) -> bool:
    """Whether key is a declared term or a member of a declared family."""
    if key in TERMS:
        return True
    stem, bracket, rest = key.partition("[")
    return bool(bracket) and stem in FAMILIES and rest.endswith("]")


C, X, XX = Unit.COUNT, Unit.EXACT, Unit.PRODUCT

# ------------------------------------------------------------------ calibration (every group)
# p is the probability given to yes; an event is a forecast whose question resolved yes.

FORECASTS = Term("forecasts", C, "scored yes/no forecasts")
EVENTS = Term("events", C, "scored forecasts whose question resolved yes")
SUM_P = Term("sum_p", X, "Σp")
SUM_P2 = Term("sum_p2", XX, "Σp²")
SUM_P_EVENTS = Term("sum_p_events", X, "Σp over events")
SUM_P2_EVENTS = Term("sum_p2_events", XX, "Σp² over events")

# per calibration bin k (calibration.bin_index), the same sums of the forecasts in it
BIN_FORECASTS = Family("bin_forecasts", C, "forecasts in calibration bin k")
BIN_EVENTS = Family("bin_events", C, "events in calibration bin k")
BIN_SUM_P = Family("bin_sum_p", X, "Σp in calibration bin k")
BIN_SUM_P2 = Family("bin_sum_p2", XX, "Σp² in calibration bin k")
BIN_SUM_P_EVENTS = Family("bin_sum_p_events", X, "Σp over events in calibration bin k")

# ------------------------------------------------------------------ scores (every group)

BRIER = Moments("brier", "Brier score (0..1)")
LOG = Moments("log", "log score (nats, p clipped at rules.LOG_CLIP)")
SPHERICAL = Moments("spherical", "spherical score")
LOG_CLIPPED = Term("log_clipped", C, "forecasts whose log score was clipped at rules.LOG_CLIP")

# ------------------------------------------------------------------ authors only

TIME_WEIGHTED = Moments("time_weighted", "time-weighted Brier (0..1) of one (author, question)")
PEER = Moments("peer", "peer score of one (author, question)")
MULTIPLE_CHOICE = Moments("mc_brier", "multi-category Brier (0..2) of a multiple-choice forecast")
MC_LOG_SUM = Term("mc_log.sum", X, "Σ multi-category log score (nats) of multiple-choice forecasts")

# sensitivity: the Brier score under other readings of a forecast's words (board._scenarios)
BRIER_AT_LOW = Term("brier_at_low", X, "Σ Brier with p at its interval's low end (p itself without one)")
BRIER_AT_HIGH = Term("brier_at_high", X, "Σ Brier with p at its interval's high end (p itself without one)")
BRIER_BEST = Term("brier_best", X, "Σ Brier at the interval's end nearer to what happened")
BRIER_WORST = Term("brier_worst", X, "Σ Brier at the interval's end farther from what happened")
SCALE_DIFFERENCE = Family("scale_difference", X,
                          "Σ (Brier under the scale's reading - recorded Brier), over the forecasts it reads")
SCALE_COVERED = Family("scale_covered", C, "forecasts whose phrase the scale reads")

del C, X, XX
