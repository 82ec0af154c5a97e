"""`jost trip`: what a ramp and a bankroll can bring in N hours (the trip calculators' figures).

One pass of the game with its ramp gives the win rate and SD per round played; the drift–
diffusion formulas of `jost_engine.trips` give the chance of losing at least X within the trip
(at any point), of reaching a win goal before losing the bankroll, the range of probable results
(percentile bands, and a PNG chart of them with ``--chart``), hours to N0 and the bankroll for a
risk over the trip. The pass also plays bankroll trips of the same length, so the chance of
losing X is measured beside its formula. ``--json`` prints the document of docs/optimizer.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from jost_engine.optimize import ramp_config
from jost_engine.ramp_figures import measured_moments
from jost_engine.trips import TripGame, trip_figures
from user_terminal.errors import JostError, reported
from user_terminal.optimize_cli import (
    BankrollOption,
    BettingOption,
    GameArgument,
    JsonOption,
    QuietOption,
    RemoteOption,
    RoundsOption,
    WorkersOption,
    estimate_text,
    load_game,
    pass_runner,
    print_json,
    refused,
    warn,
)
from user_terminal.prompts import may_overwrite
from user_terminal.render import format_number, format_percent


def trip_table(figures: Mapping[str, Any]) -> Table:
    hours, loss = figures["hours"], figures["loss"]
    table = Table(
        title=f"A trip of {hours:g} hours ({figures['rounds']:,} rounds played)",
        title_justify="left",
        box=box.SIMPLE,
        show_header=False,
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("Win rate per hour", f"{format_number(figures['win_rate_per_hour'], 3)} units"),
        ("SD per hour", f"{format_number(figures['sd_per_hour'], 2)} units"),
        ("Expected result", f"{figures['expected_result']:+,.1f} units"),
        ("SD of the result", f"{figures['sd_result']:,.1f} units"),
        (
            f"Lose {loss['units']:,.0f} at any point (formula)",
            estimate_text(loss["formula"], percent=True),
        ),
    ]
    measured = loss.get("measured")
    if measured:
        rows.append(
            (
                f"  measured over {measured['trips']:,} trips of "
                f"{measured['trip_rounds']:,} rounds",
                estimate_text(measured, percent=True),
            )
        )
    goal = figures.get("goal")
    if goal:
        rows += [
            (
                f"Win {goal['units']:,.0f} before losing {goal['loss_units']:,.0f} (ever)",
                format_percent(goal["ever"], 2),
            ),
            ("  ... within the trip", format_percent(goal["within_trip"], 2)),
            ("  lose first within the trip", format_percent(goal["loss_first_within_trip"], 2)),
            ("  neither by the end of the trip", format_percent(goal["neither_within_trip"], 2)),
        ]
    for band in figures["percentiles"]:
        rows.append(
            (f"Result, {band['percentile']:g}th percentile", f"{band['units']:+,.1f} units")
        )
    n0 = figures.get("hours_to_n0")
    rows.append(("Hours to N0", "n/a" if n0 is None else f"{n0:,.1f}"))
    for level, units in figures["bankroll_for_risk"].items():
        text = "n/a" if units is None else f"{units:,.0f} units"
        rows.append((f"Bankroll for {float(level):.1%} risk over the trip", text))
    for label, value in rows:
        table.add_row(label, value)
    return table


def save_trip_png(game: TripGame, figures: Mapping[str, Any], out: Path, title: str) -> Path:
    """The percentile bands of the result over the trip, with the loss and goal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jost_engine.trips import result_bands
    from user_terminal.chart import write_png

    hours, bands = result_bands(game, figures["hours"])
    figure, axes = plt.subplots(figsize=(8, 5), constrained_layout=True)
    axes.fill_between(hours, bands[5], bands[95], color="tab:blue", alpha=0.15, label="5-95%")
    axes.fill_between(hours, bands[25], bands[75], color="tab:blue", alpha=0.3, label="25-75%")
    axes.plot(hours, bands[50], color="tab:blue", label="median")
    axes.axhline(0, color="black", linewidth=0.8)
    axes.axhline(-figures["loss"]["units"], color="tab:red", linestyle="--", label="loss")
    if figures.get("goal"):
        axes.axhline(figures["goal"]["units"], color="tab:green", linestyle="--", label="goal")
    axes.set_xlabel("Hours")
    axes.set_ylabel("Result (units)")
    heading = "Probable results over the trip (drift-diffusion)"
    axes.set_title(f"{title}\n{heading}" if title else heading)
    axes.legend(loc="upper left")
    return write_png(figure, out)


def trip(
    game: GameArgument = None,
    bankroll: BankrollOption = None,
    hours: Annotated[float, typer.Option("--hours", help="Hours of play in the trip.")] = 20,
    goal: Annotated[
        float | None, typer.Option("--goal", help="A win goal in units (double barrier).")
    ] = None,
    loss: Annotated[
        float | None, typer.Option("--loss", help="A loss to watch [default: the bankroll].")
    ] = None,
    betting: BettingOption = None,
    rounds: RoundsOption = None,
    remote: RemoteOption = False,
    workers: WorkersOption = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", metavar="PNG", help="Draw the result bands here.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing chart.")] = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Risk and range of a trip of N hours with a ramp and a bankroll (formulas and measured)."""
    with reported(), refused():
        if bankroll is None or bankroll <= 0:
            raise JostError("give the bankroll in betting units, e.g. --bankroll 400")
        for name, value in (("--hours", hours), ("--goal", goal), ("--loss", loss)):
            if value is not None and value <= 0:
                raise JostError(f"{name} must be positive (got {value:g})")
        if chart is not None and chart.exists() and not may_overwrite(str(chart), force):
            raise JostError(f"{chart} exists (nothing written; --force replaces it)")
        config, source = load_game(game, betting)
        watched = bankroll if loss is None else loss
        trip_rounds = max(1, round(hours * config.simulation.rounds_per_hour))
        played = ramp_config(
            config, config.betting.model_dump(mode="json"), bankroll=watched,
            trip_rounds=trip_rounds, rounds=rounds,
        )  # fmt: skip
        run = pass_runner(source, remote=remote, workers=workers, quiet=quiet,
                          json_output=json_output)  # fmt: skip
        result = run(played, "simulating the trips")
        moments = measured_moments(result, played)
        if not moments.sigma > 0:
            raise JostError("the game's result has no spread (SD 0): no trip to describe")
        measured = dict((result.get("risk") or {}).get("trip") or {})
        if measured:
            measured["hours"] = trip_rounds / moments.played_per_hour
        figures = trip_figures(moments, bankroll=bankroll, hours=hours, goal=goal, loss=loss,
                               measured=measured)  # fmt: skip
        document = {
            "document": "jost.trip",
            "schema_version": 1,
            "game": {"name": config.name},
            "ramp": config.betting.model_dump(mode="json")["ramp"],
            **figures,
        }
        if chart is not None:
            game_figures = TripGame(moments.mu, moments.sigma, moments.played_per_hour)
            warn(f"wrote {save_trip_png(game_figures, figures, chart, config.name)}")
    if json_output:
        print_json(document)
    else:
        Console().print(render_trip(document))


def render_trip(document: Mapping[str, Any]) -> RenderableType:
    head = Text.assemble(("Trip", "bold"), f" · {document['game']['name']}")
    note = Text(
        "Formulas: drift-diffusion of the game's win rate and SD per round played; the loss "
        "is also measured over simulated bankroll trips of the same length.",
        style="dim",
    )
    return Group(head, trip_table(document), note)
