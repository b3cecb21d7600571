"""The documentation keeps up with the code: every command is in docs/cli.md, the generated pages
match what cog makes of them now, and the README stays a short page that starts with the two
commands CI runs."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from tracker.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"

RUN_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/tracker serve"
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"


def command_paths(command=None, path=()):
    """Every command and sub-command of the app, as the words typed after `tracker`."""
    command = command if command is not None else typer.main.get_command(app)
    if path:
        yield path
    if hasattr(command, "list_commands"):  # a group
        ctx = command.context_class(command, info_name="tracker")
        for name in command.list_commands(ctx):
            yield from command_paths(command.get_command(ctx, name), (*path, name))


def cog_files() -> list[Path]:
    """README.md and every page under docs/ with a cog block."""
    candidates = [README, *sorted((ROOT / "docs").glob("*.md"))]
    return [p for p in candidates if "[[[cog" in p.read_text(encoding="utf-8")]


def test_the_walk_finds_the_sub_commands():
    paths = set(command_paths())
    assert {("import",), ("score",), ("document",), ("document", "add"), ("scales",), ("scales", "show")} <= paths


@pytest.mark.parametrize("path", sorted(command_paths()), ids=" ".join)
def test_every_command_is_in_the_cli_reference(path):
    heading = f"## `tracker {' '.join(path)}`"
    usage = f"Usage: tracker {' '.join(path)} "
    text = CLI_DOC.read_text(encoding="utf-8")
    assert heading in text and usage in text, (
        f"`tracker {' '.join(path)}` is not in docs/cli.md; regenerate it: .venv/bin/cog -r docs/cli.md")


def test_generated_docs_are_current():
    if importlib.util.find_spec("cogapp") is None:
        pytest.skip("cogapp is not installed (it is in the test extra: pip install -e '.[test]'), "
                    "so the generated docs cannot be checked")
    files = cog_files()
    assert CLI_DOC in files and ROOT / "docs" / "schema.md" in files
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", *(str(p.relative_to(ROOT)) for p in files)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        "generated docs are out of date; regenerate them with "
        f".venv/bin/cog -r {' '.join(str(p.relative_to(ROOT)) for p in files)}\n{result.stdout}{result.stderr}")


def test_generated_docs_name_no_machine_path():
    for page in cog_files():
        text = page.read_text(encoding="utf-8")
        assert str(ROOT) not in text, f"{page.name} names this checkout's path"
        assert not re.search(r"(?<![\w.])/(tmp|home|root|work|Users)/", text), f"{page.name} names a machine path"


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/ (at most 200)"


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)
    assert [lang for lang, _ in blocks[:2]] == ["bash", "bash"]
    assert [body.strip() for _, body in blocks[:2]] == [RUN_COMMAND, TEST_COMMAND]
    # nothing but the title and prose before them
    assert text.index("```") < text.index("\n## ")


def test_ci_finds_the_test_command():
    """.ci/run extracts the README's second fenced block with this awk program."""
    result = subprocess.run(["awk", "/^```/{n++; next} n==3", str(README)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == TEST_COMMAND


def _without_code(text: str) -> str:
    return re.sub(r"^```.*?^```$", "", text, flags=re.S | re.M)


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces to -."""
    headings = re.findall(r"^#+ (.*)$", _without_code(page.read_text(encoding="utf-8")), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


DOC_PAGES = [README, ROOT / "CHANGELOG.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_between_the_pages_resolve(page):
    """A moved page or a renamed section breaks no link from another page."""
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", _without_code(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path) if path else page
        if not target.exists() or (anchor and target.suffix == ".md" and anchor not in _anchors(target)):
            broken.append(link)
    assert not broken, f"{page.relative_to(ROOT)} links to what is not there: {broken}"
