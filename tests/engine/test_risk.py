"""Risk figures: the diffusion formulas and their identities."""

from __future__ import annotations

import math

import pytest

from jost_engine import default_config, run_simulation_from_config
from jost_engine.risk import risk_figures


def test_identities_of_the_formulas():
    r = risk_figures(0.012, 3.4, bankroll_units=500, rounds_per_hour=90)
    assert r["n0"] == pytest.approx(3.4**2 / 0.012**2)
    assert r["n0"] * r["score"] == pytest.approx(1e6)
    assert r["di"] ** 2 == pytest.approx(r["score"])
    assert r["win_rate_per_hour"] == pytest.approx(0.012 * 90)
    assert r["sd_per_100_rounds"] == pytest.approx(34.0)
    assert r["risk_of_ruin"] == pytest.approx(math.exp(-2 * 0.012 * 500 / 3.4**2))
    # the bankroll for a risk gives back that risk
    for level, bankroll in r["bankroll_for_risk"].items():
        again = risk_figures(0.012, 3.4, bankroll_units=bankroll, rounds_per_hour=90)
        assert again["risk_of_ruin"] == pytest.approx(float(level))
    # 13.5% risk is e^-2: the bankroll is sigma^2 / mu
    assert r["bankroll_for_risk"]["0.135"] == pytest.approx(3.4**2 / 0.012, rel=2e-3)


def test_without_an_edge_ruin_is_certain_and_the_edge_figures_are_null():
    r = risk_figures(-0.005, 1.15, bankroll_units=1000, rounds_per_hour=100)
    assert r["risk_of_ruin"] == 1.0
    assert r["n0"] is None and r["di"] is None and r["score"] is None
    assert all(v is None for v in r["bankroll_for_risk"].values())
    assert risk_figures(0.01, 2.0, bankroll_units=None, rounds_per_hour=100)["risk_of_ruin"] is None


def test_results_carry_the_risk_of_the_configured_bankroll():
    data = default_config().model_dump(mode="json")
    data["simulation"].update({"rounds": 200_000, "rounds_per_hour": 80})
    data["bankroll"]["units"] = 300
    result = run_simulation_from_config(data, workers=1).to_dict()
    risk = result["risk"]
    assert risk["bankroll_units"] == 300
    assert risk["win_rate_per_hour"] == pytest.approx(80 * result["ev_per_round"]["mean"])
    assert risk["sd_per_100_rounds"] == pytest.approx(10 * result["sd_per_round"])
    expected = 1.0 if result["ev_per_round"]["mean"] <= 0 else None
    if expected is not None:
        assert risk["risk_of_ruin"] == expected


def high_variance_game(rounds: int, bankroll: float, trip_rounds: int) -> dict:
    data = default_config().model_dump(mode="json")
    data["rules"].update({"penetration": 0.8, "surrender": "late"})
    data["betting"]["ramp"] = [  # Hi-Lo 1-12
        {"true_count": -100, "units": 1},
        {"true_count": 1, "units": 2},
        {"true_count": 2, "units": 4},
        {"true_count": 3, "units": 8},
        {"true_count": 4, "units": 12},
    ]
    data["strategy"]["deviations"] = ["illustrious_18", "fab_4"]
    data["bankroll"] = {"units": bankroll, "trip_rounds": trip_rounds}
    data["simulation"]["rounds"] = rounds
    return data


def test_trips_are_counted_exactly_as_a_bankroll_would_run():
    from jost_engine import Shard, run_shard

    data = high_variance_game(30_000, bankroll=40, trip_rounds=300)
    tally = run_shard(data, Shard(0, 30_000, 1), trace=True)
    scale = tally.scale
    bank, played, trips, ruined = 40 * scale, 0, 0, 0
    for net in tally.trace:
        bank += int(net)
        played += 1
        if bank <= 0 or played == 300:
            trips += 1
            ruined += bank <= 0
            bank, played = 40 * scale, 0
    assert (tally.counters["trips"], tally.counters["trips_ruined"]) == (trips, ruined)
    assert 0 < ruined < trips


@pytest.mark.slow
def test_measured_ruin_agrees_with_the_diffusion_formula():
    # Hi-Lo 1-12 with indices, 150 units, trips of 5,000 rounds: ruin is common (~45%),
    # so thousands of trips measure it to about half a percent.
    from jost_engine.risk import ruin_within

    r = run_simulation_from_config(high_variance_game(40_000_000, 150, 5_000)).to_dict()
    trip = r["risk"]["trip"]
    mu, se_mu, sigma = r["ev_per_round"]["mean"], r["ev_per_round"]["se"], r["sd_per_round"]
    assert trip["trips"] > 10_000
    # the formula's own uncertainty, from the uncertainty of the simulated win rate
    slope = (
        ruin_within(mu + se_mu, sigma, 150, 5000) - ruin_within(mu - se_mu, sigma, 150, 5000)
    ) / 2
    tolerance = 4 * math.hypot(trip["se"], slope)
    assert abs(trip["risk_of_ruin"] - trip["formula"]) <= tolerance, (trip, tolerance)
    assert 0.2 < trip["risk_of_ruin"] < 0.8  # a regime where both are far from 0 and 1
