"""The README's tour of the command line, made by running the commands it shows on a fresh ledger
built from forecasts/ (cog writes it into README.md; tests/test_docs.py checks that it is current),
so the tour cannot drift from what the commands print."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], shown: str, db: Path) -> str:
    from tracker.cli import app

    result = CliRunner().invoke(app, [*args, "--db", str(db)], env={"TRACKER_ANALYST": "analyst", "COLUMNS": "120"})
    out = result.output.rstrip("\n")
    return f"$ {shown}\n{out}\n"


def tour(part: str) -> str:
    """One console block of the tour: `start` (import twice, score, calibration) or `change`
    (a correction and a refused table)."""
    here = os.getcwd()
    work = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(ROOT / "forecasts", work / "forecasts")
        os.chdir(work)
        db = work / "forecasts.db"
        steps = [(["import", "forecasts/"], "tracker import forecasts/"),
                 (["import", "forecasts/"], "tracker import forecasts/          # importing again changes nothing"),
                 (["score"], "tracker score"),
                 (["calibration"], "tracker calibration")]
        if part == "change":
            for args, _ in steps[:1]:
                _run(args, "", db)
            (work / "bad.csv").write_text("question_id,author,probability,made_on\n"
                                          "hanoi-2019-any-agreement,Ann Example,0.4,2019-02-20\n"
                                          "hanoi-2019-any-agreement,Ann Example,1.5,2019-02-21\n", encoding="utf-8")
            steps = [(["resolve", "hanoi-2019-detainees-understanding", "--outcome", "annulled", "--correct",
                       "--note", "No US citizens were detained at the time",
                       "--evidence", "https://theweek.com/speedreads/826357"],
                      "tracker resolve hanoi-2019-detainees-understanding --outcome annulled --correct \\\n"
                      '    --note "No US citizens were detained at the time" '
                      "--evidence https://theweek.com/speedreads/826357"),
                     (["import", "--kind", "forecasts", "bad.csv"], "tracker import --kind forecasts bad.csv")]
        return "```console\n" + "".join(_run(args, shown, db) for args, shown in steps) + "```\n"
    finally:
        os.chdir(here)
        shutil.rmtree(work)
