"""Writing sets of output files so that a failure, or a kill, leaves what was there before: file names
made safe from ids, and sets and trees replaced by rename. One file at a time (the temporary
sibling, flushing, renaming) is tracker.outputs, which every layer uses.

- `safe_stem`: a file name for any id, safe on Linux, macOS and Windows and unique even where case
  is not told apart; the same id always gives the same name.
- `write_files`: a set of files put into a directory all together or not at all (`tracker
  export`); `replace_directory`: a complete new tree put where an old one was (`tracker publish`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from tracker.errors import TrackerError
from tracker.outputs import SUFFIX, cannot, fsync_dir, fsync_path, install, remove_abandoned, sync_tree, temporary
from tracker.outputs import write_synced as _write_synced  # the name the fault tests patch

__all__ = ["SUFFIX", "fsync_path", "install", "remove_abandoned", "replace_directory", "safe_stem", "temporary",
           "write_files"]

#: An id that is its own file name: what record ids were before they were kept verbatim.
_PLAIN = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
#: Longest id used as its own file name; longer ones are shortened and given a digest.
PLAIN_MAX = 80
#: Bytes (UTF-8) of an id kept in front of the digest in a file name.
STEM_MAX_BYTES = 60
#: Hexadecimal digits of the id's SHA-256 in a file name: 64 bits, so a million names collide
#: with a chance of about 3 in 100 million (and a collision is an error, never an overwrite).
DIGEST = 16
#: Device names Windows reserves, with any extension (con.yml is CON).
_RESERVED = {"con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in "0123456789¹²³")}


def safe_stem(record_id: str, reserved: Iterable[str] = ()) -> str:
    """A file name (without its extension) for `record_id`, stable across runs.

    An id of lower-case letters, digits, '.', '_' and '-', up to PLAIN_MAX characters, that is no
    Windows device name and not in `reserved`, is its own name (doc-a → doc-a). Any other id gets
    a readable part (letters and digits of any script, others as '-', at most STEM_MAX_BYTES)
    and '+' with the first DIGEST hex digits of its SHA-256 (sf-Ab → sf-Ab+1c3e…). No plain name
    holds a '+', and the digest tells apart ids that differ only in case, so no two ids share a
    name even on a file system that ignores case.
    """
    first = record_id.split(".", 1)[0]
    if (_PLAIN.match(record_id) and len(record_id) <= PLAIN_MAX and first not in _RESERVED
            and record_id not in set(reserved)):
        return record_id
    readable = "".join(c if unicodedata.category(c)[0] in "LN" or c in "-_"
                       or (unicodedata.category(c)[0] == "M" and i) else "-"
                       for i, c in enumerate(unicodedata.normalize("NFC", record_id)))
    readable = re.sub(r"-{2,}", "-", readable).strip("-_")
    while len(readable.encode("utf-8")) > STEM_MAX_BYTES:
        readable = readable[:-1]
    digest = hashlib.sha256(record_id.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST]
    return f"{readable.rstrip('-_')}+{digest}"


def _make_dirs(directory: Path) -> list[Path]:
    """Create `directory` and any parents it lacks; the ones created, outermost first."""
    missing = []
    p = directory
    while not p.exists():
        missing.append(p)
        p = p.parent
    missing.reverse()
    for p in missing:
        try:
            p.mkdir()
        except OSError as e:
            for made in reversed(missing[:missing.index(p)]):
                made.rmdir()
            raise cannot(p, e, "create") from None
    return missing


def write_files(directory: Path, files: list[tuple[str, bytes]], *, remove: Iterable[str] = ()) -> None:
    """Put each (name, bytes) of `files` into `directory` and take the files named in `remove` out
    of it: all of it, or, if anything fails, none of it.

    Every file is first written and flushed to disk in a temporary directory inside `directory`,
    where nothing is touched yet. Then the `remove` names are moved into it, and each new file is
    renamed into place, the last of `files` last (a manifest, so that a reader who finds it finds
    all the rest). Each file replaced is kept (hard-linked, or copied) until all are in place, so
    a failure at any step puts every old file back, byte for byte.
    """
    directory = Path(directory)
    if any("/" in name or "\\" in name or name.startswith(".") for name, _ in files):
        raise ValueError("write_files: names are plain file names")
    if directory.exists() and not directory.is_dir():
        raise TrackerError(f"{directory}: is a file, not a directory")
    created = _make_dirs(directory)
    try:
        with temporary(directory / "export", directory=True) as stage:
            for name, data in files:
                try:
                    _write_synced(stage / name, data)
                except OSError as e:
                    raise cannot(directory / name, e) from None
            fsync_dir(stage)
            kept = stage / ".kept"
            kept.mkdir()
            _commit(directory, stage, kept, [name for name, _ in files], list(remove))
            shutil.rmtree(stage, ignore_errors=True)  # the new files are out of it: what is left is the old
    except BaseException:
        for made in reversed(created):
            with contextlib.suppress(OSError):
                made.rmdir()
        raise


def _commit(directory: Path, stage: Path, kept: Path, names: list[str], remove: list[str]) -> None:
    done: list[tuple[str, bool]] = []  # (name, whether an old file of that name is kept)
    removed: list[str] = []
    try:
        for name in remove:
            target = directory / name
            try:
                os.replace(target, kept / name)
            except OSError as e:
                raise cannot(target, e, "remove") from None
            removed.append(name)
        for name in names:
            target = directory / name
            had = target.exists()
            try:
                if had:
                    try:
                        os.link(target, kept / name)
                    except OSError:  # no hard links here (FAT, some network file systems)
                        shutil.copy2(target, kept / name)
                os.replace(stage / name, target)
            except OSError as e:
                raise cannot(target, e) from None
            done.append((name, had))
        fsync_dir(directory)
    except BaseException:
        try:
            for name, had in reversed(done):
                if had:
                    os.replace(kept / name, directory / name)
                else:
                    (directory / name).unlink()
            for name in reversed(removed):
                os.replace(kept / name, directory / name)
        except OSError as e:
            # the old files are still whole in the temporary directory: say where, and keep it
            keep = stage.with_name(stage.name.removesuffix(SUFFIX) + ".tracker-kept")
            os.rename(stage, keep)
            raise TrackerError(f"{directory}: could not put the previous files back ({e.strerror}); "
                               f"they are in {keep / '.kept'}") from None
        raise


def replace_directory(new: Path, directory: Path) -> None:
    """Put the complete tree `new` (a `temporary` beside `directory`) at `directory`, replacing
    the tree there if there is one: the old one is renamed aside, the new one in, and only then is
    the old one deleted. A failure renames the old one back."""
    sync_tree(new)
    aside = None
    if directory.exists():
        # not a temporary: should a kill come between the two renames, this is the only copy
        aside = directory.with_name(f".{directory.name}.{secrets.token_hex(4)}.tracker-old")
        try:
            os.rename(directory, aside)
        except OSError as e:
            raise cannot(directory, e, "replace") from None
    try:
        os.rename(new, directory)
    except OSError as e:
        if aside is not None:
            os.rename(aside, directory)
        raise cannot(directory, e, "replace") from None
    fsync_dir(directory.parent)
    if aside is not None:
        for p in aside.rglob("*"):  # the snapshot's files are read-only, as Windows would refuse
            if p.is_file():
                with contextlib.suppress(OSError):
                    p.chmod(0o644)
        shutil.rmtree(aside, ignore_errors=True)
