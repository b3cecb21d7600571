"""The `tracker` command line: parse, call a plain function, print. No SQL and no maths here.

Each module registers its commands on the one typer app (tracker.cli.app), in the order --help lists
them: recording first (files, then one thing at a time), then reading scores, documents and their
words, and the readers' site.
"""

# isort: off
from tracker.cli import recording  # noqa: F401  (registers its commands)
from tracker.cli import adding  # noqa: F401
from tracker.cli import scoring  # noqa: F401
from tracker.cli import documents  # noqa: F401
from tracker.cli import site  # noqa: F401
from tracker.cli.app import app
# isort: on

__all__ = ["app"]
