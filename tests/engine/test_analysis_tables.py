"""The dense hand tables of the analyzer (`_kernels.fill_table`) give the recursive kernels'
values to the last bit, and dealer memos shared across the effects-of-removal shoes change
nothing."""

from __future__ import annotations

import numpy as np
import pytest

from jost_engine.analysis import _kernels, effects_of_removal
from jost_engine.analysis.basic_strategy import generate_chart
from jost_engine.analysis.game_value import full_shoe, game_value
from jost_engine.analysis.hand_values import (
    EMPTY,
    Policy,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
)
from jost_engine.config import Rules
from jost_engine.strategy import decision_tables


def _recursive(game: UpcardGame, removal: tuple[int, ...], total: int, ace: bool):
    """(hit, hit², double, double²) by the recursive kernels, with memos of their own (the
    dealer's odds one shoe at a time, not in blocks)."""
    graph = (*game._memo[:3], _kernels.new_memo())
    memo = _kernels.new_memo()
    hit = _kernels.hit_value(
        *game._args(removal), total, ace, game._up_info, game._late, *graph, memo
    )
    dbl = _kernels.double_value(*game._args(removal), total, ace, game._up_info, *graph)
    return (*hit, *dbl)


def _games(rules: Rules, shoe: np.ndarray, ups: tuple[int, ...]):
    chart, _ = generate_chart(rules)
    policy = Policy(*decision_tables(chart, rules))
    for up in ups:
        for pol in (None, policy):
            yield UpcardGame(rules, shoe, up, pol)


@pytest.mark.parametrize(
    "rules",
    [
        Rules(decks=1, dealer_hits_soft_17=True),
        Rules(decks=2, dealer_peeks=False, dealer_blackjack_takes="all_bets"),
        Rules(infinite_deck=True),
    ],
)
def test_tables_match_the_recursion(rules: Rules) -> None:
    shoe = full_shoe(rules)
    if not rules.infinite_deck:
        shoe = shoe - np.array([1, 0, 2, 0, 1, 0, 0, 1, 0, 3])  # a dealt-into shoe
    for game in _games(rules, shoe, (1, 6, 10)):
        for i, j, _ in game.two_card_hands:
            removal = add_card(add_card(EMPTY, i), j)
            total, ace = hand_of(removal)
            if hand_value(total, ace)[0] >= 21:
                continue
            tabled = (*game._hit_pair(removal, total, ace), *game._double_pair(removal, total, ace))
            assert tuple(map(float, tabled)) == tuple(
                map(float, _recursive(game, removal, total, ace))
            )
            # a split hand: the other hand's pair card is out too
            split_removal = add_card(removal, i)
            tabled = (
                *game._hit_pair(split_removal, total, ace, removal),
                *game._double_pair(split_removal, total, ace, removal),
            )
            expected = _recursive(game, split_removal, total, ace)
            assert tuple(map(float, tabled)) == tuple(map(float, expected))


def test_shared_dealer_memos_change_no_effect_of_removal() -> None:
    rules = Rules(decks=1, surrender="none")
    shared = effects_of_removal(rules)  # one dealer memo per up card for all eleven shoes
    shoe = full_shoe(rules)
    base = game_value(rules, shoe=shoe).ev
    for r, (name, value) in enumerate(shared.items()):
        smaller = shoe.copy()
        smaller[r] -= 1
        assert value == game_value(rules, shoe=smaller).ev - base, name
