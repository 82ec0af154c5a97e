"""The name of a game that was given none: its rules and its play, as players write them.

``{"rules": {"decks": 1, "blackjack_payout": 1.2}}`` is "1D S17 DOA DAS 6:5 75%, flat", not
the contract's example name: every screen and list that shows a game's name (the terminal, the
service's job list, the workbench) then tells two unnamed games apart by what they are.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from jost_engine.config.vocabulary import SYSTEM_LABELS

if TYPE_CHECKING:
    from jost_engine.config.models import Betting, Config

SET_LABELS = {"illustrious_18": "I18", "fab_4": "Fab 4"}
_DOUBLE = {"any_two": "DOA", "9_10_11": "D9-11", "10_11": "D10-11"}


def bet_money(units: float, betting: Betting) -> float:
    """A ramp step's bet in money, held to the table minimum and maximum (docs/config.md)."""
    return min(max(units * betting.unit, betting.table_min), betting.table_max)


def spread_bet(betting: Betting) -> tuple[float, float]:
    """The smallest and largest bet the ramp actually places, in money (after the limits)."""
    bets = [bet_money(step.units, betting) for step in betting.ramp]
    return min(bets), max(bets)


def payout_text(payout: float) -> str:
    """A blackjack payout as casinos quote it: 1.5 → "3:2", 1.2 → "6:5"."""
    ratio = Fraction(payout).limit_denominator(1000)
    return f"{ratio.numerator}:{ratio.denominator}"


def _number(x: float) -> str:
    return f"{x:g}"


def rules_title(config: Config) -> str:
    r = config.rules
    parts = [
        "∞D" if r.infinite_deck else f"{r.decks}D",
        "H17" if r.dealer_hits_soft_17 else "S17",
        _DOUBLE[r.double_on],
        "DAS" if r.double_after_split else "NDAS",
    ]
    if r.max_split_hands > 1 and r.resplit_aces:
        parts.append("RSA")
    if r.max_split_hands == 1:
        parts.append("no splits")
    parts += {"late": ["LS"], "early": ["ES"], "none": []}[r.surrender]
    if r.blackjack_payout != 1.5:
        parts.append(payout_text(r.blackjack_payout))
    if not r.dealer_peeks:
        parts.append("ENHC")
    parts.append("CSM" if r.shuffle == "continuous" else f"{r.penetration:.0%}")
    return " ".join(parts)


def play_title(config: Config) -> str:
    betting, counting = config.betting, config.counting
    low, high = spread_bet(betting)
    if low == high:
        play = "flat"
    else:
        system = counting.system
        name = SYSTEM_LABELS.get(system, system) if isinstance(system, str) else "custom count"
        play = f"{name} {_number(low / betting.unit)}-{_number(high / betting.unit)}"
    extras = []
    if betting.wong_in_at is not None or betting.wong_out_below is not None:
        extras.append("wonging")
    named = [SET_LABELS.get(d, d) for d in config.strategy.deviations if isinstance(d, str)]
    custom = sum(not isinstance(d, str) for d in config.strategy.deviations)
    if custom:
        named.append(f"{custom} index play{'s' if custom != 1 else ''}")
    if named:
        extras.append(" + ".join(named))
    if betting.spots > 1 or betting.spots_by_count:
        most = max([betting.spots, *(s.spots for s in betting.spots_by_count)])
        extras.append(f"{most} spots")
    return ", ".join([play, *extras])


def game_title(config: Config) -> str:
    """``"<rules>, <play>"``: e.g. "6D S17 DOA DAS LS 75%, Hi-Lo 1-12 + I18 + Fab 4"."""
    return f"{rules_title(config)}, {play_title(config)}"
