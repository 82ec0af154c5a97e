"""The full index table of a count: every hard, soft and pair decision against every up card,
the best play at each count from −10 to +10 (a running count: the counts of the same shoes).

For each two-card hand and up card the exact analyzer values every option at the expected shoe
of each count (`indices`: the hand and up card among the seen cards, the depth or the shoe's
depths of `indices.default_depth`). A cell (a total, a soft hand or a pair against an up card)
averages its two-card hands as `indices.IndexCell` does; its plays by count are the best option
at each count of the grid, the changes refined by straight-line interpolation of the two plays'
values between grid counts. A cell whose best play never changes says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis import basic_chart
from jost_engine.analysis.game_value import full_shoe, is_natural
from jost_engine.analysis.hand_values import SPLIT, UpcardGame, hand_value
from jost_engine.analysis.indices import (
    Depth,
    _hands,
    _impossible,
    default_depth,
    known_cards,
    nearest_index,
    running_index,
    shoes_at,
)
from jost_engine.analysis.shoe_at_count import (
    CountSystem,
    ShoeDepths,
    count_spread,
    rank_counts,
)
from jost_engine.chart_vocabulary import UP_CARDS, UP_VALUES
from jost_engine.config import Rules
from jost_engine.strategy import decision_tables

SECTIONS: dict[str, tuple[str, ...]] = {
    "hard": tuple(str(n) for n in range(5, 21)),
    "soft": tuple(f"A{n}" for n in range(2, 10)),
    "pairs": tuple(f"{c},{c}" for c in ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")),
}
LETTERS = {"hit": "H", "stand": "S", "double": "D", "split": "P", "surrender": "R"}
TRUE_COUNTS = tuple(range(-10, 11))


@dataclass(frozen=True)
class Cell:
    """One decision: its plays by count (``plays[n]`` from ``changes[n - 1]`` up) and the
    chart's play."""

    hand: str
    dealer_up: str
    chart: str
    plays: tuple[str, ...]
    changes: tuple[float, ...]  # the real counts where the best play changes, increasing

    @property
    def never_changes(self) -> bool:
        return len(self.plays) == 1

    def text(self, running: bool) -> str:
        """The cell as a printed table shows it: plays and the integer counts between them,
        low counts first (``H 0 S``: hit below 0, stand from 0)."""
        parts = [LETTERS[self.plays[0]]]
        for x, play in zip(self.changes, self.plays[1:], strict=True):
            parts += [f"{_integer(x, running):+d}", LETTERS[play]]
        return " ".join(parts)

    def deviations(self, running: bool) -> list[dict[str, Any]]:
        """The changes next to the chart's play as index plays (`config.Deviation`'s form):
        the play above at or above its count, the play below below its count. A pair's index
        can only split or not (the kernel plays its other plays by the total's row), so a
        pair keeps only the changes between splitting and the chart's other play."""
        if self.chart not in self.plays:
            return []
        at = self.plays.index(self.chart)
        out = []
        for other, direction, change in (
            (at + 1, "at_or_above", at),
            (at - 1, "below", at - 1),
        ):
            if not 0 <= other < len(self.plays):
                continue
            action = self.plays[other]
            n = _integer(self.changes[change], running)
            if "," in self.hand:
                if SPLIT not in (action, self.chart):
                    continue
                if action != SPLIT:  # not splitting beyond the change: split on the other side
                    action, direction = (
                        SPLIT,
                        "below" if direction == "at_or_above" else "at_or_above",
                    )
            out.append(self._play(action, direction, n))
        return out

    def _play(self, action: str, direction: str, n: int) -> dict[str, Any]:
        return {"hand": self.hand, "dealer_up": self.dealer_up, "action": action, direction: n}

    def to_dict(self, running: bool) -> dict[str, Any]:
        return {
            "hand": self.hand,
            "dealer_up": self.dealer_up,
            "chart": self.chart,
            "plays": list(self.plays),
            "changes": [round(x, 3) for x in self.changes],
            "text": self.text(running),
            "never_changes": self.never_changes,
        }


def _integer(x: float, running: bool) -> int:
    return running_index(x) if running else nearest_index(x)


@dataclass
class IndexTable:
    """Every cell by section (hard, soft, pairs), the counts it was computed over."""

    system: str
    running: bool
    counts: tuple[float, ...]
    decks_remaining: float
    cells: dict[str, list[Cell]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "count": "running" if self.running else "true",
            "counts": [round(c, 3) for c in self.counts],
            "decks_remaining": self.decks_remaining,
            "sections": {
                name: [cell.to_dict(self.running) for cell in cells]
                for name, cells in self.cells.items()
            },
        }

    def deviations(self) -> list[dict[str, Any]]:
        return [
            d for cells in self.cells.values() for c in cells for d in c.deviations(self.running)
        ]


def count_grid(rules: Rules, count: CountSystem, depth: Depth) -> tuple[float, ...]:
    """True counts −10..+10; for a running count, 21 counts from the neutral count of the mean
    depth less 10 × that depth to the same plus it."""
    if count.balanced:
        return tuple(float(c) for c in TRUE_COUNTS)
    mean = depth.mean if isinstance(depth, ShoeDepths) else depth
    middle = count_spread(count, rules.decks, mean)[0]
    return tuple(round(middle + c * mean, 6) for c in TRUE_COUNTS)


def _hand_options(
    rules: Rules, count: CountSystem, i: int, j: int, up: int, value: float, depth: Depth
) -> tuple[dict[str, float], float] | None:
    """Every option's full-round value for first cards i, j against ``up`` at a count, and its
    weight (the chance of the count, over the shoe's depths); None where it is impossible."""
    total: dict[str, float] = {}
    weight = 0.0
    for seen, chance in known_cards(count, rules.decks, (i, j, up - 1)):
        try:
            shoes = shoes_at(count, rules.decks, depth, value, seen)
        except ValueError as exc:
            if not _impossible(exc):
                raise
            continue
        for left, w in shoes:
            options = UpcardGame(rules, rank_counts(left + seen), up).all_options(i, j)
            for name, v in options.items():
                total[name] = total.get(name, 0.0) + chance * w * v
            weight += chance * w
    if weight <= 0.0:
        return None
    return {name: v / weight for name, v in total.items()}, weight


def index_table(
    rules: Rules,
    count: CountSystem,
    decks_remaining: Depth | None = None,
    up_cards: Sequence[str] = UP_CARDS,
) -> IndexTable:
    """The full table of ``count`` under ``rules`` (see the module docstring), for every up
    card or those of ``up_cards``."""
    if rules.infinite_deck:
        raise ValueError("an infinite deck has no count: its composition never changes")
    depth = default_depth(rules, count) if decks_remaining is None else decks_remaining
    counts = count_grid(rules, count, depth)
    chart = basic_chart(rules)
    tables = decision_tables(chart, rules)
    pairs = tables[1]
    shoe = full_shoe(rules)
    table = IndexTable(
        count.label,
        count.counts_running,
        counts,
        depth.mean if isinstance(depth, ShoeDepths) else depth,
    )
    values: dict[tuple[int, int, int], list[tuple[dict[str, float], float] | None]] = {}
    ups = [(up, name) for up, name in zip(UP_VALUES, UP_CARDS, strict=True) if name in up_cards]
    for up, _ in ups:
        for i in range(10):
            for j in range(i, 10):
                if not is_natural(i, j):
                    values[i, j, up] = [
                        _hand_options(rules, count, i, j, up, c, depth) for c in counts
                    ]
    for section, rows in SECTIONS.items():
        cells = []
        for hand in rows:
            for up, up_name in ups:
                hands = _hands(hand)
                if section == "pairs":
                    if rules.max_split_hands < 2:
                        continue
                else:  # a pair the chart splits never meets its total's plays
                    hands = [
                        (i, j) for i, j in hands if i != j or pairs[k.CTX_FIRST, i + 1, up] != 1
                    ]
                if not hands:
                    continue
                chart_play = _chart_play(tables, section, hand, up)
                cell = _cell(shoe, chart_play, section, hand, up, up_name, hands, values, counts)
                if cell is not None:
                    cells.append(cell)
        table.cells[section] = cells
    return table


def _cell(
    shoe: np.ndarray,
    chart_play: str,
    section: str,
    hand: str,
    up: int,
    up_name: str,
    hands: list[tuple[int, int]],
    values: dict[tuple[int, int, int], list[tuple[dict[str, float], float] | None]],
    counts: tuple[float, ...],
) -> Cell | None:
    """A cell's plays by count from its hands' values."""
    left = shoe.copy()
    left[up - 1] -= 1
    chances = np.array([left[i] * (left[j] - (i == j)) * (1 if i == j else 2) for i, j in hands])
    chances = chances / chances.sum()
    per_count: list[dict[str, float] | None] = []
    for n in range(len(counts)):
        total: dict[str, float] = {}
        weight = 0.0
        for (i, j), chance in zip(hands, chances, strict=True):
            found = values[i, j, up][n]
            if found is None:
                continue
            options, w = found
            for name, v in options.items():
                if section != "pairs" and name == SPLIT:
                    continue
                total[name] = total.get(name, 0.0) + chance * w * v
            weight += chance * w
        per_count.append({name: v / weight for name, v in total.items()} if weight > 0 else None)
    known = [(c, v) for c, v in zip(counts, per_count, strict=True) if v is not None]
    if not known:
        return None
    plays = [max(v, key=v.__getitem__) for _, v in known]
    out_plays = [plays[0]]
    changes: list[float] = []
    for n in range(1, len(known)):
        if plays[n] == out_plays[-1]:
            continue
        (c0, v0), (c1, v1) = known[n - 1], known[n]
        a, b = out_plays[-1], plays[n]
        f0, f1 = v0[b] - v0[a], v1[b] - v1[a]
        x = c0 + (c1 - c0) * (-f0 / (f1 - f0)) if f1 != f0 else c1
        changes.append(x)
        out_plays.append(b)
    return Cell(hand, up_name, chart_play, tuple(out_plays), tuple(changes))


def _chart_play(tables: tuple[np.ndarray, np.ndarray], section: str, hand: str, up: int) -> str:
    """The chart's first play for a cell (its decision tables), as the analyzer names it."""
    dec, pairs = tables
    if section == "pairs":
        card = 1 if hand.startswith("A") else int(hand.split(",")[0])
        if pairs[k.CTX_FIRST, card, up] == k.PAIR_SPLIT:
            return "split"
        total = 12 if card == 1 else 2 * card
        value, soft = hand_value(2 if card == 1 else total, card == 1)
    elif section == "soft":
        value, soft = (12 if hand == "AA" else 11 + int(hand[1:])), True
    else:
        value, soft = int(hand), False
    action = int(dec[k.CTX_FIRST, int(soft), value, up])
    return {k.A_HIT: "hit", k.A_STAND: "stand", k.A_DOUBLE: "double"}.get(action, "surrender")
