"""The exact value of a whole round: every up card, every first two cards, each played best
(composition-dependent) or by a chart exactly as the simulator plays it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine import _kernel as k
from jost_engine.analysis.hand_values import (
    EMPTY,
    Policy,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
)
from jost_engine.config import Rules

UP_CARDS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 1)  # chart column order: 2..10, then the ace


def full_shoe(rules: Rules) -> np.ndarray:
    """Cards per rank index (ace, 2..9, ten-value); proportions for an infinite deck."""
    if rules.infinite_deck:
        return np.array([1.0] * 9 + [4.0]) / 13.0
    return np.array([4.0] * 9 + [16.0]) * rules.decks


def up_card_chances(shoe: np.ndarray) -> Iterator[tuple[int, float]]:
    n = shoe.sum()
    for up in UP_CARDS:
        yield up, float(shoe[up - 1] / n)


def is_natural(i: int, j: int) -> bool:
    return {i, j} == {0, 9}


def chart_round_value(game: UpcardGame, i: int, j: int) -> float:
    """One round's value for first cards i, j when the policy is played exactly."""
    removal = add_card(add_card(EMPTY, i), j)
    if is_natural(i, j):
        return game.natural_value(removal)
    policy = game.policy
    assert policy is not None
    rules = game.rules
    up = game.up
    total, ace = hand_of(removal)
    value, soft = hand_value(total, ace)
    pair = i == j and rules.max_split_hands > 1
    pa = int(policy.pairs[k.CTX_FIRST, i + 1, up]) if pair else 0
    if rules.surrender == "early":
        if pair and pa != 0:
            early_out = pa == k.PAIR_SURRENDER
        else:
            early_out = policy.dec[k.CTX_FIRST, int(soft), value, up] == k.A_SURRENDER
        if early_out:
            return -0.5
    if pa == k.PAIR_SPLIT:
        return game.full_value(removal, game.split(i))
    if pa == k.PAIR_SURRENDER and rules.surrender == "late":
        return game.full_value(removal, game.surrender(removal))
    return game.full_value(removal, game._play_two(removal, k.CTX_FIRST, total, ace))


def best_round_value(game: UpcardGame, i: int, j: int) -> tuple[str, float]:
    """The composition-dependent best option and its value for first cards i, j."""
    removal = add_card(add_card(EMPTY, i), j)
    if is_natural(i, j):
        return "blackjack", game.natural_value(removal)
    options = game.all_options(i, j)
    best = max(options, key=options.__getitem__)
    return best, options[best]


@dataclass(frozen=True)
class GameValue:
    ev: float  # expected return per initial bet
    by_up: dict[int, float]  # expected return given each up card


def game_value(
    rules: Rules,
    policy: Policy | None = None,
    shoe: np.ndarray | None = None,
    dealer_memos: dict[int, Any] | None = None,
) -> GameValue:
    """Exact expected return of a round off the top of a full shoe.

    ``policy`` None plays every two-card hand composition-dependently best; a policy plays the
    chart exactly as the simulator does. ``shoe`` (cards per rank index) replaces the full shoe,
    e.g. to measure the effect of removing a card. ``dealer_memos`` (per up card, from
    `new_dealer_memo`) lets several analyses of the same shoe share the dealer's odds.
    """
    shoe = full_shoe(rules) if shoe is None else np.asarray(shoe, dtype=np.float64)
    by_up = {}
    ev = 0.0
    for up, p_up in up_card_chances(shoe):
        memo = dealer_memos.get(up) if dealer_memos is not None else None
        game = UpcardGame(rules, shoe, up, policy, dealer_memo=memo)
        value = 0.0
        for i, j, p in game.two_card_hands:
            if policy is None:
                value += p * best_round_value(game, i, j)[1]
            else:
                value += p * chart_round_value(game, i, j)
        by_up[up] = value
        ev += p_up * value
    return GameValue(ev, by_up)
