"""Counting systems, the true count, and what counting does (and does not) change."""

from __future__ import annotations

import copy
import itertools
import math
from fractions import Fraction

import pytest

from jost_engine import _kernel as k
from jost_engine import default_config, run_simulation_from_config
from jost_engine.config import parse_config
from jost_engine.counting import SYSTEM_TAGS, count_tags
from jost_engine.shoe import card_tag, new_shoe
from jost_engine.table import true_count_divisors

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
    """CONFIG.md's true count, computed with fractions."""
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
        for remaining in range(1, 417, 7):
            d = int(divisors[remaining])
            for rc in range(-90, 91, 3):
                got = k._true_count(rc, mul, d, 1.0 / d, mode)
                assert got == exact_true_count(Fraction(rc, den), remaining, estimation, rounding)


def flat(system, **extra) -> dict:
    data = copy.deepcopy(default_config().model_dump(mode="json"))
    data["counting"]["system"] = system
    data["simulation"]["rounds"] = 300_000
    data.update(extra)
    return data


def test_counting_changes_nothing_unless_bets_or_plays_change():
    base = run_simulation_from_config(flat("hi_lo"), workers=1).to_dict()
    for system in ("ko", "omega_2", "wong_halves", "red_7"):
        other = run_simulation_from_config(flat(system), workers=1).to_dict()
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
