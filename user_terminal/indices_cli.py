"""`jost strategy indices`: a count's index numbers for rules given as options, printed as the
table a player carries, and saved as a strategy profile on request.

The Illustrious 18, insurance and the Fab 4 by default, or ``--full`` every hard, soft and pair
decision; by the exact analyzer (``--method exact``) or by simulation (``--method simulation``,
with the exact numbers beside them); ``--risk-averse`` for the bet a ramp places at each count
(docs/methodology.md, "Index numbers from the analyzer").
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jost_engine.analysis.index_sets import named_sets
from jost_engine.analysis.index_simulation import simulate_index
from jost_engine.analysis.index_table import LETTERS, SECTIONS, index_table
from jost_engine.analysis.indices import (
    default_depth,
    index_value,
    insurance_crossing,
    insurance_index,
)
from jost_engine.analysis.risk_averse import risk_averse_index, risk_averse_insurance
from jost_engine.analysis.shoe_at_count import CountError, CountSystem, ShoeDepths
from jost_engine.chart_vocabulary import UP_CARDS
from jost_engine.config import Betting, ConfigError, Counting, Rules, parse_config
from jost_engine.index_plays import FAB_4, ILLUSTRIOUS_18
from user_terminal.config_files import config_error_text
from user_terminal.errors import JostError, reported
from user_terminal.rule_options import (
    AceSideCountOption,
    DasOption,
    DecksOption,
    DoubleOnOption,
    ForceOption,
    H17Option,
    IrcOption,
    NameOption,
    OutOption,
    PeekOption,
    PenetrationOption,
    SplitsOption,
    SystemOption,
    TagsOption,
    count_of,
    counting_of,
    game_rules,
)
from user_terminal.seeding import open_store

DIRECTIONS = {"at_or_above": "at or above", "below": "below"}


def indices(
    system: SystemOption = "hi_lo",
    tags: TagsOption = None,
    irc: IrcOption = None,
    ace_side_count: AceSideCountOption = False,
    decks: DecksOption = 6,
    h17: H17Option = False,
    das: DasOption = True,
    surrender: Annotated[
        str, typer.Option(help="none, late or early (the Fab 4 use late when none).")
    ] = "late",
    double_on: DoubleOnOption = "any_two",
    peek: PeekOption = True,
    max_split_hands: SplitsOption = 4,
    penetration: PenetrationOption = 0.75,
    depth: Annotated[
        float | None,
        typer.Option(
            help="Decks remaining the indices are computed at; default half the shoe (a "
            "running count: every depth of the shoe, to the penetration)."
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Every hard, soft and pair decision, counts -10..+10.")
    ] = False,
    method: Annotated[
        str, typer.Option(help="exact (the analyzer) or simulation (common random numbers).")
    ] = "exact",
    precision: Annotated[
        float, typer.Option(help="Simulation: the standard error to reach, in counts.")
    ] = 0.3,
    seed: Annotated[int, typer.Option(help="Simulation: the seed.")] = 20261124,
    risk_averse: Annotated[
        bool, typer.Option("--risk-averse", help="Kelly risk-averse indices for --ramp.")
    ] = False,
    ramp: Annotated[
        str | None, typer.Option(help="The betting profile whose ramp the risk-averse bets are.")
    ] = None,
    bankroll: Annotated[
        float | None,
        typer.Option(help="Risk-averse: the bankroll in units [default: the bankroll profile's]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the indices as JSON.")] = False,
    name: NameOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """A count's Illustrious 18, insurance and Fab 4 indices (or --full) for the given rules.

    The exact analyzer's method (docs/methodology.md): the expected shoe at each count, the
    count where each play starts to beat the play it replaces; a true count rounded to the
    nearest integer, a running count (KO, Red 7) to the first count past it. The last column
    is what the named sets play in a game of these rules with this count.
    """
    with reported():
        if method not in ("exact", "simulation"):
            raise JostError(f'--method must be "exact" or "simulation", got {method!r}')
        if full and (method != "exact" or risk_averse):
            raise JostError("--full is computed by the exact method, without --risk-averse")
        if risk_averse and method != "exact":
            raise JostError("--risk-averse is computed by the exact method")
        rules = game_rules(
            decks, h17, das, surrender, double_on, peek, max_split_hands, penetration=penetration
        )
        counting = counting_of(system, tags, irc, ace_side_count)
        count = count_of(counting, decks)
        left = default_depth(rules, count) if depth is None else depth
        start = time.perf_counter()
        if full:
            document = _full(rules, count, left)
        else:
            betting, units = _risk_inputs(ramp, bankroll) if risk_averse else (None, None)
            document = _named(rules, count, counting, left, method, precision, seed,
                              betting, units)  # fmt: skip
        document["seconds"] = round(time.perf_counter() - start, 1)
        if name is not None or out is not None:
            _save(document, rules, count, name, out, force)
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    console = Console()
    if full:
        _print_full(console, document)
    else:
        _print_named(console, document)


def _depth_text(rules: Rules, left: float | ShoeDepths) -> str:
    if isinstance(left, ShoeDepths):
        return f"every depth to {left.penetration:.0%} dealt"
    return f"{left:g} left"


def _title(rules: Rules, count: CountSystem, left: float | ShoeDepths, what: str) -> str:
    kind = "running count" if count.counts_running else "true count"
    return (
        f"{count.label} {what} ({kind}) · {rules.decks} decks, {_depth_text(rules, left)} · "
        f"{'H17' if rules.dealer_hits_soft_17 else 'S17'} "
        f"{'DAS' if rules.double_after_split else 'no DAS'} surrender {rules.surrender}"
        + ("" if rules.dealer_peeks else " no hole card")
    )


def _risk_inputs(ramp: str | None, bankroll: float | None) -> tuple[Betting, float]:
    """The ramp of a betting profile and the bankroll (option, else the default profile's)."""
    store = open_store()
    if ramp is None:
        raise JostError("--risk-averse needs --ramp BETTING_PROFILE (the bets at each count)")
    profile = store.load("betting", ramp)
    try:
        betting = parse_config({"betting": profile["data"]}).betting
    except ConfigError as exc:
        raise JostError(config_error_text(exc, f"betting profile {ramp!r}")) from None
    if bankroll is None:
        default = store.load("bankroll", store.default_name("bankroll"))
        bankroll = default["data"].get("units")
        if bankroll is None:
            raise JostError(
                "--risk-averse needs a bankroll: give --bankroll UNITS (the default bankroll "
                "profile has none)"
            )
    if bankroll <= 0:
        raise JostError(f"--bankroll must be above 0, got {bankroll:g}")
    return betting, float(bankroll)


def _named_set_values(
    rules: Rules, fab_rules: Rules, counting: Counting
) -> tuple[dict[str, float], float | None]:
    """What the named sets play in a game of these rules with this count (thresholds); the
    Fab 4 under ``fab_rules`` (with surrender: a config without it refuses them)."""
    out: dict[str, float] = {}
    insurance = None
    for set_name, under in (("illustrious_18", rules), ("fab_4", fab_rules)):
        try:
            config = parse_config(
                {
                    "rules": under.model_dump(mode="json"),
                    "counting": counting.model_dump(mode="json"),
                    "strategy": {"deviations": [set_name]},
                }
            )
            sets = named_sets(config)
        except (ConfigError, CountError):
            return {}, None
        assert sets is not None
        if set_name == "illustrious_18":
            insurance = sets.insurance
        for plays in sets.plays.values():
            for play in plays:
                key = f"{play['hand']} v {play['dealer_up']} {play['action']}"
                out[key] = play.get("at_or_above", play.get("below"))
    return out, insurance


def _row(
    play: str, index: int | None, crossing: float | None, direction: str, named: Any
) -> dict[str, Any]:
    return {"play": play, "index": index, "crossing": crossing, "direction": direction,
            "named_set": named}  # fmt: skip


def _named(
    rules: Rules,
    count: CountSystem,
    counting: Counting,
    left: float | ShoeDepths,
    method: str,
    precision: float,
    seed: int,
    betting: Betting | None,
    bankroll: float | None,
) -> dict[str, Any]:
    """The Illustrious 18, insurance and Fab 4 rows of the table."""
    late = rules.model_copy(update={"surrender": "late"})
    fab_rules = rules if rules.surrender != "none" else late
    named, named_insurance = _named_set_values(rules, fab_rules, counting)
    rows: list[dict[str, Any]] = []
    try:
        crossing = insurance_crossing(rules.decks, left, count)
    except ValueError as exc:  # a depth the shoe cannot have
        raise JostError(str(exc)) from None
    rows.append(_row("insurance", insurance_index(count, crossing), crossing, "at_or_above",
                     named_insurance))  # fmt: skip
    if method == "simulation":  # insurance has no play to deal: its value is the ten share
        rows[0].update(exact_index=rows[0]["index"], exact_crossing=crossing, se=None)
    if betting is not None and bankroll is not None:
        ra = risk_averse_insurance(rules, betting, bankroll, count, left)
        rows[0].update(risk_averse=_ra(count, ra), risk_averse_crossing=ra)
    for set_name, plays in (("illustrious_18", ILLUSTRIOUS_18), ("fab_4", FAB_4)):
        under = fab_rules if set_name == "fab_4" else rules
        for play in plays:
            label = f"{play['hand']} v {play['dealer_up']} {play['action']}"
            args = (under, play["hand"], play["dealer_up"], play["action"])
            try:
                v = index_value(*args, left, count)
            except ValueError as exc:  # a play these rules do not allow
                rows.append({**_row(label, None, None, "n/a", named.get(label)), "note": str(exc)})
                continue
            row = _row(label, v.index, v.crossing, v.direction, named.get(label))
            row["set"] = set_name
            if method == "simulation":
                s = simulate_index(*args, count, left, precision=precision, seed=seed)
                row.update(exact_index=v.index, exact_crossing=v.crossing, index=s.index,
                           crossing=s.crossing, se=s.se, rounds=s.trials)  # fmt: skip
            if betting is not None and bankroll is not None:
                r = risk_averse_index(*args, betting, bankroll, count, left)
                row.update(risk_averse=r.index, risk_averse_crossing=r.crossing)
            rows.append(row)
    return {
        "title": _title(rules, count, left, "indices"),
        "system": count.label,
        "count": "running" if count.counts_running else "true",
        "method": method,
        "risk_averse": betting is not None,
        "decks_remaining": left.mean if isinstance(left, ShoeDepths) else left,
        "surrender_added": rules.surrender == "none",
        "indices": rows,
    }


def _ra(count: CountSystem, crossing: float | None) -> int | None:
    return None if crossing is None else insurance_index(count, crossing)


def _full(rules: Rules, count: CountSystem, left: float | ShoeDepths) -> dict[str, Any]:
    try:
        table = index_table(rules, count, left)
    except ValueError as exc:
        raise JostError(str(exc)) from None
    document = table.to_dict()
    document["title"] = _title(rules, count, left, "index table")
    crossing = insurance_crossing(rules.decks, left, count)
    document["insurance"] = {"index": insurance_index(count, crossing), "crossing": crossing}
    document["deviations"] = table.deviations()
    return document


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+g}"


def _print_named(console: Console, document: dict[str, Any]) -> None:
    simulated = document["method"] == "simulation"
    table = Table(title=document["title"], show_edge=False)
    columns = ["play", "deviate", "index", "real crossing"]
    if simulated:
        columns = ["play", "deviate", "index", "crossing ± SE", "exact", "exact crossing"]
    if document["risk_averse"]:
        columns += ["risk-averse"]
    columns += ["named set plays"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("play", "deviate") else "right")
    for row in document["indices"]:
        shown = DIRECTIONS.get(row["direction"], row["direction"])
        cells = [row["play"], shown, _signed(row["index"])]
        if row["direction"] == "n/a":
            cells.append("-")
        elif row["crossing"] is None:
            cells.append("none in range")
        elif simulated and row.get("se") is not None:
            cells.append(f"{row['crossing']:+.2f} ± {row['se']:.2f}")
        else:
            cells.append(f"{row['crossing']:+.2f}")
        if simulated:
            cells.append(_signed(row.get("exact_index")))
            ex = row.get("exact_crossing")
            cells.append("-" if ex is None else f"{ex:+.2f}")
        if document["risk_averse"]:
            cells.append(_signed(row.get("risk_averse")))
        cells.append(_signed(row["named_set"]))
        table.add_row(*cells)
    console.print(table)
    for row in document["indices"]:
        if "note" in row:
            console.print(f"{row['play']}: not computed, {row['note']}")
    if document["surrender_added"]:
        console.print("The Fab 4 are computed with late surrender: these rules have none.")
    console.print(f"Computed in {document['seconds']:g} s.")


def _print_full(console: Console, document: dict[str, Any]) -> None:
    console.print(f"[bold]{document['title']}[/bold]")
    running = document["count"] == "running"
    counts = document["counts"]
    console.print(
        f"Each cell: the plays from low counts to high, the {('running' if running else 'true')}"
        f" count each starts at between them ({counts[0]:+g} to {counts[-1]:+g}); one letter: "
        "the play never changes. " + " · ".join(f"{v} {k}" for k, v in LETTERS.items())
    )
    for section in SECTIONS:
        cells = document["sections"].get(section, [])
        if not cells:
            continue
        grid = Table(title=section.capitalize(), show_edge=False, pad_edge=False, padding=(0, 1))
        grid.add_column(section, justify="right", style="bold")
        for up in UP_CARDS:
            grid.add_column(up, justify="center")
        rows: dict[str, dict[str, str]] = {}
        for cell in cells:
            rows.setdefault(cell["hand"], {})[cell["dealer_up"]] = cell["text"]
        for hand, by_up in rows.items():
            grid.add_row(hand, *(by_up.get(up, "") for up in UP_CARDS))
        console.print(grid)
    ins = document["insurance"]
    console.print(f"Insurance at or above {ins['index']:+d} (crossing {ins['crossing']:+.2f}).")
    console.print(f"Computed in {document['seconds']:g} s.")


def _save(
    document: dict[str, Any],
    rules: Rules,
    count: CountSystem,
    name: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """The indices as a strategy profile: the generated chart and these plays, with insurance."""
    if "deviations" in document:
        plays = document["deviations"]
        insurance = document["insurance"]["index"]
    else:
        key = "risk_averse" if document["risk_averse"] else "index"
        plays, insurance = [], None
        for row in document["indices"]:
            if row["play"] == "insurance":
                insurance = row.get(key)
                continue
            if row.get(key) is None or (row.get("set") == "fab_4" and rules.surrender == "none"):
                continue
            hand, _, up, action = row["play"].split(" ")
            plays.append({"hand": hand, "dealer_up": up, "action": action,
                          row["direction"]: row[key]})  # fmt: skip
    kind = "running" if count.counts_running else "true"
    profile = {
        "kind": "strategy",
        "name": name or "indices",
        "description": f"{document['title']}: {len(plays)} index plays ({kind} counts) and "
        f"insurance, for play with the {count.label} count.",
        "data": {"basic": "auto", "deviations": plays, "take_insurance_at_true_count": insurance},
    }
    keep_profile(profile, out, name, force)


def keep_profile(profile: dict[str, Any], out: Path | None, name: str | None, force: bool) -> None:
    """Write a strategy profile to ``out`` and save it in the store as ``name`` (either, both
    or neither), saying where on stderr."""
    if out is not None:
        try:
            out.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise JostError(f"cannot write {out}: {exc.strerror or exc}") from None
        typer.echo(f"wrote strategy profile to {out}", err=True)
    if name is not None:
        path = open_store().save(profile, overwrite=force)
        typer.echo(f"saved strategy profile {name!r} to {path}", err=True)
