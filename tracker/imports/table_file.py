"""Reading a flat table: a .csv or .jsonl file one row at a time, and the check of its columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from tracker import inputs, values
from tracker.errors import TrackerError

#: a row as a source gives it: (where it is, e.g. a line number; the row, or the error reading it)
Row = tuple[object, "dict | TrackerError"]


class TableFile:
    """A .csv or .jsonl table read one row at a time. A row that cannot be read (wrong number of
    columns, broken JSON) comes out as a TrackerError in its place, so an import that skips bad
    rows can go on; a file that cannot be read at all (not UTF-8, broken quoting) raises.
    `check_header`, if given, is called with a CSV's column names before its first row (to
    raise a TrackerError for a file that is not what the reader expects); `jsonl_object` is what
    each line of a .jsonl must be, as its error names it."""

    def __init__(self, path: str | Path, check_header: Callable[[list[str]], None] | None = None,
                 jsonl_object: str = "a JSON object"):
        self.path = Path(path)
        self.check_header, self.jsonl_object = check_header, jsonl_object
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".jsonl", ".ndjson"):
            raise TrackerError(f"{self.path}: unknown table type {suffix or '(none)'!r}; use .csv or .jsonl")
        self.csv = suffix == ".csv"
        self.size = inputs.regular_file(self.path).stat().st_size
        self._raw: io.BufferedReader | None = None

    def position(self) -> int:
        """Bytes read so far (for a progress bar): the whole file once it is closed."""
        raw = self._raw
        try:
            return raw.tell() if raw is not None and not raw.closed else self.size
        except (OSError, ValueError):
            return self.size

    def rows(self) -> Iterator[Row]:
        path = self.path
        try:
            raw = path.open("rb")
        except OSError as e:
            raise TrackerError(f"{path}: cannot read ({e.strerror})") from None
        self._raw = raw
        with raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            try:
                yield from (self._csv_rows(stream) if self.csv else self._jsonl_rows(stream))
            except UnicodeDecodeError as e:
                raise TrackerError(f"{path}: not UTF-8 text (byte {e.start} of its line)") from None
            except csv.Error as e:
                raise TrackerError(f"{path}: broken CSV ({e})") from None

    def _csv_rows(self, stream) -> Iterator[Row]:
        reader = csv.reader(stream, strict=True)
        header = next(reader, None)
        if not header:
            raise TrackerError(f"{self.path}: file is empty")
        fields = [h.strip() for h in header]
        doubled = next((f for i, f in enumerate(fields) if f in fields[:i]), None)
        if doubled is not None:
            raise TrackerError(f"{self.path}:1: column {doubled!r} appears twice in the header")
        if self.check_header:
            self.check_header(fields)
        width = len(fields)
        for values_ in reader:
            if not values_:
                continue  # a blank line, as csv.DictReader skips it
            if len(values_) != width:
                yield reader.line_num, TrackerError(f"{self.path}:{reader.line_num}: expected {width} columns")
                continue
            yield reader.line_num, dict(zip(fields, values_, strict=True))

    def _jsonl_rows(self, stream) -> Iterator[Row]:
        seen = False
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            seen = True
            try:
                row = inputs.load_json(line, f"{self.path}:{n}", unique_keys=True)
            except TrackerError as e:
                yield n, e
                continue
            if not isinstance(row, dict):
                yield n, TrackerError(f"{self.path}:{n}: expected {self.jsonl_object} per line")
                continue
            yield n, row
        if not seen:
            raise TrackerError(f"{self.path}: file is empty")


class Columns:
    """The column check, done once per distinct set of keys (a CSV has one), and each row's values:
    text without control characters, never a mapping (a JSONL object where a name belongs)."""

    def __init__(self, required: list[str], optional: list[str]):
        self.required, self.known = required, set(required) | set(optional)
        self.verdicts: dict[tuple, str | None] = {}

    def check(self, where: str, row: dict) -> None:
        keys = tuple(row)
        verdict = self.verdicts.get(keys, False)
        if verdict is False:
            missing = [c for c in self.required if c not in row]
            unknown = [c for c in row if c not in self.known]
            verdict = (f"missing column {missing[0]!r} (required: {', '.join(self.required)})" if missing
                       else f"unknown column {unknown[0]!r}" if unknown else None)
            if len(self.verdicts) < 256:
                self.verdicts[keys] = verdict
        if verdict:
            raise TrackerError(f"{where}: {verdict}")
        kinds = set(map(type, row.values()))
        if kinds == {str}:  # a CSV's cells are all text
            joined = " ".join(row.values())
        elif dict in kinds or list in kinds:  # a JSONL row's may be anything
            joined = _texts(where, row)
        else:  # numbers, true/false and null beside text
            joined = " ".join(v for v in row.values() if type(v) is str)
        # printable text (the common case, one fast call) holds no control character; else a
        # search, and the cell only when one is bad
        if not joined.isprintable() and values.NOT_TEXT.search(joined):
            for key, value in row.items():
                for v in value if isinstance(value, list) else [value]:
                    if type(v) is str:
                        values.check_characters(v, f"{where}: {key}")


def _texts(where: str, row: dict) -> str:
    """A JSONL row's text values (in lists too) joined by spaces; a mapping, or a list of
    them, where a value belongs is an error."""
    texts = []
    for key, value in row.items():
        if type(value) is str:
            texts.append(value)
        elif isinstance(value, (dict, list)) and (
                isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in value)):
            got = "a mapping" if isinstance(value, dict) else "a list holding a mapping or a list"
            raise TrackerError(f"{where}: {key}: expected text, a number or a list of them, got {got}")
        elif isinstance(value, list):
            texts.extend(v for v in value if type(v) is str)
    return " ".join(texts)
