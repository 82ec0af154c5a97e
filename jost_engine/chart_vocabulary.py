"""The words of a strategy chart: dealer up cards, chart rows, action tokens, deviation hands.

A leaf: it imports nothing of the engine, so the config models, the strategy tables, the exact
analyzer and the terminal's printed charts all read one vocabulary (docs/charts.md) and none
of them has to import another for it.
"""

from __future__ import annotations

# Dealer up cards, in chart column order, as written in charts and configs.
UP_CARDS: tuple[str, ...] = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")
# The same columns as card values, the way the kernel and the analyzer count (ace = 1).
UP_VALUES: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8, 9, 10, 1)
# Card ranks in value order (ace = 1 first), as effects of removal are listed.
RANKS_BY_VALUE: tuple[str, ...] = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")
# The ten ranks a count tags (ten-value cards share one tag), in chart column order.
TAGGED_RANKS: tuple[str, ...] = UP_CARDS

# Chart rows.
HARD_ROWS: tuple[str, ...] = tuple(str(n) for n in range(4, 22))
SOFT_ROWS: tuple[str, ...] = tuple(str(n) for n in range(12, 22))  # soft 12 is A,A unsplit
PAIR_ROWS: tuple[str, ...] = UP_CARDS

# What a chart cell may say: hit, stand, double (else hit / else stand), split, surrender (else
# hit / else stand / else split).
CHART_TOKENS: tuple[str, ...] = ("H", "S", "D", "Ds", "P", "Rh", "Rs", "Rp")
PAIRS_ONLY_TOKENS: frozenset[str] = frozenset({"P", "Rp"})

# Deviation hands: hard totals, soft hands ("AA" is soft 12, A,A played unsplit), pairs.
HARD_HANDS: tuple[str, ...] = HARD_ROWS
SOFT_HANDS: tuple[str, ...] = (*(f"A{n}" for n in range(2, 10)), "AA")
PAIR_HANDS: tuple[str, ...] = tuple(f"{c},{c}" for c in UP_CARDS)


def up_card(value: int) -> str:
    """The chart's name of a dealer up card given as a card value (1 → "A", 10 → "10")."""
    return UP_CARDS[UP_VALUES.index(value)]


def up_value(column: int) -> int:
    """A chart column (0..9, dealer 2..A) as a card value (ace = 1)."""
    return UP_VALUES[column]
