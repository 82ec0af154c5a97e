"""The Rich progress bar of every long run, local or remote: rounds, rounds/second and ETA."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

Update = Callable[[int, int], None]


def compact(n: float) -> str:
    """A round count short enough for a progress bar: 950,000 → "950,000", 16,992,231 → "17.0M"."""
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return f"{n:,.0f}"


class RoundsColumn(ProgressColumn):
    """Rounds done / total."""

    def render(self, task: Task) -> Text:
        total = compact(task.total) if task.total is not None else "?"
        return Text(f"{compact(task.completed)}/{total} rounds", style="progress.download")


class RateColumn(ProgressColumn):
    """Rounds per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        text = f"{compact(speed)} rounds/s" if speed else "- rounds/s"
        return Text(text, style="progress.data.speed")


@contextmanager
def progress_bar(total: int, enabled: bool, label: str = "Simulating") -> Iterator[Update | None]:
    """A Rich progress bar on stderr; yields the ``update(done, total)`` callback (or None)."""
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        RoundsColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("simulate", total=total)

    def update(done: int, rounds_total: int) -> None:
        progress.update(task, completed=done, total=rounds_total or total)

    with progress:
        yield update
