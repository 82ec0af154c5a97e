"""Several results side by side: the figures a player weighs games and spreads by."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table

from user_terminal.render import (
    OUTCOME_LABELS,
    format_count,
    format_ev,
    format_house_edge,
    format_house_edge_ci,
    format_number,
    format_percent,
)
from user_terminal.result_files import ResultFile

Row = tuple[str, Callable[[Mapping[str, Any]], str]]


def _risk(key: str, digits: int = 2) -> Callable[[Mapping[str, Any]], str]:
    return lambda r: format_number((r.get("risk") or {}).get(key), digits)


ROWS: tuple[Row, ...] = (
    ("Rounds", lambda r: format_count(r.get("rounds"))),
    ("House edge ± SE", lambda r: format_house_edge(r["ev_per_initial_bet"])),
    ("  95% CI", lambda r: format_house_edge_ci(r["ev_per_initial_bet"])),
    ("EV per round (units)", lambda r: format_ev(r["ev_per_round"].get("mean"), None)),
    ("SD per round (units)", lambda r: format_number(r.get("sd_per_round"), 3)),
    ("Win rate / 100 rounds", lambda r: format_number(r.get("win_rate_per_100_rounds"), 3)),
    ("Win rate / hour", _risk("win_rate_per_hour", 3)),
    ("N0 (rounds)", lambda r: format_count((r.get("risk") or {}).get("n0"))),
    ("SCORE", _risk("score")),
    ("DI", _risk("di")),
    (
        "Risk of ruin",
        lambda r: format_percent((r.get("risk") or {}).get("risk_of_ruin"), 2),
    ),
)


def compare_table(files: Sequence[ResultFile]) -> Table:
    """One column per result; the best house edge is not guessed at, only shown."""
    table = Table(title="Results side by side", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("")
    for item in files:
        table.add_column(item.label, justify="right")
    for label, cell in ROWS:
        table.add_row(label, *(cell(item.result) for item in files))
    for key, label in OUTCOME_LABELS:
        if any(key in (item.result.get("outcomes") or {}) for item in files):
            table.add_row(
                label,
                *(format_percent((i.result.get("outcomes") or {}).get(key), 2) for i in files),
            )
    return table
