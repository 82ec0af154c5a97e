"""What a ramp wins and risks — predicted from per-count figures, measured by simulation — each
figure with its standard error.

Both start from the per-round moments of the ramp's result y (units, per round played):

* predicted, from a pass at any bet (`bet_optimizer.CountFigures`): μ = Σ p_i b_i m_i and
  σ² = Σ p_i b_i² q_i − μ². These are exactly the sample mean and variance of b(count)·x over
  the pass's rounds, so SE(μ) = σ/√N as for any mean;
* measured, from a pass that plays the ramp: the result's EV per round (its SE) and SD.

The SE of an SD needs the variance of y² over the run, and y² is strongly correlated from round
to round (the count, hence the bet, persists through a shoe: with a 1-12 ramp the long-run
variance of y² is about six times its variance per round, while y itself is uncorrelated to
within a few percent). `serial_variance` measures that long-run variance by batch means on a
traced pilot shard of the ramp, and SE(σ) = √(τ²(y²)/N) / (2σ). Every other figure is a
function of (μ, σ), and its SE is the delta method's, with the partial derivatives taken as
secants over ± one SE (`estimate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine.bet_optimizer import CountFigures
from jost_engine.config import Config, parse_config
from jost_engine.risk import ruin_within
from jost_engine.shards import Shard, run_shard

PILOT_ROUNDS = 2_000_000
BATCH_ROUNDS = 2_000  # about 40 six-deck shoes: batches longer than the count's memory


@dataclass(frozen=True)
class Moments:
    """A ramp's per-round figures (units, per round played) and their SEs."""

    mu: float
    se_mu: float
    sigma: float
    se_sigma: float | None
    rounds: int
    played_per_hour: float
    average_bet: float


def serial_variance(config: Config | dict[str, Any], rounds: int = PILOT_ROUNDS) -> float:
    """The long-run variance of y² per round (units⁴): batch means of y² over a traced shard of
    ``rounds`` rounds of ``config``, played on this machine (one core)."""
    cfg = parse_config(config)
    tally = run_shard(cfg, Shard(0, rounds, 1), trace=True)
    assert tally.trace is not None
    y = tally.trace[: tally.counters["rounds"]].astype(float) / tally.scale
    batches = y.size // BATCH_ROUNDS
    if batches < 10:
        return float(np.var(y * y, ddof=1))
    squares = (y[: batches * BATCH_ROUNDS] ** 2).reshape(batches, BATCH_ROUNDS).mean(axis=1)
    return float(np.var(squares, ddof=1) * BATCH_ROUNDS)


def _se_sigma(sigma: float, rounds: int, tau_y2: float | None) -> float | None:
    if tau_y2 is None or rounds <= 0 or sigma <= 0:
        return None
    return math.sqrt(tau_y2 / rounds) / (2 * sigma)


def predicted_moments(
    figures: CountFigures, bets: np.ndarray, tau_y2: float | None = None
) -> Moments:
    """The ramp ``bets`` (units per spot at each of ``figures.true_count``) by formula."""
    mu_a, second_a = figures.moments(bets)
    mu, second = float(mu_a), float(second_a)
    sigma = math.sqrt(max(second - mu * mu, 0.0))
    n = figures.rounds_played
    return Moments(
        mu=mu,
        se_mu=sigma / math.sqrt(n) if n else math.nan,
        sigma=sigma,
        se_sigma=_se_sigma(sigma, n, tau_y2),
        rounds=n,
        played_per_hour=figures.played_per_hour,
        average_bet=float(np.asarray(bets, dtype=float) @ figures.frequency),
    )


def measured_moments(
    result: Mapping[str, Any], config: Config, tau_y2: float | None = None
) -> Moments:
    """The moments a simulation of the ramp measured (a result document and its config)."""
    n = int(result["rounds"])
    observed = int(result.get("rounds_observed") or n)
    sigma = float(result["sd_per_round"] or 0.0)
    spots = float(config.betting.spots)  # average initial bet per spot: close enough to show
    return Moments(
        mu=float(result["ev_per_round"]["mean"]),
        se_mu=float(result["ev_per_round"]["se"] or math.nan),
        sigma=sigma,
        se_sigma=_se_sigma(sigma, n, tau_y2),
        rounds=n,
        played_per_hour=float(config.simulation.rounds_per_hour)
        * (n / observed if observed else 1),
        average_bet=float(result["initial_wagered"]) / n / spots if n else math.nan,
    )


Figure = Callable[[float, float], float | None]


def estimate(f: Figure, m: Moments) -> dict[str, float | None]:
    """``{"value", "se"}`` of f(μ, σ): the delta method, partials as secants over ± one SE."""
    value = f(m.mu, m.sigma)
    if value is None or not math.isfinite(value):
        return {"value": None, "se": None}
    terms = []
    if m.se_sigma is None and f(m.mu, m.sigma * (1 + 1e-6)) != value:
        return {"value": value, "se": None}  # it depends on σ, whose SE is not known
    for dmu, dsigma, se in ((m.se_mu, 0.0, m.se_mu), (0.0, m.se_sigma or 0.0, m.se_sigma)):
        if not se or not math.isfinite(se):
            continue
        high, low = f(m.mu + dmu, m.sigma + dsigma), f(m.mu - dmu, m.sigma - dsigma)
        if high is None or low is None:
            return {"value": value, "se": None}
        terms.append((high - low) / 2)
    return {"value": value, "se": math.sqrt(sum(t * t for t in terms)) if terms else None}


def _edge(mu: float, sigma: float) -> bool:
    return mu > 0 and sigma > 0


def ramp_figures(
    m: Moments,
    bankroll: float | None,
    trip_rounds: int | None = None,
    measured_trip: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The player's figures of a ramp (docs/optimizer.md): win rate, SD, SCORE, DI, N0, risk of
    ruin by formula and, over trips of ``trip_rounds``, by formula and as measured."""
    per_hour = m.played_per_hour

    def score(mu: float, sigma: float) -> float | None:
        return 1e6 * (mu / sigma) ** 2 if _edge(mu, sigma) else None

    def n0(mu: float, sigma: float) -> float | None:
        return (sigma / mu) ** 2 if _edge(mu, sigma) else None

    figures: dict[str, Any] = {
        "rounds": m.rounds,
        "average_bet": m.average_bet,
        "ev_per_round": {"value": m.mu, "se": m.se_mu},
        "sd_per_round": {"value": m.sigma, "se": m.se_sigma},
        "win_rate_per_100_rounds": estimate(lambda mu, s: 100 * mu, m),
        "win_rate_per_hour": estimate(lambda mu, s: mu * per_hour, m),
        "sd_per_hour": estimate(lambda mu, s: s * math.sqrt(per_hour), m),
        "score": estimate(score, m),
        "di": estimate(lambda mu, s: 1000 * mu / s if _edge(mu, s) else None, m),
        "n0": estimate(n0, m),
        "n0_hours": estimate(lambda mu, s: (s / mu) ** 2 / per_hour if _edge(mu, s) else None, m),
        "bankroll_units": bankroll,
        "risk_of_ruin": {"value": None, "se": None},
        "trip": None,
    }
    if bankroll is None:
        return figures

    def ruin(mu: float, s: float) -> float | None:
        return math.exp(-2 * mu * bankroll / s**2) if _edge(mu, s) else 1.0

    figures["risk_of_ruin"] = estimate(ruin, m)
    if trip_rounds:
        trip: dict[str, Any] = {
            "trip_rounds": trip_rounds,
            "formula": estimate(lambda mu, s: ruin_within(mu, s, bankroll, trip_rounds), m),
            "measured": None,
        }
        if measured_trip and measured_trip.get("trips"):
            trip["measured"] = {
                "value": measured_trip.get("risk_of_ruin"),
                "se": measured_trip.get("se"),
                "trips": measured_trip.get("trips"),
            }
        figures["trip"] = trip
    return figures


def agreement(predicted: Mapping[str, Any], measured: Mapping[str, Any]) -> dict[str, float | None]:
    """Per figure, (measured − predicted) / √(SE² + SE²): within ±4 the two agree. The share of
    trips ruined is compared with the formula's chance p using the binomial SE √(p(1−p)/trips)
    the share has if p is right."""
    out: dict[str, float | None] = {}
    for key in ("ev_per_round", "sd_per_round", "win_rate_per_hour", "score", "di"):
        out[key] = _z(predicted.get(key), measured.get(key))
    out["risk_of_ruin"] = _z(predicted.get("risk_of_ruin"), measured.get("risk_of_ruin"))
    trip_p, trip_m = predicted.get("trip") or {}, measured.get("trip") or {}
    formula, share = trip_p.get("formula"), trip_m.get("measured")
    out["trip_risk_of_ruin"] = None
    if formula and share and formula.get("value") is not None and share.get("value") is not None:
        # the share's binomial SE at the predicted chance (a share of 0 has an SE of 0 itself)
        p = formula["value"]
        binomial = math.sqrt(p * (1 - p) / share["trips"])
        se = math.hypot(formula.get("se") or 0.0, binomial)
        out["trip_risk_of_ruin"] = (share["value"] - p) / se if se > 0 else None
    return out


def _z(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> float | None:
    if not a or not b or a.get("value") is None or b.get("value") is None:
        return None
    se = math.hypot(a.get("se") or 0.0, b.get("se") or 0.0)
    return (b["value"] - a["value"]) / se if se > 0 else None
