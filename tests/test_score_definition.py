"""The score tables' definition version covers everything stored scores are computed from: the
score schema, the stored sums' format, and the shipped scales that the sensitivity tables read
every forecast's words by. A ledger built under another definition is refused until `tracker
migrate` rebuilds its score tables."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tracker.intake
from tracker.cli import app
from tracker.errors import TrackerError
from tracker.scores import derived
from tracker.scores.derived import open_db

SCALES = Path(tracker.intake.__file__).parent / "scales"


def test_the_version_changes_with_any_shipped_scale(tmp_path):
    assert derived.version().endswith(f".{zlib.crc32(derived.shipped_scales()):08x}")
    copy = tmp_path / "scales"
    shutil.copytree(SCALES, copy)
    assert derived.shipped_scales(copy) == derived.shipped_scales()
    kent = copy / "kent.yml"
    text = kent.read_text(encoding="utf-8")
    assert "value: 0.93" in text
    kent.write_text(text.replace("value: 0.93", "value: 0.92", 1), encoding="utf-8")
    assert zlib.crc32(derived.shipped_scales(copy)) != zlib.crc32(derived.shipped_scales())
    (copy / "kent.yml").unlink()
    assert zlib.crc32(derived.shipped_scales(copy)) != zlib.crc32(derived.shipped_scales())


def test_a_ledger_scored_under_other_scales_is_refused_until_migrated(tmp_path, monkeypatch, small_record):
    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records

    path = tmp_path / "ledger.db"
    ledger = open_db(path)
    import_records(ledger, [load_record(small_record)])
    ledger.close()
    # the next release changed a scale: what the scales' bytes are is the input, the version the result
    changed = tmp_path / "scales"
    shutil.copytree(SCALES, changed)
    kent = changed / "kent.yml"
    kent.write_text(kent.read_text(encoding="utf-8").replace("value: 0.93", "value: 0.92", 1), encoding="utf-8")
    original = derived.shipped_scales
    monkeypatch.setattr(derived, "shipped_scales", lambda folder=None: original(folder or changed))
    derived.version.cache_clear()
    try:
        with pytest.raises(TrackerError, match="score tables were made by another version of tracker"):
            open_db(path)
        result = CliRunner().invoke(app, ["migrate", "--db", str(path)])
        assert result.exit_code == 0, result.output
        assert "score tables rebuilt (their definition changed)" in result.output
        open_db(path).close()
    finally:
        derived.version.cache_clear()

