"""Reading input files, the one way every command does it: regular files only, a size limit for
files read whole, UTF-8 with the line of a bad byte, and YAML and JSON with limits on nesting,
aliases and the size of numbers. Each failure is one TrackerError naming the file (and the line).

Files read whole are records, side files, front matter, scales and an adapter's .json; tables
and JSONL are streamed (tracker.imports.table_file) and have no size limit, but their lines go
through `load_json_line`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from pathlib import Path

from tracker.errors import TrackerError

#: the largest file read whole (a record file of a thousand briefs is a few MB; a PredictionBook
#: user's whole history as one .json, about 30 MB)
MAX_WHOLE_FILE = 256 * 1024 * 1024
#: nesting deeper than any real record, table row or export (those are 3-6 levels)
MAX_DEPTH = 100
#: YAML aliases in one file: records use none; a file of nested aliases ("billion laughs") of
#: 1.6 KB once took 61 s and 6 GB
MAX_ALIASES = 100
#: the digits of a number: any real id or count fits in 20; Python itself stops at 4,300
MAX_DIGITS = 20
INT64 = (-(2 ** 63), 2 ** 63 - 1)

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def regular_file(path: str | Path) -> Path:
    """The path, if it names a regular file (not a directory, pipe or device, which could block
    or never end); else a TrackerError naming it."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise TrackerError(f"{path}: no such file") from None
    except OSError as e:
        raise TrackerError(f"{path}: cannot read ({e.strerror})") from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise TrackerError(f"{path}: {kind}; give a file")
    return path


def read_bytes(path: str | Path, limit: int = MAX_WHOLE_FILE) -> bytes:
    """A regular file's bytes, refused past `limit`."""
    path = regular_file(path)
    size = path.stat().st_size
    if size > limit:
        raise TrackerError(f"{path}: {size:,} bytes is more than the {limit:,} read whole")
    try:
        return path.read_bytes()
    except OSError as e:
        raise TrackerError(f"{path}: cannot read ({e.strerror})") from None


def decode(data: bytes, name: object) -> str:
    """UTF-8 text (a byte-order mark is dropped), or an error with the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise TrackerError(f"{name}:{line}: not UTF-8 text (byte {e.start})") from None


def read_text(path: str | Path, limit: int = MAX_WHOLE_FILE) -> str:
    return decode(read_bytes(path, limit), path)


# ------------------------------------------------------------------ YAML

class Mapping(dict):
    """A YAML mapping that knows the line it starts on."""

    line: int = 0


@functools.cache
def _loader() -> type:
    """The YAML loader, made on first use (so that a command reading no YAML never imports it)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """Safe YAML with limits (depth, aliases), each mapping's line, duplicate keys refused (PyYAML
        keeps the last), impossible dates and lone surrogates as errors with their line."""

        def __init__(self, stream):
            super().__init__(stream)
            self._depth = 0
            self._aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases",
                                                      self.peek_event().start_mark)
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} deep",
                                                  self.peek_event().start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node, deep=False):
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (dict, list)):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a key must be plain text, not a mapping or a list", key_node.start_mark)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
            mapping = Mapping(super().construct_mapping(node, deep=deep))
            mapping.line = node.start_mark.line + 1
            return mapping

        def construct_yaml_timestamp(self, node):
            try:
                return super().construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                raise yaml.constructor.ConstructorError(
                    None, None, f"{node.value!r} is not a real date", node.start_mark) from None

        def construct_yaml_int(self, node):
            digits = sum(c.isdigit() for c in node.value)
            if digits > MAX_DIGITS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a number of {digits} digits is too long", node.start_mark)
            value = super().construct_yaml_int(node)
            if not INT64[0] <= value <= INT64[1]:
                raise yaml.constructor.ConstructorError(None, None, _past_int64(node.value), node.start_mark)
            return value

        def construct_yaml_str(self, node):
            value = super().construct_yaml_str(node)
            if _has_surrogate(value):
                raise yaml.constructor.ConstructorError(
                    None, None, "a lone surrogate (\\ud800-\\udfff) is not a character", node.start_mark)
            return value


    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
    _Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
    _Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_yaml_str)
    return _Loader


def load_yaml(text: str, name: object, *, first_line: int = 1) -> object:
    """YAML text as Python, or a TrackerError naming `name` and the line (`first_line` is the
    line of the file that the text starts on, for front matter)."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader())  # safe: the loader is a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        at = f":{mark.line + first_line}" if mark else ""
        raise TrackerError(f"{name}{at}: broken YAML ({problem})") from None
    except RecursionError:
        raise TrackerError(f"{name}: broken YAML (nested too deep)") from None


def read_yaml(path: str | Path) -> tuple[bytes, object]:
    """(a file's bytes, its YAML)."""
    data = read_bytes(path)
    return data, load_yaml(decode(data, path), path)


# ------------------------------------------------------------------ JSON

def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _past_int64(text: str) -> str:
    return f"the number {text} is past what SQLite holds (a 64-bit integer)"


def _int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_DIGITS:
        raise ValueError(f"a number of {len(text)} digits is too long")
    value = int(text)
    if not INT64[0] <= value <= INT64[1]:
        raise ValueError(_past_int64(text))
    return value


def _depth_ok(text: str) -> bool:
    """Whether JSON text may nest deeper than MAX_DEPTH (a cheap over-count: brackets in strings
    count too), so the exact check runs only then."""
    return text.count("[") + text.count("{") <= MAX_DEPTH


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _unique(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"key {key!r} appears twice in one object")
    return obj


def load_json(text: str, where: object, *, unique_keys: bool = False) -> object:
    """JSON text as Python, or a TrackerError naming `where`: broken JSON, nesting past MAX_DEPTH,
    numbers past MAX_DIGITS or int64, lone surrogates (which SQLite cannot store), and with `unique_keys`
    a key twice in one object (json keeps the last without a word)."""
    try:
        value = json.loads(text, parse_int=_int, object_pairs_hook=_unique if unique_keys else None)
    except json.JSONDecodeError as e:
        raise TrackerError(f"{where}: broken JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    except ValueError as e:
        raise TrackerError(f"{where}: {e}") from None
    except RecursionError:
        raise TrackerError(f"{where}: JSON nested more than {MAX_DEPTH} deep") from None
    if not _depth_ok(text) and _depth(value) > MAX_DEPTH:
        raise TrackerError(f"{where}: JSON nested more than {MAX_DEPTH} deep")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_surrogate(json.dumps(value, ensure_ascii=False)):
        raise TrackerError(f"{where}: a lone surrogate (\\ud800-\\udfff) is not a character")
    return value


# ------------------------------------------------------------------ the command line

def check_argument(name: str, value: object) -> None:
    """A command-line value: text that was valid UTF-8 (Python keeps undecodable bytes as lone
    surrogates) without NUL, and integers that SQLite can hold."""
    if isinstance(value, str):
        if _has_surrogate(value):
            raise TrackerError(f"--{name}: {value.encode('utf-8', 'surrogateescape')!r} is not valid UTF-8")
        if "\x00" in value:
            raise TrackerError(f"--{name}: contains a NUL character")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise TrackerError(f"--{name}: {value} is too large")
    elif isinstance(value, Path):
        check_argument(name, str(value))
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_argument(name, item)

