"""The dealer's final-total probabilities, exact for any shoe composition.

`dealer_probabilities` is the public entry: given the cards left (the up card already removed)
it returns P(17), P(18), ..., P(21), P(bust) and P(blackjack), optionally conditioned on the
dealer having checked for blackjack. `enumerate_dealer` is the slow, obviously-correct
reference: it walks every card sequence one by one, and the tests hold the kernel to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np

from jost_engine.analysis import _kernels

OUTCOME_NAMES = ("17", "18", "19", "20", "21", "bust", "blackjack")
TEN = 9  # rank index of the ten-value cards
ACE = 0


def rank_index(card: int) -> int:
    """Card value (ace = 1, ten-value = 10) to rank index 0..9."""
    return card - 1


def blackjack_rank(up: int) -> int:
    """The hole card that makes a dealer blackjack under ``up`` (a rank index), or -1."""
    return TEN if up == 1 else ACE if up == 10 else -1


@dataclass(frozen=True)
class DealerGraph:
    """The dealer's drawing states for one up card and soft-17 rule, in topological order."""

    drawn: np.ndarray  # [state, rank] cards of each rank the dealer drew after the up card
    ndrawn: np.ndarray  # [state] cards drawn after the up card
    trans: np.ndarray  # [state, rank] next state, or -(outcome + 1) when the hand ends


def _ends(total: int, ace: bool, ncards: int, h17: bool) -> int:
    """The outcome index a dealer hand ends in, or -1 while the dealer must draw."""
    value = total + 10 if ace and total <= 11 else total
    if ncards == 2 and value == 21:
        return _kernels.BLACKJACK
    if value > 21:
        return _kernels.BUST
    if value >= 17 and not (h17 and value == 17 and ace and total == 7):
        return value - 17
    return -1


@cache
def dealer_graph(up: int, h17: bool) -> DealerGraph:
    """Every multiset of cards a dealer showing ``up`` can hold and still have to draw."""
    states: list[tuple[int, ...]] = [(0,) * 10]
    index = {states[0]: 0}
    trans: list[list[int]] = []
    i = 0
    while i < len(states):
        drawn = states[i]
        total = up + sum((r + 1) * k for r, k in enumerate(drawn))
        ace = up == 1 or drawn[ACE] > 0
        ncards = 1 + sum(drawn)
        row = []
        for r in range(10):
            nxt = (*drawn[:r], drawn[r] + 1, *drawn[r + 1 :])
            end = _ends(total + r + 1, ace or r == ACE, ncards + 1, h17)
            if end >= 0:
                row.append(-(end + 1))
                continue
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            row.append(index[nxt])
        trans.append(row)
        i += 1
    drawn_arr = np.array(states, dtype=np.float64)
    return DealerGraph(drawn_arr, drawn_arr.sum(axis=1), np.array(trans, dtype=np.int64))


def dealer_outcomes_many(
    cards: np.ndarray,
    removals: np.ndarray,
    up: int,
    *,
    h17: bool,
    infinite: bool = False,
    peeked: bool = False,
) -> np.ndarray:
    """Outcome probabilities (rows of 7) for ``cards`` less each row of ``removals``.

    ``cards`` holds the cards left per rank index (the up card already out); with ``infinite``
    they are proportions and nothing is ever removed. ``peeked``: the dealer has checked and has
    no blackjack, so the hole card is drawn from everything but the blackjack card.
    """
    graph = dealer_graph(up, h17)
    exclude = blackjack_rank(up) if peeked else -1
    return _kernels.dealer_outcomes_many(
        np.asarray(cards, dtype=np.float64),
        np.atleast_2d(np.asarray(removals, dtype=np.float64)),
        graph.drawn,
        graph.ndrawn,
        graph.trans,
        exclude,
        infinite,
    )


def dealer_probabilities(
    cards: np.ndarray | list[float], up: int, *, h17: bool, infinite: bool = False,
    peeked: bool = False,
) -> dict[str, float]:  # fmt: skip
    """P(17..21, bust, blackjack) for a dealer showing ``up``; ``cards`` left by rank index."""
    cards = np.asarray(cards, dtype=np.float64)
    row = dealer_outcomes_many(cards, np.zeros((1, 10)), up, h17=h17, infinite=infinite,
                               peeked=peeked)[0]  # fmt: skip
    return dict(zip(OUTCOME_NAMES, (float(x) for x in row), strict=True))


def enumerate_dealer(
    cards: list[int], up: int, *, h17: bool, peeked: bool = False
) -> list[Fraction]:
    """Reference: walk every card sequence of a finite shoe, in exact fractions."""
    out = [Fraction(0)] * 7
    exclude = blackjack_rank(up) if peeked else -1

    def walk(left: list[int], total: int, ace: bool, ncards: int, prob: Fraction) -> None:
        pool = [r for r in range(10) if left[r] > 0 and not (ncards == 1 and r == exclude)]
        denom = sum(left[r] for r in pool)
        for r in pool:
            p = prob * Fraction(left[r], denom)
            t, a = total + r + 1, ace or r == ACE
            end = _ends(t, a, ncards + 1, h17)
            if end >= 0:
                out[end] += p
            else:
                left[r] -= 1
                walk(left, t, a, ncards + 1, p)
                left[r] += 1

    walk(list(cards), up, up == 1, 1, Fraction(1))
    return out
