"""Import adapters: files people already have, read as rows of tracker's flat tables.

Each adapter turns one file into two streams of rows in the format of `tracker import --kind
forecasts` and `--kind outcomes` (see tracker.imports.forecast_rows and outcome_rows), which then
go through exactly the same checks, batching and transaction as a table of our own. Every row
carries where it came from (a line number, or a prediction and response id), so a bad row is
reported as `FILE:WHERE: reason`. What an adapter leaves out on purpose is counted in `dropped`,
by reason, and reported in the import's summary. docs/adapters/ has one page per format, with the
mapping, its source (repository, path, commit) and what is left out.

One module per format; what they share is in base.py. A new format is one module with an
Adapted subclass (its `kind`, `suffixes` and `describes`) and one line in ADAPTERS.
"""

from __future__ import annotations

from pathlib import Path

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted
from tracker.imports.adapters.fatebook import Fatebook
from tracker.imports.adapters.forecastbench import ForecastBench
from tracker.imports.adapters.gjp import GoodJudgment
from tracker.imports.adapters.metaculus import Metaculus
from tracker.imports.adapters.predictionbook import PredictionBook

#: --kind → the adapter reading that format
ADAPTERS: dict[str, type[Adapted]] = {
    Fatebook.kind: Fatebook,
    ForecastBench.kind: ForecastBench,
    Metaculus.kind: Metaculus,
    PredictionBook.kind: PredictionBook,
    GoodJudgment.kind: GoodJudgment,
}
KINDS = tuple(ADAPTERS)


def described() -> str:
    """The adapters for --kind's help: "fatebook (Fatebook's CSV export), …"."""
    return ", ".join(f"{kind} ({adapter.describes})" for kind, adapter in ADAPTERS.items())


def open_adapter(path: str | Path, kind: str) -> Adapted:
    path = Path(path)
    adapter = ADAPTERS.get(kind)
    if adapter is None:
        raise TrackerError(f"--kind {kind!r}: no such adapter (have: {', '.join(KINDS)})")
    if not path.exists():
        raise TrackerError(f"{path}: no such file")
    if path.suffix.lower() not in adapter.suffixes:
        raise TrackerError(f"{path}: {adapter.describes} is a {' or '.join(adapter.suffixes)} file")
    return adapter(path)
