"""The manifest `tracker export` writes last (MANIFEST.json): what a whole export holds, so that
an export cut short can be told from a whole one, by `check_export` and by `tracker import`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "MANIFEST.json"
FORMAT = "tracker-export/1"


def listed_files(directory: Path) -> dict[str, str] | None:
    """name → SHA-256 of the record files that the manifest in `directory` lists; None if there is
    no manifest, or one that is not an export's."""
    try:
        manifest = json.loads((directory / MANIFEST).read_bytes())
        files = manifest["files"] if manifest.get("format") == FORMAT else None
        return {f["name"]: f["sha256"] for f in files
                if isinstance(f["name"], str) and isinstance(f["sha256"], str)} if isinstance(files, list) else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def check_export(directory: str | Path) -> list[str]:
    """What is wrong with the export in `directory`, one line each; [] for a whole export. Every
    file its manifest lists must be there with the SHA-256 it lists."""
    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        return [f"{directory / MANIFEST}: missing; this is no complete export"]
    listed = listed_files(directory)
    if listed is None:
        return [f"{directory / MANIFEST}: not a tracker export's manifest"]
    problems = []
    for name, digest in listed.items():
        path = directory / name
        if Path(name).name != name or name.startswith("."):
            problems.append(f"{directory / MANIFEST}: lists {name!r}, which is no file of an export")
        elif not path.is_file():
            problems.append(f"{path}: missing; the export is incomplete")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{path}: differs from {MANIFEST}; the export is incomplete, or the file was changed")
    return problems


def missing_files(directory: Path) -> list[str]:
    """What keeps a folder with a manifest from being imported: files it lists that are not
    there (a file edited since is fine: the curated record is meant to be edited)."""
    return [m for m in check_export(directory) if "differs from" not in m]
