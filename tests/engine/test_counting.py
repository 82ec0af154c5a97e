"""Counting systems, the true count, and what counting does (and does not) change."""

from __future__ import annotations

import copy
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from jost_engine import Shard, default_config, run_shard, run_simulation_from_config
from jost_engine import _kernel as k
from jost_engine.config import Config, parse_config
from jost_engine.counting import SYSTEM_TAGS, count_tags
from jost_engine.shoe import card_tag, new_shoe
from jost_engine.table import true_count_divisors

from .stacked import play_kernel, play_reference

# documented running-count balance per deck (tags times four of a rank, sixteen tens;
# Red 7 counts only the two red sevens)
BALANCE_PER_DECK = {
    "hi_lo": 0, "ko": 4, "hi_opt_1": 0, "hi_opt_2": 0, "omega_2": 0, "zen": 0,
    "wong_halves": 0, "red_7": 2,
}  # fmt: skip


@pytest.mark.parametrize("system", list(SYSTEM_TAGS))
def test_each_count_sums_to_its_documented_balance(system):
    tags = count_tags(system)
    shoe = new_shoe(6, tags)
    total = Fraction(sum(card_tag(int(c)) for c in shoe), tags.denominator)
    assert total == 6 * BALANCE_PER_DECK[system]
    assert tags.balanced == (BALANCE_PER_DECK[system] == 0)


def test_custom_tags_and_half_points():
    tags = count_tags({"tags": {"2": 0.5, "3": 1, "4": 1, "5": 1.5, "6": 1, "7": 0.5, "8": 0,
                                "9": -0.5, "10": -1, "A": -1}})  # fmt: skip
    assert tags.denominator == 2 and tags.balanced
    assert (
        count_tags(
            {"tags": dict.fromkeys(["2", "3", "4", "5", "6", "7", "8", "9", "10", "A"], 1)}
        ).balanced
        is False
    )


def exact_true_count(rc: Fraction, remaining: int, estimation: str, rounding: str) -> int:
    """The contract's true count (docs/config.md), computed with fractions."""
    if estimation == "exact":
        decks = Fraction(remaining, 52)
    elif estimation == "half_deck":
        decks = Fraction(max(math.floor(Fraction(remaining, 26) + Fraction(1, 2)), 1), 2)
    else:
        decks = Fraction(max(math.floor(Fraction(remaining, 52) + Fraction(1, 2)), 1))
    x = rc / decks
    if rounding == "floor":
        return math.floor(x)
    if rounding == "truncate":
        return math.trunc(x)
    return math.floor(x + Fraction(1, 2))


@pytest.mark.parametrize(
    ("estimation", "rounding"),
    list(itertools.product(["exact", "half_deck", "full_deck"], ["floor", "truncate", "nearest"])),
)
def test_the_kernel_true_count_is_exact(estimation, rounding):
    mode = {"floor": 0, "truncate": 1, "nearest": 2}[rounding]
    for den, name in ((1, "hi_lo"), (2, "wong_halves")):
        tags = count_tags(name)
        mul, divisors = true_count_divisors(416, tags, estimation)
        # the kernel's tables (a multiply and a shift per cards remaining), sized for counts
        # up to 90 either way: one card whose tag is 90 stands for the shoe's bound
        shoe = np.array([90 << 4], dtype=np.int64)
        den_of = np.asarray(divisors, dtype=np.int64)
        table, factor = k._tc_tables(shoe, 0, 0, mul, den_of, mode)
        for remaining in range(1, 417, 7):
            for rc in range(-90, 91, 3):
                got = k._tc_fast(rc * mul * factor, remaining, table, mode)
                assert got == exact_true_count(Fraction(rc, den), remaining, estimation, rounding)


def flat(system, **extra) -> dict:
    data = copy.deepcopy(default_config().model_dump(mode="json"))
    data["counting"]["system"] = system
    data["simulation"]["rounds"] = 300_000
    data.update(extra)
    return data


def test_counting_changes_nothing_unless_bets_or_plays_change():
    base = run_simulation_from_config(flat("hi_lo"), workers=1).to_dict()
    with_aces = flat("hi_opt_2")
    with_aces["counting"]["ace_side_count"] = True
    for system in ("ko", "omega_2", "wong_halves", "red_7", with_aces):
        data = flat(system) if isinstance(system, str) else system
        other = run_simulation_from_config(data, workers=1).to_dict()
        assert other["net"] == base["net"]
        assert other["outcomes"] == base["outcomes"]
        assert other["by_true_count"] != base["by_true_count"]  # the counts themselves differ


def counted(penetration: float, spread: bool, indices: bool, rounds: int) -> dict:
    data = copy.deepcopy(default_config().model_dump(mode="json"))
    data["rules"].update({"decks": 6, "penetration": penetration, "surrender": "none"})
    if spread:  # Hi-Lo 1-8: 1 unit below +1, then 2, 4, 6, 8 units at +1..+4
        data["betting"]["ramp"] = [
            {"true_count": -100, "units": 1},
            {"true_count": 1, "units": 2},
            {"true_count": 2, "units": 4},
            {"true_count": 3, "units": 6},
            {"true_count": 4, "units": 8},
        ]
    if indices:
        data["strategy"]["deviations"] = ["illustrious_18"]
    data["simulation"]["rounds"] = rounds
    return data


def win_rate(data: dict) -> tuple[float, float]:
    r = run_simulation_from_config(data).to_dict()
    return r["ev_per_round"]["mean"], r["ev_per_round"]["se"]


@pytest.mark.slow
def test_the_ordering_a_counter_knows():
    # Effects measured in units per round: 1-8 spread over flat ~ +0.011, 87.5% over 75%
    # penetration ~ +0.005, Illustrious 18 ~ +0.005. Each run is long enough that the effect
    # is at least ~4.5 standard errors of the difference; the test asks for 3.
    rounds = 20_000_000
    flat_bet = win_rate(counted(0.75, False, False, 4_000_000))
    spread = win_rate(counted(0.75, True, False, rounds))
    deeper = win_rate(counted(0.875, True, False, rounds))
    with_i18 = win_rate(counted(0.75, True, True, rounds))

    def better(a, b):
        return a[0] - b[0] > 3 * math.hypot(a[1], b[1])

    assert spread[0] > 0 > flat_bet[0]
    assert better(spread, flat_bet)
    assert better(deeper, spread)
    assert better(with_i18, spread)


def test_unbalanced_counts_bet_on_the_running_count():
    data = flat("ko")
    cfg = parse_config(data)
    mul, divisors = true_count_divisors(312, count_tags(cfg.counting.system), "half_deck")
    assert mul == 1 and set(divisors.tolist()) == {1}


def test_back_counting_plays_only_the_good_shoes():
    data = counted(0.75, False, False, 2_000_000)
    everything = run_simulation_from_config(data).to_dict()
    data["betting"]["wong_in_at"] = 1
    data["betting"]["wong_out_below"] = 0
    wonging = run_simulation_from_config(data).to_dict()
    assert wonging["rounds_observed"] == everything["rounds_observed"] == 2_000_000
    assert everything["rounds"] == 2_000_000
    assert 0.15 * 2_000_000 < wonging["rounds"] < 0.6 * 2_000_000
    # every round played is at a count of +0 or more, so the flat-bet EV turns positive
    assert min(row["true_count"] for row in wonging["by_true_count"]) >= 0
    gain = wonging["ev_per_round"]["mean"] - everything["ev_per_round"]["mean"]
    assert gain > 4 * math.hypot(wonging["ev_per_round"]["se"], everything["ev_per_round"]["se"])
    # per hour the watched rounds count as time
    share = wonging["rounds"] / wonging["rounds_observed"]
    assert wonging["risk"]["win_rate_per_hour"] == pytest.approx(
        wonging["ev_per_round"]["mean"] * 100 * share
    )


@pytest.mark.parametrize(
    ("system", "decks", "irc"), [("ko", 6, -20), ("ko", 1, 0), ("red_7", 2, -4)]
)
def test_unbalanced_counts_start_from_their_published_initial_count(system, decks, irc):
    # with a full shoe every round, every bet is made at the initial running count
    data = flat(system)
    data["rules"].update({"decks": decks, "shuffle": "continuous"})
    data["simulation"]["rounds"] = 2_000
    rows = run_simulation_from_config(data, workers=1).to_dict()["by_true_count"]
    assert [row["true_count"] for row in rows] == [irc]
    data["counting"]["initial_running_count"] = 3
    rows = run_simulation_from_config(data, workers=1).to_dict()["by_true_count"]
    assert [row["true_count"] for row in rows] == [3]


# A ramp that shows the true count it bet on: ``units = 20 + true count`` from -10 to +10.
COUNT_REVEALING_RAMP = [{"true_count": t, "units": 20 + t} for t in range(-10, 11)]


@pytest.mark.parametrize(
    ("system", "ace_side_count", "true_count"),
    [("hi_opt_2", False, 0), ("hi_opt_2", True, -4), ("hi_opt_1", True, -2)],
)
def test_the_ace_side_count_moves_the_betting_count(system, ace_side_count, true_count):
    # One deck, exact decks, floor. Round 1 deals A (player), 9 (up), 9 (player), A (hole):
    # soft 20 pushes 20. Both counts tag aces and nines 0, so the running count stays 0, but
    # two of the four aces are gone with 48 cards left (3.69 aces expected): 1.69 aces short.
    # Adjusted count = rc + w (2 - 48/13), w = 2 for Hi-Opt II, 1 for Hi-Opt I (a ten's tag);
    # true count = adjusted / (48/52): Hi-Opt II -3.67 -> -4, Hi-Opt I -1.83 -> -2.
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    cfg["rules"].update({"decks": 1, "surrender": "none"})
    cfg["counting"] = {
        "system": system,
        "ace_side_count": ace_side_count,
        "true_count": {"rounding": "floor", "deck_estimation": "exact"},
    }
    cfg["betting"]["ramp"] = COUNT_REVEALING_RAMP
    # round 2: 10,8 (18) against 7,10 (17) wins the bet, which shows the true count
    cards = ["A", 9, 9, "A", 10, 7, 8, 10]
    kernel = play_kernel(cfg, cards, rounds=2)
    reference = play_reference(cfg, cards, rounds=2)
    assert kernel.nets == reference.nets == [0.0, 20.0 + true_count]


def test_the_ace_side_count_is_for_betting_not_for_playing():
    # Hi-Opt II with the side count and one index: stand on 16 v 10 at a true count of -4 or
    # more. Round 1 as above (A,9 v 9,A pushes; running count 0, two aces gone). Round 2:
    # 10,6 v 10 (hole 7). Playing count: 0 - 2 + 1 - 2 = -3 over 45 unseen cards -> -3.47,
    # floor -4: stand, and 16 loses to 17. Had the aces adjusted it, -3 + 2 (2 - 45/13) = -5.9
    # over 45/52 decks -> -7: hit, draw the 5 and win.
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    cfg["rules"].update({"decks": 1, "surrender": "none"})
    cfg["counting"] = {
        "system": "hi_opt_2",
        "ace_side_count": True,
        "true_count": {"rounding": "floor", "deck_estimation": "exact"},
    }
    cfg["strategy"]["deviations"] = [
        {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": -4}
    ]
    cards = ["A", 9, 9, "A", 10, 10, 6, 7, 5]
    kernel = play_kernel(cfg, cards, rounds=2)
    assert kernel.nets == play_reference(cfg, cards, rounds=2).nets == [0.0, -1.0]


def test_two_spots_bet_twice_and_share_the_dealer():
    one = run_simulation_from_config(flat("hi_lo"), workers=1).to_dict()
    data = flat("hi_lo")
    data["betting"]["spots"] = 2
    two = run_simulation_from_config(data, workers=1).to_dict()
    # a round's initial bet is every spot's; every spot plays at least one hand
    assert two["initial_wagered"] == 2 * two["rounds"]
    assert two["hands"] >= 2 * two["rounds"]
    # per unit bet it is the same game (cards per round change the shoe's use only a little)
    diff = two["ev_per_initial_bet"]["mean"] - one["ev_per_initial_bet"]["mean"]
    assert abs(diff) < 4 * math.hypot(
        two["ev_per_initial_bet"]["se"], one["ev_per_initial_bet"]["se"]
    )
    assert two["ev_per_round"]["mean"] == pytest.approx(2 * two["ev_per_initial_bet"]["mean"])
    # the spots share the dealer's hand, so they win and lose together: the round's SD is
    # well above the sqrt(2) x one hand that independent hands would give
    assert two["sd_per_round"] > 1.55 * one["sd_per_round"]


@pytest.mark.slow
def test_the_ace_side_count_raises_the_hi_opt_2_win_rate():
    # Hi-Opt II leaves the ace out, so it bets worse than it plays; the side count puts the
    # ace back into the bet. Same seed, same cards and the same plays (no index plays): only
    # the bets differ, so the rounds pair up and the difference has a small standard error.
    # Measured: +0.0022 units/round, 4.6 SE of the paired difference over 20 M rounds; the
    # test asks for 3.
    ramp = [
        {"true_count": -100, "units": 1},
        {"true_count": 1, "units": 2},
        {"true_count": 2, "units": 4},
        {"true_count": 3, "units": 8},
        {"true_count": 4, "units": 12},
    ]

    def config(ace_side_count: bool) -> Config:
        data = copy.deepcopy(default_config().model_dump(mode="json"))
        data["rules"].update({"decks": 6, "penetration": 0.75})
        data["counting"] = {"system": "hi_opt_2", "ace_side_count": ace_side_count}
        data["betting"]["ramp"] = ramp
        return parse_config(data)

    plain, side = config(False), config(True)
    shards, per_shard = 5, 4_000_000
    total = total2 = 0.0
    for i in range(shards):
        a = run_shard(plain, Shard(i, per_shard, shards), trace=True)
        b = run_shard(side, Shard(i, per_shard, shards), trace=True)
        d = (np.asarray(b.trace) - np.asarray(a.trace)) / a.scale
        total += float(d.sum())
        total2 += float((d * d).sum())
    n = shards * per_shard
    mean = total / n
    se = math.sqrt((total2 - n * mean * mean) / (n - 1) / n)
    assert mean > 3 * se
