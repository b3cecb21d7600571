"""YAML as record files are read: safe, with each mapping's line number, refusing duplicate keys."""

from __future__ import annotations

from pathlib import Path

import yaml

from tracker.errors import TrackerError


class _Map(dict):
    """A mapping that knows the line it starts on."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers each mapping's line and refuses duplicate keys (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (dict, list)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text, not a mapping or a list", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        mapping = _Map(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date", node.start_mark) from None


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)



def read_yaml(path: Path) -> tuple[bytes, object]:
    """(the file's bytes, its YAML), or a TrackerError naming the file (and the line) for a file
    that cannot be read, is not UTF-8 or is not YAML."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TrackerError(f"{name}: cannot read ({e.strerror})") from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TrackerError(f"{name}: not UTF-8 text (byte {e.start})") from None
    try:
        return data, yaml.load(source, Loader=_Loader)  # safe: _Loader is a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        at = f":{mark.line + 1}" if mark else ""
        raise TrackerError(f"{name}{at}: broken YAML ({problem})") from None
