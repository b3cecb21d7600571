"""`python -m tracker` runs the command line, as the `tracker` script does."""

from tracker.cli import app

app(prog_name="tracker")
