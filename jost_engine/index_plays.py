"""Index plays: the named sets and custom deviations, resolved into small tables for the kernel.

An index play changes one basic-strategy decision at a true-count threshold, in both
directions: ``{"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0}`` means
stand at a true count of 0 or more, and below it play 16 v 10 *without* standing (the chart's
play, or, when the chart itself says stand, its alternative: hit). Surrender indices are decided
first; the other index plays then decide among the remaining plays.

The named sets here are Hi-Lo's (`hi_lo_sets`); a game with another count plays the same plays
with that count's numbers (`NamedSets`, computed by `jost_engine.analysis.index_sets` and handed
to `index_tables` by `jost_engine.table`), unless ``strategy.index_numbers`` says ``"hi_lo"``.

The kernel reads the count for index plays once per round, after the deal: every card of
earlier rounds plus the cards face up on the table (the dealer's hole card excluded); a true
count for a balanced system, the running count for an unbalanced one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.config import Config, Deviation, Rules
from jost_engine.config.relations import play_problem
from jost_engine.strategy import (
    chart_row,
    may_double_on,
    resolve_token,
)

# Hi-Lo index plays for shoe games (4-8 decks, dealer stands on soft 17), as published by
# Don Schlesinger, "Blackjack Attack" (3rd ed., 2005), ch. 5: the Illustrious 18 (its first
# member, insurance at +3, is the insurance index) and the Fab 4 late-surrender indices.
# Games of three or more decks play these (`named_set`); one- and two-deck games play the
# computed sets below.
ILLUSTRIOUS_18: tuple[dict[str, Any], ...] = (
    {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0},
    {"hand": "15", "dealer_up": "10", "action": "stand", "at_or_above": 4},
    {"hand": "10,10", "dealer_up": "5", "action": "split", "at_or_above": 5},
    {"hand": "10,10", "dealer_up": "6", "action": "split", "at_or_above": 4},
    {"hand": "10", "dealer_up": "10", "action": "double", "at_or_above": 4},
    {"hand": "12", "dealer_up": "3", "action": "stand", "at_or_above": 2},
    {"hand": "12", "dealer_up": "2", "action": "stand", "at_or_above": 3},
    {"hand": "11", "dealer_up": "A", "action": "double", "at_or_above": 1},
    {"hand": "9", "dealer_up": "2", "action": "double", "at_or_above": 1},
    {"hand": "10", "dealer_up": "A", "action": "double", "at_or_above": 4},
    {"hand": "9", "dealer_up": "7", "action": "double", "at_or_above": 3},
    {"hand": "16", "dealer_up": "9", "action": "stand", "at_or_above": 5},
    {"hand": "13", "dealer_up": "2", "action": "stand", "at_or_above": -1},
    {"hand": "12", "dealer_up": "4", "action": "stand", "at_or_above": 0},
    {"hand": "12", "dealer_up": "5", "action": "stand", "at_or_above": -2},
    {"hand": "12", "dealer_up": "6", "action": "stand", "at_or_above": -1},
    {"hand": "13", "dealer_up": "3", "action": "stand", "at_or_above": -2},
)
ILLUSTRIOUS_18_INSURANCE = 3.0
FAB_4: tuple[dict[str, Any], ...] = (
    {"hand": "14", "dealer_up": "10", "action": "surrender", "at_or_above": 3},
    {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": 0},
    {"hand": "15", "dealer_up": "9", "action": "surrender", "at_or_above": 2},
    {"hand": "15", "dealer_up": "A", "action": "surrender", "at_or_above": 1},
)

# One- and two-deck sets: COMPUTED, NOT PUBLISHED (no published single- or double-deck values
# could be checked). The same plays as the shoe sets, their thresholds computed by
# `jost_engine.analysis.indices.computed_sets(decks)` with the exact analyzer: the expected shoe
# at each Hi-Lo true count (linear regression on the playing count, which includes the hand and
# the up card), half the cards left (0.5 deck of one deck, 1 deck of two), two-card hands,
# the real crossing rounded to the nearest integer (deviate at true count >= n, for the
# kernel's floored count). Rules: COMPUTED_SET_RULES, the Fab 4 with late surrender added. The
# same method gives the published shoe set within one true count (tests/engine/
# test_indices.py, docs/methodology.md); the tests recompute these constants exactly.
COMPUTED_SET_RULES: dict[int, dict[str, Any]] = {
    1: {"decks": 1, "dealer_hits_soft_17": True, "double_after_split": False, "surrender": "none"},
    2: {"decks": 2, "dealer_hits_soft_17": True, "double_after_split": True, "surrender": "none"},
}
ILLUSTRIOUS_18_SINGLE_DECK: tuple[dict[str, Any], ...] = (
    {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 2},
    {"hand": "15", "dealer_up": "10", "action": "stand", "at_or_above": 3},
    {"hand": "10,10", "dealer_up": "5", "action": "split", "at_or_above": 6},
    {"hand": "10,10", "dealer_up": "6", "action": "split", "at_or_above": 6},
    {"hand": "10", "dealer_up": "10", "action": "double", "at_or_above": 2},
    {"hand": "12", "dealer_up": "3", "action": "stand", "at_or_above": 3},
    {"hand": "12", "dealer_up": "2", "action": "stand", "at_or_above": 5},
    {"hand": "11", "dealer_up": "A", "action": "double", "at_or_above": -4},
    {"hand": "9", "dealer_up": "2", "action": "double", "at_or_above": 1},
    {"hand": "10", "dealer_up": "A", "action": "double", "at_or_above": 0},
    {"hand": "9", "dealer_up": "7", "action": "double", "at_or_above": 3},
    {"hand": "16", "dealer_up": "9", "action": "stand", "at_or_above": 7},
    {"hand": "13", "dealer_up": "2", "action": "stand", "at_or_above": 0},
    {"hand": "12", "dealer_up": "4", "action": "stand", "at_or_above": 1},
    {"hand": "12", "dealer_up": "5", "action": "stand", "at_or_above": 0},
    {"hand": "12", "dealer_up": "6", "action": "stand", "at_or_above": -2},
    {"hand": "13", "dealer_up": "3", "action": "stand", "at_or_above": -1},
)
ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK = 1.0
FAB_4_SINGLE_DECK: tuple[dict[str, Any], ...] = (
    {"hand": "14", "dealer_up": "10", "action": "surrender", "at_or_above": 3},
    {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": -1},
    {"hand": "15", "dealer_up": "9", "action": "surrender", "at_or_above": 3},
    {"hand": "15", "dealer_up": "A", "action": "surrender", "at_or_above": -3},
)
ILLUSTRIOUS_18_DOUBLE_DECK: tuple[dict[str, Any], ...] = (
    {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 1},
    {"hand": "15", "dealer_up": "10", "action": "stand", "at_or_above": 3},
    {"hand": "10,10", "dealer_up": "5", "action": "split", "at_or_above": 5},
    {"hand": "10,10", "dealer_up": "6", "action": "split", "at_or_above": 5},
    {"hand": "10", "dealer_up": "10", "action": "double", "at_or_above": 3},
    {"hand": "12", "dealer_up": "3", "action": "stand", "at_or_above": 2},
    {"hand": "12", "dealer_up": "2", "action": "stand", "at_or_above": 4},
    {"hand": "11", "dealer_up": "A", "action": "double", "at_or_above": -2},
    {"hand": "9", "dealer_up": "2", "action": "double", "at_or_above": 1},
    {"hand": "10", "dealer_up": "A", "action": "double", "at_or_above": 2},
    {"hand": "9", "dealer_up": "7", "action": "double", "at_or_above": 3},
    {"hand": "16", "dealer_up": "9", "action": "stand", "at_or_above": 6},
    {"hand": "13", "dealer_up": "2", "action": "stand", "at_or_above": -1},
    {"hand": "12", "dealer_up": "4", "action": "stand", "at_or_above": 0},
    {"hand": "12", "dealer_up": "5", "action": "stand", "at_or_above": -1},
    {"hand": "12", "dealer_up": "6", "action": "stand", "at_or_above": -3},
    {"hand": "13", "dealer_up": "3", "action": "stand", "at_or_above": -2},
)
ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK = 2.0
FAB_4_DOUBLE_DECK: tuple[dict[str, Any], ...] = (
    {"hand": "14", "dealer_up": "10", "action": "surrender", "at_or_above": 3},
    {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": -1},
    {"hand": "15", "dealer_up": "9", "action": "surrender", "at_or_above": 2},
    {"hand": "15", "dealer_up": "A", "action": "surrender", "at_or_above": -2},
)

NAMED_SETS = {"illustrious_18": ILLUSTRIOUS_18, "fab_4": FAB_4}  # the published shoe sets
NAMED_SETS_BY_DECKS = {
    1: {"illustrious_18": ILLUSTRIOUS_18_SINGLE_DECK, "fab_4": FAB_4_SINGLE_DECK},
    2: {"illustrious_18": ILLUSTRIOUS_18_DOUBLE_DECK, "fab_4": FAB_4_DOUBLE_DECK},
}
INSURANCE_BY_DECKS = {
    1: ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK,
    2: ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK,
}


def named_set(name: str, decks: int) -> tuple[dict[str, Any], ...]:
    """A Hi-Lo named set for a game of ``decks``: the computed one- or two-deck set, else the
    published shoe set (its values hold for 4-8 decks; three decks are nearer those than
    two)."""
    return NAMED_SETS_BY_DECKS.get(decks, NAMED_SETS)[name]


def named_insurance_index(decks: int) -> float:
    """The Illustrious 18's Hi-Lo insurance index for a game of ``decks`` (see `named_set`)."""
    return INSURANCE_BY_DECKS.get(decks, ILLUSTRIOUS_18_INSURANCE)


def unplayable_named_plays(config: Config) -> list[str]:
    """Warnings for the plays of a named set that these rules never allow (the I18's pair of
    ten splits without splitting, its 9 doubles where only 10 and 11 double, its insurance
    index with no insurance): the set still plays the rest, so these are not errors."""
    names = {"illustrious_18": "Illustrious 18", "fab_4": "Fab 4"}
    notes = []
    for name in dict.fromkeys(d for d in config.strategy.deviations if isinstance(d, str)):
        if name not in names:
            continue
        reasons: dict[str, list[str]] = {}
        for play in named_set(name, config.rules.decks):
            reason = play_problem(play["hand"], play["action"], config.rules)
            if reason is not None:
                reasons.setdefault(reason, []).append(f"{play['hand']} v {play['dealer_up']}")
        for reason, hands in reasons.items():
            verb = "plays" if len(hands) == 1 else "play"
            notes.append(f"the {names[name]}'s {', '.join(hands)} never {verb}: {reason}")
        if name == "illustrious_18" and not config.rules.insurance_offered:
            notes.append(
                "the Illustrious 18's insurance index never plays: rules.insurance_offered false"
            )
    return notes


@dataclass(frozen=True)
class NamedSets:
    """What the named sets stand for in one game: the plays of each set (in `Deviation`'s
    form) and the Illustrious 18's insurance index, with where the numbers come from."""

    plays: Mapping[str, tuple[dict[str, Any], ...]]
    insurance: float | None
    source: str


def hi_lo_sets(decks: int) -> NamedSets:
    """The Hi-Lo sets for a game of ``decks`` (`named_set`): published for three decks or
    more, computed for one and two."""
    source = "published (Blackjack Attack)" if decks >= 3 else "computed (COMPUTED_SET_RULES)"
    return NamedSets(
        {name: named_set(name, decks) for name in NAMED_SETS},
        named_insurance_index(decks),
        f"Hi-Lo, {source}",
    )


ACTIONS = {"hit": k.A_HIT, "stand": k.A_STAND, "double": k.A_DOUBLE, "surrender": k.A_SURRENDER}
CONTINUE = -1  # a surrender index that does not fire hands the decision to the next index


@dataclass(frozen=True)
class IndexTables:
    """``dev_first[cell]`` / ``pair_first[cell]``: the first index of a decision cell (or -1);
    ``devs[4 d: 4 d + 4]`` = threshold, action at or above it, action below it, next index."""

    dev_first: np.ndarray
    pair_first: np.ndarray
    devs: np.ndarray
    insurance_index: float | None

    @property
    def active(self) -> bool:
        return self.devs.size > 0


def index_plays(config: Config, sets: NamedSets | None = None) -> list[Deviation]:
    """The config's index plays, named sets expanded (``sets``, by default the Hi-Lo ones for
    its number of decks, `hi_lo_sets`), in the order given."""
    named = hi_lo_sets(config.rules.decks) if sets is None else sets
    plays: list[Deviation] = []
    for item in config.strategy.deviations:
        if isinstance(item, str):
            plays.extend(Deviation(**_play(play)) for play in named.plays[item])
        else:
            plays.append(item)
    return plays


def _play(play: dict[str, Any]) -> dict[str, Any]:
    """A stored play less what is not `Deviation`'s (a computed set keeps its crossing)."""
    return {key: v for key, v in play.items() if key != "crossing"}


def insurance_index(config: Config, sets: NamedSets | None = None) -> float | None:
    """The insurance index: the config's, else the Illustrious 18's (``sets``, by default
    the Hi-Lo one for its number of decks: +3 in a shoe) when they are played."""
    if config.strategy.take_insurance_at_true_count is not None:
        return config.strategy.take_insurance_at_true_count
    if "illustrious_18" in config.strategy.deviations:
        return (hi_lo_sets(config.rules.decks) if sets is None else sets).insurance
    return None


def _cell(hand: str) -> tuple[str, int, int]:
    """(chart section, soft flag, value) of a deviation hand; pairs give (pairs, card, 0)."""
    if "," in hand:
        card = hand.split(",")[0]
        return "pairs", 1 if card == "A" else int(card), 0
    if hand.startswith("A"):
        return "soft", 1, 12 if hand == "AA" else 11 + int(hand[1:])
    return "hard", 0, int(hand)


def _threshold(play: Deviation) -> tuple[int, bool]:
    """Integer threshold t such that the deviation fires at tc >= t (or tc < t for 'below')."""
    if play.at_or_above is not None:
        return math.ceil(play.at_or_above), True
    assert play.below is not None  # the model requires exactly one of the two
    return math.ceil(play.below), False


def _without(token: str, may_double: bool, may_surrender: bool, excluded: int) -> int:
    """The chart's play when ``excluded`` is ruled out by an index that did not fire."""
    play = resolve_token(token, may_double, may_surrender)
    if play != excluded:
        return play
    if excluded == k.A_SURRENDER:
        return resolve_token(token, may_double, False)
    if excluded == k.A_DOUBLE:
        return resolve_token(token, False, may_surrender)
    return k.A_HIT if excluded == k.A_STAND else k.A_STAND


def index_tables(
    config: Config, chart: Any, rules: Rules, sets: NamedSets | None = None
) -> IndexTables:
    """Resolve the config's index plays (named sets as ``sets`` has them, by default Hi-Lo's)
    against the chart and rules for every context."""
    plays = index_plays(config, sets)
    dev_first = np.full(3 * 2 * 22 * 11, -1, dtype=np.int64)
    pair_first = np.full(2 * 11 * 11, -1, dtype=np.int64)
    rows: list[list[int]] = []
    surrender_ok = rules.surrender != "none"

    def add(threshold: int, above: bool, action: int, otherwise: int) -> int:
        hi, lo = (action, otherwise) if above else (otherwise, action)
        rows.append([threshold, hi, lo, -1])
        return len(rows) - 1

    cells: dict[tuple[Any, ...], list[Deviation]] = {}
    for play in plays:
        section, soft_or_card, value = _cell(play.hand)
        cells.setdefault((section, soft_or_card, value, play.dealer_up), []).append(play)

    for (section, soft_or_card, value, up_key), group in cells.items():
        up = 1 if up_key == "A" else int(up_key)
        column = 9 if up == 1 else up - 2
        if section == "pairs":
            for ctx in (k.CTX_FIRST, k.CTX_SPLIT):
                splits = [p for p in group if p.action == "split"]
                if not splits:
                    continue
                threshold, above = _threshold(splits[0])
                index = add(threshold, above, k.PAIR_SPLIT, 0)
                pair_first[k.pair_index(ctx, soft_or_card, up)] = index
            continue
        token = chart_row(chart, section, str(value))[column]
        soft = soft_or_card
        for ctx in (k.CTX_FIRST, k.CTX_SPLIT, k.CTX_LATER):
            may_double = (
                ctx == k.CTX_FIRST or (ctx == k.CTX_SPLIT and rules.double_after_split)
            ) and may_double_on(rules, bool(soft), value)
            may_surrender = ctx == k.CTX_FIRST and surrender_ok
            usable = [
                p
                for p in group
                if (p.action != "double" or may_double)
                and (p.action != "surrender" or may_surrender)
            ]
            # surrender is decided first; the other indices decide among what remains. Where
            # the chart surrenders and no surrender index says otherwise, the hand surrenders.
            usable.sort(key=lambda p: p.action != "surrender")
            chart_surrenders = resolve_token(token, may_double, may_surrender) == k.A_SURRENDER
            if chart_surrenders and not any(p.action == "surrender" for p in usable):
                usable = []
            if not usable:
                continue
            previous = -1
            surrendered_before = False
            for n, play in enumerate(usable):
                action = ACTIONS[play.action]
                threshold, above = _threshold(play)
                last = n == len(usable) - 1
                if last:
                    otherwise = _without(
                        token, may_double, may_surrender and not surrendered_before, action
                    )
                else:
                    otherwise = CONTINUE
                index = add(threshold, above, action, otherwise)
                if previous < 0:
                    dev_first[k.decision_index(ctx, soft, value, up)] = index
                else:
                    rows[previous][3] = index
                previous = index
                surrendered_before = surrendered_before or action == k.A_SURRENDER
    devs = np.array(rows, dtype=np.int64).reshape(-1) if rows else np.zeros(0, dtype=np.int64)
    return IndexTables(dev_first, pair_first, devs, insurance_index(config, sets))
