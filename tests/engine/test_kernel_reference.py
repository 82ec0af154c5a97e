"""The compiled kernel and the plain-Python reference play the same shoe identically.

Thousands of seeded rounds per rule set, compared round by round (net result in exact integer
units), across shard chunks (the kernel runs each shard in several calls).
"""

from __future__ import annotations

import copy

import pytest

from jost_engine import Shard, default_config, parse_config, run_shard
from jost_engine.reference import ReferenceGame
from jost_engine.shards import chunk_rounds

ROUNDS = 2500

CASES = {
    "default 6D S17 DAS LS": {},
    "continuous shuffle": {"rules": {"shuffle": "continuous"}},
    "ENHC all bets": {"rules": {"dealer_peeks": False}},
    "ENHC original bets": {
        "rules": {"dealer_peeks": False, "dealer_blackjack_takes": "original_bets"}
    },
    "early surrender": {"rules": {"surrender": "early"}},
    "early surrender ENHC": {"rules": {"surrender": "early", "dealer_peeks": False}},
    "1D H17 6:5": {"rules": {"decks": 1, "blackjack_payout": 1.2, "dealer_hits_soft_17": True}},
    "1D seven players deep": {
        "rules": {"decks": 1, "penetration": 0.95},
        "simulation": {"players_at_table": 7},
    },
    "RSA HSA 8 hands": {
        "rules": {"resplit_aces": True, "hit_split_aces": True, "max_split_hands": 8}
    },
    "10-11 no DAS 2 hands": {
        "rules": {"double_on": "10_11", "double_after_split": False, "max_split_hands": 2}
    },
    "no splits 9-11": {"rules": {"max_split_hands": 1, "double_on": "9_10_11"}},
    "Wong Halves exact nearest, ramp, insurance index": {
        "strategy": {"take_insurance_at_true_count": 3},
        "counting": {
            "system": "wong_halves",
            "true_count": {"rounding": "nearest", "deck_estimation": "exact"},
        },
        "betting": {
            "ramp": [
                {"true_count": 0, "units": 1},
                {"true_count": 2, "units": 4},
                {"true_count": 4, "units": 8},
            ]
        },
    },
    "Red 7 always insure": {
        "counting": {"system": "red_7"},
        "strategy": {"take_insurance_at_true_count": -100},
    },
    "KO full-deck truncate, 3 players": {
        "counting": {
            "system": "ko",
            "true_count": {"rounding": "truncate", "deck_estimation": "full_deck"},
        },
        "simulation": {"players_at_table": 3},
    },
    "I18 + Fab 4, Hi-Lo ramp": {
        "strategy": {"deviations": ["illustrious_18", "fab_4"]},
        "betting": {
            "ramp": [
                {"true_count": 0, "units": 1},
                {"true_count": 2, "units": 4},
                {"true_count": 4, "units": 8},
            ]
        },
    },
    "I18 H17 no surrender, splits to 8, 3 players": {
        "strategy": {"deviations": ["illustrious_18"]},
        "rules": {"dealer_hits_soft_17": True, "surrender": "none", "max_split_hands": 8},
        "simulation": {"players_at_table": 3},
    },
    "custom indices, early surrender": {
        "strategy": {
            "deviations": [
                "fab_4",
                {"hand": "A7", "dealer_up": "2", "action": "double", "at_or_above": 1},
                {"hand": "13", "dealer_up": "2", "action": "hit", "below": -1},
                {"hand": "8,8", "dealer_up": "10", "action": "split", "below": 5},
            ]
        },
        "rules": {"surrender": "early"},
    },
    "I18 + Fab 4, no hole card, Omega II": {
        "strategy": {"deviations": ["illustrious_18", "fab_4"]},
        "rules": {"dealer_peeks": False},
        "counting": {"system": "omega_2"},
    },
    "wong in at +1, out below -1, ramp": {
        "betting": {
            "wong_in_at": 1,
            "wong_out_below": -1,
            "ramp": [{"true_count": 0, "units": 1}, {"true_count": 2, "units": 4}],
        }
    },
    "wong out below 0 with I18": {
        "betting": {"wong_out_below": 0},
        "strategy": {"deviations": ["illustrious_18"]},
    },
    "2D H17 no surrender, 4 players": {
        "rules": {"decks": 2, "dealer_hits_soft_17": True, "surrender": "none"},
        "simulation": {"players_at_table": 4},
    },
    "two spots always, ENHC all bets, always insure": {
        "betting": {"spots": 2},
        "rules": {"dealer_peeks": False},
        "strategy": {"take_insurance_at_true_count": -100},
    },
    "spots by count 1-3, ramp, I18 + Fab 4, 2 players, 1D deep": {
        "rules": {"decks": 1, "penetration": 0.9},
        "simulation": {"players_at_table": 3},
        "strategy": {"deviations": ["illustrious_18", "fab_4"]},
        "betting": {
            "ramp": [{"true_count": 0, "units": 1}, {"true_count": 2, "units": 4}],
            "spots_by_count": [{"true_count": 1, "spots": 2}, {"true_count": 3, "spots": 3}],
        },
    },
    "three spots, early surrender, splits to 8, RSA": {
        "betting": {"spots": 3},
        "rules": {"surrender": "early", "max_split_hands": 8, "resplit_aces": True},
        "strategy": {"take_insurance_at_true_count": 2},
    },
    "Hi-Opt II ace side count, exact decks, ramp, I18, 2 spots from +2": {
        "counting": {
            "system": "hi_opt_2",
            "ace_side_count": True,
            "true_count": {"rounding": "floor", "deck_estimation": "exact"},
        },
        "strategy": {"deviations": ["illustrious_18"]},
        "betting": {
            "ramp": [{"true_count": 0, "units": 1}, {"true_count": 1, "units": 4}],
            "spots_by_count": [{"true_count": 2, "spots": 2}],
        },
    },
    "Omega II ace side count, 1D deep, 2 spots, 4 players (mid-round reshuffles)": {
        "rules": {"decks": 1, "penetration": 0.95},
        "simulation": {"players_at_table": 5},
        "counting": {"system": "omega_2", "ace_side_count": True},
        "betting": {
            "spots": 2,
            "ramp": [{"true_count": 0, "units": 1}, {"true_count": 2, "units": 3}],
        },
    },
    "Hi-Opt I ace side count, half decks nearest, wong out, insurance": {
        "counting": {
            "system": "hi_opt_1",
            "ace_side_count": True,
            "true_count": {"rounding": "nearest", "deck_estimation": "half_deck"},
        },
        "strategy": {"take_insurance_at_true_count": 2},
        "betting": {
            "wong_out_below": -1,
            "ramp": [{"true_count": 0, "units": 1}, {"true_count": 2, "units": 6}],
        },
    },
}


def build(mods: dict) -> dict:
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    for section, values in mods.items():
        cfg[section].update(values)
    cfg["simulation"]["rounds"] = ROUNDS
    return cfg


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_matches_reference_round_by_round(name):
    cfg = parse_config(build(CASES[name]))
    assert chunk_rounds(cfg) < ROUNDS  # the shard really runs in several kernel calls
    tally = run_shard(cfg, Shard(0, ROUNDS, 1), trace=True)
    game = ReferenceGame(cfg)
    reference = [game.play_round() for _ in range(ROUNDS)]
    kernel = [int(x) for x in tally.trace]
    mismatches = [i for i in range(ROUNDS) if kernel[i] != reference[i]]
    assert not mismatches, f"first differing rounds: {mismatches[:5]}"
    assert tally.counters["net"] == sum(reference)
    assert tally.counters["rounds_observed"] == ROUNDS
    assert tally.counters["rounds"] == game.rounds_played
    assert tally.counters["initial_bet"] == game.initial_bet  # every spot's bet, as dealt
    # the rounds are not trivial: wins and losses of several sizes happen
    assert len(set(reference)) >= 5


def test_other_streams_differ_and_reproduce():
    cfg = parse_config(build({}))
    a = run_shard(cfg, Shard(0, ROUNDS, 1), trace=True).trace
    b = run_shard(cfg, Shard(1, ROUNDS, 2), trace=True).trace
    again = run_shard(cfg, Shard(1, ROUNDS, 2), trace=True).trace
    assert list(b) == list(again)
    assert list(a) != list(b)
    game = ReferenceGame(cfg, stream=1)
    assert [game.play_round() for _ in range(ROUNDS)] == [int(x) for x in b]
