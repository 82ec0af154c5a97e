"""`jost analyze`, `jost strategy generate` and `jost strategy indices`: the exact analyzer
from the command line.

`analyze` prints a config's exact expected return (composition-dependent and for the generated
chart), the chart as a coloured grid and the effects of removal; `strategy generate` builds the
optimal chart for rules given as options and saves it as a strategy profile; `strategy indices`
computes the Hi-Lo Illustrious 18, insurance and Fab 4 indices for rules given as options.
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
from jost_engine.analysis.indices import index_value, insurance_crossing, nearest_index
from jost_engine.config import ConfigError, Rules, parse_config
from jost_engine.index_plays import FAB_4, ILLUSTRIOUS_18, named_insurance_index, named_set
from user_terminal.config_files import config_error_text, load_config
from user_terminal.errors import JostError, reported
from user_terminal.seeding import open_store

UP_LABELS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")
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
    for label in UP_LABELS:
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
        eor = Table(title="Effects of removal (EV change, one card out)", show_edge=False)
        for name in result.effects_of_removal:
            eor.add_column(name, justify="right")
        eor.add_row(*(f"{100 * v:+.4f}%" for v in result.effects_of_removal.values()))
        console.print(eor)


# the rule options `strategy generate` and `strategy indices` share
DecksOption = Annotated[int, typer.Option(help="Decks in the shoe (1-8).")]
H17Option = Annotated[bool, typer.Option("--h17/--s17", help="Dealer hits or stands on soft 17.")]
DasOption = Annotated[bool, typer.Option("--das/--no-das", help="Double after split.")]
DoubleOnOption = Annotated[str, typer.Option(help="any_two, 9_10_11 or 10_11.")]


def _rules_of(options: dict[str, Any]) -> Rules:
    try:
        return parse_config({"rules": options}).rules
    except ConfigError as exc:
        raise JostError(config_error_text(exc, "the rule options")) from None


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
    name: Annotated[
        str | None, typer.Option(help="Save as a strategy profile of this name.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the strategy profile to this file.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing profile of that name.")] = False,
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
        rules = _rules_of(chosen)
        chart = basic_chart(rules)
        profile = {
            "kind": "strategy",
            "name": name or "generated",
            "description": f"Optimal total-dependent basic strategy for {chart['name']}.",
            "data": {"basic": chart, "deviations": [], "take_insurance_at_true_count": None},
        }
        if out is not None:
            try:
                out.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
            except OSError as exc:
                raise JostError(f"cannot write {out}: {exc.strerror or exc}") from None
            typer.echo(f"wrote strategy profile to {out}", err=True)
        if name is not None:
            path = open_store().save(profile, overwrite=force)
            typer.echo(f"saved strategy profile {name!r} to {path}", err=True)
    print_chart(Console(), chart)


@strategy_app.command()
def indices(
    decks: DecksOption = 6,
    h17: H17Option = False,
    das: DasOption = True,
    surrender: Annotated[
        str, typer.Option(help="none, late or early (the Fab 4 use late when none).")
    ] = "late",
    double_on: DoubleOnOption = "any_two",
    depth: Annotated[
        float | None,
        typer.Option(help="Decks remaining the indices are computed at; half the shoe if unset."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the indices as JSON.")] = False,
) -> None:
    """Compute the Hi-Lo Illustrious 18, insurance and Fab 4 indices for the given rules.

    The exact analyzer's method (docs/methodology.md): the expected shoe at each true count,
    the count where each play starts to beat the play it replaces, rounded to the nearest
    integer. The last column is what the named sets play in a game of these decks.
    """
    with reported():
        options = {
            "decks": decks,
            "dealer_hits_soft_17": h17,
            "double_after_split": das,
            "surrender": surrender,
            "double_on": double_on,
        }
        rules = _rules_of(options)
        with_surrender = _rules_of({**options, "surrender": _surrender_for_fab_4(surrender)})
        left = decks / 2 if depth is None else depth
        rows: list[dict[str, Any]] = []
        try:
            crossing = insurance_crossing(decks, left)
        except ValueError as exc:  # a depth the shoe cannot have
            raise JostError(str(exc)) from None
        rows.append(_row("insurance", nearest_index(crossing), crossing, "at_or_above",
                         named_insurance_index(decks)))  # fmt: skip
        for name, plays in (("illustrious_18", ILLUSTRIOUS_18), ("fab_4", FAB_4)):
            under = with_surrender if name == "fab_4" else rules
            for play, named in zip(plays, named_set(name, decks), strict=True):
                label = f"{play['hand']} v {play['dealer_up']} {play['action']}"
                threshold = named.get("at_or_above", named.get("below"))
                try:
                    v = index_value(under, play["hand"], play["dealer_up"], play["action"], left)
                except ValueError as exc:  # a play these rules do not allow
                    rows.append({**_row(label, None, None, "n/a", threshold), "note": str(exc)})
                    continue
                rows.append(_row(label, v.index, v.crossing, v.direction, threshold))
    if as_json:
        typer.echo(json.dumps({"decks_remaining": left, "indices": rows}, indent=2))
        return
    table = Table(
        title=f"Hi-Lo indices, computed · {decks} decks, {left:g} left · "
        f"{'H17' if h17 else 'S17'} {'DAS' if das else 'no DAS'} surrender {surrender}",
        show_edge=False,
    )
    for col in ("play", "deviate", "index", "real crossing", "named set plays"):
        table.add_column(col, justify="left" if col in ("play", "deviate") else "right")
    for row in rows:
        shown = DIRECTIONS.get(row["direction"], row["direction"])
        table.add_row(row["play"], shown, _signed(row["index"]), _crossing_text(row),
                      _signed(row["named_set"]))  # fmt: skip
    console = Console()
    console.print(table)
    for row in rows:
        if "note" in row:
            console.print(f"{row['play']}: not computed, {row['note']}")


def _surrender_for_fab_4(surrender: str) -> str:
    """The Fab 4 are surrender plays: computed with late surrender when the rules have none."""
    return "late" if surrender == "none" else surrender


def _row(
    play: str, index: int | None, crossing: float | None, direction: str, named: float | None
) -> dict[str, Any]:
    return {
        "play": play,
        "index": index,
        "crossing": crossing,
        "direction": direction,
        "named_set": named,
    }


DIRECTIONS = {"at_or_above": "at or above", "below": "below"}


def _crossing_text(row: dict[str, Any]) -> str:
    if row["direction"] == "n/a":
        return "-"
    return "none in ±12" if row["crossing"] is None else f"{row['crossing']:+.2f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+g}"
