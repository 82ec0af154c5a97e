"""Risk-averse indices: the count where a deviation raises the bankroll's Kelly growth for the
bet placed at that count, not only the expectation (SBA's "risk-averse" indices).

A bet of ``f`` of the bankroll on a round whose result per unit bet is X grows the log of the
bankroll by ``E[log(1 + f X)] ≈ f E[X] − f² E[X²] / 2`` (the second-order Kelly expansion;
Thorp, "The Kelly criterion in blackjack, sports betting and the stock market", 1997, and
Schlesinger, *Blackjack Attack*, 3rd ed., ch. 5 on risk-averse indices). At a count whose bet is
``b`` units of a bankroll of ``B`` units (``f = b / B``; ``b`` from the ramp at the integer
count the kernel would read), a deviation raises the growth when

    ΔEV − (f / 2) · ΔE[X²] > 0,

``ΔEV`` and ``ΔE[X²]`` the changes in the round's mean and second moment per unit bet (the exact
analyzer's, `UpcardGame`: a double or split doubles the stakes and so the square, a surrender
halves them). A risk-averse index is the crossing of that gain, by the method of
`indices.index_value` (the same expected shoes, hands, alternatives and rounding).

**Insurance** is the one deviation that lowers the variance: its side bet I (+1 per unit of the
main bet when the dealer has blackjack, −½ when not) pays when the main hand loses. With p the
chance of a ten in the hole, ``ΔEV = 1.5 p − 0.5`` and
``ΔE[X²] = E[I²] + 2 E[X I] = p + (1 − p)/4 + 2 (p E[X | blackjack] − (1 − p) E[X | none] / 2)``,
``E[X | blackjack] = −(1 − P(player blackjack))`` and ``E[X | none]`` the hand's value against
the ace when the dealer has none (the analyzer's, every two-card hand played best). A negative
``ΔE[X²]`` makes risk-averse insurance start *below* the expectation's index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from jost_engine.analysis.hand_values import (
    EMPTY,
    SPLIT,
    SURRENDER,
    UpcardGame,
    add_card,
    hand_of,
)
from jost_engine.analysis.indices import (
    Depth,
    IndexCell,
    IndexValue,
    _ace_seen,
    _crossing,
    default_depth,
    search_grid,
    shoes_at,
)
from jost_engine.analysis.shoe_at_count import HI_LO, CountSystem, rank_counts
from jost_engine.config import Betting, Rules


def ramp_bet(betting: Betting, value: float, running: bool) -> float:
    """The bet (units) the ramp places at a count: the kernel's integer count (floored)."""
    count = math.floor(value) if not running else math.floor(value + 1e-9)
    steps = sorted(betting.ramp, key=lambda s: s.true_count)
    units = steps[0].units
    for step in steps:
        if step.true_count <= count:
            units = step.units
    money = min(max(units * betting.unit, betting.table_min), betting.table_max)
    return float(max(1, math.floor(money / betting.unit + 0.5)))


def _moments(game: UpcardGame, i: int, j: int, option: str) -> tuple[float, float]:
    """(mean, second moment) of the round per unit bet, the first two cards i, j played with
    ``option`` (the dealer-blackjack branch included)."""
    removal = add_card(add_card(EMPTY, i), j)
    if option == SURRENDER and game.flat_surrender:
        return -0.5, 0.25
    total, ace = hand_of(removal)
    if option == SPLIT:
        ev, m2 = game.split(i), game.split_moment2(i)
    elif option == SURRENDER:
        ev, m2 = game.surrender(removal), 0.25
    else:
        ev = game.options(removal, total, ace, first=True)[option]
        m2 = game.moment2_of(option, removal, total, ace)
    if not game.conditioned:
        return ev, m2
    b = game.dealer_blackjack_chance(removal)
    return -b + (1 - b) * ev, b + (1 - b) * m2


class RiskAverseCell:
    """An index play's risk-averse gain: `IndexCell`'s hands and alternative, each play's
    mean and second moment, and the bet the ramp places at the count."""

    def __init__(
        self,
        rules: Rules,
        hand: str,
        dealer_up: str,
        action: str,
        count: CountSystem,
        betting: Betting,
        bankroll: float,
    ) -> None:
        if bankroll <= 0:
            raise ValueError("a risk-averse index needs a bankroll (bankroll.units) above 0")
        self.cell = IndexCell(rules, hand, dealer_up, action, count)
        self.betting = betting
        self.bankroll = bankroll

    def gain(self, value: float, depth: Depth) -> float:
        cell = self.cell
        f = ramp_bet(self.betting, value, cell.count.counts_running) / self.bankroll
        total = weight = 0.0
        for n, (i, j) in enumerate(cell.hands):
            for seen, chance in cell.known[n]:
                for left, w in shoes_at(cell.count, cell.rules.decks, depth, value, seen):
                    game = UpcardGame(cell.rules, rank_counts(left + seen), cell.up)
                    w *= cell.weights[n] * chance
                    total += w * self._hand_gain(game, i, j, f)
                    weight += w
        return total / weight

    def _hand_gain(self, game: UpcardGame, i: int, j: int, f: float) -> float:
        cell = self.cell
        mine = _moments(game, i, j, cell.action)
        if cell.action == SURRENDER:
            removal = add_card(add_card(EMPTY, i), j)
            options = game.options(removal, *hand_of(removal), first=True)
            options.pop(SURRENDER)
            others = [_moments(game, i, j, name) for name in options]
            other = max(others, key=lambda m: m[0] - f / 2 * m[1])
        else:
            other = _moments(game, i, j, cell.alternative)
        return (mine[0] - other[0]) - f / 2 * (mine[1] - other[1])


def risk_averse_index(
    rules: Rules,
    hand: str,
    dealer_up: str,
    action: str,
    betting: Betting,
    bankroll: float,
    count: CountSystem = HI_LO,
    decks_remaining: Depth | None = None,
) -> IndexValue:
    """The risk-averse index of a play for a ramp (``betting``) and a bankroll in units."""
    depth = default_depth(rules, count) if decks_remaining is None else decks_remaining
    ra = RiskAverseCell(rules, hand, dealer_up, action, count, betting, bankroll)
    grid, center = search_grid(count, rules.decks, depth)
    crossing, above = _crossing(lambda value: ra.gain(value, depth), grid, center)
    return IndexValue(
        hand=hand,
        dealer_up=dealer_up,
        action=action,
        alternative=ra.cell.alternative,
        crossing=crossing,
        direction="at_or_above" if above else "below",
        decks_remaining=depth if isinstance(depth, float | int) else depth.mean,
        count="running" if count.counts_running else "true",
        over_the_shoe=not isinstance(depth, float | int),
    )


def insurance_gain(rules: Rules, count: CountSystem, value: float, depth: Depth, f: float) -> float:
    """The risk-averse gain of insuring (per unit of the main bet) at a count (docstring)."""
    total = weight = 0.0
    ace = _ace_seen()
    for left, w in shoes_at(count, rules.decks, depth, value, ace):
        game = UpcardGame(rules, rank_counts(left + ace), 1)
        p = float(game.cards[9] / game.cards.sum())  # a ten in the hole
        naturals = 0.0
        none = 0.0
        for i, j, chance in game.two_card_hands:
            if {i, j} == {0, 9}:
                naturals += chance
                none += chance * rules.blackjack_payout
                continue
            removal = add_card(add_card(EMPTY, i), j)
            options = game.options(removal, *hand_of(removal), first=True)
            if i == j and rules.max_split_hands > 1:
                options[SPLIT] = game.split(i)
            none += chance * max(options.values())
        ev = 1.5 * p - 0.5
        m2 = p + 0.25 * (1 - p) + 2 * (p * -(1 - naturals) - (1 - p) * none / 2)
        total += w * (ev - f / 2 * m2)
        weight += w
    return total / weight


def risk_averse_insurance(
    rules: Rules,
    betting: Betting,
    bankroll: float,
    count: CountSystem = HI_LO,
    decks_remaining: Depth | None = None,
) -> float | None:
    """The count from which risk-averse insurance pays (its real crossing; None: never in
    the counts searched)."""
    if bankroll <= 0:
        raise ValueError("a risk-averse index needs a bankroll (bankroll.units) above 0")
    depth = decks_remaining
    if depth is None:
        depth = default_depth(rules, count)
    running = count.counts_running

    def gain(value: float) -> float:
        f = ramp_bet(betting, value, running) / bankroll
        return insurance_gain(rules, count, value, depth, f)

    grid, center = search_grid(count, rules.decks, depth)
    crossing, _ = _crossing(gain, grid, center)
    return crossing


def risk_averse_set(
    rules: Rules,
    betting: Betting,
    bankroll: float,
    count: CountSystem,
    plays: Sequence[dict[str, Any]],
    decks_remaining: Depth | None = None,
) -> list[tuple[dict[str, Any], IndexValue | str]]:
    """Each play's risk-averse index, or why it has none (a play the rules forbid)."""
    out: list[tuple[dict[str, Any], IndexValue | str]] = []
    for play in plays:
        try:
            value = risk_averse_index(rules, play["hand"], play["dealer_up"], play["action"],
                                      betting, bankroll, count, decks_remaining)  # fmt: skip
        except ValueError as exc:
            out.append((play, str(exc)))
            continue
        out.append((play, value))
    return out
