"""Counting systems: the tag each card carries, by the names in docs/config.md.

Tags are kept as integers times a denominator (2 for Wong Halves' half points) so the running
count is exact. Red 7 counts red sevens only, so tags belong to physical cards, not ranks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

RANKS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")

# Tags by rank for each named system (published tag tables; Red 7's seven is the red one).
SYSTEM_TAGS: dict[str, dict[str, float]] = {
    "hi_lo": {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 0, "8": 0, "9": 0, "10": -1, "A": -1},
    "ko": {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0, "10": -1, "A": -1},
    "hi_opt_1": {"2": 0, "3": 1, "4": 1, "5": 1, "6": 1, "7": 0, "8": 0, "9": 0, "10": -1, "A": 0},
    "hi_opt_2": {"2": 1, "3": 1, "4": 2, "5": 2, "6": 1, "7": 1, "8": 0, "9": 0, "10": -2, "A": 0},
    "omega_2": {"2": 1, "3": 1, "4": 2, "5": 2, "6": 2, "7": 1, "8": 0, "9": -1, "10": -2, "A": 0},
    "zen": {"2": 1, "3": 1, "4": 2, "5": 2, "6": 2, "7": 1, "8": 0, "9": 0, "10": -2, "A": -1},
    "wong_halves": {
        "2": 0.5,
        "3": 1,
        "4": 1,
        "5": 1.5,
        "6": 1,
        "7": 0.5,
        "8": 0,
        "9": -0.5,
        "10": -1,
        "A": -1,
    },
    "red_7": {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0, "10": -1, "A": -1},
}


@dataclass(frozen=True)
class CountTags:
    """Integer tags per rank plus the red-seven rule, ready for the kernel."""

    name: str
    by_rank: dict[str, int]  # tag times `denominator`
    denominator: int
    balanced: bool
    red_sevens_only: bool  # Red 7: only the two red sevens of each deck carry the "7" tag

    def tag(self, value: int, red: bool) -> int:
        """Tag of a card by value (1 = ace, 10 = any ten) and colour."""
        rank = "A" if value == 1 else str(value)
        if value == 7 and self.red_sevens_only and not red:
            return 0
        return self.by_rank[rank]


def standard_irc(name: str, decks: int) -> float:
    """The published initial running count of an unbalanced system (Vancura & Fuchs for KO,
    whose key counts assume it; Snyder for Red 7); 0 for the rest."""
    if name == "ko":
        return 4 - 4 * decks
    if name == "red_7":
        return -2 * decks
    return 0


class _Tagged(Protocol):
    """A custom tag table as the config holds it (`jost_engine.config.CustomTags`)."""

    @property
    def tags(self) -> Mapping[str, float]: ...


def count_tags(system: str | Mapping[str, Any] | _Tagged) -> CountTags:
    """Tags for a named system or a custom ``{"tags": {...}}`` table."""
    if isinstance(system, str):
        name, raw = system, SYSTEM_TAGS[system]
    else:
        tags = system["tags"] if isinstance(system, Mapping) else system.tags
        name, raw = "custom", {str(key): float(v) for key, v in dict(tags).items()}
    fractions = {rank: Fraction(raw[rank]).limit_denominator(2) for rank in RANKS}
    den = 2 if any(f.denominator == 2 for f in fractions.values()) else 1
    by_rank = {rank: int(f * den) for rank, f in fractions.items()}
    red7 = name == "red_7"
    # per deck: four of each rank 2-9 and A, sixteen tens; Red 7 counts two sevens of four
    deck_sum = sum(4 * v for r, v in by_rank.items() if r != "10") + 16 * by_rank["10"]
    if red7:
        deck_sum -= 2 * by_rank["7"]
    return CountTags(name, by_rank, den, deck_sum == 0, red7)
