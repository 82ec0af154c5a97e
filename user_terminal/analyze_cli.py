"""`jost analyze`, `jost strategy generate` and `jost strategy indices`: the exact analyzer
from the command line.

`analyze` prints a config's exact expected return (composition-dependent and for the generated
chart), the chart as a coloured grid and the effects of removal; `strategy generate` builds the
optimal chart for rules given as options and saves it as a strategy profile; `strategy indices`
(`indices_cli`) computes a count's index numbers for rules given as options.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jost_engine import default_config
from jost_engine.analysis import analyze as run_analysis
from jost_engine.analysis import basic_chart
from jost_engine.chart_vocabulary import UP_CARDS
from user_terminal import count_cli, indices_cli
from user_terminal.config_files import load_config
from user_terminal.errors import JostError, reported
from user_terminal.rule_options import (
    DasOption,
    DecksOption,
    DoubleOnOption,
    ForceOption,
    H17Option,
    NameOption,
    OutOption,
    rules_of,
)

STYLES = {
    "H": "bold white on red",
    "S": "bold black on yellow",
    "D": "bold white on blue",
    "Ds": "bold white on blue",
    "P": "bold black on green",
    "Rh": "bold white on magenta",
    "Rs": "bold white on magenta",
    "Rp": "bold white on magenta",
}

strategy_app = typer.Typer(
    name="strategy", help="Basic-strategy charts generated exactly.", rich_markup_mode=None
)


def chart_grid(chart: dict[str, Any], section: str, title: str) -> Table:
    """One section of a chart as a grid: rows are totals (or pairs), columns up cards."""
    table = Table(title=title, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column(section, justify="right", style="bold")
    for label in UP_CARDS:
        table.add_column(label, justify="center")
    for key, row in chart[section].items():
        tokens = row.split() if isinstance(row, str) else list(row)
        table.add_row(key, *(Text(t, style=STYLES.get(t, "")) for t in tokens))
    return table


def print_chart(console: Console, chart: dict[str, Any]) -> None:
    console.print(chart_grid(chart, "hard", "Hard totals"))
    console.print(chart_grid(chart, "soft", "Soft totals"))
    console.print(chart_grid(chart, "pairs", "Pairs"))
    console.print(
        "H hit · S stand · D double (else hit) · Ds double (else stand) · P split · "
        "Rh/Rs/Rp surrender (else hit / stand / split)"
    )


def _pct(x: float) -> str:
    return f"{100 * x:+.4f}%"


def analyze(
    config: Annotated[
        Path | None,
        typer.Argument(help="A fully-hydrated config (JSON); the default game when omitted."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    strategy: Annotated[
        str,
        typer.Option(help="composition (best play for each two-card hand) or basic (the chart)."),
    ] = "composition",
    removal: Annotated[
        bool, typer.Option("--removal/--no-removal", help="Compute the effects of removal.")
    ] = True,
    hands: Annotated[
        bool, typer.Option("--hands", help="Include every option's value for every hand (JSON).")
    ] = False,
) -> None:
    """The exact expected return of a game's rules, and its optimal basic strategy."""
    with reported():
        if strategy not in ("composition", "basic"):
            raise JostError(f'--strategy must be "composition" or "basic", got {strategy!r}')
        cfg = load_config(config) if config is not None else default_config()
        chosen: Literal["composition", "basic"] = (
            "composition" if strategy == "composition" else "basic"
        )
        result = run_analysis(cfg, strategy=chosen, removal=removal, hands=hands)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    console = Console()
    console.print(
        f"[bold]Exact analysis[/bold] · {result.chart['name'].removeprefix('generated: ')}"
    )
    summary = Table(show_header=False, show_edge=False)
    summary.add_row("Expected return (composition-dependent)", _pct(result.composition_ev))
    summary.add_row("Expected return (generated basic strategy)", _pct(result.basic_ev))
    summary.add_row(
        "House edge (chosen: " + result.strategy + ")", _pct(-result.ev_per_initial_bet)
    )
    summary.add_row("SD per round (chosen)", f"{result.sd_per_round:.4f}")
    summary.add_row("Computed in", f"{result.seconds:.1f} s")
    console.print(summary)
    print_chart(console, result.chart)
    if result.exceptions:
        exc = Table(title="Composition-dependent plays that beat the chart (two-card hands)")
        for col in ("up", "hand", "chart", "best", "gain per hand", "per round"):
            exc.add_column(col, justify="right" if col.startswith(("gain", "per")) else "left")
        for e in result.exceptions:
            exc.add_row(e["up"], e["hand"], e["chart"], e["best"], f"{100 * e['gain']:.3f}%",
                        f"{100 * e['gain_per_round']:.5f}%")  # fmt: skip
        console.print(exc)
    if result.effects_of_removal:
        console.print(removal_table(result.effects_of_removal))


def removal_table(effects: dict[str, float]) -> Table:
    """One row per card: ten columns of figures do not fit 80 columns (or a pipe)."""
    table = Table(title="Effects of removal (EV change, one card out)", title_justify="left")
    table.add_column("card")
    table.add_column("EV change", justify="right", no_wrap=True)
    for name, value in effects.items():
        table.add_row(name, f"{100 * value:+.4f}%")
    return table


@strategy_app.command()
def generate(
    decks: DecksOption = 6,
    h17: H17Option = False,
    das: DasOption = True,
    surrender: Annotated[str, typer.Option(help="none, late or early.")] = "late",
    peek: Annotated[
        bool, typer.Option("--peek/--no-peek", help="Dealer peeks, or European no hole card.")
    ] = True,
    double_on: DoubleOnOption = "any_two",
    max_split_hands: Annotated[int, typer.Option(help="Most hands after splits (1-8).")] = 4,
    rsa: Annotated[bool, typer.Option("--rsa", help="Resplit aces.")] = False,
    hsa: Annotated[bool, typer.Option("--hsa", help="Hit split aces.")] = False,
    payout: Annotated[float, typer.Option(help="Blackjack payout, e.g. 1.5 or 1.2.")] = 1.5,
    name: NameOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Generate the optimal total-dependent chart for the given rules."""
    with reported():
        chosen = {
            "decks": decks,
            "dealer_hits_soft_17": h17,
            "double_after_split": das,
            "surrender": surrender,
            "dealer_peeks": peek,
            "double_on": double_on,
            "max_split_hands": max_split_hands,
            "resplit_aces": rsa,
            "hit_split_aces": hsa,
            "blackjack_payout": payout,
        }
        rules = rules_of(chosen)
        chart = basic_chart(rules)
        profile = {
            "kind": "strategy",
            "name": name or "generated",
            "description": f"Optimal total-dependent basic strategy for {chart['name']}.",
            "data": {"basic": chart, "deviations": [], "take_insurance_at_true_count": None},
        }
        indices_cli.keep_profile(profile, out, name, force)
    print_chart(Console(), chart)


strategy_app.command()(indices_cli.indices)
count_app = count_cli.app  # `jost count`, registered by the CLI beside `jost strategy`
