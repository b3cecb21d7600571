"""Import adapters: files people already have, read as rows of tracker's flat tables.

Each adapter turns one file into two streams of rows in the format of `tracker import --kind
forecasts` and `--kind outcomes` (see tracker.imports.forecast_rows and outcome_rows), which then
go through exactly the same checks, batching and transaction as a table of our own. Every row
carries where it came from (a line number, or a prediction and response id), so a bad row is
reported as `FILE:WHERE: reason`. What an adapter leaves out on purpose is counted in `dropped`, by reason, and reported
in the import's summary. docs/adapters.md has the same mappings with examples.

One module per format: fatebook.py, predictionbook.py; what they share is in base.py.
"""

from __future__ import annotations

from pathlib import Path

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted
from tracker.imports.adapters.fatebook import Fatebook
from tracker.imports.adapters.predictionbook import PredictionBook

KINDS = ("fatebook", "predictionbook")


def open_adapter(path: str | Path, kind: str) -> Adapted:
    path = Path(path)
    if not path.exists():
        raise TrackerError(f"{path}: no such file")
    if kind == "fatebook":
        if path.suffix.lower() != ".csv":
            raise TrackerError(f"{path}: a Fatebook export is a .csv file")
        return Fatebook(path)
    if kind == "predictionbook":
        if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
            raise TrackerError(f"{path}: PredictionBook data is a .json (or .jsonl) file")
        return PredictionBook(path)
    raise TrackerError(f"--kind {kind!r}: no such adapter (have: {', '.join(KINDS)})")
