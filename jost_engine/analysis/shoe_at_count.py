"""The shoe a count describes: the expected cards left, for any count system, given its count.

A count system here is its tag per *card type*: the ten ranks, with the seven split into red
and black (Red 7 counts only the red ones; every other system gives both the same tag). The
count a player compares with an index is

* for a balanced system (tags summing to 0 over a deck): the true count, the running count
  over the decks remaining (the unseen cards, the hole card among them);
* for an unbalanced one (KO, Red 7, custom tags that do not sum to 0): the running count
  itself, which starts at the initial running count (IRC) after the shuffle.

Given that count, the cards seen are, on average, the linear (regression) expectation on the
count (`expected_left`, docs/methodology.md "Index numbers from the analyzer"). The spread of
the count at a depth (`count_spread`) weighs the depths of a shoe for unbalanced counts, whose
running count means something else at every depth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from jost_engine.config.vocabulary import SYSTEM_LABELS
from jost_engine.counting import count_tags, standard_irc

RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")
TYPES = ("A", "2", "3", "4", "5", "6", "7 red", "7 black", "8", "9", "10")
TYPE_RANK = (0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9)  # rank index (ace..ten) of each card type
PER_DECK = np.array([4.0, 4, 4, 4, 4, 4, 2, 2, 4, 4, 16])  # cards of each type in a deck
RED_7, BLACK_7 = 6, 7
SLICES = 8  # depths a running count's index averages over (`shoe_depths`)
NAMES = SYSTEM_LABELS


class CountError(ValueError):
    """A count that cannot give index numbers; ``path`` names the config field at fault."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class CountSystem:
    """A count as the analyzer reads it: a tag per card type and the initial running count.

    ``ace_side_count``: the tags are the ace-adjusted count of an ace-neutral system (below).
    """

    name: str
    tags: tuple[float, ...]  # by card type (TYPES)
    irc: float = 0.0
    ace_side_count: bool = False

    @property
    def per_deck(self) -> float:
        """The sum of the tags over one deck: 0 for a balanced count."""
        return float(PER_DECK @ np.array(self.tags))

    @property
    def balanced(self) -> bool:
        return abs(self.per_deck) < 1e-9

    @property
    def counts_running(self) -> bool:
        """Whether its indices are running counts (unbalanced) rather than true counts."""
        return not self.balanced

    @property
    def level(self) -> float:
        """The largest tag in absolute value (Hi-Lo 1, Omega II 2, Wong Halves 1.5)."""
        return max(abs(t) for t in self.tags)

    @property
    def rank_tags(self) -> tuple[float, ...]:
        """The average tag of each rank (ace..ten): Red 7's seven is worth half a point."""
        t = np.array(self.tags)
        sevens = (t[RED_7] + t[BLACK_7]) / 2
        return (*(float(x) for x in t[:6]), float(sevens), *(float(x) for x in t[8:]))

    @property
    def scale(self) -> float:
        """The tags' spread per card relative to Hi-Lo's: how much larger its counts run."""
        return math.sqrt(_spread(self.tags) / _spread(HI_LO.tags))

    @property
    def label(self) -> str:
        name = NAMES.get(self.name, self.name)
        return f"{name} with ace side count" if self.ace_side_count else name

    def key(self) -> dict[str, Any]:
        """What identifies the count for a cache (JSON-ready)."""
        return {"name": self.name, "tags": list(self.tags), "irc": self.irc,
                "ace_side_count": self.ace_side_count}  # fmt: skip


def _spread(tags: Sequence[float]) -> float:
    t = np.array(tags, dtype=np.float64)
    p = PER_DECK / PER_DECK.sum()
    return float(p @ (t - p @ t) ** 2)


def _by_type(rank_tags: Sequence[float]) -> tuple[float, ...]:
    t = [float(x) for x in rank_tags]
    return (*t[:7], t[6], *t[7:])


HI_LO = CountSystem("hi_lo", _by_type((-1, 1, 1, 1, 1, 1, 0, 0, 0, -1)))


def count_system(
    system: str | Mapping[str, Any] | Any,
    decks: int,
    initial_running_count: float | None = None,
    ace_side_count: bool = False,
) -> CountSystem:
    """The analyzer's count for a config's ``counting`` values.

    ``system`` is a named system or custom tags (``{"tags": {...}}`` or the config's model).
    An unbalanced count needs its IRC: the named ones have their published one (KO
    4 − 4 × decks, Red 7 −2 × decks); custom tags must give ``initial_running_count``.
    ``ace_side_count`` (ace-neutral counts) reads the ace-adjusted count: each ace is worth
    ``w`` = minus the ten's tag, against one in 13 cards expected, so every card carries
    ``tag + w/13`` and an ace ``w/13 − w`` (the side count of `jost_engine.table`).
    """
    tags = count_tags(system)
    by_rank = {r: v / tags.denominator for r, v in tags.by_rank.items()}
    ranks = [by_rank[r] for r in RANKS]
    if len(set(ranks)) == 1:
        raise CountError(
            "counting.system.tags",
            "every card has the same tag, so the count says nothing about the cards left",
        )
    per_type = list(_by_type(ranks))
    if tags.red_sevens_only:
        per_type[BLACK_7] = 0.0
    irc = initial_running_count
    if irc is None:
        if not tags.balanced and tags.name == "custom":
            raise CountError(
                "counting.initial_running_count",
                f"an unbalanced count (its tags sum to {float(PER_DECK @ per_type):g} a deck) "
                "reads its indices as running counts, which need the count it starts from "
                "after the shuffle; give initial_running_count",
            )
        irc = standard_irc(tags.name, decks)
    if ace_side_count:
        if by_rank["A"] != 0 or by_rank["10"] == 0:
            raise CountError(
                "counting.ace_side_count",
                'an ace side count goes with an ace-neutral count ("A": 0, a non-zero "10")',
            )
        w = -by_rank["10"]
        per_type = [t + w / 13 for t in per_type]
        per_type[0] -= w
    return CountSystem(tags.name, tuple(float(t) for t in per_type), float(irc), ace_side_count)


def type_counts(ranks: Sequence[float]) -> np.ndarray:
    """Cards per type for cards given per rank, sevens split evenly between the colours."""
    r = np.asarray(ranks, dtype=np.float64)
    return np.array([*r[:6], r[6] / 2, r[6] / 2, *r[7:]])


def rank_counts(types: np.ndarray) -> np.ndarray:
    """Cards per rank (ace..ten) of cards given per type."""
    return np.array([*types[:6], types[RED_7] + types[BLACK_7], *types[8:]])


def _seen_count(count: CountSystem, value: float, decks_remaining: float) -> float:
    """The sum of the tags of every card seen, for a count value at a depth."""
    if count.balanced:
        return value * decks_remaining - count.irc
    return value - count.irc


def expected_left(
    count: CountSystem,
    decks: int,
    decks_remaining: float,
    value: float,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """The expected cards left per card type at a count ``value`` (true or running count).

    The seen cards are ``known`` (per type: the hand and the up card) and ``m`` others from
    the shoe less them, with rank shares ``p_i``, tags ``t_i``, mean tag ``τ``; those others'
    tags sum to ``S``, the count less the known cards' and the IRC, and are expected to be
    ``m p_i + (S − m τ) p_i (t_i − τ) / Σ_j p_j (t_j − τ)²`` of each type. Raises ValueError
    when no shoe fits: a depth outside the shoe, or a count so extreme that the expected cards
    of some type, seen or left, would be negative.
    """
    full = PER_DECK * decks
    t = np.asarray(count.tags, dtype=np.float64)
    v = np.zeros(len(full)) if known is None else np.asarray(known, dtype=np.float64)
    unseen = 52.0 * decks_remaining
    if not 0.0 < unseen <= full.sum() - v.sum():
        raise ValueError(
            f"{decks_remaining:g} decks remaining does not fit a {decks}-deck shoe"
            + (f" less the {v.sum():g} known card(s)" if v.any() else "")
        )
    if (v < 0).any() or (v > full).any():
        raise ValueError(
            f"known cards {rank_counts(v).tolist()} are not cards of a {decks}-deck shoe"
        )
    rest = full - v  # the shoe the other seen cards came from
    p = rest / rest.sum()
    m = rest.sum() - unseen  # the seen cards not known
    tau = float(p @ t)
    spread = float(p @ (t - tau) ** 2)
    if spread == 0.0:
        raise ValueError("tags that are all equal count nothing")
    s = _seen_count(count, value, decks_remaining) - float(v @ t)
    seen = m * p + (s - m * tau) * p * (t - tau) / spread
    left = rest - seen
    for name, cards in (("seen", seen), ("left", left)):
        bad = [f"{TYPES[i]}: {n:.2f}" for i, n in enumerate(cards) if n < -1e-9 * full.sum()]
        if bad:
            kind = "true" if count.balanced else "running"
            raise ValueError(
                f"{kind} count {value:g} with {decks_remaining:g} of {decks} decks remaining "
                f"is impossible: negative expected cards {name} ({', '.join(bad)})"
            )
    return np.maximum(left, 0.0)


def count_spread(
    count: CountSystem, decks: int, decks_remaining: float, known: np.ndarray | None = None
) -> tuple[float, float]:
    """(mean, SD) of the count value at a depth, the known cards among the seen: the other
    seen cards are drawn without replacement, so their tag sum has mean ``m τ`` and variance
    ``m σ² (N − m) / (N − 1)`` (N the shoe less the known cards)."""
    full = PER_DECK * decks
    t = np.asarray(count.tags, dtype=np.float64)
    v = np.zeros(len(full)) if known is None else np.asarray(known, dtype=np.float64)
    rest = full - v
    n = rest.sum()
    p = rest / n
    m = max(n - 52.0 * decks_remaining, 0.0)
    tau = float(p @ t)
    var = m * float(p @ (t - tau) ** 2) * (n - m) / max(n - 1.0, 1.0)
    mean = count.irc + float(v @ t) + m * tau
    if count.balanced:
        return mean / decks_remaining, math.sqrt(var) / decks_remaining
    return mean, math.sqrt(var)


@dataclass(frozen=True)
class ShoeDepths:
    """The depths a cut-card game deals from: every card position from the top to the cut is
    equally likely, so each depth ``decks_remaining[k]`` (a slice's midpoint) weighs its
    slice's share ``weights[k]`` of the cards dealt before the cut."""

    decks_remaining: tuple[float, ...]
    penetration: float
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.weights:
            n = len(self.decks_remaining)
            object.__setattr__(self, "weights", (1.0 / n,) * n)

    @property
    def mean(self) -> float:
        return sum(w * d for w, d in zip(self.weights, self.decks_remaining, strict=True))


def shoe_depths(decks: int, penetration: float, slices: int = SLICES) -> ShoeDepths:
    """The depths of `ShoeDepths` for a shoe of ``decks`` dealt to ``penetration``: slices
    that narrow towards the top of the shoe (edges at (k / slices)² of the cards dealt after the
    three a round shows first), where few cards are seen and the spread of the count, as
    √(cards seen), changes fastest."""
    dealt = decks * penetration
    top = 3 / 52  # the hand and the up card are always seen
    edges = [top + (dealt - top) * (k / slices) ** 2 for k in range(slices + 1)]
    return ShoeDepths(
        tuple(decks - (a + b) / 2 for a, b in pairwise(edges)),
        penetration,
        tuple((b - a) / (dealt - top) for a, b in pairwise(edges)),
    )


def neutral_count(count: CountSystem, decks: int, decks_remaining: float) -> float:
    """The count value of a shoe whose seen cards are in proportion (0 for a balanced count;
    for KO with its IRC, 4 − 4 × decks remaining)."""
    return count_spread(count, decks, decks_remaining)[0]
