"""`tracker import --kind`: a table of forecasts or outcomes, or another project's export through its
adapter (its forecasts, then its outcomes), one file or several in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.imports.progress import ProgressBar
from tracker.intake.documents import sha256_file
from tracker.ledger import aliases
from tracker.ledger.connection import writing

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

from tracker.imports.adapters import KINDS as ADAPTER_KINDS

#: what `tracker import --kind` takes besides record files
KINDS = ("forecasts", "outcomes", *ADAPTER_KINDS)


def import_files(db: Ledger, paths: Iterable[str | Path], kind: str, *, note: str | None = None,
                 skip_invalid: bool = False, on_reject: Callable[[str], None] | None = None,
                 progress_bar: bool = False, same_person: Iterable[tuple[str, str]] = ()) -> dict:
    """Import tables (or an adapter's files) in one transaction; {path: counts}. `same_person`
    declares (name, author id) pairs first: rows naming that name are that author's."""
    result = {}
    same_person = list(same_person)
    with writing(db, note):  # one transaction: re-scored once, before it commits
        aliases.declare(db, same_person, note)
        for p in paths:
            result[str(p)] = import_file(db, p, kind, skip_invalid=skip_invalid, on_reject=on_reject,
                                         progress_bar=progress_bar)
        aliases.check_declared(db, same_person)
    return result


class _Options(TypedDict, total=False):
    """The keyword arguments import_file passes on to import_forecasts and import_outcomes."""
    skip_invalid: bool
    on_reject: Callable[[str], None] | None
    sha256: str


def import_file(db: Ledger, path: str | Path, kind: str, *, note: str | None = None,
                skip_invalid: bool = False, on_reject: Callable[[str], None] | None = None,
                progress_bar: bool = False) -> dict:
    """One table, or one file through an adapter (its forecasts, then its outcomes, in one
    transaction: {"forecasts": counts, "outcomes": counts, "dropped": {reason: n}})."""
    path = Path(path)
    options: _Options = {"skip_invalid": skip_invalid, "on_reject": on_reject}
    if kind in ("forecasts", "outcomes"):
        fn = import_forecasts if kind == "forecasts" else import_outcomes
        size = path.stat().st_size if path.is_file() else 0
        with ProgressBar(progress_bar, size, path.name) as progress:
            return fn(db, path, progress, note, **options)
    from tracker.imports import adapters

    adapter = adapters.open_adapter(path, kind)
    options["sha256"] = sha256_file(path)  # one hash for the import log's two entries (forecasts, outcomes)
    with writing(db, note):  # one transaction: re-scored once, before it commits
        with ProgressBar(progress_bar, adapter.size, f"{path.name} (forecasts)") as progress:
            forecasts = import_forecasts(db, path, progress, rows=adapter.forecasts(), position=adapter.position,
                                         kind=kind, **options)
        with ProgressBar(progress_bar, adapter.size, f"{path.name} (outcomes)") as progress:
            outcomes = import_outcomes(db, path, progress, rows=adapter.outcomes(), position=adapter.position,
                                       kind=f"{kind}-outcomes", **options)
        dropped = dict(adapter.dropped)  # after both passes: either may leave rows out
    return {"forecasts": forecasts, "outcomes": outcomes, "dropped": dropped}
