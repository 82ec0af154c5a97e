"""The exact value of a whole round: every up card, every first two cards, each played best
(composition-dependent) or by a chart exactly as the simulator plays it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis.hand_values import (
    EMPTY,
    SPLIT,
    SURRENDER,
    Policy,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
)
from jost_engine.chart_vocabulary import UP_VALUES
from jost_engine.config import Rules


def full_shoe(rules: Rules) -> np.ndarray:
    """Cards per rank index (ace, 2..9, ten-value); proportions for an infinite deck."""
    if rules.infinite_deck:
        return np.array([1.0] * 9 + [4.0]) / 13.0
    return np.array([4.0] * 9 + [16.0]) * rules.decks


def up_card_chances(shoe: np.ndarray) -> Iterator[tuple[int, float]]:
    n = shoe.sum()
    for up in UP_VALUES:
        yield up, float(shoe[up - 1] / n)


def is_natural(i: int, j: int) -> bool:
    return {i, j} == {0, 9}


def chart_round_value(game: UpcardGame, i: int, j: int) -> tuple[str, float]:
    """One round's option and value for first cards i, j when the policy is played exactly."""
    removal = add_card(add_card(EMPTY, i), j)
    if is_natural(i, j):
        return "blackjack", game.natural_value(removal)
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
            return SURRENDER, -0.5
    if pa == k.PAIR_SPLIT:
        return SPLIT, game.full_value(removal, game.split(i))
    if pa == k.PAIR_SURRENDER and rules.surrender == "late":
        return SURRENDER, game.full_value(removal, game.surrender(removal))
    option = game.choose_two(removal, k.CTX_FIRST, total, ace)
    return option, game.full_value(removal, game._play_two(removal, k.CTX_FIRST, total, ace))


def round_moment2(game: UpcardGame, i: int, j: int, option: str) -> float:
    """E[result²] of a round with first cards i, j played with ``option``."""
    removal = add_card(add_card(EMPTY, i), j)
    if option == "blackjack":
        return game.natural_value(removal) * game.rules.blackjack_payout
    if option == SURRENDER and game.flat_surrender:
        return 0.25
    if option == SPLIT:
        m2 = game.split_moment2(i)
    else:
        total, ace = hand_of(removal)
        m2 = game.moment2_of(option, removal, total, ace)
    if not game.conditioned:
        return m2
    b = game.dealer_blackjack_chance(removal)
    return b + (1.0 - b) * m2


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
    sd: float = float("nan")  # SD of a round's result (splits approximated, see round_moment2)


def game_value(
    rules: Rules,
    policy: Policy | None = None,
    shoe: np.ndarray | None = None,
    dealer_memos: dict[int, Any] | None = None,
    moments: bool = False,
) -> GameValue:
    """Exact expected return of a round off the top of a full shoe.

    ``policy`` None plays every two-card hand composition-dependently best; a policy plays the
    chart exactly as the simulator does. ``shoe`` (cards per rank index) replaces the full shoe,
    e.g. to measure the effect of removing a card. ``dealer_memos`` (per up card, from
    `new_dealer_memo`) lets several analyses of the same shoe share the dealer's odds.
    ``moments`` adds the SD of a round (exact but for split rounds, see `round_moment2`).
    """
    shoe = full_shoe(rules) if shoe is None else np.asarray(shoe, dtype=np.float64)
    by_up = {}
    ev = 0.0
    second = 0.0
    for up, p_up in up_card_chances(shoe):
        memo = dealer_memos.get(up) if dealer_memos is not None else None
        game = UpcardGame(rules, shoe, up, policy, dealer_memo=memo)
        if policy is None:  # every option of every hand: fill the tables in one pass
            game.prefill(
                EMPTY, [add_card(add_card(EMPTY, i), j) for i, j, _ in game.two_card_hands]
            )
        value = 0.0
        m2 = 0.0
        for i, j, p in game.two_card_hands:
            if policy is None:
                option, v = best_round_value(game, i, j)
            else:
                option, v = chart_round_value(game, i, j)
            value += p * v
            if moments:
                m2 += p * round_moment2(game, i, j, option)
        by_up[up] = value
        ev += p_up * value
        second += p_up * m2
    sd = float(np.sqrt(second - ev * ev)) if moments else float("nan")
    return GameValue(ev, by_up, sd)
