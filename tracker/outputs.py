"""Writing a file so that a failure, or a kill, leaves what was there before: a temporary sibling,
flushed to disk, then renamed into place. The one way every command writes a file it makes
(`export`, `publish`, `backup`, `extract --draft`); it sits in the core so that every layer can
use it (tracker.ledger.files builds sets of files and trees on it).

- `temporary`: a new file or directory beside a path, named ``.NAME.XXXXXXXX.tracker-partial``
  and locked while its command runs. One that a killed command left behind is unlocked, and the
  next command writing to that path removes it (`remove_abandoned`); nothing else is ever removed.
- `install`: a complete temporary renamed onto its path, and the rename flushed.
- `write_file`: bytes to a path, whole or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from tracker.errors import TrackerError

try:
    import fcntl
except ImportError:  # Windows: no locks, so abandoned temporaries are left for the user
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".tracker-partial"


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (a rename in it) to disk; Windows has no such call."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_path(path: Path) -> None:
    """Flush a file written by others (SQLite, zipfile) to disk."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def sync_tree(root: Path) -> None:
    """Flush every file and directory under `root` (and `root`) to disk."""
    for p in sorted(root.rglob("*"), reverse=True):
        if p.is_file():
            fsync_path(p)
        elif p.is_dir():
            fsync_dir(p)
    fsync_dir(root)


def _pattern(path: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}{re.escape(SUFFIX)}\Z")


def _lock(fd: int) -> bool | None:
    """Take the lock that marks a temporary as in use: True if taken, False if another process
    holds it, None where there are no such locks (Windows, some network file systems)."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        return False if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES) else None
    return True


def discard(tmp: Path) -> None:
    """Remove a temporary, and the journal SQLite may have left beside it."""
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)
    for end in ("-journal", "-wal", "-shm"):
        tmp.with_name(tmp.name + end).unlink(missing_ok=True)


def remove_abandoned(path: Path) -> None:
    """Remove the temporaries beside `path` that a killed command left: those that `temporary`
    named for `path` and that no running process holds locked. Where there are no locks, none."""
    if fcntl is None or not path.parent.is_dir():
        return
    pattern = _pattern(path)
    for p in sorted(path.parent.iterdir()):
        if not pattern.match(p.name):
            continue
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _lock(fd):
                discard(p)
        finally:
            os.close(fd)


@contextlib.contextmanager
def temporary(path: Path, *, directory: bool = False) -> Iterator[Path]:
    """A new empty file (or directory) beside `path`, on the same file system so that it can be
    renamed onto `path`, locked until the block ends. If the block fails, it is removed; if the
    block renamed it into place, there is nothing left to remove."""
    path = Path(path)
    remove_abandoned(path)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{SUFFIX}")
        try:
            if directory:
                tmp.mkdir()
                fd = os.open(tmp, os.O_RDONLY) if fcntl is not None else None
            else:
                fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise cannot(path, e) from None
    try:
        if fd is not None:
            _lock(fd)
        yield tmp
    except BaseException:
        discard(tmp)
        raise
    finally:
        if fd is not None:
            os.close(fd)


def cannot(path: Path, e: OSError, verb: str = "write") -> TrackerError:
    return TrackerError(f"{path}: cannot {verb} ({e.strerror or e})")


def install(tmp: Path, dest: Path, *, overwrite: bool) -> None:
    """Rename the complete file `tmp` (a `temporary` beside `dest`) onto `dest`, and flush the
    rename to disk. Without `overwrite`, a file that appeared at `dest` in the meantime is kept,
    and is an error."""
    try:
        if overwrite:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # refuses an existing dest: no gap between a check and the rename
            except FileExistsError:
                raise TrackerError(f"{dest}: exists already; pass --overwrite to replace it") from None
            except OSError:  # no hard links here (FAT, some network file systems)
                if dest.exists():
                    raise TrackerError(f"{dest}: exists already; pass --overwrite to replace it") from None
                os.replace(tmp, dest)
            else:
                tmp.unlink()
    except OSError as e:
        raise cannot(dest, e) from None
    fsync_dir(dest.parent)


def write_file(path: str | Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write `data` to `path` whole or not at all: into a temporary beside it, flushed to disk,
    then renamed onto it. A failure (a full disk, a kill) leaves what was at `path` before, and
    the error names `path`. Without `overwrite`, an existing file is kept, and is an error."""
    path = Path(path)
    if path.is_dir():
        raise TrackerError(f"{path}: is a directory, not a file")
    if not path.parent.is_dir():
        raise TrackerError(f"{path.parent}: no such directory")
    with temporary(path) as tmp:
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise cannot(path, e) from None
        install(tmp, path, overwrite=overwrite)
    return path
