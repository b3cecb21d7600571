"""Reporting the stages of long work (an import's writing, re-scoring), for a progress display.

The CLI sets ON_STAGE to show each stage as one line on a terminal; the layers doing the work call
`stage(name)` and know nothing of how, or whether, it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

#: Called with each stage's name as it starts (None: nobody is watching).
ON_STAGE: ContextVar[Callable[[str], None] | None] = ContextVar("tracker_on_stage", default=None)


def stage(name: str) -> None:
    """Report that a long write's stage `name` starts (see ON_STAGE)."""
    report = ON_STAGE.get()
    if report is not None:
        report(name)
