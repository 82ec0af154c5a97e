"""The results pane: the summary tables of a run and EV by true count as a terminal chart.

The tables are the CLI's (`render`), in an order that puts the headline figures on the first
screen at 80×24; the game's name heads the pane.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from jost_engine import Config
from user_terminal.chart import terminal_chart
from user_terminal.render import (
    game_table,
    outcomes_table,
    results_table,
    risk_table,
    true_count_table,
)


class ResultsPane(VerticalScroll):
    """Scrolls: the result, by true count, then (below) the chart, risk, outcomes, the game."""

    DEFAULT_CSS = """
    ResultsPane #results-title { height: auto; padding: 0 1; }
    ResultsPane #results-summary { height: auto; }
    ResultsPane #results-chart { height: auto; }
    ResultsPane #results-more { height: auto; }
    """

    def compose(self):
        yield Static("", id="results-title")
        yield Static(
            "No result yet: run a game (ctrl+r) or open one in History (f4).", id="results-summary"
        )
        yield Static("", id="results-chart")
        yield Static("", id="results-more")

    def show(self, result: Mapping[str, Any], config: Config | None, name: str = "") -> None:
        """Show a result; ``name`` names the game when there is no config to name it."""
        title = config.name if config is not None else name
        self.query_one("#results-title", Static).update(
            Text(f"Game: {title or 'unnamed'}", style="bold")
        )
        summary = Group(results_table(result), true_count_table(result, config))
        self.query_one("#results-summary", Static).update(summary)
        chart = terminal_chart(result, width=max(40, self.size.width - 4), height=14)
        self.query_one("#results-chart", Static).update(Text.from_ansi(chart))
        more = [risk_table(result), outcomes_table(result)]
        if config is not None:
            more.append(game_table(config))
        self.query_one("#results-more", Static).update(Group(*more))
        self.scroll_home(animate=False)
