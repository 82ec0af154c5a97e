"""Turning a config and a result document into Rich tables a player reads.

Pure formatting: every function takes plain data (the result dict of docs/config.md, "Result",
and a `Config`) and returns strings or Rich renderables, so the CLI, a TUI or tests can share
them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from jost_engine import Config
from jost_engine.analysis.shoe_at_count import NAMES
from jost_engine.config.title import payout_text, spread_bet
from jost_engine.index_plays import unplayable_named_plays

# Rows of the by-count table: counts seen in at least this share of rounds.
MIN_COUNT_FREQUENCY = 0.001

_UNBALANCED_SYSTEMS = frozenset({"ko", "red_7"})

SYSTEM_NAMES = NAMES  # the systems as players name them
DEVIATION_SET_NAMES = {"illustrious_18": "Illustrious 18", "fab_4": "Fab 4"}


# --------------------------------------------------------------------------------------------
# Small formatters
# --------------------------------------------------------------------------------------------


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_percent(x: float | None, digits: int = 3, signed: bool = False) -> str:
    """A fraction as a percentage: 0.00512 → "0.512%"; None → "n/a"."""
    if _missing(x):
        return "n/a"
    return f"{100 * x:+.{digits}f}%" if signed else f"{100 * x:.{digits}f}%"


def format_number(x: float | None, digits: int = 4, signed: bool = False) -> str:
    if _missing(x):
        return "n/a"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def format_count(n: int | float | None) -> str:
    """A whole number with thousands separators: 1000000 → "1,000,000"."""
    if _missing(n):
        return "n/a"
    return f"{round(n):,}"


def format_payout(payout: float) -> str:
    """A blackjack payout as casinos quote it: 1.5 → "3:2", 1.2 → "6:5", 1 → "1:1"."""
    return payout_text(payout)


def format_house_edge(ev_per_initial_bet: Mapping[str, Any]) -> str:
    """The house edge (the negative of the player's EV per initial bet) in % with its ±SE.

    ``{"mean": -0.0052, "se": 0.0011}`` → "0.520% ± 0.110%".
    """
    mean = ev_per_initial_bet.get("mean")
    if _missing(mean):
        return "n/a"
    text = format_percent(-mean)
    se = ev_per_initial_bet.get("se")
    return text if _missing(se) else f"{text} ± {format_percent(se)}"


def format_house_edge_ci(ev_per_initial_bet: Mapping[str, Any]) -> str:
    """The 95% confidence interval of the house edge: "[0.305%, 0.735%]"."""
    ci = ev_per_initial_bet.get("ci95") or [None, None]
    low, high = ci[0], ci[1]
    if _missing(low) or _missing(high):
        return "n/a"
    # the house edge is −EV, so the interval's ends swap
    return f"[{format_percent(-high)}, {format_percent(-low)}]"


def format_ev(mean: float | None, se: float | None, digits: int = 4) -> str:
    """An EV in units with its standard error: "-0.0052 ± 0.0011"."""
    text = format_number(mean, digits, signed=True)
    return text if _missing(se) or _missing(mean) else f"{text} ± {format_number(se, digits)}"


def counts_by_running_count(config: Config) -> bool:
    """True when the bet ramp and the by-count table use the running count (unbalanced systems)."""
    system = config.counting.system
    if isinstance(system, str):
        return system in _UNBALANCED_SYSTEMS
    try:
        from jost_engine.counting import count_tags

        return not count_tags(system).balanced
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# Describing the game
# --------------------------------------------------------------------------------------------


def describe_rules(config: Config) -> list[tuple[str, str]]:
    """The game's rules as (label, value) rows."""
    r = config.rules
    double_on = {"any_two": "any two cards", "9_10_11": "9, 10, 11", "10_11": "10, 11"}
    surrender = {"none": "none", "late": "late", "early": "early"}
    if r.dealer_peeks:
        peek = "peeks for blackjack"
    else:
        takes = "all bets" if r.dealer_blackjack_takes == "all_bets" else "original bets only"
        peek = f"ENHC (no hole card; blackjack takes {takes})"
    if r.shuffle == "continuous":
        shoe = "continuous shuffle (CSM)"
    else:
        shoe = f"cut card at {r.penetration:.0%} penetration"
    splits = "no splitting" if r.max_split_hands == 1 else f"to {r.max_split_hands} hands"
    if r.max_split_hands > 1:
        extras = [x for x, on in (("RSA", r.resplit_aces), ("HSA", r.hit_split_aces)) if on]
        if extras:
            splits += f" ({', '.join(extras)})"
    return [
        ("Decks", "infinite" if r.infinite_deck else str(r.decks)),
        ("Dealer", "H17 (hits soft 17)" if r.dealer_hits_soft_17 else "S17 (stands on soft 17)"),
        ("Blackjack pays", format_payout(r.blackjack_payout)),
        ("Double", f"on {double_on[r.double_on]}"),
        ("Double after split", "yes (DAS)" if r.double_after_split else "no"),
        ("Split", splits),
        ("Surrender", surrender[r.surrender]),
        ("Dealer", peek),
        ("Insurance", "offered" if r.insurance_offered else "not offered"),
        ("Shuffle", shoe),
    ]


def describe_play(config: Config) -> list[tuple[str, str]]:
    """Strategy, count, bets and table as (label, value) rows."""
    s, c, b = config.strategy, config.counting, config.betting
    basic = "basic strategy for these rules" if s.basic == "auto" else "custom chart"
    if s.deviations:
        named = [d for d in s.deviations if isinstance(d, str)]
        custom = len(s.deviations) - len(named)
        parts = [DEVIATION_SET_NAMES.get(n, n) for n in named]
        if custom:
            parts.append(f"{custom} custom index play{'s' if custom != 1 else ''}")
        basic += " + " + ", ".join(parts)
    system = SYSTEM_NAMES.get(c.system, c.system) if isinstance(c.system, str) else "custom tags"
    low, high = spread_bet(b)  # what is bet, after the table's limits
    spread = "flat bet" if low == high else f"1-{high / low:g} spread ({len(b.ramp)} steps)"
    asked = [step.units * b.unit for step in b.ramp]
    if max(asked) > b.table_max or min(asked) < b.table_min:
        spread += (
            f"; the ramp asks {min(asked):g}-{max(asked):g}, the table takes "
            f"{b.table_min:g}-{b.table_max:g}"
        )
    rows = [
        ("Strategy", basic),
        ("Count", system),
        ("Betting", f"{spread}, unit {b.unit:g}"),
        ("Players at table", str(config.simulation.players_at_table)),
    ]
    if b.spots > 1:
        rows.append(("Spots", str(b.spots)))
    rows += [("Note", note) for note in unplayable_named_plays(config)]
    return rows


def _kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    return table


def game_table(config: Config) -> Table:
    """The game: its name, rules and how it is played."""
    return _kv_table(f"Game: {config.name}", describe_rules(config) + describe_play(config))


# --------------------------------------------------------------------------------------------
# Describing the result
# --------------------------------------------------------------------------------------------


def results_table(result: Mapping[str, Any]) -> Table:
    """The headline figures: house edge, EV, SD, win rate, size and speed of the run."""
    ev_bet = result["ev_per_initial_bet"]
    ev_round = result["ev_per_round"]
    rate = result.get("rounds_per_second")
    rows = [
        ("House edge", format_house_edge(ev_bet)),
        ("  95% CI", format_house_edge_ci(ev_bet)),
        ("EV per initial bet", format_percent(ev_bet.get("mean"), signed=True)),
        ("EV per round", f"{format_ev(ev_round.get('mean'), ev_round.get('se'))} units"),
        ("SD per round", f"{format_number(result.get('sd_per_round'))} units"),
        (
            f"Win rate per 100 rounds{' played' if _wongs(result) else ''}",
            f"{format_number(result.get('win_rate_per_100_rounds'), 3, signed=True)} units",
        ),
    ]
    if _wongs(result):  # back-counting: the rounds watched are the run's length
        observed, played = result["rounds_observed"], result["rounds"]
        rows += [
            ("Rounds observed", format_count(observed)),
            ("Rounds played", f"{format_count(played)} ({played / observed:.1%} of those dealt)"),
        ]
    else:
        rows.append(("Rounds", format_count(result["rounds"])))
    rows += [
        ("Hands", format_count(result["hands"])),
        ("Elapsed", f"{result.get('elapsed_s', 0.0):.2f} s"),
        ("Rounds per second", format_count(rate) if rate else "n/a"),
    ]
    return _kv_table("Result", rows)


def risk_table(result: Mapping[str, Any]) -> Table:
    """Win rate per hour, N0, SCORE, DI and the bankroll figures (null ones read n/a)."""
    risk = result.get("risk") or {}

    def units(x: float | None, digits: int = 1) -> str:
        return "n/a" if _missing(x) else f"{x:,.{digits}f} units"

    per_hour = float(risk.get("rounds_per_hour", 100))
    if _wongs(result):
        played = per_hour * result["rounds"] / result["rounds_observed"]
        hour = f"{per_hour:g} rounds dealt, {played:.0f} played"
    else:
        hour = f"{per_hour:g} rounds"
    rows = [
        (f"Win rate per hour ({hour})", units(risk.get("win_rate_per_hour"), 3)),
        (f"SD per hour ({hour})", units(risk.get("sd_per_hour"), 2)),
        (
            f"SD per 100 rounds{' played' if _wongs(result) else ''}",
            units(risk.get("sd_per_100_rounds"), 2),
        ),
        ("N0 (rounds)", format_count(risk.get("n0"))),
        ("DI", format_number(risk.get("di"), 2)),
        ("SCORE", format_number(risk.get("score"), 2)),
    ]
    for level, bankroll in (risk.get("bankroll_for_risk") or {}).items():
        rows.append((f"Bankroll for {float(level):.1%} risk", units(bankroll, 0)))
    if risk.get("bankroll_units") is not None:
        rows.append(
            (
                f"Risk of ruin of {risk['bankroll_units']:,.0f} units",
                format_percent(risk.get("risk_of_ruin"), 2),
            )
        )
    trip = risk.get("trip") or {}
    if trip.get("trips"):
        rows.append(
            (
                f"Trip risk of ruin ({trip['trip_rounds']:,} rounds)",
                f"{format_percent(trip.get('risk_of_ruin'), 2)} ± "
                f"{format_percent(trip.get('se'), 2)} measured over {trip['trips']:,} trips; "
                f"formula {format_percent(trip.get('formula'), 2)}",
            )
        )
    return _kv_table("Risk", rows)


def _wongs(result: Mapping[str, Any]) -> bool:
    """Back-counting: more rounds were dealt (and watched) than played."""
    observed = result.get("rounds_observed")
    return isinstance(observed, int | float) and observed > result.get("rounds", 0)


OUTCOME_LABELS: tuple[tuple[str, str], ...] = (
    ("blackjack", "Blackjack (per hand)"),
    ("win", "Win (per hand)"),
    ("push", "Push (per hand)"),
    ("loss", "Loss (per hand)"),
    ("surrender", "Surrender (per hand)"),
    ("bust", "Bust (per hand)"),
    ("double", "Double (per hand)"),
    ("split", "Split (per round)"),
    ("insurance_taken", "Insurance taken (per round)"),
    ("dealer_blackjack", "Dealer blackjack (per round)"),
)


def outcomes_table(result: Mapping[str, Any]) -> Table:
    """Outcome frequencies in %."""
    outcomes = result.get("outcomes", {})
    table = Table(title="Outcomes", title_justify="left", box=box.SIMPLE)
    table.add_column("Outcome")
    table.add_column("Frequency", justify="right")
    for key, label in OUTCOME_LABELS:
        if key in outcomes:
            table.add_row(label, format_percent(outcomes[key], 2))
    return table


def true_count_table(
    result: Mapping[str, Any],
    config: Config | None = None,
    min_frequency: float = MIN_COUNT_FREQUENCY,
) -> Table:
    """EV by true count (running count for unbalanced systems), counts with enough rounds only."""
    running = config is not None and counts_by_running_count(config)
    label = "Running count" if running else "True count"
    rows = [r for r in result.get("by_true_count", []) if r["frequency"] >= min_frequency]
    hidden = len(result.get("by_true_count", [])) - len(rows)
    title = f"By {label.lower()}"
    if hidden:
        title += f" (counts in at least {min_frequency:.1%} of rounds)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE)
    table.add_column(label, justify="right")
    table.add_column("Rounds", justify="right")
    table.add_column("Frequency", justify="right")
    table.add_column("EV / round ± SE", justify="right")
    table.add_column("Average bet", justify="right")
    for row in rows:
        ev = row["ev_per_round"]
        style = "green" if ev > 0 else None
        table.add_row(
            f"{row['true_count']:+d}" if row["true_count"] else "0",
            format_count(row["rounds"]),
            format_percent(row["frequency"], 2),
            Text(format_ev(ev, row.get("se")), style=style or ""),
            format_number(row.get("average_bet"), 2),
        )
    return table


def render_summary(result: Mapping[str, Any], config: Config | None) -> RenderableType:
    """Everything a player reads after a run, as one Rich renderable.

    Without the config (a remote job submitted elsewhere) the game table is left out.
    """
    parts: list[RenderableType] = [game_table(config)] if config is not None else []
    parts += [
        results_table(result),
        risk_table(result),
        outcomes_table(result),
        true_count_table(result, config),
    ]
    return Group(*parts)
