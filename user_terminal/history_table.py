"""How a kept run is listed: one set of columns and one wording for ``jost history list`` and the
TUI's History (apart from `history`, which the run path imports without any user interface)."""

from __future__ import annotations

from user_terminal.history import Run
from user_terminal.render import format_percent

#: The columns a kept run is listed under, by ``jost history list`` and the TUI's History; the
#: id (to copy into other commands) last, so the game's name fits 80 columns before it.
COLUMNS = ("When", "Where", "Rounds", "EV/bet", "Game", "Id")


def listed(run: Run) -> tuple[str, ...]:
    """A kept run's row under ``COLUMNS``: one wording for the CLI and the TUI."""
    ev = "—" if run.ev is None else format_percent(run.ev, 3, signed=True)
    return (run.at[:19].replace("T", " "), run.where, f"{run.rounds:,}", ev, run.name, run.run_id)
