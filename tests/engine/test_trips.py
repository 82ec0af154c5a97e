"""Trips: the drift–diffusion formulas, their limits, and the formulas against simulated trips
within their SE."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jost_engine import Shard, default_config, parse_config, run_shard
from jost_engine.optimize import run_here
from jost_engine.ramp_figures import Moments, estimate, measured_moments, serial_variance
from jost_engine.risk import ruin_within
from jost_engine.trips import (
    TripGame,
    bankroll_for_trip,
    goal_before_loss,
    hours_to_n0,
    loss_within,
    measure_trips,
    result_bands,
    result_percentiles,
    trip_figures,
)

GAME = TripGame(mu=0.03, sigma=3.5, rounds_per_hour=100)


def test_the_double_barrier_and_its_limits():
    ever_up, ever_down = goal_before_loss(GAME, 200, 400)
    assert ever_up + ever_down == pytest.approx(1)
    # a goal out of reach: the lifetime risk of ruin is left
    assert goal_before_loss(GAME, 1e7, 400)[1] == pytest.approx(math.exp(-2 * 0.03 * 400 / 3.5**2))
    # no edge: the gambler's ruin, B / (G + B)
    assert goal_before_loss(TripGame(0.0, 1.0, 100), 30, 10)[0] == pytest.approx(0.25)
    a_loser = TripGame(-0.02, 1.15, 100)
    up, down = goal_before_loss(a_loser, 50, 50)
    assert up < 0.5 < down and up + down == pytest.approx(1)
    # within the trip: less than ever, rising with the hours to the lifetime figure
    within = [goal_before_loss(GAME, 200, 400, hours) for hours in (1, 5, 20, 100, 10_000)]
    assert [w[0] for w in within] == sorted(w[0] for w in within)
    assert within[-1][0] == pytest.approx(ever_up, abs=1e-9)
    assert within[-1][1] == pytest.approx(ever_down, abs=1e-9)
    # a goal out of reach within the trip: the loss side is the one-barrier trip risk
    assert goal_before_loss(GAME, 1e6, 400, 20)[1] == pytest.approx(loss_within(GAME, 400, 20))


def test_the_range_n0_and_the_bankroll_for_a_trip():
    bands = {b["percentile"]: b["units"] for b in result_percentiles(GAME, 20)}
    mean, sd = 0.03 * 2000, 3.5 * math.sqrt(2000)
    assert bands[50] == pytest.approx(mean)
    assert bands[95] - bands[50] == pytest.approx(1.6448536 * sd, rel=1e-6)
    hours, chart = result_bands(GAME, 20, points=5)
    assert hours[-1] == 20 and chart[50][-1] == pytest.approx(mean) and chart[5][0] == 0
    assert hours_to_n0(GAME) == pytest.approx((3.5 / 0.03) ** 2 / 100)
    assert hours_to_n0(TripGame(-0.01, 1.1, 100)) is None
    for risk in (0.01, 0.05, 0.135):
        bankroll = bankroll_for_trip(GAME, risk, 20)
        assert ruin_within(0.03, 3.5, bankroll, 2000) == pytest.approx(risk, rel=1e-6)
        assert bankroll < -math.log(risk) * 3.5**2 / (2 * 0.03)  # less than for a lifetime
    # without an edge a trip still has a bankroll for a risk
    assert bankroll_for_trip(TripGame(-0.005, 1.15, 100), 0.05, 10) > 0


def ramp_game(rounds: int, seed: int) -> dict:
    data = default_config().model_dump(mode="json")
    data["strategy"]["deviations"] = ["illustrious_18"]
    data["betting"]["ramp"] = [
        {"true_count": count, "units": units} for count, units in ((0, 1), (1, 2), (2, 4), (3, 8))
    ]
    data["simulation"].update(rounds=rounds, seed=seed)
    return data


@pytest.fixture(scope="module")
def moments() -> Moments:
    """The ramp's win rate and SD per round from a run of its own (not the trips' rounds), the
    SD's SE from a pilot's serial variance."""
    config = parse_config(ramp_game(20_000_000, 1))
    pilot = serial_variance(config.with_overrides(seed=4), 1_000_000)
    return measured_moments(run_here(config, "moments"), config, pilot)


def within_4_se(measured: dict, formula: float, formula_se: float, trips: int) -> None:
    binomial = math.sqrt(formula * (1 - formula) / trips)  # the share's SE if the formula holds
    tolerance = 4 * math.hypot(binomial, formula_se)
    assert abs(measured["value"] - formula) <= tolerance, (measured, formula, tolerance)


def test_the_formulas_agree_with_simulated_trips(moments):
    """Trips of 20 hours (2,000 rounds) cut from 6 million simulated rounds of a 1-8 ramp:
    losing 150 units at some point, winning 100 before losing 150, and where the end results
    fall against the percentile bands."""
    rounds, trip_rounds, loss, goal = 6_000_000, 2_000, 150.0, 100.0
    tally = run_shard(ramp_game(rounds, 2), Shard(0, rounds, 1), trace=True)
    nets = tally.trace.astype(float) / tally.scale
    game = TripGame(moments.mu, moments.sigma, moments.played_per_hour)
    bands = result_percentiles(game, 20)
    measured = measure_trips(nets, trip_rounds, loss, goal, below=[b["units"] for b in bands])
    trips = measured["trips"]
    assert trips == 3000

    def formula_se(f) -> tuple[float, float]:
        figure = estimate(lambda mu, sigma: f(TripGame(mu, sigma, game.rounds_per_hour)), moments)
        return figure["value"], figure["se"] or 0.0

    value, se = formula_se(lambda g: loss_within(g, loss, 20))
    assert 0.1 < value < 0.5  # a regime where the share is measured well
    within_4_se(measured["loss"], value, se, trips)
    value, se = formula_se(lambda g: goal_before_loss(g, goal, loss, 20)[0])
    within_4_se(measured["goal_first"], value, se, trips)
    value, se = formula_se(lambda g: goal_before_loss(g, goal, loss, 20)[1])
    within_4_se(measured["loss_first"], value, se, trips)
    for band, below in zip(bands, measured["below"], strict=True):
        # the share of trips ending below the p-th percentile is p
        within_4_se(below, band["percentile"] / 100, 0.0, trips)


def test_trip_figures_carry_the_kernels_measured_trips(moments):
    data = ramp_game(5_000_000, 3)
    data["bankroll"] = {"units": 150, "trip_rounds": 2_000}
    config = parse_config(data)
    result = run_here(config, "trips")
    figures = trip_figures(
        moments, bankroll=150, hours=20, goal=100, measured=result["risk"]["trip"]
    )
    loss = figures["loss"]
    assert loss["units"] == 150 and loss["measured"]["trips"] > 1000
    assert figures["goal"]["within_trip"] + figures["goal"]["loss_first_within_trip"] <= 1
    within_4_se(
        loss["measured"], loss["formula"]["value"], loss["formula"]["se"] or 0.0,
        loss["measured"]["trips"],
    )  # fmt: skip
    assert [b["percentile"] for b in figures["percentiles"]] == [5, 25, 50, 75, 95]
    assert set(figures["bankroll_for_risk"]) == {"0.01", "0.05", "0.135"}
    assert np.isclose(figures["rounds"], 2000)
