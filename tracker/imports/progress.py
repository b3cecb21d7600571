"""What an import shows people: a progress bar while a file is read, and the summary of the counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar as ClickBar  # click.progressbar's return type


class ProgressBar:
    """A progress bar on stderr (click's), fed with bytes read; nothing when not enabled."""

    def __init__(self, enabled: bool, size: int, label: str):
        self.enabled, self.size, self.label, self.done = enabled, max(size, 1), label, 0
        self.bar: ClickBar[int] | None = None

    def __enter__(self):
        if not self.enabled:
            return None
        import sys

        import click

        self.bar = click.progressbar(length=self.size, label=self.label, file=sys.stderr, show_pos=False,
                                     show_percent=True, show_eta=True)
        self.bar.__enter__()
        return self.update

    def update(self, position: int) -> None:
        if self.bar is None:
            return
        position = min(max(position, 0), self.size)
        if position > self.done:
            self.bar.update(position - self.done)
            self.done = position
        if self.done >= self.size:
            # the whole file is read: end the bar's line before re-scoring reports its stages
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc):
        if self.bar is not None and exc[0] is None:
            self.update(self.size)  # which ends the bar
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _counts_text(c: dict) -> str:
    if c.get("same_as_import"):
        return (f"unchanged since its last import (the same SHA-256, and nothing it depends on changed since): "
                f"{c['unchanged']} rows unchanged, nothing read or written")
    text = ", ".join(f"{c.get(k, 0)} {k}" for k in ("read", "created", "updated", "unchanged", "rejected"))
    new = [f"{c[k]} {k.split('_')[0]}" for k in ("questions_created", "authors_created") if c.get(k)]
    text += f" (new: {', '.join(new)})" if new else ""
    if c.get("questions_updated"):
        text += f" ({c['questions_updated']} question(s) edited at the source: title or deadline taken)"
    if c.get("corrected"):
        text += f" ({c['corrected']} outcome(s) changed at the source: recorded as corrections)"
    return text


def summary_text(result: dict) -> str:
    """The import's summary for people: per file, rows read, created, updated, unchanged and
    rejected; for an adapter, its forecasts and outcomes, and what it left out and why."""
    lines = []
    for path, c in result.items():
        if isinstance(c.get("forecasts"), dict):
            lines.append(f"{path}: forecasts: {_counts_text(c['forecasts'])}")
            lines.append(f"{path}: outcomes: {_counts_text(c['outcomes'])}")
            if c.get("dropped"):
                lines.append(f"{path}: left out: " + "; ".join(f"{n} {why}" for why, n in sorted(c["dropped"].items())))
        else:
            lines.append(f"{path}: {_counts_text(c)}")
    return "\n".join(lines)
