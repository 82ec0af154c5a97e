"""The analysis of a count (`jost_engine.analysis.count_analysis`) and risk-averse indices
(`jost_engine.analysis.risk_averse`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jost_engine.analysis.count_analysis import (
    analyze_count,
    best_tags,
    correlation,
    game_effects,
    named_systems,
    playing_efficiency,
)
from jost_engine.analysis.hand_values import UpcardGame
from jost_engine.analysis.indices import index_value, insurance_crossing, known_cards
from jost_engine.analysis.risk_averse import (
    RiskAverseCell,
    _moments,
    ramp_bet,
    risk_averse_index,
    risk_averse_insurance,
)
from jost_engine.analysis.shoe_at_count import HI_LO, count_system, expected_left, rank_counts
from jost_engine.config import Betting, Rules

SHOE = Rules(decks=6, dealer_hits_soft_17=False, double_after_split=True, surrender="late")
# Published betting correlation, playing efficiency and insurance correlation of the named
# counts (the tables in Schlesinger's Blackjack Attack and Griffin's Theory of Blackjack, mostly
# for one deck); ours are for six decks at half the shoe, so they are allowed a margin.
PUBLISHED = {
    "Hi-Lo": (0.97, 0.51, 0.76),
    "KO": (0.98, 0.55, 0.78),
    "Hi-Opt I": (0.88, 0.61, 0.85),
    "Hi-Opt II": (0.91, 0.67, 0.91),
    "Omega II": (0.92, 0.67, 0.85),
    "Zen": (0.96, 0.63, 0.85),
    "Wong Halves": (0.99, 0.56, 0.72),
    "Red 7": (0.98, 0.54, 0.78),
}


@pytest.fixture(scope="module")
def effects():
    return game_effects(SHOE)  # 25 s the first time for six decks, then from the disk cache


@pytest.fixture(scope="module")
def analyses(effects):
    return {c.label: analyze_count(c, effects) for c in named_systems(6)}


def test_the_measures_of_the_named_counts_are_the_published_ones(analyses):
    for name, (bc, pe, ic) in PUBLISHED.items():
        a = analyses[name]
        assert a.betting_correlation == pytest.approx(bc, abs=0.025), name
        assert a.playing_efficiency == pytest.approx(pe, abs=0.035), name
        assert a.insurance_correlation == pytest.approx(ic, abs=0.015), name


def test_hi_lo_s_insurance_correlation_has_its_closed_form(analyses):
    # tens -9, every other card +4 (per 13 cards); Hi-Lo: sum t e = 16 + 36, sum t^2 = 10
    assert analyses["Hi-Lo"].insurance_correlation == pytest.approx(
        52 / math.sqrt(10 * (9 * 16 + 4 * 81)), abs=2e-3
    )


def test_balance_and_level(analyses):
    assert analyses["Hi-Lo"].balance == 0 and analyses["KO"].balance == 4
    assert analyses["Red 7"].balance == 2 and analyses["Red 7"].tags["7"] == 0.5
    assert analyses["Omega II"].level == 2 and analyses["Wong Halves"].level == 1.5


def test_the_best_tags_beat_every_count(effects, analyses):
    best = best_tags(effects)
    assert best["betting_correlation"]["value"] == 1.0
    assert best["insurance_correlation"]["tags"]["10"] == -1.0
    assert best["insurance_correlation"]["tags"]["5"] == pytest.approx(16 / 36, abs=1e-3)
    top = max(a.playing_efficiency for a in analyses.values())
    assert best["playing_efficiency"]["value"] >= top
    tags = np.array([best["betting_correlation"]["tags"][r] for r in
                     ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")])  # fmt: skip
    typed = np.array([*tags[:7], tags[6], *tags[7:]])
    game = np.array([*effects.game[:7], effects.game[6], *effects.game[7:]])
    assert correlation(typed, game) == pytest.approx(1.0)


def test_measures_ignore_the_scale_of_the_tags(effects):
    tags = np.array(HI_LO.tags)
    assert playing_efficiency(3 * tags, effects) == pytest.approx(playing_efficiency(tags, effects))
    assert playing_efficiency(tags + 1, effects) == pytest.approx(playing_efficiency(tags, effects))


# ---- risk-averse indices --------------------------------------------------------------------

RAMP = Betting(ramp=[{"true_count": 1, "units": 1}, {"true_count": 2, "units": 2},
                     {"true_count": 3, "units": 4}, {"true_count": 4, "units": 8},
                     {"true_count": 5, "units": 12}])  # fmt: skip


def test_the_ramp_bets_at_the_kernel_s_count():
    assert [ramp_bet(RAMP, x, False) for x in (-3, 0.9, 1.0, 3.99, 4.0, 9)] == [1, 1, 1, 4, 8, 12]


def test_a_tiny_bet_makes_the_risk_averse_index_the_expectation_s():
    for hand, up, action in (("10", "10", "double"), ("16", "10", "stand")):
        ra = risk_averse_index(SHOE, hand, up, action, RAMP, 1e9)
        assert ra.crossing == pytest.approx(index_value(SHOE, hand, up, action).crossing, abs=1e-3)


def test_risk_aversion_delays_doubles_and_splits_and_speeds_insurance():
    bankroll = 1000.0  # 12 units at +5: about full Kelly for a six-deck Hi-Lo game
    for hand, up, action in (
        ("10", "10", "double"),
        ("10,10", "6", "split"),
        ("11", "A", "double"),
    ):
        ra = risk_averse_index(SHOE, hand, up, action, RAMP, bankroll)
        assert ra.crossing > index_value(SHOE, hand, up, action).crossing + 0.05, hand
    # insurance pays when the hand loses: it lowers the variance, so it starts earlier
    assert risk_averse_insurance(SHOE, RAMP, 100.0) < insurance_crossing(6) - 0.05


def test_the_moments_are_those_of_the_play_s_results():
    game = UpcardGame(SHOE, np.array([24.0] * 9 + [96.0]), 10)
    stand = _moments(game, 9, 5, "stand")  # 10,6 v 10 stood: it never pushes, so X^2 = 1
    assert stand[1] == pytest.approx(1.0, abs=1e-12)
    double = _moments(game, 3, 5, "double")  # 4,6 v 10 doubled: +-2 or a push (or -1 to a
    assert 3.0 < double[1] < 4.0  # dealer blackjack, which the peek finds before the double)
    b = game.dealer_blackjack_chance((0,) * 5 + (1, 0, 0, 0, 1))  # late: after the peek
    assert _moments(game, 9, 5, "surrender") == pytest.approx(
        (-b - 0.5 * (1 - b), b + 0.25 * (1 - b))
    )


def test_the_risk_averse_gain_is_the_mean_less_half_f_times_the_second_moment():
    cell = RiskAverseCell(SHOE, "10", "10", "double", HI_LO, RAMP, 1000.0)
    tc = 4.5
    f = ramp_bet(RAMP, tc, False) / 1000.0
    manual = 0.0
    for n, (i, j) in enumerate(cell.cell.hands):
        seen = known_cards(HI_LO, 6, (i, j, 9))[0][0]
        left = expected_left(HI_LO, 6, 3.0, tc, seen)
        game = UpcardGame(SHOE, rank_counts(left + seen), 10)
        (m1, s1), (m0, s0) = _moments(game, i, j, "double"), _moments(game, i, j, "hit")
        manual += cell.cell.weights[n] * ((m1 - m0) - f / 2 * (s1 - s0))
    assert cell.gain(tc, 3.0) == pytest.approx(manual, abs=1e-12)
    with pytest.raises(ValueError, match="bankroll"):
        risk_averse_index(SHOE, "16", "10", "stand", RAMP, 0.0)


def test_risk_averse_indices_work_for_a_running_count():
    ko = count_system("ko", 6)
    ramp = Betting(ramp=[{"true_count": -100, "units": 1}, {"true_count": 2, "units": 4}])
    ra = risk_averse_index(SHOE, "15", "10", "stand", ramp, 400.0, ko)
    assert ra.count == "running" and ra.crossing is not None
