"""Index numbers computed by the exact analyzer: the count at which a play changes.

A published index (``16 v 10: stand at +0``) is the true count above which a deviation from
basic strategy gains. Published values exist for Hi-Lo in shoe games; for one and two decks
none could be checked, so `jost_engine.index_plays` stores Hi-Lo sets computed here
(`computed_sets`), by a method that reproduces the published shoe set within one true count
(tests/engine/test_indices.py). The same method gives any count's numbers (`CountSystem`:
every named system, custom tags, the ace-adjusted count of an ace side count): a true count for
a balanced count, a running count from the IRC for an unbalanced one. Three steps:

1. **The shoe at a count** (`shoe_at_count.expected_left`). Given the count of the cards seen
   so far, the cards left are, on average, the full shoe less the expected seen cards. The
   expectation is the linear (regression) one: with ``m`` cards seen, rank shares ``p_i``,
   tags ``t_i`` and mean tag ``τ = Σ p_i t_i``,
   ``E[seen_i | S] = m p_i + (S − m τ) p_i (t_i − τ) / Σ_j p_j (t_j − τ)²``, ``S`` the seen
   cards' tags (TC × decks remaining − IRC for a balanced count, RC − IRC for an unbalanced
   one). It keeps the number of cards seen and makes their count exactly ``S``. The count is
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
3. **The crossing**: the count where ``EV(action) − EV(alternative)`` changes sign, found on a
   grid (±12 true counts scaled to the count's spread, `CountSystem.scale`) and refined by
   regula falsi. The alternative is the play the kernel makes when the index does not fire
   (`index_plays._without`): the chart's play for the cell without the index's action,
   surrender left out, since surrender indices are decided first; a surrender index compares
   with the best play that is not surrender.

**Rounding.** The kernel compares its integer (by default floored) true count with the index, so
``at_or_above: n`` fires from a real true count of ``n``. The real crossing ``x`` becomes the
nearest integer ``n = floor(x + 0.5)``, which misplays the smallest band of counts; the same rule
for plays that deviate below the crossing (``below: n``). A running count is an integer the
kernel compares as it is, so its index is ``ceil(x)``. `IndexValue.crossing` keeps ``x``.

**Depth.** A true count's values are for half the shoe left (``decks / 2`` decks remaining)
unless asked otherwise; the count is over the decks remaining (the unseen cards, the hole card
among them), as the kernel divides it. In six decks the depth moves most true-count indices by
a few tenths between 1 and 4.5 decks left (docs/methodology.md). A running count means another
shoe at every depth, so an unbalanced count's index is the crossing of the gain *averaged over
the depths the game deals* (`ShoeDepths`: equal slices from the top to the cut card), each depth
weighted by the chance of the count there (`shoe_at_count.count_spread`, a normal law).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from jost_engine import kernel_layout as k
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
from jost_engine.analysis.shoe_at_count import (
    BLACK_7,
    PER_DECK,
    RED_7,
    CountSystem,
    ShoeDepths,
    count_spread,
    expected_left,
    rank_counts,
    shoe_depths,
)
from jost_engine.analysis.shoe_at_count import (
    HI_LO as HI_LO_COUNT,
)
from jost_engine.config import Rules
from jost_engine.index_plays import COMPUTED_SET_RULES, FAB_4, ILLUSTRIOUS_18, _without
from jost_engine.strategy import chart_row, decision_tables, may_double_on, resolve_token

HI_LO: tuple[int, ...] = (-1, 1, 1, 1, 1, 1, 0, 0, 0, -1)  # ace, 2..9, ten-value
RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")
SEARCH = (-12.0, 12.0)  # true counts searched for a crossing (Hi-Lo; scaled for other counts)
TOLERANCE = 1e-4  # of the crossing, in true counts
_NAMES = {k.A_HIT: HIT, k.A_STAND: STAND, k.A_DOUBLE: DOUBLE, k.A_SURRENDER: SURRENDER}

Depth = float | ShoeDepths


def composition_at_true_count(
    decks: int,
    decks_remaining: float,
    true_count: float,
    tags: Sequence[float] = HI_LO,
    known: Sequence[float] | None = None,
) -> np.ndarray:
    """The expected cards left per rank (ace..ten-value, floats) at a true count.

    ``true_count × decks_remaining`` is the running count of every card seen so far, ``known``
    (cards per rank) among them; ``tags`` by rank. The result excludes the seen cards, the known
    ones included. Raises ValueError when no shoe fits: a depth outside the shoe, or a count so
    extreme that the expected cards of some rank, seen or left, would be negative.
    (`shoe_at_count.expected_left` is the same for any `CountSystem`, per card type.)
    """
    count = CountSystem("custom", tuple(float(t) for t in _typed(tags)))
    value = true_count if count.balanced else true_count * decks_remaining
    seen = None if known is None else _typed_known(known)
    return rank_counts(expected_left(count, decks, decks_remaining, value, seen))


def _typed(rank_tags: Sequence[float]) -> np.ndarray:
    t = np.asarray(rank_tags, dtype=np.float64)
    return np.array([*t[:7], t[6], *t[7:]])


def _typed_known(known: Sequence[float]) -> np.ndarray:
    """Known cards per type, a seven among them taken as red (the colours share a tag)."""
    r = np.asarray(known, dtype=np.float64)
    return np.array([*r[:7], 0.0, *r[7:]])


def nearest_index(crossing: float) -> int:
    """The integer index for a real crossing: the nearest integer, halves rounded up."""
    return math.floor(crossing + 0.5)


def running_index(crossing: float) -> int:
    """The integer index for a running count's crossing: the first count past it."""
    return math.ceil(crossing - 1e-9)


def integer_index(crossing: float | None, count: str) -> int | None:
    """The integer index of a crossing for a ``"true"`` or ``"running"`` count (None: none)."""
    if crossing is None:
        return None
    return nearest_index(crossing) if count == "true" else running_index(crossing)


@dataclass(frozen=True)
class IndexValue:
    """A computed index: deviate to ``action`` when the count is ``direction`` ``index``.

    ``crossing`` is the real count where the two plays are worth the same (None when one
    is better over the whole search range; then ``index`` is None too). ``count`` says
    whether it is a true count or a running count (an unbalanced system's).
    """

    hand: str
    dealer_up: str
    action: str
    alternative: str
    crossing: float | None
    direction: Literal["at_or_above", "below"]
    decks_remaining: float
    count: Literal["true", "running"] = "true"
    over_the_shoe: bool = False  # the gain averaged over the depths the game deals

    @property
    def index(self) -> int | None:
        return integer_index(self.crossing, self.count)

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


def known_cards(
    count: CountSystem, decks: int, ranks: Sequence[int]
) -> list[tuple[np.ndarray, float]]:
    """The cards seen of ranks ``ranks`` (hand and up card) per card type, with their chance.

    One variant unless the count tells red sevens from black (Red 7): then each seven is red
    or black with its chance of being dealt so.
    """
    variants: list[tuple[np.ndarray, float]] = [(np.zeros(len(PER_DECK)), 1.0)]
    colour_blind = count.tags[RED_7] == count.tags[BLACK_7]
    for r in ranks:
        grown = []
        for seen, chance in variants:
            if r != 6 or colour_blind:
                kind = r if r < 6 else r + 1
                grown.append((_plus(seen, RED_7 if r == 6 else kind), chance))
                continue
            for kind in (RED_7, BLACK_7):
                left = PER_DECK[kind] * decks - seen[kind]
                share = left / (2 * PER_DECK[kind] * decks - seen[RED_7] - seen[BLACK_7])
                grown.append((_plus(seen, kind), chance * share))
        variants = grown
    return variants


def _plus(seen: np.ndarray, kind: int) -> np.ndarray:
    out = seen.copy()
    out[kind] += 1
    return out


def _impossible(exc: ValueError) -> bool:
    return "impossible" in str(exc)


class IndexCell:
    """One index play under the rules: the two-card hands it covers, their weights, and the
    play it replaces; `gain` is what the play is worth over that one at a count."""

    def __init__(
        self,
        rules: Rules,
        hand: str,
        dealer_up: str,
        action: str,
        count: CountSystem = HI_LO_COUNT,
    ) -> None:
        if action not in (HIT, STAND, DOUBLE, SPLIT, SURRENDER):
            raise ValueError(f"unknown action {action!r}")
        if action == SURRENDER and rules.surrender == "none":
            raise ValueError(
                'a surrender index needs rules with surrender (rules.surrender is "none")'
            )
        if action == SPLIT and rules.max_split_hands < 2:
            raise ValueError("a split index needs rules that split (rules.max_split_hands is 1)")
        if rules.infinite_deck:
            raise ValueError("an infinite deck has no count: its composition never changes")
        self.rules = rules
        self.count = count
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
        self.known = [known_cards(count, rules.decks, (i, j, self.up - 1)) for i, j in hands]
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

    def gain(self, value: float, depth: Depth) -> float:
        """EV(action) − EV(alternative) per initial bet at a count, over the cell's hands.

        The count is the playing count: the hand and the up card are among the cards seen.
        At one depth the hands weigh by their chance off the top; over the shoe's depths
        (`ShoeDepths`) each hand and depth also by the chance of the count there. Raises
        ValueError where the count is impossible (at every depth).
        """
        total = weight = 0.0
        for n, (i, j) in enumerate(self.hands):
            for seen, chance in self.known[n]:
                for left, w in shoes_at(self.count, self.rules.decks, depth, value, seen):
                    w *= self.weights[n] * chance
                    total += w * self._hand_gain(i, j, seen, left)
                    weight += w
        return total / weight

    def _hand_gain(self, i: int, j: int, seen: np.ndarray, left: np.ndarray) -> float:
        # the analyzer takes the up card and the hand out of the shoe it is given
        game = UpcardGame(self.rules, rank_counts(left + seen), self.up)
        values = self._values(game, i, j)
        mine = values.pop(self.action)
        other = max(values.values()) if self.action == SURRENDER else values[self.alternative]
        return mine - other

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


NEGLIGIBLE = 1e-3  # a depth whose count density is under this share of the largest is left out


def shoes_at(
    count: CountSystem, decks: int, depth: Depth, value: float, seen: np.ndarray
) -> list[tuple[np.ndarray, float]]:
    """The expected cards left (per type) at a count with ``seen`` among the seen cards, and
    the weight of each: at one depth, that shoe with weight 1 (ValueError if the count is
    impossible there); over the shoe's depths, each depth where the count is possible, weighed
    by the (normal) density of the count there, depths under `NEGLIGIBLE` of the largest left
    out (ValueError if it is possible at none)."""
    if not isinstance(depth, ShoeDepths):
        return [(expected_left(count, decks, depth, value, known=seen), 1.0)]
    densities = []
    for d, share in zip(depth.decks_remaining, depth.weights, strict=True):
        mean, sd = count_spread(count, decks, d, seen)
        z = (value - mean) / sd if sd > 0.0 else (0.0 if abs(value - mean) < 1e-9 else math.inf)
        densities.append((d, share * math.exp(-0.5 * z * z) / max(sd, 1e-12)))
    top = max(w for _, w in densities)
    out = []
    failure: ValueError | None = None
    for d, w in densities:
        if w <= NEGLIGIBLE * top:
            continue
        try:
            out.append((expected_left(count, decks, d, value, known=seen), w))
        except ValueError as exc:
            if not _impossible(exc):
                raise
            failure = exc
    if not out:
        raise failure or ValueError(
            f"running count {value:g} is impossible at every depth of the shoe"
        )
    return out


def _crossing(
    gain: Callable[[float], float], grid: Sequence[float], center: float = 0.0
) -> tuple[float | None, bool]:
    """(the sign change of ``gain`` on ``grid`` nearest ``center``, refined by the Illinois
    variant of regula falsi; whether the gain is positive above it). No sign change:
    (None, gain > 0)."""
    points = []
    for x in grid:
        try:
            points.append((x, gain(x)))
        except ValueError as exc:  # a count this shoe cannot have at this depth
            if not _impossible(exc):
                raise
            continue
    if not points:
        raise ValueError("no count of the search range is possible at this depth")
    grid = [x for x, _ in points]
    values = [v for _, v in points]
    brackets = [n for n in range(len(grid) - 1) if values[n] * values[n + 1] <= 0]
    if not brackets:
        return None, values[0] > 0
    n = min(brackets, key=lambda b: abs(grid[b] + grid[b + 1] - 2 * center))
    a, b, fa, fb = grid[n], grid[n + 1], values[n], values[n + 1]
    above = fb > fa
    if fa == 0 or fb == 0:
        return (a if fa == 0 else b), above
    side = 0
    tolerance = TOLERANCE * max(1.0, (grid[-1] - grid[0]) / (SEARCH[1] - SEARCH[0]))
    for _ in range(100):
        if b - a <= tolerance:
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


def default_depth(rules: Rules, count: CountSystem) -> Depth:
    """Half the shoe left for a true count; the shoe's depths for a running count."""
    if count.balanced:
        return rules.decks / 2
    return shoe_depths(rules.decks, rules.penetration)


def search_grid(count: CountSystem, decks: int, depth: Depth) -> tuple[list[float], float]:
    """(the grid searched for a crossing, the count it is centred on): ±12 true counts in steps
    of 4, scaled to the count's spread; for a running count, around the neutral count of each
    depth, the true counts times the decks remaining."""
    s = count.scale
    lo, hi = SEARCH
    if count.balanced:
        steps = int((hi - lo) / 4) + 1
        return [s * (lo + 4.0 * n) for n in range(steps)], 0.0
    depths = depth.decks_remaining if isinstance(depth, ShoeDepths) else (depth,)
    middles = [count_spread(count, decks, d)[0] for d in depths]
    low = min(m + s * lo * d for m, d in zip(middles, depths, strict=True))
    high = max(m + s * hi * d for m, d in zip(middles, depths, strict=True))
    mean_depth = depth.mean if isinstance(depth, ShoeDepths) else depth
    steps = max(7, math.ceil((high - low) / (4.0 * s * mean_depth)) + 1)
    center = count_spread(count, decks, mean_depth)[0]
    return [low + (high - low) * n / (steps - 1) for n in range(steps)], center


def index_value(
    rules: Rules,
    hand: str,
    dealer_up: str,
    action: str,
    decks_remaining: Depth | None = None,
    count: CountSystem = HI_LO_COUNT,
) -> IndexValue:
    """The index of a play for a count (Hi-Lo unless told): where ``action`` starts (or stops)
    beating the play it replaces, at ``decks_remaining`` (default `default_depth`). See the
    module docstring."""
    depth = default_depth(rules, count) if decks_remaining is None else decks_remaining
    cell = IndexCell(rules, hand, dealer_up, action, count)
    grid, center = search_grid(count, rules.decks, depth)
    crossing, above = _crossing(lambda value: cell.gain(value, depth), grid, center)
    return IndexValue(
        hand=hand,
        dealer_up=dealer_up,
        action=action,
        alternative=cell.alternative,
        crossing=crossing,
        direction="at_or_above" if above else "below",
        decks_remaining=depth.mean if isinstance(depth, ShoeDepths) else depth,
        count="true" if count.balanced else "running",
        over_the_shoe=isinstance(depth, ShoeDepths),
    )


def _ace_seen() -> np.ndarray:
    seen = np.zeros(len(PER_DECK))
    seen[0] = 1.0
    return seen


def insurance_gain(count: CountSystem, decks: int, value: float, depth: Depth) -> float:
    """3·P(ten in the hole) − 1 at a count: what insurance gains per unit insured, over 2."""
    total = weight = 0.0
    for left, w in shoes_at(count, decks, depth, value, _ace_seen()):
        total += w * (3.0 * left[-1] / left.sum() - 1.0)
        weight += w
    return total / weight


def insurance_crossing(
    decks: int,
    decks_remaining: Depth | None = None,
    count: CountSystem = HI_LO_COUNT,
    penetration: float = 0.75,
) -> float:
    """The count where insurance breaks even (3·P(ten) − 1 = 0) against an ace up.

    The hole card is one of the unseen cards; the ace is among the seen (the player's own
    cards are not counted in: the index holds for any hand). At one depth the ten share is
    linear in the count, so two points give the crossing exactly; over the shoe's depths (an
    unbalanced count's default) it is searched for.
    """
    if decks_remaining is None:
        decks_remaining = decks / 2 if count.balanced else shoe_depths(decks, penetration)
    depth = decks_remaining
    if not isinstance(depth, ShoeDepths):
        base = 0.0 if count.balanced else count_spread(count, decks, depth)[0]
        step = 1.0 if count.balanced else depth
        f0 = insurance_gain(count, decks, base, depth)
        f1 = insurance_gain(count, decks, base + step, depth)
        return base - step * f0 / (f1 - f0)
    grid, center = search_grid(count, decks, depth)
    crossing, _ = _crossing(lambda value: insurance_gain(count, decks, value, depth), grid, center)
    if crossing is None:
        raise ValueError(f"insurance never breaks even over the counts searched for {count.label}")
    return crossing


def insurance_index(count: CountSystem, crossing: float) -> int:
    """The integer insurance index of a crossing (nearest for a true count, else ceil)."""
    return nearest_index(crossing) if count.balanced else running_index(crossing)


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
