"""The rules of the game, one hand at a time, from stacked shoes.

Every scenario is dealt through both the compiled kernel and the plain-Python reference; both
must give the hand-computed result. Deal order: player, (other seats), dealer up card, player,
(other seats), dealer hole card (peek games only), then draws in playing order.
"""

from __future__ import annotations

import copy

import pytest

from jost_engine.config import default_config

from .stacked import play_kernel, play_reference

BASE = default_config().model_dump(mode="json")  # 6 decks, S17, DAS, late surrender, peek, 3:2


def game(**rules: object) -> dict:
    cfg = copy.deepcopy(BASE)
    cfg["rules"].update(rules)
    return cfg


def both(config: dict, cards: list, rounds: int = 1):
    kernel = play_kernel(config, cards, rounds)
    reference = play_reference(config, cards, rounds)
    assert kernel.nets == reference.nets
    assert kernel.pos == reference.pos
    return kernel


ALWAYS_DOUBLE_11 = {
    "name": "doubles 11 against anything",
    "hard": {str(t): " ".join(["S" if t >= 17 else "H"] * 9 + ["S" if t >= 17 else "H"])
             for t in range(4, 22)},
    "soft": {str(t): " ".join(["S" if t >= 19 else "H"] * 10) for t in range(12, 22)},
    "pairs": {p: " ".join(["H"] * 10) for p in ("2", "3", "4", "5", "6", "7", "8", "9")}
    | {"10": " ".join(["S"] * 10), "A": " ".join(["H"] * 10)},
}  # fmt: skip
ALWAYS_DOUBLE_11["hard"]["11"] = " ".join(["D"] * 10)


def test_split_aces_get_one_card_and_21_is_not_a_blackjack():
    # A,A vs 6: split; hands A,9 (20) and A,K (21). Dealer 6,10 draws 5: 21.
    played = both(game(), ["A", 6, "A", 10, 9, "K", 5])
    assert played.nets == [-1.0]  # 20 loses, the split 21 only pushes (not paid 3:2)
    assert played.counters["split_rounds"] == 1
    assert played.counters["hands"] == 2
    assert played.pos == 7


def test_split_aces_do_not_resplit_or_draw_without_the_rules():
    # A,A vs 7: the first split hand catches another ace and must stand on soft 12.
    no_rsa = both(game(resplit_aces=False), ["A", 7, "A", 10, "A", 9, 10])
    # hands: A,A (12) loses to 17, A,9 (20) wins; dealer 7,10 = 17 stands
    assert no_rsa.nets == [0.0]
    assert no_rsa.counters["hands"] == 2
    # with resplit aces the A,A is split again: three hands A,5 A,9 A,10 ... vs 17
    rsa = both(game(resplit_aces=True), ["A", 7, "A", 10, "A", 5, 9, 10])
    assert rsa.counters["hands"] == 3
    assert rsa.nets == [-1.0 + 1.0 + 1.0]  # A,5 (16) loses, A,9 (20) and A,10 (21) win


def test_hit_split_aces_plays_them_like_other_hands():
    # A,A vs 6 with hit split aces: A,2 (soft 13) doubles vs 6 per the chart, catches a 7.
    played = both(game(hit_split_aces=True), ["A", 6, "A", 10, 2, 7, 9, 10])
    # hand 1: A,2 doubled + 7 = 20 (2 units); hand 2: A,9 = 20 stands; dealer 6,10 + 10 busts
    assert played.nets == [3.0]
    assert played.counters["double"] == 1


def test_late_surrender_gives_back_half():
    played = both(game(surrender="late"), [10, 10, 6, 7])  # 16 vs 10, no dealer blackjack
    assert played.nets == [-0.5]
    assert played.counters["surrender"] == 1
    assert played.pos == 4  # the dealer draws nothing for a surrendered hand


def test_late_surrender_is_too_late_against_a_dealer_blackjack():
    assert both(game(surrender="late"), [10, "A", 6, 10]).nets == [-1.0]


def test_early_surrender_comes_before_the_dealer_checks():
    assert both(game(surrender="early"), [10, "A", 6, 10]).nets == [-0.5]


def test_no_surrender_rule_plays_the_hand():
    # 16 vs 10 hits (Rh falls back to hit), catches a 4: 20 vs dealer 10,7 = 17
    assert both(game(surrender="none"), [10, 10, 6, 7, 4]).nets == [1.0]


def test_enhc_dealer_blackjack_takes_the_double():
    # 6,5 vs 10 doubled (this chart always doubles 11) to 20; the dealer's second card is an
    # ace: a no-hole-card blackjack after the player acted takes both bets.
    cfg = game(dealer_peeks=False, dealer_blackjack_takes="all_bets", surrender="none")
    cfg["strategy"]["basic"] = ALWAYS_DOUBLE_11
    played = both(cfg, [6, 10, 5, 9, "A"])
    assert played.nets == [-2.0]
    assert played.counters["dealer_blackjack"] == 1
    assert played.counters["double"] == 1


def test_enhc_original_bets_only_loses_the_first_bet():
    cfg = game(dealer_peeks=False, dealer_blackjack_takes="original_bets", surrender="none")
    cfg["strategy"]["basic"] = ALWAYS_DOUBLE_11
    assert both(cfg, [6, 10, 5, 9, "A"]).nets == [-1.0]


def test_peek_game_dealer_blackjack_ends_the_round_before_a_double():
    cfg = game(surrender="none")
    cfg["strategy"]["basic"] = ALWAYS_DOUBLE_11
    played = both(cfg, [6, 10, 5, "A", 9])
    assert played.nets == [-1.0]
    assert played.pos == 4


@pytest.mark.parametrize(("payout", "expected"), [(1.5, 1.5), (1.2, 1.2), (1.0, 1.0), (2.0, 2.0)])
def test_blackjack_payouts(payout, expected):
    assert both(game(blackjack_payout=payout), ["A", 9, "K", 7]).nets == [expected]


def test_blackjack_against_dealer_blackjack_pushes():
    assert both(game(), ["A", "A", "K", "Q"]).nets == [0.0]


def test_even_money_is_insurance_on_a_blackjack():
    cfg = game()
    cfg["strategy"]["take_insurance_at_true_count"] = -100  # always insure
    # player A,K vs A: even money, whatever the hole card
    assert both(cfg, ["A", "A", "K", 10]).nets == [1.0]
    assert both(cfg, ["A", "A", "K", 5]).nets == [1.0]
    # insured 20 vs A with a dealer blackjack: lose 1, insurance pays 2 x 0.5
    played = both(cfg, [10, "A", 10, "K"])
    assert played.nets == [0.0]
    assert played.counters["insurance"] == 1


def test_double_restrictions_fall_back_to_hit():
    # 6,3 = 9 vs 4 doubles under any-two; under 10-11 only it hits instead
    any_two = both(game(), [6, 4, 3, 10, 10, 10])  # 9 + 10 doubled = 19 vs 4,10,10 bust
    assert any_two.nets == [2.0]
    ten_eleven = both(game(double_on="10_11"), [6, 4, 3, 10, 10, 10])
    assert ten_eleven.nets == [1.0]  # hit to 19, stands, dealer 4,10,10 busts


def test_cut_card_reached_mid_round_finishes_the_round_then_shuffles():
    # one deck, the cut card after 5 cards (10% penetration): the first round needs 6 cards,
    # is played out from the stacked cards past the cut, and the shuffle comes before round 2.
    cfg = game(decks=1, penetration=0.1, surrender="none")
    played = both(cfg, [10, 10, 2, 7, 3, 4], rounds=2)
    # 10,2 vs 10 hits: 15, hits again: 19; the dealer's 10,7 stands on 17
    assert played.nets[0] == 1.0
    assert played.counters["shuffles"] == 2  # the opening shuffle and one at the cut card
    assert played.counters["rounds"] == 2


def test_a_shoe_that_runs_out_mid_round_reshuffles_the_discards():
    # one deck, seven players, deep penetration: rounds regularly run out of cards, and the
    # discards are reshuffled while the round's own cards stay on the table
    cfg = game(decks=1, penetration=0.95)
    cfg["simulation"]["players_at_table"] = 7
    played = both(cfg, [], rounds=400)
    assert played.counters["rounds"] == 400
    # every round deals at least 17 cards (8 hands of two and an up card) and no shuffle can
    # provide more than 52, so at least 400 * 17 / 52 shuffles must have happened
    assert played.counters["shuffles"] >= 400 * 17 / 52


def spots(n: int = 2, **rules: object) -> dict:
    cfg = game(**rules)
    cfg["betting"]["spots"] = n
    return cfg


# With several spots the deal goes spot by spot, in seat order: first cards of every spot, the
# dealer's up card, second cards, the hole card; then each spot plays in turn.


def test_each_spot_is_insured_and_settled_against_a_dealer_blackjack():
    cfg = spots(2)
    cfg["strategy"]["take_insurance_at_true_count"] = -100  # always insure
    # spot 1 A,K (even money), spot 2 10,10; the dealer A,K has a blackjack
    played = both(cfg, ["A", 10, "A", "K", 10, "K"])
    # insurance pays +1 on each spot; the natural pushes, the 20 loses its bet
    assert played.nets == [1.0]
    assert played.counters["insurance"] == 1  # rounds with insurance
    assert played.counters["initial_bet"] == 2
    assert (played.counters["push"], played.counters["loss"]) == (1, 1)


def test_each_spot_is_paid_its_own_natural():
    # spot 1 A,K pays 3:2; spot 2 10,9 stands on 19; dealer 6,10 draws a 10 and busts
    played = both(spots(2), ["A", 10, 6, "K", 9, 10, 10])
    assert played.nets == [2.5]
    assert (played.counters["blackjack"], played.counters["win"]) == (1, 1)
    assert played.counters["hands"] == 2
    assert played.pos == 7


def test_each_spot_surrenders_early_on_its_own():
    # spot 1 10,10 (20), spot 2 10,6 (16) against a dealer 10 with an ace in the hole
    cards = [10, 10, 10, 10, 6, "A"]
    assert both(spots(2, surrender="early"), cards).nets == [-1.5]  # 16 gave up half early
    assert both(spots(2, surrender="late"), cards).nets == [-2.0]  # too late: both lose


def test_three_spots_play_in_seat_order_before_the_dealer():
    # spots: 10,6 (16), 9,9 (split vs 6), 10,8 (18); dealer 6,10
    # spot 1 stands on 16; spot 2 splits: 9,10 = 19 and 9,2 = 11 doubles to 11+10 = 21;
    # spot 3 stands; the dealer 6,10 draws 7: 23, bust. Every hand wins: 1 + 1 + 2 + 1.
    cfg = spots(3, surrender="none")
    played = both(cfg, [10, 9, 10, 6, 6, 9, 8, 10, 10, 2, 10, 7])
    assert played.nets == [5.0]
    assert played.counters["hands"] == 4
    assert played.counters["split_rounds"] == 1
    assert played.counters["double"] == 1
    assert played.counters["initial_bet"] == 3
    assert played.counters["wagered"] == 5


def test_spots_and_bet_follow_the_count():
    # one deck, Hi-Lo over exact decks: from +1 bet 2 units on each of 2 spots
    cfg = game(decks=1, surrender="none")
    cfg["counting"]["true_count"] = {"rounding": "floor", "deck_estimation": "exact"}
    cfg["betting"]["ramp"] = [{"true_count": 0, "units": 1}, {"true_count": 1, "units": 2}]
    cfg["betting"]["spots_by_count"] = [{"true_count": 1, "spots": 2}]
    # round 1: 10,10 vs 4,5 draws 6 and 2 (17): +1; Hi-Lo +2 with 46 cards left: true +2
    # round 2: spots 10,9 (19) and 10,8 (18) against 7,10 (17): 2 x +2 units
    cards = [10, 4, 10, 5, 6, 2, 10, 10, 7, 9, 8, 10]  # round 1, then round 2
    played = both(cfg, cards, rounds=2)
    assert played.nets == [1.0, 4.0]
    assert played.counters["initial_bet"] == 1 + 2 * 2
    assert played.counters["hands"] == 3
