"""`tracker publish` under faults: a snapshot that fails, or is killed, leaves the previous one byte for
byte and nothing of its own; no file it did not write is deleted."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.intake.documents import sha256_file
from tracker.site import publish


@pytest.fixture
def published(small_record, tmp_path) -> Path:
    """A snapshot of the small record's ledger at site/snap, beside a file of the user's named as the old
    code's temporary (which it deleted), and the ledger changed since, so that a new snapshot differs."""
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(small_record)]).exit_code == 0
    site = tmp_path / "site"
    site.mkdir()
    (site / "snap.partial").write_text("the user's own")
    result = runner.invoke(app, ["publish", "--dir", str(site / "snap")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["resolve", "q2", "--outcome", "yes", "--on", "2019-05-01"]).exit_code == 0
    return site / "snap"


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


def test_snapshot_json_lists_every_file_with_its_digest(published):
    manifest = json.loads((published / "snapshot.json").read_text())
    files = sorted(p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file())
    assert sorted(manifest["checksums"]) == [f for f in files if f != "snapshot.json"]
    assert all(sha256_file(published / f) == digest for f, digest in manifest["checksums"].items())
    assert manifest["database"]["sha256"] == manifest["checksums"]["forecasts.db"]
    assert (published.parent / "snap.partial").read_text() == "the user's own"


def _failing_rename(at: int):
    real, calls = os.rename, []

    def rename(a, b):
        calls.append(a)
        if len(calls) == at:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(a))
        return real(a, b)

    return rename


def _quick_inspect(directory: Path) -> dict:
    (directory / "counts.json").write_text("{}")
    return {"forecasts": {"tables": {}}}


def _full_disk(dest):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest / "tracker.whl"))


def test_a_publish_that_fails_leaves_the_last_snapshot_as_it_was(published, monkeypatch):
    site = _tree(published.parent)
    faults = [  # (what fails, how, exit status, the one line said)
        (publish, "build_wheel", _full_disk, 1,
         f"Error: {published / 'wheels' / 'tracker.whl'}: cannot write (No space left on device)"),
        (publish, "_inspect", lambda d: (_ for _ in ()).throw(KeyboardInterrupt()), 130,
         "Interrupted: nothing was written."),
        (os, "rename", _failing_rename(1), 1, f"Error: {published}: cannot replace (Input/output error)"),
        (os, "rename", _failing_rename(2), 1, f"Error: {published}: cannot replace (Input/output error)"),
    ]
    for target, name, fault, status, message in faults:
        with monkeypatch.context() as patched:
            if name != "_inspect":  # `datasette inspect` takes a second, and is not what fails here
                patched.setattr(publish, "_inspect", _quick_inspect)
            patched.setattr(target, name, fault)
            result = CliRunner().invoke(app, ["publish", "--dir", str(published)])
        assert (result.exit_code, result.stderr) == (status, message + "\n"), name
        assert _tree(published.parent) == site, name


def test_a_snapshot_holding_a_file_publish_did_not_write_is_not_replaced(published):
    (published / "Dockerfile").write_text("mine")
    before = _tree(published.parent)
    result = CliRunner().invoke(app, ["publish", "--dir", str(published)])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {published / 'Dockerfile'}: was not written by tracker publish; "
                             "move it, or choose another --dir\n")
    assert _tree(published.parent) == before


KILLED_PUBLISH = """
import sys, time
from tracker.site import publish

def slow(directory):
    print("ready", flush=True)
    time.sleep(60)

publish._inspect = slow
from tracker.cli import app
app(sys.argv[1:])
"""


def test_a_killed_publish_leaves_the_last_snapshot_and_the_next_removes_what_it_left(published):
    before = _tree(published.parent)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PUBLISH, "publish", "--dir", str(published)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    finally:
        proc.kill()
        proc.wait()
    after = _tree(published.parent)
    left = {name.split("/")[0] for name in set(after) - set(before)}
    assert len(left) == 1 and re.fullmatch(r"\.snap\.[0-9a-f]{8}\.tracker-partial", left.pop())
    assert {k: v for k, v in after.items() if k in before} == before
    assert CliRunner().invoke(app, ["publish", "--dir", str(published)]).exit_code == 0
    assert sorted(p.name for p in published.parent.iterdir()) == ["snap", "snap.partial"]
    assert _tree(published)["snapshot.json"] != before["snap/snapshot.json"]
