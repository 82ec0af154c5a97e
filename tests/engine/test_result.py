"""Statistics of a result, from the exact tallies."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jost_engine import Shard, default_config, merge_results, run_shard
from jost_engine.result import _mean_se, _ratio_se


def ramp_config(rounds: int) -> dict:
    data = default_config().model_dump(mode="json")
    data["simulation"]["rounds"] = rounds
    data["betting"]["ramp"] = [
        {"true_count": 0, "units": 1},
        {"true_count": 2, "units": 4},
        {"true_count": 4, "units": 8},
    ]
    return data


def test_mean_and_se_equal_the_textbook_formulas():
    rng = np.random.default_rng(3)
    x = rng.integers(-6, 7, size=10_000)
    mean, se, sd = _mean_se(x.size, int(x.sum()), int((x * x).sum()), scale=2)
    assert mean == pytest.approx(x.mean() / 2)
    assert sd == pytest.approx(x.std(ddof=1) / 2)
    assert se == pytest.approx(x.std(ddof=1) / 2 / np.sqrt(x.size))


def test_ratio_se_is_the_delta_method():
    rng = np.random.default_rng(4)
    b = rng.choice([1, 2, 4, 8], size=20_000)
    x = b * rng.integers(-2, 3, size=b.size)
    r = x.sum() / b.sum()
    resid = x - r * b
    expected = np.sqrt(resid.var(ddof=1) / b.size) / b.mean()
    got = _ratio_se(
        b.size, int(x.sum()), int(b.sum()), int((x * x).sum()), int((x * b).sum()),
        int((b * b).sum()), scale=1,
    )  # fmt: skip
    assert got == pytest.approx(expected, rel=1e-9)


def test_flat_bet_result_is_consistent():
    data = default_config().model_dump(mode="json")
    data["simulation"]["rounds"] = 200_000
    r = merge_results([run_shard(data, Shard(0, 200_000, 1))], data).to_dict()
    json.dumps(r, allow_nan=False)  # strict JSON: no NaN anywhere
    ev = r["ev_per_initial_bet"]
    assert ev["mean"] == pytest.approx(r["ev_per_round"]["mean"])
    assert ev["se"] == pytest.approx(r["ev_per_round"]["se"])
    assert ev["ci95"] == pytest.approx(
        [ev["mean"] - 1.96 * ev["se"], ev["mean"] + 1.96 * ev["se"]], rel=1e-3
    )
    assert r["net"] == pytest.approx(ev["mean"] * r["initial_wagered"])
    assert r["sd_per_round"] == pytest.approx(ev["se"] * 200_000**0.5)
    assert 1.1 < r["sd_per_round"] < 1.2  # the well-known SD of a blackjack round
    assert r["win_rate_per_100_rounds"] == pytest.approx(100 * r["ev_per_round"]["mean"])
    o = r["outcomes"]
    assert o["blackjack"] + o["win"] + o["push"] + o["loss"] + o["surrender"] == pytest.approx(1)
    assert r["total_wagered"] > r["initial_wagered"]  # doubles and splits


def test_by_true_count_adds_up_and_the_ramp_bets_more_at_high_counts():
    data = ramp_config(300_000)
    r = merge_results([run_shard(data, Shard(0, 300_000, 1))], data).to_dict()
    rows = r["by_true_count"]
    assert sum(row["rounds"] for row in rows) == r["rounds"]
    assert sum(row["frequency"] for row in rows) == pytest.approx(1)
    assert sum(row["ev_per_initial_bet"] * row["average_bet"] * row["rounds"] for row in rows) == (
        pytest.approx(r["net"])
    )
    bets = {row["true_count"]: row["average_bet"] for row in rows}
    assert bets[-1] == 1 and bets[0] == 1 and bets[2] == 4 and bets[5] == 8
    # the EV per initial bet is a ratio of sums when bets vary: not the mean per round
    assert r["ev_per_initial_bet"]["mean"] == pytest.approx(r["net"] / r["initial_wagered"])
    assert r["ev_per_initial_bet"]["se"] < r["ev_per_round"]["se"]
