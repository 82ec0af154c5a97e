"""The exact analyzer: dealer probabilities against enumeration, hand values and game EVs
against published combinatorial analysis, generated charts against the published charts, and
the simulator against the analyzer's exact value of the same chart."""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jost_engine import default_config, run_simulation_from_config
from jost_engine.analysis import analyze, basic_chart, dealer_table
from jost_engine.analysis.dealer_probabilities import dealer_outcomes_many, enumerate_dealer
from jost_engine.analysis.game_value import full_shoe, game_value
from jost_engine.analysis.hand_values import EMPTY, Policy, UpcardGame, add_card, hand_of
from jost_engine.config import Rules, parse_config
from jost_engine.strategy import bundled_chart, chart_family, decision_tables
from jost_engine.validation import APPENDIX_9

# ---- dealer probabilities -------------------------------------------------------------------

SMALL_SHOES = [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 4],  # a quarter deck's worth of ranks
    [2, 0, 1, 3, 0, 2, 1, 0, 2, 5],  # an uneven, depleted shoe
]


@pytest.mark.parametrize("shoe", SMALL_SHOES)
@pytest.mark.parametrize("up", range(1, 11))
@pytest.mark.parametrize("h17", [False, True])
@pytest.mark.parametrize("peeked", [False, True])
def test_dealer_kernel_equals_enumeration_of_every_sequence(shoe, up, h17, peeked):
    if shoe[up - 1] == 0:
        shoe = list(shoe)
        shoe[up - 1] = 1
    left = list(shoe)
    left[up - 1] -= 1
    exact = enumerate_dealer(left, up, h17=h17, peeked=peeked)
    got = dealer_outcomes_many(np.array(left, float), np.zeros((1, 10)), up, h17=h17,
                               peeked=peeked)[0]  # fmt: skip
    assert sum(exact) == Fraction(1)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.abs(got - np.array([float(x) for x in exact])).max() < 1e-12
    if peeked and up in (1, 10):
        assert exact[6] == 0  # a checked dealer has no blackjack


def test_h17_moves_soft_17_into_other_totals():
    shoe = full_shoe(Rules(decks=6))
    s17 = dealer_table(Rules(decks=6, dealer_hits_soft_17=False))
    h17 = dealer_table(Rules(decks=6, dealer_hits_soft_17=True))
    assert h17["6"]["17"] < s17["6"]["17"] and h17["6"]["bust"] > s17["6"]["bust"]
    assert h17["10"] == s17["10"]  # a ten up can never make soft 17
    assert shoe.sum() == 312


def test_infinite_deck_dealer_matches_the_textbook_bust_rate():
    # Infinite deck, S17: the dealer busts 28.16% of the time off the top (Griffin, table 2.1),
    # counting blackjacks as non-busts; up 6 busts 42.32% (Wizard of Odds, Appendix 2b).
    table = dealer_table(Rules(infinite_deck=True, dealer_peeks=False,
                               dealer_blackjack_takes="all_bets"))  # fmt: skip
    p_up = np.array([1] * 9 + [4]) / 13
    names = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
    bust = sum(p * table[n]["bust"] for p, n in zip(p_up, names, strict=True))
    assert bust == pytest.approx(0.2816, abs=0.0001)
    assert table["6"]["bust"] == pytest.approx(0.4232, abs=0.0001)


# ---- hand values against Wizard of Odds, Blackjack Appendix 9 --------------------------------
# Per-hand values (stand, hit, double) from the Appendix 9 tables, 6 decimals; dealer ace up
# against 6,5 and 2,A. Peek games are conditioned on no dealer blackjack; the no-hole-card games
# are not. Rules of every table: split to 4 hands, no resplit or hit of split aces, DAS.

APPENDIX_RULES = APPENDIX_9  # the rules of every Appendix 9 table (jost_engine.validation)

HAND_VALUES = [
    # rules, (first card, second card), (stand, hit, double)
    ({"decks": 1}, (6, 5), (-0.634013, 0.172946, 0.240259)),
    ({"decks": 1, "dealer_hits_soft_17": True}, (6, 5), (-0.575374, 0.143003, 0.234296)),
    ({"decks": 2, "dealer_hits_soft_17": True}, (2, 1), (-0.594150, -0.103429, -0.571816)),
    ({"decks": 5, "dealer_hits_soft_17": True}, (6, 5), (-0.594346, 0.109880, 0.128187)),
    ({"decks": 6, "dealer_hits_soft_17": True, "dealer_peeks": False}, (2, 1),
     (-0.722356, -0.379910, -1.024099)),
    ({"decks": 6, "dealer_hits_soft_17": True, "dealer_peeks": False}, (6, 5),
     (-0.720879, -0.235772, -0.535879)),
    ({"decks": 8, "dealer_hits_soft_17": True, "dealer_peeks": False}, (7, 1),
     (-0.465508, -0.420237, -0.908247)),
]  # fmt: skip


@pytest.mark.parametrize(("rules", "cards", "published"), HAND_VALUES)
def test_hand_values_match_published_analysis(rules, cards, published):
    r = Rules(**{**APPENDIX_RULES, **rules})
    game = UpcardGame(r, full_shoe(r), 1)
    removal = add_card(add_card(EMPTY, cards[0] - 1), cards[1] - 1)
    total, ace = hand_of(removal)
    got = game.options(removal, total, ace, first=True)
    for name, want in zip(("stand", "hit", "double"), published, strict=True):
        assert got[name] == pytest.approx(want, abs=1.5e-6), name


# Expected return of the game (composition-dependent play, splits by the number of hands split
# so far), Appendix 9; the issue asks for agreement to 0.003% (3e-5).
GAME_EVS = [
    ({"decks": 1}, 0.001839),
    ({"decks": 1, "double_after_split": False}, 0.000423),
    ({"decks": 1, "dealer_hits_soft_17": True}, -0.000072),
    ({"decks": 1, "dealer_hits_soft_17": True, "double_after_split": False}, -0.001513),
    ({"decks": 2, "dealer_hits_soft_17": True}, -0.003797),
    ({"decks": 2, "dealer_hits_soft_17": True, "double_after_split": False}, -0.005252),
    ({"decks": 5, "dealer_hits_soft_17": True}, -0.005918),
    ({"decks": 5, "dealer_hits_soft_17": True, "double_after_split": False}, -0.007366),
    ({"decks": 6, "dealer_hits_soft_17": True, "dealer_peeks": False}, -0.0072705),
    ({"decks": 6, "dealer_hits_soft_17": True, "dealer_peeks": False,
      "double_after_split": False}, -0.0086975),
    ({"decks": 8, "dealer_hits_soft_17": True, "dealer_peeks": False}, -0.007562),
    ({"decks": 8, "dealer_hits_soft_17": True, "dealer_peeks": False,
      "double_after_split": False}, -0.0089865),
]  # fmt: skip


@pytest.mark.parametrize(("rules", "published"), GAME_EVS)
def test_game_ev_matches_published_analysis_to_0_003_percent(rules, published):
    ev = game_value(Rules(**{**APPENDIX_RULES, **rules})).ev
    assert ev == pytest.approx(published, abs=3e-5)


def test_rule_effects_have_the_known_signs():
    base = game_value(Rules(decks=6)).ev
    assert game_value(Rules(decks=6, dealer_hits_soft_17=True)).ev < base  # H17 costs ~0.2%
    assert game_value(Rules(decks=6, blackjack_payout=1.2)).ev < base - 0.012  # 6:5 ~1.4%
    assert game_value(Rules(decks=6, surrender="early")).ev > base  # ES is worth ~0.6%
    assert game_value(Rules(decks=1)).ev > base


def test_infinite_deck_analysis_runs_and_is_worse_than_six_decks():
    inf = game_value(Rules(infinite_deck=True)).ev
    assert inf < game_value(Rules(decks=8)).ev


# ---- generated charts against the published ones ------------------------------------------
# Cells where the generated (optimal total-dependent) chart and the published chart differ,
# with why; docs/methodology.md explains them. Soft 12 is A,A played unsplit, which no round
# reaches when aces always split; the generator fills it with what A,A alone would do.
KNOWN = {
    # 16 v 10 when two-card 16s surrender: the "else" play is only met by 3+ card 16s (and
    # split hands), for which standing is better; published charts take it from 2-card hands.
    ("hard", "16", "10", "Rs", "Rh"),
    # single deck: surrendering 7,7 v 10 is a known single-deck play, missing from the chart.
    ("pairs", "7", "10", "Rp", "H"),
    # two decks, S17: stand soft 18 v A (the published two-deck chart for S17 says so too).
    ("soft", "18", "A", "S", "H"),
}
UPS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")
FAMILIES = [
    {"decks": 6},
    {"decks": 6, "dealer_hits_soft_17": True, "surrender": "none"},
    {"decks": 8, "dealer_hits_soft_17": True, "double_after_split": False},
    {"decks": 2, "surrender": "none"},
    {"decks": 1, "dealer_hits_soft_17": True, "surrender": "none"},
    {"decks": 6, "dealer_peeks": False, "surrender": "none"},
]


@pytest.mark.parametrize("rules", FAMILIES)
def test_generated_chart_equals_the_published_chart(rules):
    r = Rules(**rules)
    generated = basic_chart(r)
    published = bundled_chart(chart_family(r))
    diffs = []
    for section in ("hard", "soft", "pairs"):
        for key, row in published[section].items():
            if section == "soft" and key == "12":
                continue
            for up, want, got in zip(UPS, row.split(), generated[section][key].split(),
                                     strict=True):  # fmt: skip
                if want != got and (section, key, up, got, want) not in KNOWN:
                    diffs.append((section, key, up, got, want))
    assert diffs == []
    # and it is never worse than the published chart, played exactly
    ev_gen = game_value(r, Policy(*decision_tables(generated, r))).ev
    ev_pub = game_value(r, Policy(*decision_tables(published, r))).ev
    assert ev_gen >= ev_pub - 1e-12
    assert ev_gen <= game_value(r).ev + 1e-12  # and never better than composition-dependent


# ---- the simulator against the analyzer ----------------------------------------------------

SIM_ROUNDS = 2_000_000


@settings(max_examples=12, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    decks=st.sampled_from([1, 2, 4, 6, 8]),
    h17=st.booleans(),
    das=st.booleans(),
    surrender=st.sampled_from(["none", "late", "early"]),
    peek=st.booleans(),
    max_split=st.sampled_from([2, 3, 4]),
    rsa=st.booleans(),
    payout=st.sampled_from([1.5, 1.2]),
)
def test_simulated_ev_of_the_generated_chart_is_within_4_se_of_exact(
    decks, h17, das, surrender, peek, max_split, rsa, payout
):
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    cfg["rules"].update(
        decks=decks, dealer_hits_soft_17=h17, double_after_split=das, surrender=surrender,
        dealer_peeks=peek, max_split_hands=max_split, resplit_aces=rsa, blackjack_payout=payout,
        shuffle="continuous",
    )  # fmt: skip
    cfg["simulation"].update(rounds=SIM_ROUNDS, seed=decks * 1000 + max_split)
    config = parse_config(cfg)
    analysis = analyze(config, strategy="basic", removal=False)
    exact = analysis.ev_per_initial_bet
    result = run_simulation_from_config(cfg, workers=1).to_dict()
    sim, se = result["ev_per_initial_bet"]["mean"], result["ev_per_initial_bet"]["se"]
    assert abs(sim - exact) <= 4 * se, f"simulated {sim:+.5f} ± {se:.5f}, exact {exact:+.5f}"
    # The SD per round: the sample SD's standard error is sqrt((mu4 - sd^4) / (4 sd^2 n)); a
    # round's fourth moment is below 6 here (results of ±1 and ±2 dominate). The analyzer's SD
    # approximates only split rounds' correlation (docs/methodology.md), within 0.0005.
    sd = analysis.sd_per_round
    se_sd = ((6.0 - sd**4) / (4 * sd**2 * SIM_ROUNDS)) ** 0.5
    assert abs(result["sd_per_round"] - sd) <= 4 * se_sd + 0.0005


def test_single_deck_composition_exceptions_include_the_known_ones():
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    cfg["rules"].update(decks=1, surrender="none")
    a = analyze(parse_config(cfg), removal=False, hands=True)
    found = {(e["up"], e["hand"], e["chart"], e["best"]) for e in a.exceptions}
    # Standing on 7,7 v 10 and hitting 2,10 v 4 are the textbook single-deck exceptions.
    assert ("10", "7,7", "hit", "stand") in found
    assert ("4", "2,10", "stand", "hit") in found
    assert all(e["gain"] > 0 for e in a.exceptions)
    gain = sum(e["gain_per_round"] for e in a.exceptions)
    assert 0 < gain <= a.composition_ev - a.basic_ev + 1e-12
    ins = [h["insurance"] for h in a.hands if h["up"] == "A" and h["hand"] == "5,6"]
    assert ins == [pytest.approx(0.5 * (3 * 16 / 49 - 1))]  # 16 tens among 49 unseen cards


def test_analyze_reports_everything_the_issue_names():
    a = analyze(default_config(), removal=False).to_dict()
    assert a["ev_per_initial_bet"] == a["composition_dependent_ev"]
    assert a["basic_strategy_ev"] <= a["composition_dependent_ev"]
    assert set(a["chart"]) >= {"hard", "soft", "pairs"}
    assert sum(a["dealer_probabilities"]["6"].values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="strategy"):
        analyze(default_config(), strategy="optimal")  # type: ignore[arg-type]


# ---- effects of removal ----------------------------------------------------------------------
# Wizard of Odds, Blackjack Appendix 7 (from the bjstrat.net composition-dependent analyzer):
# six decks, double any two, DAS, split once, strategy re-optimised for the smaller shoe, in %
# of a bet per card. The page does not name the surrender rule; the figures are those of late
# surrender (without surrender they differ by up to 0.015%), which is the condition tested here.
APPENDIX_7 = {
    False: {"2": .069, "3": .082, "4": .110, "5": .141, "6": .079, "7": .041, "8": -.008,
            "9": -.040, "10": -.091, "A": -.094},
    True: {"2": .071, "3": .086, "4": .117, "5": .143, "6": .084, "7": .038, "8": -.010,
           "9": -.045, "10": -.097, "A": -.084},
}  # fmt: skip


@pytest.mark.parametrize("h17", [False, True])
def test_effects_of_removal_match_published_values_to_0_005_percent(h17):
    from jost_engine.analysis import effects_of_removal

    r = Rules(decks=6, dealer_hits_soft_17=h17, max_split_hands=2, surrender="late")
    got = effects_of_removal(r)
    for rank, want in APPENDIX_7[h17].items():
        assert 100 * got[rank] == pytest.approx(want, abs=0.005), rank
    # a balanced count's premise: removing a whole deck's worth changes nothing
    deck = sum(got[r] for r in ("A", "2", "3", "4", "5", "6", "7", "8", "9")) + 4 * got["10"]
    assert abs(deck) < 0.0003


@pytest.mark.parametrize("decks", [1, 6])
def test_six_to_five_costs_exactly_the_naturals_it_underpays(decks):
    """6:5 changes only what a natural pays, so the EV drops by 0.3 x P(natural, no dealer bj)."""
    n = 52 * decks
    aces, tens = 4 * decks, 16 * decks
    player = Fraction(2 * aces * tens, n * (n - 1))
    dealer_too = Fraction(2 * (aces - 1) * (tens - 1), (n - 2) * (n - 3))
    paid = float(player * (1 - dealer_too))
    three_two = game_value(Rules(decks=decks)).ev
    six_five = game_value(Rules(decks=decks, blackjack_payout=1.2)).ev
    assert three_two - six_five == pytest.approx(0.3 * paid, abs=1e-12)


def test_analyze_takes_what_run_simulation_from_config_takes():
    """A dict, JSON text or a Config: the same analysis; bad input the same ConfigError."""
    import json

    from jost_engine import ConfigError

    def value(form) -> dict:
        return {k: v for k, v in analyze(form, removal=False).to_dict().items() if k != "seconds"}

    data = {"rules": {"decks": 2, "dealer_hits_soft_17": True}}
    values = [value(form) for form in (data, json.dumps(data), parse_config(data))]
    assert values[0] == values[1] == values[2]
    assert values[0] != value({"rules": {"decks": 2}})  # the rules given are the rules analysed
    with pytest.raises(ConfigError) as caught:
        analyze({"rules": {"decks": 0, "surrender": "sometimes"}})
    assert {p["path"] for p in caught.value.problems} >= {"rules.decks", "rules.surrender"}
    with pytest.raises(ConfigError):
        analyze("{not json")
