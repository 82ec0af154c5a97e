"""Index numbers computed by the exact analyzer (`jost_engine.analysis.indices`): the method
against the published shoe set, its pieces, and the computed one- and two-deck sets."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from jost_engine.analysis.indices import (
    HI_LO,
    IndexCell,
    IndexValue,
    composition_at_true_count,
    computed_sets,
    index_value,
    insurance_crossing,
    nearest_index,
)
from jost_engine.config import Rules
from jost_engine.index_plays import (
    FAB_4,
    FAB_4_DOUBLE_DECK,
    FAB_4_SINGLE_DECK,
    ILLUSTRIOUS_18,
    ILLUSTRIOUS_18_DOUBLE_DECK,
    ILLUSTRIOUS_18_INSURANCE,
    ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK,
    ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK,
    ILLUSTRIOUS_18_SINGLE_DECK,
)

# The game the published shoe set is for (index_plays: 4-8 decks, S17), with DAS and the late
# surrender the Fab 4 need.
SHOE = Rules(decks=6, dealer_hits_soft_17=False, double_after_split=True, surrender="late")
FULL = np.array([4.0] * 9 + [16.0])
TAGS = np.array(HI_LO, dtype=np.float64)


@cache
def shoe_index(hand: str, dealer_up: str, action: str) -> IndexValue:
    return index_value(SHOE, hand, dealer_up, action)


def _name(play: dict) -> str:
    return f"{play['hand']}v{play['dealer_up']}-{play['action']}"


# ---- the method against the published values ---------------------------------------------


@pytest.mark.parametrize("play", ILLUSTRIOUS_18 + FAB_4, ids=_name)
def test_each_published_shoe_index_is_reproduced_within_one(play):
    computed = shoe_index(play["hand"], play["dealer_up"], play["action"])
    assert computed.direction == "at_or_above"
    assert abs(computed.index - play["at_or_above"]) <= 1, computed


def test_the_published_shoe_set_is_reproduced_on_average_within_a_third_of_a_count():
    # every play within one (above) could still hide a shift of the whole set by one count
    plays = ILLUSTRIOUS_18 + FAB_4
    gaps = [
        shoe_index(p["hand"], p["dealer_up"], p["action"]).crossing - p["at_or_above"]
        for p in plays
    ]
    assert np.mean(np.abs(gaps)) < 1 / 3
    assert abs(np.mean(gaps)) < 0.2  # no bias either way


def test_the_insurance_index_is_the_published_one():
    assert nearest_index(insurance_crossing(6)) == ILLUSTRIOUS_18_INSURANCE


# ---- the shoe at a true count ------------------------------------------------------------


def test_at_true_count_zero_the_cards_left_are_the_full_shoe_in_proportion():
    for decks, depth in ((1, 0.5), (2, 1.25), (6, 3.0), (8, 1.0)):
        left = composition_at_true_count(decks, depth, 0.0)
        assert left.sum() == pytest.approx(52 * depth)
        np.testing.assert_allclose(left / left.sum(), FULL / FULL.sum(), rtol=1e-12)


@pytest.mark.parametrize("known", [None, (0, 0, 0, 0, 1, 0, 0, 0, 1, 1)])
def test_the_seen_cards_have_the_running_count_asked_for(known):
    for decks, depth, tc in ((1, 0.5, 3.0), (2, 1.0, -4.5), (6, 3.0, 2.25), (6, 5.0, -7.0)):
        left = composition_at_true_count(decks, depth, tc, known=known)
        seen = FULL * decks - left
        assert seen.sum() == pytest.approx(52 * (decks - depth))
        assert seen @ TAGS == pytest.approx(tc * depth)
        if known is not None:  # the known cards are among the seen, not among those left
            assert (seen >= np.array(known) - 1e-12).all()


def test_off_the_top_the_cards_left_are_the_shoe_less_the_known_cards():
    # only the hand and the up card seen: their own count is the count, nothing to regress
    known = np.array([0, 0, 0, 0, 0, 1, 0, 0, 0, 2], dtype=np.float64)  # 10,6 v 10
    depth = (52 - 3) / 52
    left = composition_at_true_count(1, depth, float(known @ TAGS) / depth, known=known)
    np.testing.assert_allclose(left, FULL - known, atol=1e-12)


def test_impossible_counts_and_depths_are_refused():
    with pytest.raises(ValueError, match="impossible: negative expected cards"):
        composition_at_true_count(1, 0.5, 60.0)  # +30 in 26 cards: 25 small
    with pytest.raises(ValueError, match="impossible"):
        composition_at_true_count(6, 5.9, 12.0)  # 5 cards seen cannot count +70
    with pytest.raises(ValueError, match="does not fit"):
        composition_at_true_count(2, 2.5, 0.0)
    with pytest.raises(ValueError, match="not cards of a 1-deck shoe"):
        composition_at_true_count(1, 0.5, 0.0, known=(5, 0, 0, 0, 0, 0, 0, 0, 0, 0))


def test_the_insurance_crossing_has_its_closed_form():
    # insurance pays 2:1 on a ten in the hole: it breaks even where the unseen cards are one
    # third tens. The ace is seen; the other seen cards (m of them, from the shoe less the ace)
    # are regressed on the rest of the count, RC + 1. Solved for the true count by hand:
    for decks, depth in ((1, 0.5), (2, 1.0), (6, 3.0), (6, 1.0), (8, 6.5)):
        n1 = 52 * decks - 1  # the shoe less the ace
        q10 = 16 * decks / n1
        tau = 1 / n1  # the mean Hi-Lo tag of that shoe
        spread = (40 * decks - 1) / n1 - tau**2  # Σ tag² is 40 a deck
        unseen = 52 * depth
        m = n1 - unseen
        # tens left = a + b * TC
        b = depth * q10 * (1 + tau) / spread
        a = 16 * decks - m * q10 + (1 - m * tau) * q10 * (1 + tau) / spread
        assert insurance_crossing(decks, depth) == pytest.approx((unseen / 3 - a) / b, abs=1e-9)
        ace = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        left = composition_at_true_count(decks, depth, insurance_crossing(decks, depth), known=ace)
        assert left[9] / left.sum() == pytest.approx(1 / 3)


# ---- the crossing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "hand", "up", "action"),
    [
        (SHOE, "16", "10", "stand"),
        (SHOE, "10,10", "6", "split"),
        (SHOE, "15", "10", "surrender"),
        (SHOE, "11", "A", "double"),
        (SHOE, "A8", "6", "double"),  # a soft hand
        (SHOE, "12", "4", "hit"),  # a play that deviates below its crossing
        (Rules(**{**SHOE.model_dump(), "decks": 1}), "13", "2", "stand"),
    ],
)
def test_the_play_gains_on_its_side_of_the_crossing_and_loses_on_the_other(rules, hand, up, action):
    value = index_value(rules, hand, up, action)
    assert value.crossing is not None
    cell = IndexCell(rules, hand, up, action)
    below = cell.gain(value.crossing - 0.05, value.decks_remaining)
    above = cell.gain(value.crossing + 0.05, value.decks_remaining)
    at = cell.gain(value.crossing, value.decks_remaining)
    assert abs(at) < 1e-3 * abs(above - below)
    if value.direction == "at_or_above":
        assert below < 0 < above
    else:
        assert below > 0 > above


def test_a_play_and_its_opposite_share_a_crossing():
    stand = shoe_index("12", "4", "stand")
    hit = index_value(SHOE, "12", "4", "hit")
    assert (stand.direction, hit.direction) == ("at_or_above", "below")
    assert hit.crossing == pytest.approx(stand.crossing, abs=1e-3)
    assert hit.deviation() == {"hand": "12", "dealer_up": "4", "action": "hit", "below": 0}


def test_plays_the_rules_or_the_hand_do_not_allow_are_refused():
    no_surrender = Rules(**{**SHOE.model_dump(), "surrender": "none"})
    with pytest.raises(ValueError, match="surrender"):
        index_value(no_surrender, "16", "10", "surrender")
    with pytest.raises(ValueError, match="pair"):
        index_value(SHOE, "16", "10", "split")
    ten_eleven = Rules(**{**SHOE.model_dump(), "double_on": "10_11"})
    with pytest.raises(ValueError, match="doubling"):
        index_value(ten_eleven, "9", "2", "double")


def test_nearest_index_rounds_halves_up():
    assert [nearest_index(x) for x in (-1.5, -1.49, -0.5, 0.49, 0.5, 3.36)] == [-1, -1, 0, 0, 1, 3]


# ---- the computed one- and two-deck sets -------------------------------------------------


@pytest.mark.parametrize(
    ("decks", "stored"),
    [
        (1, (ILLUSTRIOUS_18_SINGLE_DECK, ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK, FAB_4_SINGLE_DECK)),
        (2, (ILLUSTRIOUS_18_DOUBLE_DECK, ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK, FAB_4_DOUBLE_DECK)),
    ],
)
def test_the_stored_one_and_two_deck_sets_are_what_the_method_computes(decks, stored):
    computed = computed_sets(decks)
    assert computed["illustrious_18"] == stored[0]
    assert computed["insurance"] == stored[1]
    assert computed["fab_4"] == stored[2]
