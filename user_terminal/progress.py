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
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from jost_engine.simulate import SIMULATING

Update = Callable[[int, int], None]


class Bar:
    """The callbacks of one bar: ``bar(done, total)`` moves it, ``bar.say(line)`` relabels it
    (the engine's "compiling the simulator (first run only)" while the bar cannot move yet),
    ``bar.echo(line)`` prints a line above it."""

    def __init__(self, progress: Progress, task: TaskID, total: int, label: str) -> None:
        self._progress, self._task, self._total, self._label = progress, task, total, label

    def __call__(self, done: int, rounds_total: int) -> None:
        self._progress.update(self._task, completed=done, total=rounds_total or self._total)

    def say(self, line: str) -> None:
        text = self._label if line == SIMULATING else line[:1].upper() + line[1:]
        self._progress.update(self._task, description=text)

    def echo(self, line: str) -> None:
        """A line of its own on stderr, above the bar (a plain write would tear the bar)."""
        self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)


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
def progress_bar(total: int, enabled: bool, label: str = "Simulating") -> Iterator[Bar | None]:
    """A Rich progress bar on stderr; yields its `Bar` (or None when not ``enabled``)."""
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        RoundsColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(label, total=total)
    with progress:
        yield Bar(progress, task, total, label)
