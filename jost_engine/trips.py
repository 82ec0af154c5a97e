"""Trips and sessions: what a ramp and a bankroll can bring in N hours (the figures of the BJRM
and CVCX trip calculators).

The bankroll's path is the drift–diffusion every risk formula of the engine uses: after t rounds
played the result is W_t = μt + σB_t (μ, σ per round played, B a Brownian motion), and an hour
holds h = rounds_per_hour × played share rounds played. With T = N·h:

* losing at least X at any point within the trip (not only at its end):
  P = Φ((−X − μT)/(σ√T)) + e^(−2μX/σ²) Φ((−X + μT)/(σ√T))  (`jost_engine.risk.ruin_within`);
* reaching a win goal G before losing B (double barrier), ever: with a = 2μ/σ²,
  P = (1 − e^(aB)) / (e^(−aG) − e^(aB)) (B/(G+B) without an edge); within the trip, the same
  less the paths still between the barriers at T, from the eigenfunction series of the killed
  diffusion on an interval of length L = G + B, λ_n = μ²/(2σ²) + σ²n²π²/(2L²):
  P_G(T) = P_G(∞) + (σ²/L) e^(μG/σ²) Σ (−1)ⁿ (nπ/L) sin(nπB/L) e^(−λ_n T)/λ_n, and
  P_B(T) = P_B(∞) − (σ²/L) e^(−μB/σ²) Σ (nπ/L) sin(nπB/L) e^(−λ_n T)/λ_n;
* the range of probable results after N hours: W_T is normal, mean μT, SD σ√T, so its p-th
  percentile is μT + z_p σ√T;
* hours to N0 = (σ/μ)² / h; the bankroll for a risk r over the trip: the B that solves
  P(lose B within T) = r (bisection; it exists even without an edge, unlike the lifetime one).

`measure_trips` measures the same figures over simulated trips (a traced run's round results).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from jost_engine.ramp_figures import Moments, estimate
from jost_engine.risk import RISK_LEVELS, ruin_within

PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class TripGame:
    """A ramp's per-round figures: μ and σ per round played, rounds played per hour."""

    mu: float
    sigma: float
    rounds_per_hour: float

    def rounds(self, hours: float) -> int:
        return max(1, round(hours * self.rounds_per_hour))


def loss_within(game: TripGame, loss: float, hours: float) -> float | None:
    """P(the result falls to −``loss`` at any point within ``hours``)."""
    return ruin_within(game.mu, game.sigma, loss, game.rounds(hours))


def _goal_ever(mu: float, sigma: float, goal: float, loss: float) -> float:
    a = 2 * mu / sigma**2
    if abs(a) * (goal + loss) < 1e-12:
        return loss / (goal + loss)
    if a > 0:
        return math.expm1(-a * loss) / math.expm1(-a * (goal + loss))
    return math.exp(a * goal) * math.expm1(a * loss) / math.expm1(a * (goal + loss))


def goal_before_loss(
    game: TripGame, goal: float, loss: float, hours: float | None = None
) -> tuple[float, float]:
    """(P(reach +``goal`` first), P(lose ``loss`` first)), ever or by the end of ``hours``."""
    mu, sigma = game.mu, game.sigma
    up = _goal_ever(mu, sigma, goal, loss)
    if hours is None:
        return up, 1.0 - up
    rounds = game.rounds(hours)
    width = goal + loss
    terms = math.ceil(width / (math.pi * sigma) * math.sqrt(100.0 / rounds)) + 10
    n = np.arange(1, min(terms, 200_000) + 1, dtype=float)
    k = n * math.pi / width
    rate = mu**2 / (2 * sigma**2) + sigma**2 * k**2 / 2
    common = np.sin(k * loss) * k / rate
    sign = np.where(n % 2 == 1, -1.0, 1.0)
    scale = sigma**2 / width
    top_exponent = mu * goal / sigma**2 - rate * rounds
    bottom_exponent = -mu * loss / sigma**2 - rate * rounds
    # A prefactor past e^600 means that barrier is out of reach in the trip (it is many times
    # further than the drift takes the result): the series cancels to nothing there, and the
    # one-barrier chance of ever touching it within the trip (≈ 0) is the answer.
    if top_exponent[0] > 600:
        reached = ruin_within(-mu, sigma, goal, rounds) or 0.0
    else:
        reached = up + scale * float(np.sum(sign * common * np.exp(top_exponent)))
    if bottom_exponent[0] > 600:
        lost = ruin_within(mu, sigma, loss, rounds) or 0.0
    else:
        lost = 1.0 - up - scale * float(np.sum(common * np.exp(bottom_exponent)))
    return min(max(reached, 0.0), 1.0), min(max(lost, 0.0), 1.0)


def result_percentiles(
    game: TripGame, hours: float, percentiles: Sequence[float] = PERCENTILES
) -> list[dict[str, float]]:
    """The result after ``hours`` (units) at each percentile: μT + z σ√T."""
    rounds = game.rounds(hours)
    mean, spread = game.mu * rounds, game.sigma * math.sqrt(rounds)
    unit = NormalDist()
    return [{"percentile": p, "units": mean + unit.inv_cdf(p / 100) * spread} for p in percentiles]


def result_bands(
    game: TripGame, hours: float, points: int = 60, percentiles: Sequence[float] = PERCENTILES
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """(hours, {percentile: results}) from 0 to ``hours``: the bands of a trip chart."""
    grid = np.linspace(0.0, hours, points)
    rounds = grid * game.rounds_per_hour
    unit = NormalDist()
    return grid, {
        p: game.mu * rounds + unit.inv_cdf(p / 100) * game.sigma * np.sqrt(rounds)
        for p in percentiles
    }


def hours_to_n0(game: TripGame) -> float | None:
    if game.mu <= 0 or game.sigma <= 0:
        return None
    return (game.sigma / game.mu) ** 2 / game.rounds_per_hour


def bankroll_for_trip(game: TripGame, risk: float, hours: float) -> float | None:
    """The bankroll (units) lost within ``hours`` with probability ``risk``."""
    rounds = game.rounds(hours)
    if game.sigma <= 0 or not 0 < risk < 1:
        return None
    high = game.sigma * math.sqrt(rounds)
    while (ruin_within(game.mu, game.sigma, high, rounds) or 0.0) > risk:
        high *= 2
        if high > 1e15:
            return None
    low = 0.0
    for _ in range(100):
        middle = (low + high) / 2
        if (ruin_within(game.mu, game.sigma, middle, rounds) or 0.0) > risk:
            low = middle
        else:
            high = middle
    return high


def trip_figures(
    moments: Moments,
    *,
    bankroll: float,
    hours: float,
    goal: float | None = None,
    loss: float | None = None,
    measured: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every trip figure (docs/optimizer.md, "Trips") for a ramp's moments; ``loss`` defaults to
    the bankroll; ``measured`` is a result's ``risk.trip`` (losses of ``loss`` over simulated
    trips), shown beside the formula."""
    game = TripGame(moments.mu, moments.sigma, moments.played_per_hour)
    loss = bankroll if loss is None else loss
    rounds = game.rounds(hours)

    def lose(mu: float, sigma: float) -> float | None:
        return ruin_within(mu, sigma, loss, rounds)

    figures: dict[str, Any] = {
        "hours": hours,
        "rounds": rounds,
        "rounds_per_hour": game.rounds_per_hour,
        "bankroll_units": bankroll,
        "win_rate_per_hour": moments.mu * game.rounds_per_hour,
        "sd_per_hour": moments.sigma * math.sqrt(game.rounds_per_hour),
        "expected_result": moments.mu * rounds,
        "sd_result": moments.sigma * math.sqrt(rounds),
        "loss": {"units": loss, "formula": estimate(lose, moments), "measured": None},
        "goal": None,
        "percentiles": result_percentiles(game, hours),
        "hours_to_n0": hours_to_n0(game),
        "bankroll_for_risk": {
            f"{level:g}": bankroll_for_trip(game, level, hours) for level in RISK_LEVELS
        },
    }
    if measured and measured.get("trips"):
        figures["loss"]["measured"] = {
            "value": measured.get("risk_of_ruin"),
            "se": measured.get("se"),
            "trips": measured.get("trips"),
            "trip_rounds": measured.get("trip_rounds"),
            "formula_at_trip_rounds": measured.get("formula"),
            "hours": measured.get("hours"),
        }
    if goal is not None:
        ever, _ = goal_before_loss(game, goal, bankroll)
        reached, lost = goal_before_loss(game, goal, bankroll, hours)
        figures["goal"] = {
            "units": goal,
            "loss_units": bankroll,
            "ever": ever,
            "within_trip": reached,
            "loss_first_within_trip": lost,
            "neither_within_trip": max(0.0, 1.0 - reached - lost),
        }
    return figures


def measure_trips(
    nets: np.ndarray,
    trip_rounds: int,
    loss: float,
    goal: float | None = None,
    below: Sequence[float] = (),
) -> dict[str, Any]:
    """The trip figures measured over consecutive trips of ``trip_rounds`` rounds of ``nets``
    (each round's result in units, e.g. a traced shard's): the share of trips that lose
    ``loss`` at some point, that reach ``goal`` before losing ``loss``, and whose end result is
    below each of ``below``, each with its binomial SE."""
    trips = nets.size // trip_rounds
    if trips == 0:
        raise ValueError(f"fewer rounds ({nets.size}) than one trip ({trip_rounds})")
    paths = np.cumsum(nets[: trips * trip_rounds].reshape(trips, trip_rounds), axis=1)

    def share(hit: Any) -> dict[str, float]:
        p = float(hit.mean())
        return {"value": p, "se": math.sqrt(p * (1 - p) / trips)}

    down = paths <= -loss
    out: dict[str, Any] = {"trips": trips, "trip_rounds": trip_rounds, "loss": share(down.any(1))}
    if goal is not None:
        up = paths >= goal
        first_up = np.where(up.any(1), up.argmax(1), trip_rounds)
        first_down = np.where(down.any(1), down.argmax(1), trip_rounds)
        out["goal_first"] = share(first_up < first_down)
        out["loss_first"] = share(first_down < first_up)
    out["below"] = [share(paths[:, -1] < value) for value in below]
    return out
