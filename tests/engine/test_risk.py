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
