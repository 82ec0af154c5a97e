"""Index numbers computed by the exact analyzer: the true count at which a play changes.

A published index (``16 v 10: stand at +0``) is the true count above which a deviation from
basic strategy gains. Published values exist for shoe games; for one and two decks none could
be checked, so `jost_engine.index_plays` stores sets computed here (`computed_sets`), by a
method that reproduces the published shoe set within one true count (tests/engine/
test_indices.py). Three steps:

1. **The shoe at a true count** (`composition_at_true_count`). Given the running count of the
   cards seen so far, the cards left are, on average, the full shoe less the expected seen cards.
   The expectation is the linear (regression) one: with ``m`` cards seen, rank shares ``p_i``,
   tags ``t_i`` and mean tag ``τ = Σ p_i t_i``,
   ``E[seen_i | RC] = m p_i + (RC − m τ) p_i (t_i − τ) / Σ_j p_j (t_j − τ)²``.
   It keeps the number of cards seen and makes their running count exactly ``RC``. The count is
   the kernel's playing count, which includes the player's hand and the dealer's up card: those
   known cards are taken out first and the other seen cards regressed on the rest of the count.
   (Counting them out instead, as a count read before the deal, puts 8 of the 21 published shoe
   values one off rather than 3.)
2. **The value of each play** at that composition, by `hand_values.UpcardGame` (hand and up
   card removed, the hole card conditioned on the peek, later draws played best for the exact
   cards). A total such as ``"16"`` is the average over its two-card hands (10,6, 9,7, and 8,8
   where the chart does not split it), weighted by their chance off the top of the shoe. Only
   two-card hands: the kernel also applies a stand/hit index to hands of three or more cards,
   which in one or two decks would often want a lower index (their cards differ).
3. **The crossing**: the real true count where ``EV(action) − EV(alternative)`` changes sign,
   found on a grid over [−12, +12] and refined by regula falsi. The alternative is the play the
   kernel makes when the index does not fire (`index_plays._without`): the chart's play for the
   cell without the index's action, surrender left out, since surrender indices are decided
   first; a surrender index compares with the best play that is not surrender.

**Rounding.** The kernel compares its integer (by default floored) true count with the index, so
``at_or_above: n`` fires from a real true count of ``n``. The real crossing ``x`` becomes the
nearest integer ``n = floor(x + 0.5)``, which misplays the smallest band of counts; the same rule
for plays that deviate below the crossing (``below: n``). `IndexValue.crossing` keeps ``x``.

**Depth.** Values are for half the shoe left (``decks / 2`` decks remaining) unless asked
otherwise; the count is a true count over the decks remaining (the unseen cards, the hole card
among them), as the kernel divides it. In six decks the depth moves most indices by a few tenths
between 1 and 4.5 decks left (docs/methodology.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from jost_engine import _kernel as k
from jost_engine.analysis import basic_chart
from jost_engine.analysis.game_value import full_shoe
from jost_engine.analysis.hand_values import (
    DOUBLE,
    EMPTY,
    HIT,
    SPLIT,
    STAND,
    SURRENDER,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
)
from jost_engine.config import Rules
from jost_engine.index_plays import COMPUTED_SET_RULES, FAB_4, ILLUSTRIOUS_18, _without
from jost_engine.strategy import chart_row, decision_tables, may_double_on, resolve_token

HI_LO: tuple[int, ...] = (-1, 1, 1, 1, 1, 1, 0, 0, 0, -1)  # ace, 2..9, ten-value
RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")
SEARCH = (-12.0, 12.0)  # true counts searched for a crossing
TOLERANCE = 1e-4  # of the crossing, in true counts
_NAMES = {k.A_HIT: HIT, k.A_STAND: STAND, k.A_DOUBLE: DOUBLE, k.A_SURRENDER: SURRENDER}


def composition_at_true_count(
    decks: int,
    decks_remaining: float,
    true_count: float,
    tags: Sequence[float] = HI_LO,
    known: Sequence[float] | None = None,
) -> np.ndarray:
    """The expected cards left per rank (ace..ten-value, floats) at a true count.

    ``true_count × decks_remaining`` is the running count of every card seen so far, ``known``
    (cards per rank) among them. The result excludes the seen cards, the known ones included.
    Raises ValueError when no shoe fits: a depth outside the shoe, or a count so extreme that
    the expected cards of some rank, seen or left, would be negative.
    """
    full = np.array([4.0] * 9 + [16.0]) * decks
    t = np.asarray(tags, dtype=np.float64)
    v = np.zeros(10) if known is None else np.asarray(known, dtype=np.float64)
    unseen = 52.0 * decks_remaining
    if not 0.0 < unseen <= full.sum() - v.sum():
        raise ValueError(
            f"{decks_remaining:g} decks remaining does not fit a {decks}-deck shoe"
            + (f" less the {v.sum():g} known card(s)" if v.any() else "")
        )
    if (v < 0).any() or (v > full).any():
        raise ValueError(f"known cards {v.tolist()} are not cards of a {decks}-deck shoe")
    rest = full - v  # the shoe the other seen cards came from
    p = rest / rest.sum()
    m = rest.sum() - unseen  # the seen cards not known
    tau = float(p @ t)
    spread = float(p @ (t - tau) ** 2)
    if spread == 0.0:
        raise ValueError("tags that are all equal count nothing")
    rc = true_count * decks_remaining - float(v @ t)  # the other seen cards' count
    seen = m * p + (rc - m * tau) * p * (t - tau) / spread
    left = rest - seen
    for name, cards in (("seen", seen), ("left", left)):
        bad = [f"{RANKS[r]}: {cards[r]:.2f}" for r in range(10) if cards[r] < -1e-9 * full.sum()]
        if bad:
            raise ValueError(
                f"true count {true_count:g} with {decks_remaining:g} of {decks} decks remaining "
                f"is impossible: negative expected cards {name} ({', '.join(bad)})"
            )
    return np.maximum(left, 0.0)


def nearest_index(crossing: float) -> int:
    """The integer index for a real crossing: the nearest integer, halves rounded up."""
    return math.floor(crossing + 0.5)


@dataclass(frozen=True)
class IndexValue:
    """A computed index: deviate to ``action`` when the true count is ``direction`` ``index``.

    ``crossing`` is the real true count where the two plays are worth the same (None when one
    is better over the whole search range; then ``index`` is None too).
    """

    hand: str
    dealer_up: str
    action: str
    alternative: str
    crossing: float | None
    direction: Literal["at_or_above", "below"]
    decks_remaining: float

    @property
    def index(self) -> int | None:
        return None if self.crossing is None else nearest_index(self.crossing)

    def deviation(self) -> dict[str, Any]:
        """The play in `config.Deviation`'s form (and the named sets' of `index_plays`)."""
        return {
            "hand": self.hand,
            "dealer_up": self.dealer_up,
            "action": self.action,
            self.direction: self.index,
        }


def _hands(hand: str) -> list[tuple[int, int]]:
    """The two-card hands (rank indexes i <= j) of a deviation's hand."""
    if "," in hand:
        r = RANKS.index(hand.split(",")[0])
        return [(r, r)]
    if hand.startswith("A"):
        return [(0, 0 if hand == "AA" else int(hand[1:]) - 1)]
    total = int(hand)
    return [(i, total - 2 - i) for i in range(1, 10) if i <= total - 2 - i <= 9]


class IndexCell:
    """One index play under the rules: the two-card hands it covers, their weights, and the
    play it replaces; `gain` is what the play is worth over that one at a true count."""

    def __init__(
        self,
        rules: Rules,
        hand: str,
        dealer_up: str,
        action: str,
        tags: Sequence[float] = HI_LO,
    ) -> None:
        if action not in (HIT, STAND, DOUBLE, SPLIT, SURRENDER):
            raise ValueError(f"unknown action {action!r}")
        if action == SURRENDER and rules.surrender == "none":
            raise ValueError("a surrender index needs rules with surrender")
        if rules.infinite_deck:
            raise ValueError("an infinite deck has no count: its composition never changes")
        self.rules = rules
        self.tags = tags
        self.up = 1 if dealer_up == "A" else int(dealer_up)
        self.action = action
        chart = basic_chart(rules)
        hands = _hands(hand)
        if action == SPLIT:
            if len(hands) != 1 or hands[0][0] != hands[0][1]:
                raise ValueError(f'"split" needs a pair hand such as "8,8", not {hand!r}')
        else:  # a pair the chart splits never meets its total's index
            pairs = decision_tables(chart, rules)[1]
            hands = [(i, j) for i, j in hands if i != j or pairs[k.CTX_FIRST, i + 1, self.up] != 1]
        if not hands:
            raise ValueError(f"no two-card hand plays {hand!r} against {dealer_up}")
        self.hands = hands
        # each hand's chance off the top of the shoe, given the up card
        shoe = full_shoe(rules)
        shoe[self.up - 1] -= 1
        n = shoe.sum()
        chances = [shoe[i] * (shoe[j] - (i == j)) * (1 if i == j else 2) for i, j in hands]
        self.weights = np.array(chances) / (n * (n - 1))
        self.weights /= self.weights.sum()
        value, soft = hand_value(*hand_of(add_card(add_card(EMPTY, hands[0][0]), hands[0][1])))
        may_double = may_double_on(rules, soft, value)
        token = chart_row(chart, "soft" if soft else "hard", str(value))[
            9 if self.up == 1 else self.up - 2
        ]
        if action == SPLIT:  # unsplit, the pair plays its total's row
            self.alternative = _NAMES[resolve_token(token, may_double, False)]
        elif action == SURRENDER:
            self.alternative = "best other play"
        else:
            if action == DOUBLE and not may_double:
                raise ValueError(f"the rules do not allow doubling {hand!r}")
            code = {HIT: k.A_HIT, STAND: k.A_STAND, DOUBLE: k.A_DOUBLE}[action]
            self.alternative = _NAMES[_without(token, may_double, False, code)]

    def gain(self, true_count: float, decks_remaining: float) -> float:
        """EV(action) − EV(alternative) per initial bet at a true count, over the cell's hands.

        The true count is the playing count: the hand and the up card are among the cards
        seen. Raises ValueError where the count is impossible at that depth.
        """
        out = 0.0
        for (i, j), w in zip(self.hands, self.weights, strict=True):
            seen = add_card(add_card(add_card(EMPTY, i), j), self.up - 1)
            left = composition_at_true_count(
                self.rules.decks, decks_remaining, true_count, self.tags, known=seen
            )
            # the analyzer takes the up card and the hand out of the shoe it is given
            game = UpcardGame(self.rules, left + np.array(seen), self.up)
            values = self._values(game, i, j)
            mine = values.pop(self.action)
            other = max(values.values()) if self.action == SURRENDER else values[self.alternative]
            out += w * (mine - other)
        return out

    def _values(self, game: UpcardGame, i: int, j: int) -> dict[str, float]:
        """Full-round values of the options compared (as `UpcardGame.all_options` gives)."""
        removal = add_card(add_card(EMPTY, i), j)
        total, ace = hand_of(removal)
        options = game.options(removal, total, ace, first=True)
        if self.action == SPLIT:
            options = {SPLIT: game.split(i), self.alternative: options[self.alternative]}
        out = {}
        for name, ev in options.items():
            flat = name == SURRENDER and game.flat_surrender
            out[name] = -0.5 if flat else game.full_value(removal, ev)
        return out


def _crossing(gain: Callable[[float], float], grid: Sequence[float]) -> tuple[float | None, bool]:
    """(the sign change of ``gain`` on ``grid`` nearest 0, refined by the Illinois variant of
    regula falsi; whether the gain is positive above it). No sign change: (None, gain > 0)."""
    points = []
    for x in grid:
        try:
            points.append((x, gain(x)))
        except ValueError:  # a count this shoe cannot have at this depth
            continue
    if not points:
        raise ValueError("no true count of the search range is possible at this depth")
    grid = [x for x, _ in points]
    values = [v for _, v in points]
    brackets = [n for n in range(len(grid) - 1) if values[n] * values[n + 1] <= 0]
    if not brackets:
        return None, values[0] > 0
    n = min(brackets, key=lambda b: abs(grid[b] + grid[b + 1]))
    a, b, fa, fb = grid[n], grid[n + 1], values[n], values[n + 1]
    above = fb > fa
    if fa == 0 or fb == 0:
        return (a if fa == 0 else b), above
    side = 0
    for _ in range(100):
        if b - a <= TOLERANCE:
            break
        c = (fa * b - fb * a) / (fa - fb)
        fc = gain(c)
        if fc == 0:
            return c, above
        if fc * fb > 0:  # c replaces b; twice running, halve a's value (Illinois)
            b, fb = c, fc
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb /= 2
            side = 1
    return (a + b) / 2, above


def index_value(
    rules: Rules,
    hand: str,
    dealer_up: str,
    action: str,
    decks_remaining: float | None = None,
    tags: Sequence[float] = HI_LO,
) -> IndexValue:
    """The index of a play (Hi-Lo unless ``tags`` say otherwise): where ``action`` starts (or
    stops) beating the play it replaces, at ``decks_remaining`` (default half the shoe). See
    the module docstring."""
    depth = rules.decks / 2 if decks_remaining is None else decks_remaining
    cell = IndexCell(rules, hand, dealer_up, action, tags)
    lo, hi = SEARCH
    grid = [lo + 4.0 * n for n in range(int((hi - lo) / 4) + 1)]
    crossing, above = _crossing(lambda tc: cell.gain(tc, depth), grid)
    return IndexValue(
        hand=hand,
        dealer_up=dealer_up,
        action=action,
        alternative=cell.alternative,
        crossing=crossing,
        direction="at_or_above" if above else "below",
        decks_remaining=depth,
    )


def insurance_crossing(decks: int, decks_remaining: float | None = None) -> float:
    """The true count where insurance breaks even (3·P(ten) − 1 = 0) against an ace up.

    The hole card is one of the unseen cards; the ace is among the seen (the player's own
    cards are not counted in: the index holds for any hand). The ten share is linear in the
    true count, so two points give the crossing exactly.
    """
    depth = decks / 2 if decks_remaining is None else decks_remaining
    ace = add_card(EMPTY, 0)

    def excess(tc: float) -> float:
        left = composition_at_true_count(decks, depth, tc, known=ace)
        return 3.0 * left[9] / left.sum() - 1.0

    f0, f1 = excess(0.0), excess(1.0)
    return -f0 / (f1 - f0)


def computed_sets(decks: int) -> dict[str, Any]:
    """The Illustrious 18, its insurance index and the Fab 4 computed for a one- or two-deck
    game under `index_plays.COMPUTED_SET_RULES`, in the form `index_plays` stores them.

    The plays are the shoe sets' (hand, up card, action); only the thresholds are computed.
    """
    rules = Rules(**COMPUTED_SET_RULES[decks])
    late = rules.model_copy(update={"surrender": "late"})  # the Fab 4 need surrender

    def computed(plays: Sequence[dict[str, Any]], under: Rules) -> tuple[dict[str, Any], ...]:
        out = []
        for play in plays:
            value = index_value(under, play["hand"], play["dealer_up"], play["action"])
            if value.crossing is None:
                raise ValueError(f"{play} has no crossing in {SEARCH} for {decks} decks")
            out.append(value.deviation())
        return tuple(out)

    return {
        "illustrious_18": computed(ILLUSTRIOUS_18, rules),
        "insurance": float(nearest_index(insurance_crossing(decks))),
        "fab_4": computed(FAB_4, late),
    }
