"""`jost optimize bets` and `jost optimize compare`: the advantage player's bet optimizer.

`bets` measures the game flat, finds the ramp that wins most for a bankroll at a risk of ruin
(or a Kelly fraction) within a spread and the table, re-simulates it with a fresh seed and
prints the ramp beside the EV by count and the predicted against the measured figures
(`jost_engine.optimize.optimize_game`). `compare` prices several ramps on one pass of the game.
Both run their passes here or, with ``--remote``, on the service, with a progress bar. The
documents of ``--json`` are described in docs/optimizer.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from jost_engine import Config
from jost_engine.bet_optimizer import BetConstraints, BetOptimizerError
from jost_engine.optimize import Runner, compare_ramps, optimize_game
from user_terminal.config_files import load_config
from user_terminal.credentials import require_login
from user_terminal.errors import JostError, reported
from user_terminal.game_run import keep
from user_terminal.hydrate import compose
from user_terminal.prompts import ask
from user_terminal.render import (
    MIN_COUNT_FREQUENCY,
    counts_by_running_count,
    format_count,
    format_number,
    format_percent,
)
from user_terminal.running import run_in_terminal
from user_terminal.seeding import open_store

app = typer.Typer(
    name="optimize",
    help="Optimal bets for a bankroll and a risk, checked by simulation.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def warn(message: str) -> None:
    typer.echo(f"jost: {message}", err=True)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Shared by the optimizer and the trip commands
# --------------------------------------------------------------------------------------------

GameArgument = Annotated[
    Path | None,
    typer.Argument(
        metavar="[GAME.json]",
        help="A saved config (docs/config.md); without one, your profiles are hydrated.",
        show_default=False,
    ),
]
RoundsOption = Annotated[
    int | None,
    typer.Option("--rounds", "-n", min=1, help="Rounds a pass [default: the game's]."),
]
RemoteOption = Annotated[
    bool, typer.Option("--remote", help="Run the passes on the service of `jost login`.")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Local worker processes.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print only the JSON document.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Hide the progress bars.")]
BankrollOption = Annotated[
    float | None, typer.Option("--bankroll", help="Bankroll in betting units (required).")
]
BettingOption = Annotated[
    str | None, typer.Option("--betting", help="Play this betting profile instead of the game's.")
]


def load_game(path: Path | None, betting: str | None = None) -> tuple[Config, str]:
    """(config, where it came from): GAME.json, or the player's profiles; ``betting`` swaps in
    a betting profile of the player's store."""
    if path is not None:
        config, source = load_config(path), str(path)
        if betting is not None:
            data = open_store(warn).load("betting", betting)["data"]
            document = config.model_dump(mode="json")
            document["betting"] = data
            config = _parsed(document, f"{path} with the betting profile {betting}")
        return config, source
    return compose(open_store(warn), {"betting": betting}), "your profiles"


def _parsed(document: dict[str, Any], source: str) -> Config:
    from jost_engine import ConfigError, parse_config
    from user_terminal.config_files import config_error_text

    try:
        return parse_config(document)
    except ConfigError as exc:
        raise JostError(config_error_text(exc, source)) from None


def pass_runner(
    source: str, *, remote: bool, workers: int | None, quiet: bool, json_output: bool
) -> Runner:
    """The engine's passes run as `jost run` runs: here or on the service, under a bar, and
    kept in the history."""
    if remote:
        require_login()
    show = not quiet and Console(stderr=True).is_terminal

    def run(config: Config, label: str) -> Mapping[str, Any]:
        outcome = run_in_terminal(
            config, source, remote=remote, workers=workers, show_progress=show, ask=ask,
            warn=warn, label=label[:1].upper() + label[1:],
        )  # fmt: skip
        problem = keep(config, outcome)
        if problem:
            warn(problem)
        if not show and not json_output and not quiet:
            warn(f"{label}: {config.simulation.rounds:,} rounds done")
        return outcome.result

    return run


@contextmanager
def refused() -> Iterator[None]:
    """Constraints no ramp can meet are bad input: their message, exit code 2."""
    try:
        yield
    except BetOptimizerError as exc:
        raise JostError(str(exc)) from None


def estimate_text(figure: Mapping[str, Any] | None, digits: int = 3, percent: bool = False) -> str:
    """``{"value", "se"}`` as "1.234 ± 0.056" (or in %)."""
    if not figure or figure.get("value") is None:
        return "n/a"
    value, se = figure["value"], figure.get("se")
    if percent:
        text = format_percent(value, 2)
        return text if se is None else f"{text} ± {format_percent(se, 2)}"
    text = format_number(value, digits)
    return text if se is None else f"{text} ± {format_number(se, digits)}"


def ramp_text(steps: list[Mapping[str, Any]]) -> str:
    """A ramp as a player reads it: "≤+1: 1 · +2: 2 · +3: 4 …"."""
    parts = [f"≤{int(steps[0]['true_count']):+d}: {steps[0]['units']:g}"] if steps else []
    parts += [f"{int(s['true_count']):+d}: {s['units']:g}" for s in steps[1:]]
    return " · ".join(parts)


# --------------------------------------------------------------------------------------------
# jost optimize bets
# --------------------------------------------------------------------------------------------


def count_table(document: Mapping[str, Any], config: Config) -> Table:
    """The optimal, ideal and simplified bets beside each count's EV and second moment."""
    label = "Running count" if counts_by_running_count(config) else "True count"
    unit = float(document["constraints"]["unit"])
    table = Table(title="Bets by count", title_justify="left", box=box.SIMPLE)
    for column in (label, "Frequency", "EV / unit ± SE", "E(x²) / unit²", "Ideal", "Bet",
                   "Money", "Simplified"):  # fmt: skip
        table.add_column(column, justify="right")
    for row in document["by_true_count"]:
        if row["frequency"] < MIN_COUNT_FREQUENCY:
            continue
        ev = row["ev_per_unit_bet"]
        table.add_row(
            f"{row['true_count']:+d}" if row["true_count"] else "0",
            format_percent(row["frequency"], 2),
            Text(
                f"{format_percent(ev, 2, signed=True)} ± "
                f"{format_percent(row['ev_per_unit_bet_se'], 2)}",
                style="green" if ev > 0 else "",
            ),
            format_number(row["second_moment_per_unit_bet"], 3),
            format_number(row["ideal_units"], 2),
            str(row["units"]),
            f"{row['units'] * unit:,.0f}",
            str(row["simplified_units"]),
        )
    return table


# a ramp's figures as the tables show them: label, digits, in percent
FIGURES: dict[str, tuple[str, int, bool]] = {
    "ev_per_round": ("EV per round (units)", 4, False),
    "sd_per_round": ("SD per round (units)", 3, False),
    "win_rate_per_hour": ("Win rate per hour (units)", 3, False),
    "sd_per_hour": ("SD per hour (units)", 2, False),
    "score": ("SCORE", 2, False),
    "di": ("DI", 3, False),
    "n0": ("N0 (rounds)", 0, False),
    "n0_hours": ("Hours to N0", 1, False),
    "average_bet": ("Average bet (units)", 2, False),
    "risk_of_ruin": ("Risk of ruin (formula)", 0, True),
}
CHECKED = ("ev_per_round", "sd_per_round", "win_rate_per_hour", "sd_per_hour", "score", "di",
           "n0", "n0_hours", "risk_of_ruin")  # fmt: skip
COMPARED = ("score", "di", "n0", "n0_hours", "win_rate_per_hour", "sd_per_hour", "average_bet",
            "risk_of_ruin")  # fmt: skip


def figures_table(document: Mapping[str, Any]) -> Table:
    """Predicted (from the measurement pass) against measured (the check pass), with z."""
    predicted, measured = document["predicted"], document.get("measured") or {}
    agreement = document.get("agreement") or {}
    table = Table(title="Predicted and measured", title_justify="left", box=box.SIMPLE)
    for column in ("", "Predicted ± SE", "Measured ± SE", "z"):
        table.add_column(column, justify="left" if not column else "right")
    for key in CHECKED:
        label, digits, percent = FIGURES[key]
        z = agreement.get(key)
        table.add_row(
            label,
            estimate_text(predicted.get(key), digits, percent),
            estimate_text(measured.get(key), digits, percent) if measured else "-",
            format_number(z, 1, signed=True) if z is not None else "",
        )
    trip_p, trip_m = predicted.get("trip") or {}, measured.get("trip") or {}
    if trip_p:
        label = f"Ruin within {trip_p['trip_rounds']:,} rounds"
        table.add_row(
            f"{label} (formula)",
            estimate_text(trip_p.get("formula"), percent=True),
            estimate_text(trip_m.get("formula"), percent=True) if trip_m else "-",
            "",
        )
        measured_trip = trip_m.get("measured")
        z = agreement.get("trip_risk_of_ruin")
        table.add_row(
            f"{label} (over {measured_trip['trips']:,} trips)" if measured_trip else label,
            "",
            estimate_text(measured_trip, percent=True) if measured_trip else "-",
            format_number(z, 1, signed=True) if z is not None else "",
        )
    return table


def summary(document: Mapping[str, Any], config: Config) -> RenderableType:
    c = document["constraints"]
    aim = (
        f"Kelly fraction {c['kelly']:g} (risk {c['risk_target']:.1%})"
        if c["kelly"] is not None
        else f"risk of ruin {c['risk_target']:.1%}"
    )
    head = Text.assemble(
        ("Optimal bets", "bold"),
        f" · {document['game']['name']}\n",
        f"bankroll {c['bankroll_units']:,.0f} units of {c['unit']:g} · {aim} · spread "
        f"1-{c['max_spread']:g} (bets {c['lowest_bet_units']}-{c['highest_bet_units']} units) · "
        f"table {c['table_min']:g}-{c['table_max']:g}",
        f" · wong out below {c['wong_out_below']:+g}" if c["wong_out_below"] is not None else "",
        f" · steps at most ×{c['max_step']:g}" if c["max_step"] is not None else "",
    )
    simple = document["simplified"]
    given = simple["score_given_up"]
    passes = document["passes"]
    timing = f"optimizer {1000 * document['optimizer_seconds']:.0f} ms · measurement pass " + (
        f"{format_count(passes['measurement']['rounds'])} rounds in "
        f"{passes['measurement']['seconds']:.1f} s"
    )
    if passes.get("check"):
        timing += (
            f" · check pass {format_count(passes['check']['rounds'])} rounds in "
            f"{passes['check']['seconds']:.1f} s (seed {passes['check']['seed']})"
        )
    lines = [
        f"Ramp: {ramp_text(document['ramp'])}",
        f"Simplified ({simple['levels']} round-number bets at most): "
        f"{ramp_text(simple['ramp'])} · SCORE {estimate_text(simple['predicted']['score'], 2)}"
        + (
            f", {format_number(given['value'], 2)} ({format_percent(given['share'], 1)}) given up"
            if given["value"] is not None
            else ""
        ),
        timing,
    ]
    return Group(
        head,
        count_table(document, config),
        Text("\n".join(lines[:2])),
        figures_table(document),
        Text(lines[2], style="dim"),
    )


def save_ramp_profile(document: Mapping[str, Any], name: str, force: bool) -> Path:
    c = document["constraints"]
    aim = f"Kelly {c['kelly']:g}" if c["kelly"] is not None else f"risk {c['risk_target']:.1%}"
    profile = {
        "kind": "betting",
        "name": name,
        "description": (
            f"Optimal ramp (jost optimize bets) for {document['game']['name']}: bankroll "
            f"{c['bankroll_units']:,.0f} units, {aim}, spread 1-{c['max_spread']:g}."
        ),
        "data": document["betting"],
    }
    return open_store(warn).save(profile, overwrite=force)


@app.command()
def bets(
    game: GameArgument = None,
    bankroll: BankrollOption = None,
    ror: Annotated[
        float | None,
        typer.Option("--ror", help="Target risk of ruin, e.g. 0.05 [default: 0.135, SCORE]."),
    ] = None,
    kelly: Annotated[
        float | None, typer.Option("--kelly", help="Bet a Kelly fraction instead, e.g. 0.5.")
    ] = None,
    max_spread: Annotated[
        float, typer.Option("--max-spread", help="Largest bet over the table minimum.")
    ] = 12,
    unit: Annotated[
        float | None, typer.Option("--unit", help="Betting unit; bets are whole units.")
    ] = None,
    table_min: Annotated[float | None, typer.Option("--table-min", help="Table minimum.")] = None,
    table_max: Annotated[float | None, typer.Option("--table-max", help="Table maximum.")] = None,
    wong_out_below: Annotated[
        float | None,
        typer.Option("--wong-out-below", help="Leave the table below this count."),
    ] = None,
    max_step: Annotated[
        float | None,
        typer.Option(
            "--max-step", help="Cover: a bet at most this many times the one a count lower."
        ),
    ] = None,
    rounds: RoundsOption = None,
    trip_rounds: Annotated[
        int | None,
        typer.Option("--trip-rounds", min=1, help="Rounds of the check's bankroll trips."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Re-simulate the ramp with a fresh seed.")
    ] = True,
    remote: RemoteOption = False,
    workers: WorkersOption = None,
    json_output: JsonOption = False,
    save_profile: Annotated[
        str | None,
        typer.Option("--save-profile", metavar="NAME", help="Save the ramp as a betting profile."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace that profile.")] = False,
    quiet: QuietOption = False,
) -> None:
    """The ramp that wins most for a bankroll at a risk of ruin (or a Kelly fraction), checked."""
    with reported(), refused():
        if bankroll is None:
            raise JostError("give the bankroll in betting units, e.g. --bankroll 400")
        config, source = load_game(game)
        table = config.betting
        constraints = BetConstraints(
            bankroll=bankroll,
            ror=ror,
            kelly=kelly,
            max_spread=max_spread,
            unit=table.unit if unit is None else unit,
            table_min=table.table_min if table_min is None else table_min,
            table_max=table.table_max if table_max is None else table_max,
            wong_out_below=wong_out_below if wong_out_below is not None else table.wong_out_below,
            max_step=max_step,
        )
        constraints.check()  # before any pass: refuse at once what no ramp can meet
        run = pass_runner(source, remote=remote, workers=workers, quiet=quiet,
                          json_output=json_output)  # fmt: skip
        document = optimize_game(
            config, constraints, rounds=rounds, check=check, trip_rounds=trip_rounds, run=run
        )
        if save_profile is not None:
            warn(f"saved betting profile {save_profile!r} to "
                 f"{save_ramp_profile(document, save_profile, force)}")  # fmt: skip
    if json_output:
        print_json(document)
    else:
        Console(width=max(110, Console().width)).print(summary(document, config))


# --------------------------------------------------------------------------------------------
# jost optimize compare
# --------------------------------------------------------------------------------------------


def _ramp_file(path: Path) -> tuple[str, dict[str, Any]]:
    """(name, betting section) of a `jost optimize bets --json` document, a betting profile or
    a bare betting section."""
    from user_terminal.json_files import read_json_file

    document = read_json_file(path, "ramp file")
    if isinstance(document, dict) and isinstance(document.get("betting"), dict):
        return path.stem, document["betting"]
    if isinstance(document, dict) and document.get("kind") == "betting":
        return str(document.get("name") or path.stem), dict(document.get("data") or {})
    if isinstance(document, dict) and "ramp" in document:
        return path.stem, document
    raise JostError(
        f"{path} is not a ramp: give a `jost optimize bets --json` document, a betting profile "
        "or a betting section"
    )


def compare_table(document: Mapping[str, Any]) -> Table:
    bankroll = document.get("bankroll_units")
    title = "Ramps side by side (one measurement pass"
    title += f"; risk of ruin of {bankroll:,.0f} units)" if bankroll else ")"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("")
    for ramp in document["ramps"]:
        table.add_column(f"{ramp['name']}\n1-{ramp['spread']:g}", justify="right")
    for key in COMPARED:
        label, digits, percent = FIGURES[key]
        cells = []
        for ramp in document["ramps"]:
            figure = ramp["figures"].get(key)
            if key == "average_bet":
                cells.append(format_number(figure, digits))
            else:
                cells.append(estimate_text(figure, digits, percent))
        table.add_row(label, *cells)
    return table


@app.command()
def compare(
    game: GameArgument = None,
    bankroll: Annotated[
        float | None, typer.Option("--bankroll", help="Bankroll in units, for the risk of ruin.")
    ] = None,
    betting: Annotated[
        list[str] | None,
        typer.Option(
            "--betting", help="A betting profile (repeat) [default: every one that fits]."
        ),
    ] = None,
    ramp: Annotated[
        list[Path] | None,
        typer.Option("--ramp", help="A `jost optimize bets --json` file or betting profile file."),
    ] = None,
    rounds: RoundsOption = None,
    remote: RemoteOption = False,
    workers: WorkersOption = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Several ramps side by side on one pass of the game: SCORE, DI, N0, win rate, risk."""
    with reported(), refused():
        config, source = load_game(game)
        ramps: dict[str, dict[str, Any]] = {"game": config.betting.model_dump(mode="json")}
        store = open_store(warn)
        for name in betting or store.names("betting"):
            data = dict(store.load("betting", name)["data"])
            if not betting and not _fits(config, data):
                continue  # every profile by default: those the game's pass can price
            if not betting and _same_bets(config, data):
                continue  # the game's own ramp under another name
            ramps[name] = data
        for path in ramp or []:
            name, data = _ramp_file(path)
            ramps[name] = data
        run = pass_runner(source, remote=remote, workers=workers, quiet=quiet,
                          json_output=json_output)  # fmt: skip
        document = compare_ramps(config, ramps, bankroll=bankroll, rounds=rounds, run=run)
    if json_output:
        print_json(document)
    else:
        width = max(100, 30 + 18 * len(document["ramps"]))
        Console(width=width).print(compare_table(document))


def _same_bets(config: Config, data: Mapping[str, Any]) -> bool:
    own = config.betting.model_dump(mode="json")
    return all(own.get(key) == data.get(key, own.get(key)) for key in own)


def _fits(config: Config, data: Mapping[str, Any]) -> bool:
    """Whether a betting profile plays the game's spots and back-counting (so one pass of the
    game prices it)."""
    b = config.betting
    return (
        data.get("spots", 1) == b.spots
        and list(data.get("spots_by_count") or []) == [s.model_dump() for s in b.spots_by_count]
        and data.get("wong_out_below") == b.wong_out_below
        and data.get("wong_in_at") == b.wong_in_at
    )
