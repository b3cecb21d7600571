"""ruff and mypy pass, with the settings in pyproject.toml ([tool.ruff], [tool.mypy]), on the
paths cleaned so far. Running them here is how CI runs them: its one command is the suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The paths that are lint- and type-clean: all of them.
LINTED = ["tracker", "tests", "benchmarks"]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (it is in the test extra: pip install -e '.[test]'), "
                    f"so the code cannot be checked with it")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff():
    done = _run("ruff", "check", "--no-cache", "--force-exclude", *LINTED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy():
    # mypy checks the package (the benchmarks are scripts beside it, not on its path), as
    # [tool.mypy] files says.
    paths = [p for p in LINTED if p == "tracker" or p.startswith("tracker/")]
    done = _run("mypy", *paths)
    assert done.returncode == 0, done.stdout + done.stderr
